"""engine.process.remote end to end: a spawned child answering requests, training, pausing,
dying, closing; the Mailbox merging unread Progress events.

One child process serves the whole module (spawning one and importing torch there costs a few
seconds); the tests run in file order and the last one closes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.errors import EngineError
from engine.process.mailbox import Mailbox
from engine.process.protocol import Reply
from engine.process.remote import EngineProcess
from engine.training.config import make_config
from engine.training.events import EpochEnd, Failed, Finished, Paused, Progress, Resumed, Started

FIRST_REPLY_S = 120  # the first request waits for the child to import torch


@pytest.fixture(scope="module")
def engine() -> EngineProcess:
    proc = EngineProcess.start(threads=1)
    try:
        proc.request("load", timeout=FIRST_REPLY_S, model="lenet5")
        yield proc
    finally:
        proc.close()


def collect(
    proc: EngineProcess, until: Callable[[object], bool], timeout: float = 60.0
) -> list[object]:
    """Messages polled until one satisfies ``until``; fails on timeout or an unexpected Failed."""
    messages: list[object] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = proc.poll(0.2)
        if message is None:
            continue
        messages.append(message)
        if until(message):
            return messages
        if isinstance(message, Failed):
            raise AssertionError(f"training failed: {message.message}")
    names = [type(m).__name__ for m in messages]
    raise AssertionError(f"timed out after {timeout} s; got {names}")


def _process_gone(pid: int) -> bool:
    """True when the process no longer runs (an unreaped zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return any(line.startswith("State:") and "Z" in line.split()[1] for line in status.splitlines())


def test_load_and_inspect(engine: EngineProcess) -> None:
    payload = engine.request("load", model="lenet5")
    assert payload["info"]["name"] == "lenet5"
    assert payload["summary"]["total_params"] == 61_706
    assert "conv1" in payload["layers"] and "fc3" in payload["layers"]

    kernels = engine.request("kernels", layer="conv1")
    assert isinstance(kernels["weights"], np.ndarray)
    assert kernels["weights"].shape == (6, 1, 5, 5) and kernels["weights"].dtype == np.float32

    acts = engine.request("activations", layer="conv2", index=4)
    assert acts["maps"].dtype == np.uint8 and acts["maps"].shape == (16, 10, 10)
    assert acts["ranges"].shape == (16, 2)

    sample = engine.request("sample", index=4)
    assert sample["image"].shape == (28, 28) and sample["probs"].shape == (10,)

    many = engine.request("activations_many", layer="fc2", indices=[0, 1])
    assert [item["maps"].shape for item in many["items"]] == [(1, 1, 84), (1, 1, 84)]

    wrong = engine.request("misclassified", after=-1)
    assert wrong["index"] is None or 0 <= wrong["index"] < 10_000


def test_error_replies_keep_the_child_alive(engine: EngineProcess) -> None:
    with pytest.raises(EngineError, match="unknown layer 'conv9'") as info:
        engine.request("kernels", layer="conv9")
    assert "\n" not in str(info.value)
    rid = engine.send("activations", layer="conv1", index=99_999)
    reply = collect(engine, lambda m: isinstance(m, Reply) and m.request_id == rid, 30)[-1]
    assert not reply.ok and "out of range" in reply.error
    with pytest.raises(EngineError, match="does not exist"):
        engine.request("load", checkpoint="/nonexistent/checkpoint.pt")
    assert engine.alive and engine.request("sample", index=0)["index"] == 0


def test_timed_out_request_raises_and_its_late_reply_is_dropped(engine: EngineProcess) -> None:
    with pytest.raises(EngineError, match="did not answer"):
        engine.request("sample", timeout=0, index=1)
    assert engine.request("sample", index=2)["index"] == 2
    time.sleep(0.2)
    assert engine.poll(0.1) is None


def test_train_end_to_end_answers_requests_while_training(
    engine: EngineProcess, tmp_path: Path
) -> None:
    config = make_config(
        "seed-lenet5",
        train_subset=2048,
        test_subset=512,
        epochs=1,
        optimizer="adam",
        lr=0.003,
        device="cpu",
        run_dir=str(tmp_path / "run"),
    )
    train_id = engine.train(config)
    # queued behind the train request, so the child answers it between training steps
    rid = engine.send("activations", layer="conv1", index=0)
    messages = collect(engine, lambda m: isinstance(m, (Finished, Failed)), 120)
    kinds = [type(m) for m in messages]
    accepted = next(m for m in messages if isinstance(m, Reply) and m.request_id == train_id)
    assert accepted.ok
    reply = next(m for m in messages if isinstance(m, Reply) and m.request_id == rid)
    assert reply.ok and reply.payload["maps"].shape == (6, 28, 28)
    assert kinds.index(Started) < messages.index(reply) < kinds.index(Finished)
    assert EpochEnd in kinds
    finished = messages[-1]
    assert isinstance(finished, Finished) and finished.reason == "completed"
    assert finished.epochs_done == 1 and finished.test_acc > 0.3  # chance is 0.1

    # the workbench keeps the trained model: its kernels are the checkpoint's
    trained = engine.request("kernels", layer="conv1")["weights"]
    saved = engine.request("save", path=str(tmp_path / "after.pt"))
    assert Path(saved["path"]).is_file()
    assert finished.checkpoint and Path(finished.checkpoint).is_file()
    engine.request("load", checkpoint=finished.checkpoint)
    np.testing.assert_allclose(engine.request("kernels", layer="conv1")["weights"], trained)


def test_pause_resume_save_and_stop_promptly(engine: EngineProcess, tmp_path: Path) -> None:
    config = make_config(
        "seed-lenet5", test_subset=512, epochs=3, device="cpu", run_dir=str(tmp_path / "run")
    )
    engine.train(config)
    collect(engine, lambda m: isinstance(m, Progress), 60)

    engine.pause()
    paused_at = time.monotonic()
    collect(engine, lambda m: isinstance(m, Paused), 10)
    assert time.monotonic() - paused_at < 3.0
    sample = engine.request("sample", index=7, timeout=10)  # served while paused
    assert sample["probs"].shape == (10,)
    saved = engine.request("save", path=str(tmp_path / "paused.pt"), timeout=30)
    assert Path(saved["path"]).is_file()
    with pytest.raises(EngineError, match="already running"):
        engine.request("train", config=config.to_dict(), timeout=10)

    engine.resume()
    collect(engine, lambda m: isinstance(m, Resumed), 10)
    collect(engine, lambda m: isinstance(m, Progress), 30)

    engine.stop()
    stopped_at = time.monotonic()
    messages = collect(engine, lambda m: isinstance(m, Finished), 30)
    assert time.monotonic() - stopped_at < 10.0
    assert messages[-1].reason == "stopped"


def test_progress_events_merge_when_unread() -> None:
    proc = Mailbox()

    def progress(step: int) -> Progress:
        return Progress(
            epoch=0,
            step=step,
            steps_per_epoch=10,
            global_step=step,
            loss=1.0,
            acc=0.5,
            lr=0.1,
            samples_per_sec=1.0,
            elapsed=0.1,
        )

    reply = Reply(5, "sample", True, {})
    for message in (
        progress(1),
        progress(2),
        reply,
        progress(3),
        Paused(3),
        progress(4),
        progress(5),
    ):
        proc._enqueue(message)
    assert list(proc._buffer) == [reply, progress(3), Paused(3), progress(5)]


def test_close_during_training_stops_cleanly(engine: EngineProcess, tmp_path: Path) -> None:
    config = make_config(
        "seed-lenet5", test_subset=512, epochs=3, device="cpu", run_dir=str(tmp_path / "run")
    )
    engine.train(config)
    collect(engine, lambda m: isinstance(m, Progress), 60)
    pid = engine.pid
    engine.close(timeout=60)
    assert not engine.alive and engine.exitcode == 0 and _process_gone(pid)
    rest = engine.drain()
    finished = [m for m in rest if isinstance(m, Finished)]
    assert finished and finished[-1].reason == "stopped"
    assert not [m for m in rest if isinstance(m, Failed)]
    if finished[-1].checkpoint:
        assert Path(finished[-1].checkpoint).is_file()
    with pytest.raises(EngineError):
        engine.send("sample", index=0)
    assert engine.poll(0.1) is None


def test_child_death_gives_one_failed_event() -> None:
    proc = EngineProcess.start()
    try:
        os.kill(proc.pid, signal.SIGKILL)
        message = proc.poll(30)
        assert isinstance(message, Failed)
        assert "unexpectedly" in message.message and "SIGKILL" in message.message
        assert "\n" not in message.message
        assert proc.poll(0.3) is None
        assert not proc.alive
        with pytest.raises(EngineError):
            proc.request("sample", index=0, timeout=5)
    finally:
        proc.close(timeout=5)
    assert _process_gone(proc.pid)


def test_start_works_inside_a_running_textual_app(tmp_path: Path) -> None:
    """Inside a running Textual app sys.stderr.fileno() is -1; spawning must still work.

    Runs in a fresh interpreter, where multiprocessing's resource tracker is not yet running
    (the case that fails with "bad value(s) in fds_to_keep" without prepare_for_spawn).
    """
    script = textwrap.dedent("""
        import asyncio, sys
        from textual.app import App
        from engine.process.remote import EngineProcess

        async def main():
            async with App().run_test() as pilot:
                assert sys.stderr.fileno() == -1
                proc = EngineProcess.start()
                try:
                    payload = await asyncio.to_thread(proc.request, "load", 120, model="lenet5")
                finally:
                    await asyncio.to_thread(proc.close, 60)
                await pilot.pause()
            return payload["summary"]["total_params"], proc.exitcode

        print(*asyncio.run(main()), "torch" in sys.modules)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["61706", "0", "False"]


@pytest.mark.parametrize("ending", ["os._exit(0)", "raise SystemExit(0)"])
def test_child_exits_when_the_parent_dies(tmp_path: Path, ending: str) -> None:
    """A parent that ends mid-training without close() must not leave its child running:
    killed (os._exit: the child sees EOF) or exiting normally (multiprocessing's atexit sends
    SIGTERM). Either way the stopped run saves its checkpoint."""
    script = textwrap.dedent(f"""
        import os
        from engine.training.config import make_config
        from engine.training.events import Progress
        from engine.process.remote import EngineProcess
        proc = EngineProcess.start()
        proc.request("load", timeout=120, model="lenet5")
        proc.train(make_config("seed-lenet5", epochs=3, device="cpu",
                               run_dir={str(tmp_path / "run")!r}))
        while not isinstance(proc.poll(1), Progress):
            pass
        print(proc.pid, flush=True)
        {ending}
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    child = int(result.stdout.split()[-1])
    deadline = time.monotonic() + 20
    while not _process_gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _process_gone(child)
    assert (tmp_path / "run" / "checkpoint.pt").is_file()  # the stopped run saved its state
