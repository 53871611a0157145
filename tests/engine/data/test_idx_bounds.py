"""IDX files are read header first: empty splits, oversized claims and bodies are refused in one
line, and the memory spent before refusing is bounded by the header, not by the file's content."""

from __future__ import annotations

import gzip
import shutil
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data import idx, mnist
from engine.errors import DataError
from engine.process.protocol import Request
from engine.process.workbench import Workbench
from engine.training.events import Failed
from engine.training.loop import train_events

MB = 1 << 20
IMAGE_STEM, LABEL_STEM = idx.SPLIT_FILES["test"]


def _header(magic: int, *dims: int) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)


def _write_gzip(path: Path, head: bytes, zeros: int) -> None:
    """A gzip of ``head`` followed by ``zeros`` zero bytes, written in chunks."""
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(head)
        block = bytes(MB)
        for start in range(0, zeros, MB):
            handle.write(block[: min(MB, zeros - start)])


def _empty_split_folder(folder: Path, mnist_dir: Path, empty: str) -> Path:
    """The bundled MNIST with one split ('train' or 't10k') holding 0 items."""
    folder.mkdir()
    for source in mnist_dir.glob("*-ubyte.gz"):
        if source.name.startswith(empty):
            magic = idx.IMAGE_MAGIC if "images" in source.name else idx.LABEL_MAGIC
            dims = (0, 28, 28) if "images" in source.name else (0,)
            _write_gzip(folder / source.name, _header(magic, *dims), 0)
        else:
            shutil.copy(source, folder / source.name)
    return folder


def _peak_bytes(action: Callable[[], object]) -> tuple[int, BaseException | None]:
    """Peak traced allocation while ``action`` runs, and what it raised."""
    idx._read_split_cached.cache_clear()
    tracemalloc.start()
    raised = None
    try:
        action()
    except DataError as exc:
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("split", "stem"), [("test", "t10k"), ("train", "train")])
def test_an_empty_split_is_refused_in_one_line(tmp_path, mnist_dir, split, stem) -> None:
    folder = _empty_split_folder(tmp_path / "data", mnist_dir, stem)
    with pytest.raises(DataError) as info:
        idx.read_split(split, folder)
    message = str(info.value)
    assert "holds 0 images" in message and f"the {split} split is empty" in message
    assert "\n" not in message and "--data-dir" in message
    other = "train" if split == "test" else "test"
    assert len(idx.read_split(other, folder)[0]) > 0  # the other split still reads


def test_eval_refuses_an_empty_test_split(tmp_path, mnist_dir, capsys, tiny_config) -> None:
    config = tiny_config()
    list(train_events(config))
    folder = _empty_split_folder(tmp_path / "data", mnist_dir, "t10k")
    argv = ["eval", "--checkpoint", str(config.run_dir), "--data-dir", str(folder)]
    assert main(argv) == 2
    assert "the test split is empty" in _one_line(capsys)
    assert main([*argv, "--json"]) == 2
    assert "the test split is empty" in _one_line(capsys)


@pytest.mark.parametrize("stem", ["train", "t10k"])
def test_train_refuses_an_empty_split(tmp_path, mnist_dir, capsys, stem) -> None:
    folder = _empty_split_folder(tmp_path / "data", mnist_dir, stem)
    run_dir = tmp_path / "run"
    argv = ["train", "--model", "c4-p-f16", "--epochs", "1", "--threads", "1"]
    assert main([*argv, "--data-dir", str(folder), "--run-dir", str(run_dir)]) == 2
    assert "split is empty" in _one_line(capsys)
    assert not (run_dir / "checkpoint.pt").exists()


def test_a_run_started_by_the_app_fails_on_an_empty_split(tmp_path, mnist_dir, tiny_config):
    folder = _empty_split_folder(tmp_path / "data", mnist_dir, "train")
    events = list(train_events(tiny_config(data_dir=str(folder))))
    assert isinstance(events[-1], Failed) and "split is empty" in events[-1].message
    assert not any(type(e).__name__ == "CheckpointSaved" for e in events)


