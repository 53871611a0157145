"""A cpu-switches.json that is not what the bench writes is ignored with at most one warning line:
training still runs (with both switches off), and the bench can write over it."""

from __future__ import annotations

import json

import pytest

from engine.cli.main import main
from engine.training import switches
from engine.training.events import Finished
from engine.training.loop import train_events


def _cache(tmp_path, monkeypatch, content: bytes) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(switches, "_warned", set(), raising=False)
    path = switches.cache_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)


BROKEN = {
    "json-list": b"[1, 2, 3]",
    "garbage": b"{not json",
    "binary": b"\xff\xfe\x00garbage",
    "json-string": b'"bf16"',
    "json-null": b"null",
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_cache_is_ignored_with_one_warning_line(tmp_path, monkeypatch, capsys, name):
    _cache(tmp_path, monkeypatch, BROKEN[name])
    assert switches.verdicts(1) == {} and switches.verdicts(2) == {}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: ignoring ") and "bench" in err


@pytest.mark.parametrize("name", ["json-list", "garbage"])
def test_training_runs_past_a_broken_cache(tmp_path, monkeypatch, capsys, tiny_config, name):
    _cache(tmp_path, monkeypatch, BROKEN[name])
    events = list(train_events(tiny_config()))
    assert isinstance(events[-1], Finished), events[-1]
    run_dir = str(tmp_path / "cli-run")
    argv = ["train", "--model", "c4-p-f16", "--epochs", "1", "--train-subset", "128"]
    assert main([*argv, "--test-subset", "64", "--threads", "1", "--run-dir", run_dir]) == 0
    assert capsys.readouterr().err.count("\n") <= 1


def test_entries_of_the_wrong_shape_switch_nothing_on(tmp_path, monkeypatch) -> None:
    key = switches.machine_key(1)
    other = switches.machine_key(1).replace("|1 threads", "|3 threads")
    content = {key: ["bf16"], other: {"bf16": "false", "compile": 1}}
    _cache(tmp_path, monkeypatch, json.dumps(content).encode())
    assert switches.verdicts(1) == {"bf16": False, "compile": False}


def test_the_bench_writes_over_a_broken_cache(tmp_path, monkeypatch) -> None:
    _cache(tmp_path, monkeypatch, BROKEN["json-list"])
    result = {name: {"pays_off": name == "bf16"} for name in switches.SWITCHES}
    path = switches.save_verdicts(result, 1)
    assert json.loads(path.read_text()) == {
        switches.machine_key(1): {"bf16": True, "compile": False}
    }
    assert switches.verdicts(1) == {"bf16": True, "compile": False}
