"""Text in PNG figures: Pillow's bundled font at a size, characters it lacks, wrapped lines."""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

LABEL_SIZE = 13  # the size at which glyphs are checked (the font has one set of glyphs)


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``size`` pixels (no system fonts needed; Pillow < 10.1 has
    only its small bitmap font)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


# Pillow's bundled font has no arrows or maths signs: these are written out instead of boxes.
FALLBACKS = {"→": "->", "←": "<-", "×": "x", "✗": "x", "≥": ">=", "≤": "<=", "−": "-"}


@lru_cache(maxsize=512)
def _has_glyph(char: str) -> bool:
    face = font(LABEL_SIZE)
    return char.isascii() or bytes(face.getmask(char)) != bytes(face.getmask("\ue000"))


def drawable(text: str) -> str:
    """``text`` with the characters the bundled font lacks replaced (arrows by "->", others
    by "?"), so that a figure never shows a missing-glyph box."""
    out = [FALLBACKS.get(c, c if _has_glyph(c) else "?") for c in text]
    return "".join(out)


def wrap(text: str, width: int, size: int) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide (as drawn)."""
    lines: list[str] = []
    face = font(size)
    for paragraph in drawable(text).splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and face.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines
