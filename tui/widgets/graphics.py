"""Which graphics protocol the terminal speaks, decided from the environment alone.

``decide_graphics`` is a pure function of the environment, the ``--graphics`` choice and the
colour mode: it never writes a query to the terminal and never reads its answer, so start-up
cannot wait on a terminal that does not answer (textual-image's own detection writes device
attribute and Kitty queries and reads stdin for the reply when it is imported; see
``tui.widgets.pixel_image``, which imports it with that detection switched off).

Rules (``auto``): ``--ascii`` / NO_COLOR -> off; inside tmux or screen (TMUX, TERM=screen* or
tmux*) -> off, since without passthrough the escapes never reach the terminal; Kitty
(TERM=xterm-kitty or KITTY_WINDOW_ID) and Ghostty -> kitty (the Kitty graphics protocol with
Unicode placeholders); WezTerm, foot, mlterm and Konsole 22.04 or later -> sixel (WezTerm draws
Sixel but not Kitty placeholders); iTerm2 -> iterm (drawn as Sixel, which iTerm2 3.5 reads);
anything else, a plain xterm-256color over SSH included -> off (half blocks). A forced choice
(``--graphics kitty`` or CNN_TUI_GRAPHICS=kitty) is kept, in tmux too, except under --ascii.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROTOCOLS = ("kitty", "sixel", "iterm", "off")
CHOICES = ("auto", *PROTOCOLS)
ENV_VAR = "CNN_TUI_GRAPHICS"
SIXEL_TERMS = ("foot", "foot-extra", "mlterm")
KONSOLE_SIXEL_VERSION = 220400  # Konsole 22.04 added Sixel


@dataclass(frozen=True)
class GraphicsChoice:
    """The protocol pictures are drawn with ("kitty", "sixel", "iterm" or "off": half
    blocks) and why, in words (shown in the app's log and tests)."""

    protocol: str
    reason: str

    @property
    def enabled(self) -> bool:
        return self.protocol != "off"


def check_choice(text: str) -> str:
    """``text`` lower-cased if it is one of CHOICES; ValueError naming them otherwise."""
    choice = text.strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"graphics must be one of {', '.join(CHOICES)}, got {text!r}")
    return choice


def decide_graphics(
    env: Mapping[str, str], requested: str = "auto", color_mode: str = "256"
) -> GraphicsChoice:
    """The protocol for ``requested`` (a CHOICES entry; ``auto`` reads CNN_TUI_GRAPHICS
    first, ignored when it is not a choice) in environment ``env`` under ``color_mode``
    ("ascii": no colour, so no pictures). Reads nothing but its arguments."""
    if color_mode == "ascii":
        return GraphicsChoice("off", "ASCII mode (--ascii or NO_COLOR): no colour pictures")
    choice = check_choice(requested)
    if choice == "auto":
        from_env = env.get(ENV_VAR, "").strip().lower()
        if from_env in CHOICES and from_env != "auto":
            return GraphicsChoice(from_env, f"{ENV_VAR}={from_env}")
        return detect_from_env(env)
    return GraphicsChoice(choice, f"--graphics {choice}")


def detect_from_env(env: Mapping[str, str]) -> GraphicsChoice:
    """The protocol the environment says the terminal speaks (``auto``), or off."""
    term = env.get("TERM", "").lower()
    program = env.get("TERM_PROGRAM", "").lower()
    if env.get("TMUX") or term.startswith(("screen", "tmux")):
        return GraphicsChoice("off", "inside tmux/screen (no passthrough): half blocks")
    if term == "xterm-kitty" or env.get("KITTY_WINDOW_ID"):
        return GraphicsChoice("kitty", "Kitty (TERM=xterm-kitty or KITTY_WINDOW_ID)")
    if program == "ghostty" or term == "xterm-ghostty":
        return GraphicsChoice("kitty", "Ghostty speaks the Kitty graphics protocol")
    if program == "wezterm":
        return GraphicsChoice("sixel", "WezTerm draws Sixel")
    if program == "iterm.app" or env.get("ITERM_SESSION_ID"):
        return GraphicsChoice("iterm", "iTerm2 (drawn as Sixel)")
    if term in SIXEL_TERMS:
        return GraphicsChoice("sixel", f"TERM={term} draws Sixel")
    konsole = env.get("KONSOLE_VERSION", "")
    if konsole.isdigit() and int(konsole) >= KONSOLE_SIXEL_VERSION:
        return GraphicsChoice("sixel", f"Konsole {konsole} draws Sixel")
    return GraphicsChoice("off", f"no graphics protocol known for TERM={term or 'unset'}")


def graphics_choice(text: str) -> str:
    """``--graphics``'s value checked (argparse's one-line error otherwise)."""
    import argparse  # only the command line needs it, not every widget that imports this

    try:
        return check_choice(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def usable_graphics(protocol: str) -> str:
    """``protocol`` when textual-image loads for it (without probing the terminal: see
    ``tui.widgets.pixel_image``), else "off" with a one-line note on stderr: pictures then
    fall back to half blocks. Call before the app starts."""
    if protocol == "off":
        return protocol
    try:
        from tui.widgets.pixel_image import load_protocol_widget

        load_protocol_widget(protocol)
    except Exception as exc:  # a missing or broken textual-image must not stop the app
        print(f"cnn-tui: graphics {protocol} unavailable ({exc}); half blocks", file=sys.stderr)
        return "off"
    return protocol


def app_graphics(app: object) -> str:
    """The graphics protocol the running app was started with (its options' ``graphics``;
    "off" for an app without them, such as a test's)."""
    options = getattr(app, "options", None)
    protocol = getattr(options, "graphics", "off")
    return protocol if protocol in PROTOCOLS else "off"


def attach_pixel_tiles(grid: Any) -> None:
    """Give a mounted HeatmapGrid Kitty tiles (``tui.widgets.pixel_tiles``: its maps drawn in
    real pixels) when its app runs with Kitty graphics and colour; otherwise nothing."""
    if grid.color_mode == "ascii" or app_graphics(grid.app) != "kitty":
        return
    from tui.widgets.pixel_tiles import KittyTiles  # textual-image, loaded before the app

    grid.model.pixel_tiles = KittyTiles()
    grid.invalidate()
