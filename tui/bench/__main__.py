"""``python -m tui.bench``: the app benchmark's entry point."""

from tui.bench.run import main

if __name__ == "__main__":
    main()
