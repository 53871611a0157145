"""``python -m tui.bench``: drive the real app headless and time it."""
