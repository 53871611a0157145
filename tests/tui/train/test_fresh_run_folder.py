"""A fresh run started in the app never replaces a saved run: a --run-dir that holds one trains
into the first free numbered sibling, and the saved run's files stay as they were."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine.training.config import make_config
from engine.training.run_paths import free_run_dir, holds_run


def test_free_run_dir_skips_every_folder_that_holds_a_run(tmp_path: Path) -> None:
    base = tmp_path / "run"
    assert free_run_dir(base) == base and not holds_run(base)
    base.mkdir()
    (base / "engine.log").write_text("log")  # not a run file
    assert free_run_dir(base) == base
    (base / "metrics.jsonl").write_text("{}\n")
    (tmp_path / "run-2" / "history").mkdir(parents=True)
    assert holds_run(base) and free_run_dir(base) == tmp_path / "run-3"


async def test_the_app_trains_a_fresh_run_next_to_a_saved_one(
    tmp_path: Path, make_app, ready, wait_for, sent, app_size
) -> None:
    saved = tmp_path / "A"
    saved.mkdir()
    (saved / "checkpoint.pt").write_bytes(b"saved weights")
    (saved / "metrics.jsonl").write_text('{"epoch": 1}\n')
    config = replace(make_config("fast", model="tiny", epochs=2), run_dir=str(saved))
    app, fake = make_app(config=config)
    async with app.run_test(size=app_size) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: sent(fake, "train"), "the train request")
        assert sent(fake, "train")[0]["config"]["run_dir"] == str(tmp_path / "A-2")
    assert (saved / "checkpoint.pt").read_bytes() == b"saved weights"
    assert (saved / "metrics.jsonl").read_text() == '{"epoch": 1}\n'
