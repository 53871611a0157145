"""Picture files as a person sees them: orientation applied, transparency over white, any mode.

``read_picture(path)`` is the one way cnn-tui decodes a picture file (the CLI's ``--image``, the
app's ``image`` op, through ``engine.inspect.activations.load_image``). Torch-free: Pillow and
numpy only.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import DataError

IMAGE_HINT = "pass a readable PNG, JPEG or BMP picture"
# Pillow's own decompression-bomb threshold (about 89 megapixels, more than a 12000x7000
# photo); a header claiming more is refused before any pixel is decoded.
DEFAULT_MAX_PIXELS = 89_478_485
# Modes whose pixels are wider than 8 bits, with the value that means full white.
WIDE_MODES = {"I;16": 65535, "I;16L": 65535, "I;16B": 65535, "I;16N": 65535}


def _max_pixels() -> int:
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return int(limit) if limit else DEFAULT_MAX_PIXELS


def _wide_to_gray(image: Any) -> Any:
    """A 16/32-bit integer or float grayscale image as 8-bit 'L', scaled by its bit depth.

    Pillow's own convert('L') clips these at 255, which turns a 16-bit picture white.
    """
    from PIL import Image

    values = np.asarray(image, dtype=np.float64)
    if image.mode in WIDE_MODES:
        full = WIDE_MODES[image.mode]
    elif image.mode == "F":
        full = 1.0 if values.size and np.nanmax(values) <= 1.0 else 255.0
    else:  # "I": 32-bit integers, as 16-bit PNGs open in older Pillow versions
        full = 65535 if values.size and values.max() > 255 else 255
    scaled = np.clip(np.nan_to_num(values / full * 255.0), 0, 255)
    return Image.fromarray(np.rint(scaled).astype(np.uint8), "L")


def _has_transparency(image: Any) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def as_seen(image: Any) -> Any:
    """A decoded PIL image as 'L' or 'RGB': EXIF orientation applied, transparency composited
    over white, palette, CMYK, 1-bit and wide (16-bit, float) modes converted."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in WIDE_MODES or image.mode in ("I", "F"):
        return _wide_to_gray(image)
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, ...


def _oversize(file: Path, width: int, height: int, limit: int) -> DataError:
    return DataError(
        f"image {file} is {width}x{height} pixels, more than the {limit:,} cnn-tui decodes; "
        "pass a smaller picture (a digit needs only 28x28)"
    )


def read_picture(path: str | Path) -> Any:
    """A picture file as a PIL image in mode 'L' or 'RGB', as a person sees it on screen.

    Raises DataError (one line) when the file is missing, not a picture, truncated, or larger
    than Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``) by its header.
    """
    from PIL import Image, UnidentifiedImageError

    file = Path(path).expanduser()
    if file.is_dir():
        raise DataError(f"image {file} is a folder; {IMAGE_HINT}")
    if not file.is_file():
        raise DataError(f"image {file} does not exist; {IMAGE_HINT}")
    limit = _max_pixels()
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it: refused below, with the size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
                if width * height > limit:
                    raise _oversize(file, width, height, limit)
                image.load()
                return as_seen(image)
    except Image.DecompressionBombError:  # over twice the limit: Pillow refuses in open()
        raise DataError(
            f"image {file} claims over {2 * limit:,} pixels in its header, more than the "
            f"{limit:,} cnn-tui decodes; pass a smaller picture (a digit needs only 28x28)"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"cannot read image {file} ({reason}); {IMAGE_HINT}") from None
