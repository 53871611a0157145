"""Import isolation at run time, in a fresh interpreter: the parent-side handle
(engine.process.remote) pulls in neither torch nor textual, even after a round trip of requests
to its child process. The static rules (the engine never imports textual, the UI process's
modules never import torch) are import-linter contracts: tests/test_architecture.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _loaded_after(code: str, timeout: float = 180) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; report whether torch and textual were imported."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import json, sys
        print(json.dumps({name: name in sys.modules for name in ("torch", "textual")}))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_round_trip_with_the_child_keeps_torch_out_of_the_parent() -> None:
    loaded = _loaded_after("""
        from engine.process.remote import EngineProcess
        proc = EngineProcess.start()
        try:
            info = proc.request("load", timeout=120, model="lenet5")
            assert info["summary"]["total_params"] == 61706
            assert proc.request("kernels", layer="conv1")["weights"].shape == (6, 1, 5, 5)
            assert proc.request("activations", layer="conv1", index=0)["maps"].shape == (6, 28, 28)
            assert proc.request("sample", index=0)["probs"].shape == (10,)
        finally:
            proc.close()
    """)
    assert loaded == {"torch": False, "textual": False}
