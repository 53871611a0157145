"""Pictures reach the model as a person sees them: transparency over white, every mode, the EXIF
orientation; oversize pictures are refused in one line, in the library, the CLI and the app."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli.main import main
from engine.data.idx import read_split
from engine.data.images import read_picture
from engine.errors import DataError
from engine.inspect.activations import load_image
from engine.models.registry import IMAGENET_MEAN, IMAGENET_STD, ModelInfo, build_model
from engine.process.protocol import CUSTOM_INDEX, Request
from engine.process.workbench import Workbench

MNIST_INFO = build_model("c4-p-f16")[1]
RGB_INFO = ModelInfo("rgb", "3-channel test model", (3, 64, 64), IMAGENET_MEAN, IMAGENET_STD)


def _ink() -> np.ndarray:
    """Where the first MNIST test digit (a 7) has ink, at 112x112: a bool mask."""
    digit = read_split("test")[0][0]
    big = np.asarray(Image.fromarray(digit).resize((112, 112), Image.BILINEAR))
    return big > 127


INK = _ink()
SEEN = np.where(INK, 0, 255).astype(np.uint8)  # what a person sees: black ink on white


def _rgba(ink: tuple[int, ...], paper: tuple[int, ...]) -> np.ndarray:
    return np.where(INK[..., None], np.array(ink, np.uint8), np.array(paper, np.uint8))


def _palette_with_transparent_black() -> Image.Image:
    image = Image.fromarray(np.where(INK, 0, 1).astype(np.uint8), "P")
    image.putpalette([0, 0, 0, 0, 0, 0])  # index 1 (paper) is black too, but transparent
    image.info["transparency"] = 1
    return image


# Each maker returns (image, format): all of them show black ink on white paper.
TRANSPARENT: dict[str, Callable[[], tuple[Image.Image, str]]] = {
    "rgba-black-pen-png": lambda: (Image.fromarray(_rgba((0, 0, 0, 255), (0, 0, 0, 0))), "PNG"),
    "rgba-webp-lossless": lambda: (Image.fromarray(_rgba((0, 0, 0, 255), (0, 0, 0, 0))), "WEBP"),
    "la-png": lambda: (Image.fromarray(_rgba((0, 255), (0, 0)), "LA"), "PNG"),
    "p-transparent-index-png": lambda: (_palette_with_transparent_black(), "PNG"),
    "p-transparent-index-gif": lambda: (_palette_with_transparent_black(), "GIF"),
}
OPAQUE: dict[str, Callable[[], tuple[Image.Image, str]]] = {
    "l-png": lambda: (Image.fromarray(SEEN), "PNG"),
    "bilevel-1-png": lambda: (Image.fromarray(SEEN).convert("1"), "PNG"),
    "p-png": lambda: (Image.fromarray(SEEN).convert("P"), "PNG"),
    "rgb-bmp": lambda: (Image.fromarray(SEEN).convert("RGB"), "BMP"),
    "cmyk-tiff": lambda: (Image.fromarray(SEEN).convert("CMYK"), "TIFF"),
    "ycbcr-tiff": lambda: (Image.fromarray(SEEN).convert("YCbCr"), "TIFF"),
    "lab-tiff": lambda: (Image.fromarray(SEEN).convert("LAB"), "TIFF"),
    "16-bit-png": lambda: (Image.fromarray(SEEN.astype(np.uint16) * 257), "PNG"),
    "16-bit-tiff": lambda: (Image.fromarray(SEEN.astype(np.uint16) * 257), "TIFF"),
    "32-bit-int-tiff": lambda: (Image.fromarray(SEEN.astype(np.int32), "I"), "TIFF"),
    "float-0-1-tiff": lambda: (Image.fromarray(SEEN.astype(np.float32) / 255, "F"), "TIFF"),
}
LOSSY: dict[str, Callable[[], tuple[Image.Image, str]]] = {
    "rgb-jpeg": lambda: (Image.fromarray(SEEN).convert("RGB"), "JPEG"),
    "cmyk-jpeg": lambda: (Image.fromarray(SEEN).convert("CMYK"), "JPEG"),
}


def _save(image: Image.Image, fmt: str, path: Path, **options) -> Path:
    if fmt == "WEBP":
        options.setdefault("lossless", True)
    image.save(path, fmt, **options)
    return path


def _gray(path: Path) -> np.ndarray:
    return np.asarray(read_picture(path).convert("L"), dtype=np.int16)


@pytest.mark.parametrize("name", [*TRANSPARENT, *OPAQUE])
def test_every_mode_reads_as_the_picture_a_person_sees(tmp_path, name) -> None:
    image, fmt = {**TRANSPARENT, **OPAQUE}[name]()
    path = _save(image, fmt, tmp_path / f"{name}.{fmt.lower()}")
    assert np.array_equal(_gray(path), SEEN)


RAMP = np.tile(np.arange(256, dtype=np.uint8), (8, 1))  # every grey level, 8 rows of it
WIDE = {
    "16-bit-png": lambda: (Image.fromarray(RAMP.astype(np.uint16) * 257), "PNG"),
    "16-bit-tiff": lambda: (Image.fromarray(RAMP.astype(np.uint16) * 257), "TIFF"),
    "32-bit-int-16-bit-range-tiff": lambda: (Image.fromarray(RAMP.astype(np.int32) * 257), "TIFF"),
    "32-bit-int-8-bit-range-tiff": lambda: (Image.fromarray(RAMP.astype(np.int32)), "TIFF"),
    "float-0-1-tiff": lambda: (Image.fromarray(RAMP.astype(np.float32) / 255), "TIFF"),
}


@pytest.mark.parametrize("name", list(WIDE))
def test_wide_pictures_keep_every_grey_level(tmp_path, name) -> None:
    image, fmt = WIDE[name]()
    assert np.array_equal(_gray(_save(image, fmt, tmp_path / f"{name}.{fmt.lower()}")), RAMP)


@pytest.mark.parametrize("name", list(LOSSY))
def test_lossy_pictures_read_close_to_what_a_person_sees(tmp_path, name) -> None:
    image, fmt = LOSSY[name]()
    path = _save(image, fmt, tmp_path / f"{name}.jpg", quality=95)
    assert np.abs(_gray(path) - SEEN).mean() < 4


def test_a_transparent_digit_predicts_like_the_same_digit_on_white(tmp_path) -> None:
    torch.manual_seed(0)
    model, info = build_model("lenet5")
    black_on_white = _save(Image.fromarray(SEEN), "PNG", tmp_path / "black-on-white.png")
    transparent = _save(*TRANSPARENT["rgba-black-pen-png"](), tmp_path / "transparent.png")
    x_white, x_clear = load_image(black_on_white, info), load_image(transparent, info)
    assert x_clear.std() > 0.5  # not the blank picture a transparent canvas used to become
    assert torch.equal(x_clear, x_white)
    assert torch.equal(model(x_clear).argmax(1), model(x_white).argmax(1))
    rgb_white, rgb_clear = load_image(black_on_white, RGB_INFO), load_image(transparent, RGB_INFO)
    assert torch.equal(rgb_clear, rgb_white)  # three-channel models composite over white too


# What a viewer does to the stored pixels for each EXIF orientation (TIFF/EXIF 2.3, 0x0112):
# the stored picture below is the inverse, so every file shows the upright digit.
STORED_FOR_TAG = {
    1: lambda a: a,
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: a.T,
    6: lambda a: np.rot90(a, 1),  # shown turned 90 degrees clockwise
    7: lambda a: np.rot90(a, 2).T,
    8: lambda a: np.rot90(a, -1),  # shown turned 90 degrees anticlockwise
}


@pytest.mark.parametrize("tag", sorted(STORED_FOR_TAG))
def test_the_exif_orientation_tag_is_honoured(tmp_path, tag) -> None:
    stored = np.ascontiguousarray(STORED_FOR_TAG[tag](SEEN[:, 8:100]))  # not square
    exif = Image.Exif()
    exif[0x0112] = tag
    png = _save(Image.fromarray(stored), "PNG", tmp_path / "phone.png", exif=exif)
    assert np.array_equal(_gray(png), SEEN[:, 8:100])
    jpeg = _save(Image.fromarray(stored).convert("RGB"), "JPEG", tmp_path / "phone.jpg", exif=exif)
    assert np.abs(_gray(jpeg) - SEEN[:, 8:100]).mean() < 4


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height grey pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _refused(path: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning on the way either
        with pytest.raises(DataError) as info:
            read_picture(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "smaller picture" in message
    return message


def test_a_header_claiming_20000x20000_is_refused_in_one_line(tmp_path) -> None:
    path = tmp_path / "header-says-20000x20000.png"
    path.write_bytes(_bomb_png(20000, 20000))
    assert "pixels" in _refused(path)


def test_a_picture_over_the_pixel_limit_is_refused_with_its_size(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    just_over = _save(Image.new("L", (40, 30), 255), "PNG", tmp_path / "big.png")
    assert "is 40x30 pixels, more than the 1,000" in _refused(just_over)  # Pillow only warns
    far_over = _save(Image.new("L", (100, 100), 255), "PNG", tmp_path / "huge.png")
    assert "claims over 2,000 pixels" in _refused(far_over)  # Pillow raises
    assert read_picture(_save(Image.new("L", (30, 30)), "PNG", tmp_path / "ok.png")).size == (
        30,
        30,
    )


def _cli_prediction(capsys, path: Path) -> str:
    argv = ["featuremaps", "--model", "lenet5", "--layer", "conv1", "--ascii", "--image", str(path)]
    torch.manual_seed(0)
    assert main(argv) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("input:"))
    return line.split("predicted")[1]


def test_the_cli_reads_pictures_as_seen_and_refuses_a_bomb(tmp_path, capsys) -> None:
    white = _save(Image.fromarray(SEEN), "PNG", tmp_path / "white.png")
    clear = _save(*TRANSPARENT["rgba-black-pen-png"](), tmp_path / "clear.png")
    assert _cli_prediction(capsys, clear) == _cli_prediction(capsys, white)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_bomb_png(20000, 20000))
    assert main(["featuremaps", "--model", "lenet5", "--layer", "conv1", "--image", str(bomb)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error: image") and "\n" not in err and "Traceback" not in err


def test_the_apps_image_op_reads_as_seen_and_refuses_a_bomb(tmp_path) -> None:
    white = _save(Image.fromarray(SEEN), "PNG", tmp_path / "white.png")
    clear = _save(*TRANSPARENT["p-transparent-index-png"](), tmp_path / "clear.png")
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_bomb_png(20000, 20000))
    bench = Workbench()
    torch.manual_seed(0)
    bench.load(model="lenet5")
    answers = [
        bench.handle(Request(i, "image", {"path": str(p)})) for i, p in enumerate([white, clear])
    ]
    assert all(a.ok for a in answers)
    assert np.array_equal(answers[0].payload["image"], answers[1].payload["image"])
    assert answers[0].payload["pred"] == answers[1].payload["pred"]
    refused = bench.handle(Request(3, "image", {"path": str(bomb)}))
    assert not refused.ok and "pixels" in refused.error and "\n" not in refused.error
    still = bench.handle(Request(4, "sample", {"index": CUSTOM_INDEX}))
    assert still.ok and np.array_equal(still.payload["image"], answers[1].payload["image"])


def test_a_truncated_picture_is_one_line(tmp_path) -> None:
    data = io.BytesIO()
    Image.fromarray(SEEN).save(data, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    with pytest.raises(DataError) as info:
        read_picture(path)
    assert "cannot read image" in str(info.value) and "\n" not in str(info.value)