def test_the_apps_sample_op_refuses_an_empty_split(tmp_path, mnist_dir) -> None:
    folder = _empty_split_folder(tmp_path / "data", mnist_dir, "t10k")
    bench = Workbench(folder)
    bench.load(model="c4-p-f16")
    reply = bench.handle(Request(id=1, op="sample", kwargs={"index": 0}))
    assert not reply.ok and "the test split is empty" in reply.error
    assert "\n" not in reply.error


def _labels(tmp_path: Path, count: int) -> None:
    _write_gzip(tmp_path / f"{LABEL_STEM}.gz", _header(idx.LABEL_MAGIC, count), count)


@pytest.mark.parametrize(
    ("head", "zeros", "fragment"),
    [
        (b"", 64 * MB, "magic number 0x00000000"),  # a gzip of zeros
        (_header(idx.IMAGE_MAGIC, 2, 28, 28), 64 * MB, "is over 1584 bytes"),  # more than said
        (_header(idx.IMAGE_MAGIC, 999_999, 28, 28), 2048, "too small for the"),  # claims a lot
        (_header(idx.IMAGE_MAGIC, 0xFFFFFFFF, 28, 28), 2048, "claims 4,294,967,295 items"),
        (_header(idx.IMAGE_MAGIC, 2, 28, 28), 100, "is 116 bytes, expected 1584"),  # truncated
    ],
    ids=["gzip-of-zeros", "more-than-claimed", "claims-999999", "claims-2**32-1", "truncated"],
)
def test_reading_stops_at_what_the_header_allows(tmp_path, head, zeros, fragment) -> None:
    _write_gzip(tmp_path / f"{IMAGE_STEM}.gz", head, zeros)
    _labels(tmp_path, 2)
    peak, raised = _peak_bytes(lambda: idx.read_split("test", tmp_path))
    assert raised is not None and fragment in str(raised), raised
    assert "\n" not in str(raised)
    assert peak < 8 * MB, f"{peak / MB:.1f} MB allocated before refusing"


def test_a_raw_file_of_the_wrong_size_is_refused_before_its_body_is_read(tmp_path) -> None:
    (tmp_path / IMAGE_STEM).write_bytes(_header(idx.IMAGE_MAGIC, 2, 28, 28) + bytes(64 * MB))
    _labels(tmp_path, 2)
    peak, raised = _peak_bytes(lambda: idx.read_split("test", tmp_path))
    assert raised is not None and "expected 1584 for shape [2, 28, 28]" in str(raised)
    assert peak < 8 * MB


def test_unequal_counts_are_refused_from_the_headers(tmp_path) -> None:
    head = _header(idx.IMAGE_MAGIC, 20_000, 28, 28)
    _write_gzip(tmp_path / f"{IMAGE_STEM}.gz", head, 20_000 * 784)  # 15 MB, all there
    _labels(tmp_path, 2)
    peak, raised = _peak_bytes(lambda: idx.read_split("test", tmp_path))
    assert raised is not None and "holds 20000 images but" in str(raised)
    assert peak < 8 * MB


@pytest.mark.parametrize("broken", [IMAGE_STEM, LABEL_STEM])
def test_a_truncated_gzip_names_its_own_file(tmp_path, mnist_dir, broken) -> None:
    for stem in (IMAGE_STEM, LABEL_STEM):
        data = (mnist_dir / f"{stem}.gz").read_bytes()
        (tmp_path / f"{stem}.gz").write_bytes(data[: len(data) // 2] if stem == broken else data)
    with pytest.raises(DataError) as info:
        mnist.load_split("test", tmp_path)
    assert str(info.value).startswith(f"{tmp_path / broken}.gz is truncated or not valid gzip")


def test_arrays_are_read_only_and_checksums_still_verify(mnist_dir) -> None:
    images, labels = idx.read_split("test", mnist_dir)
    assert not images.flags.writeable and not labels.flags.writeable
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert all(idx.verify_checksums(mnist_dir).values())
