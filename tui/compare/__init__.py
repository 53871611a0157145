"""Comparing runs: the compare screen and run history in the UI."""
