"""Issue 12 point 7: any training subset trains. A last batch of one sample joins the batch
before it (batch norm cannot train on one sample); batch norm with batch size 1, or a split of
one digit, is refused with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.cli.main import main
from engine.data.mnist import MnistSplit, batch_spans, batches
from engine.training.checkpoint import load_checkpoint
from engine.training.events import Failed, Finished, Started
from engine.training.loop import train_events

pytestmark = pytest.mark.usefixtures("one_torch_thread")
BATCH_NORM_SPEC = "c4b-p-f16b"  # batch norm after a conv and after a dense layer


@pytest.mark.parametrize(
    ("count", "batch", "sizes"),
    [
        (513, 256, [256, 257]),
        (257, 256, [257]),
        (512, 256, [256, 256]),
        (514, 256, [256, 256, 2]),
        (10, 3, [3, 3, 4]),
        (1, 256, [1]),
        (3, 1, [1, 1, 1]),  # batch size 1: nothing to fold into
        (0, 64, []),
    ],
)
def test_batch_spans_fold_a_one_sample_rest(count: int, batch: int, sizes: list[int]) -> None:
    spans = batch_spans(count, batch)
    assert [end - start for start, end in spans] == sizes
    assert [start for start, _ in spans[1:]] == [end for _, end in spans[:-1]]  # contiguous


def test_every_sample_is_trained_on_once_per_epoch() -> None:
    split = MnistSplit(torch.zeros(513, 28, 28, dtype=torch.uint8), torch.arange(513))
    seen = torch.cat([labels for _, labels in batches(split, 256, shuffle=True, seed=3)])
    assert sorted(seen.tolist()) == list(range(513))


@pytest.mark.parametrize("subset", [513, 257, 65, 129, 2])
def test_batch_norm_trains_on_subsets_that_leave_one_sample(tiny_config, subset: int) -> None:
    batch = 64 if subset <= 64 else subset // 2  # leaves a rest of one digit
    config = tiny_config(model=BATCH_NORM_SPEC, train_subset=subset, batch_size=batch)
    events = list(train_events(config))
    assert isinstance(events[-1], Finished), events[-1]
    started = next(e for e in events if isinstance(e, Started))
    assert started.steps_per_epoch == len(batch_spans(subset, config.batch_size))
    assert load_checkpoint(Path(config.run_dir))["epoch"] == 1


def test_the_issues_example_fast_recipe_on_513_digits(tmp_path: Path, capsys) -> None:
    argv = ["train", "--recipe", "fast", "--epochs", "1", "--train-subset", "513"]
    run_dir = tmp_path / "run"
    assert main([*argv, "--test-subset", "100", "--threads", "1", "--run-dir", str(run_dir)]) == 0
    assert "of 2 steps" in capsys.readouterr().out  # 256 + 257
    assert load_checkpoint(run_dir)["epoch"] == 1


@pytest.mark.parametrize(
    "options", [["--batch-size", "1"], ["--train-subset", "1"]], ids=["batch-1", "subset-1"]
)
def test_batch_norm_with_one_sample_batches_is_one_line(
    tmp_path: Path, capsys, options: list[str]
) -> None:
    run_dir = tmp_path / "run"
    argv = ["train", "--model", BATCH_NORM_SPEC, "--train-subset", "8", "--threads", "1"]
    assert main([*argv, *options, "--run-dir", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "batch norm" in err and "--batch-size 2 or more" in err and "\n" not in err, err
    assert not (run_dir / "checkpoint.pt").exists()


def test_without_batch_norm_batch_size_1_trains(tiny_config) -> None:
    events = list(train_events(tiny_config(batch_size=1, train_subset=5)))
    assert not any(isinstance(e, Failed) for e in events) and isinstance(events[-1], Finished)
