"""Entry point for the ``cnn-tui`` console script (placeholder until the app lands)."""

from __future__ import annotations


def main() -> int:
    from textual.app import App
    from textual.widgets import Static

    class Placeholder(App):
        def compose(self):
            yield Static("cnn-tui: the workbench is coming. Press q to quit.")

        BINDINGS = [("q", "quit", "Quit")]

    Placeholder().run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
