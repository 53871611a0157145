"""Small user models for tests: each file is what a user would pass as --model FILE:NAME."""
