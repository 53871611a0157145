"""cnn-tui: the Textual workbench over the headless engine."""
