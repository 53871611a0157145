"""The Workbench's run ops: kernel history of a training run, comparing runs, exports.

They read the run directory (the explicit one, else the current or last training run's) and
return plain Python values and numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.process.current_model import CurrentModel
from engine.process.interpret_ops import InterpretOpError
from engine.process.payloads import kernel_payload
from engine.training import history
from engine.training.compare import compare_runs


class RunOps:
    """``snapshots``, ``snapshot_kernels``, ``compare_runs`` and ``export``."""

    def __init__(self, current: CurrentModel) -> None:
        self.current = current

    def _run_dir(self, run_dir: str | None, fallback_dir: str | None = None) -> str:
        """The explicit run directory, else the current or last training run's, else
        ``fallback_dir`` (e.g. the folder of the checkpoint the UI opened)."""
        chosen = run_dir or getattr(self.current.state, "run_dir", None) or fallback_dir
        if not chosen:
            raise InterpretOpError(
                "no run directory: train the model first or open a "
                "checkpoint that sits in its run directory"
            )
        return str(chosen)

    def snapshots(self, run_dir: str | None = None) -> dict[str, Any]:
        """The run's epochs with kernel snapshots, its layers with weights and its metrics."""
        folder = self._run_dir(run_dir)
        run = history.load_history(folder)
        epochs = history.list_snapshots(folder)
        layers = list(history.load_snapshot(folder, epochs[-1])) if epochs else []
        return {
            "run_dir": folder,
            "epochs": epochs,
            "layers": layers,
            "model": run.model,
            "metrics": run.epochs,
        }

    def snapshot_kernels(
        self, layer: str, epoch: int, run_dir: str | None = None, base_epoch: int | None = None
    ) -> dict[str, Any]:
        """A layer's kernels at an epoch (as the ``kernels`` op gives them), or their change
        since ``base_epoch`` when one is given."""
        folder = self._run_dir(run_dir)
        if base_epoch is None:
            weights = history.snapshot_layer(folder, epoch, layer)
        else:
            weights = history.kernel_delta(folder, layer, base_epoch, epoch)
        payload = kernel_payload(layer, weights, tuple(int(s) for s in weights.shape))
        return {
            **payload,
            "epoch": int(epoch),
            "base_epoch": base_epoch,
            "delta": base_epoch is not None,
            "run_dir": folder,
        }

    def compare_runs(self, dirs: Sequence[str]) -> dict[str, Any]:
        """Curves, final accuracy, parameters and training time of several runs."""
        return {"runs": compare_runs(list(dirs))}

    def export(
        self, name: str, run_dir: str | None = None, fallback_dir: str | None = None, **parts: Any
    ) -> dict[str, Any]:
        """Write the view's heatmaps, grids, overlays and tables (see export.export_view)."""
        from engine.render.export import export_dir, export_view

        folder = self._run_dir(run_dir, fallback_dir)
        paths = export_view(folder, name, **parts)
        return {"paths": paths, "folder": str(export_dir(folder))}
