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
from engine.training import history, step_history
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
        """The run's kernel snapshots: ``points`` (every one, by global step: see
        step_history.snapshot_points), ``epochs`` (those of epoch ends), its layers with
        weights and its metrics."""
        folder = self._run_dir(run_dir)
        run = history.load_history(folder)
        epochs = history.list_snapshots(folder)
        points = step_history.snapshot_points(folder)
        last = points[-1]["key"] if points else None
        layers = list(step_history.load_point(folder, last)) if last is not None else []
        return {
            "run_dir": folder,
            "epochs": epochs,
            "points": [{k: p[k] for k in ("key", "step", "epoch", "total_steps")} for p in points],
            "layers": layers,
            "model": run.model,
            "metrics": run.epochs,
        }

    def snapshot_kernels(
        self,
        layer: str,
        epoch: int | None = None,
        run_dir: str | None = None,
        base_epoch: int | None = None,
        step: int | None = None,
        base_step: int | None = None,
    ) -> dict[str, Any]:
        """A layer's kernels at an epoch's end, or at the point ``step`` (a ``points`` key),
        as the ``kernels`` op gives them; their change since ``base_epoch``/``base_step`` when
        one is given."""
        folder = self._run_dir(run_dir)
        if step is not None:
            weights = (
                step_history.point_layer(folder, step, layer)
                if base_step is None
                else step_history.point_delta(folder, layer, base_step, step)
            )
            base = base_step
        elif epoch is None:
            raise InterpretOpError("snapshot_kernels needs an epoch or a step")
        else:
            weights = (
                history.snapshot_layer(folder, epoch, layer)
                if base_epoch is None
                else history.kernel_delta(folder, layer, base_epoch, epoch)
            )
            base = base_epoch
        payload = kernel_payload(layer, weights, tuple(int(s) for s in weights.shape))
        return {
            **payload,
            "epoch": None if epoch is None else int(epoch),
            "base_epoch": base_epoch,
            "step": step,
            "base_step": base_step,
            "delta": base is not None,
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
