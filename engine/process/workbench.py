"""Workbench: one model and the MNIST splits in one process, answering the inspection ops.

The child process (``engine.process.worker``) owns one Workbench. It dispatches each op
(``engine.process.protocol.OPS``) to the collaborator that answers it: ``ModelOps`` (load,
describe, image, save), ``InspectionOps`` (samples, kernels, activations, explain,
misclassified), ``EvaluateOps`` (the Evaluate tab) and ``RunOps`` (kernel history, run
comparison, exports). They share a ``CurrentModel`` (the model and whether it is being trained)
and ``SampleInputs`` (splits, sample indices, the custom image). Each op returns a dict of plain
Python values and numpy arrays (never tensors), so the parent can unpickle the payload without
importing torch. During training ``set_live(state)`` points the ops at the model being trained:
each op puts it in eval mode only for its own duration (under ``torch.inference_mode``) and
restores every module's train/eval flag afterwards.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from engine.errors import EngineError
from engine.models.registry import ModelInfo
from engine.process.attribution_ops import AttributionOps
from engine.process.current_model import CurrentModel
from engine.process.inspection_ops import InspectionOps
from engine.process.interpret_ops import EvaluateOps
from engine.process.model_ops import ModelOps
from engine.process.protocol import OPS, Reply, Request
from engine.process.run_ops import RunOps
from engine.process.sample_inputs import SampleInputs
from engine.process.story_ops import StoryOps


def _forward(collaborator: str, name: str) -> property:
    """A read-only attribute: method ``name`` of the workbench's ``collaborator``, bound, so
    calling it directly and ``handle`` checking arguments both see its real signature."""
    return property(lambda bench: getattr(getattr(bench, collaborator), name))


class Workbench:
    """A model, its ModelInfo, the MNIST splits (loaded on first use) and a custom image."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = data_dir
        self.verbose = False  # print tracebacks of unexpected errors to stderr
        self.current = CurrentModel()
        self.samples = SampleInputs(self.current, data_dir)
        self.inspection = InspectionOps(self.current, self.samples)
        self.models = ModelOps(self.current, self.samples, self.inspection)
        self.evaluation = EvaluateOps(self.current, self.samples)
        self.runs = RunOps(self.current)
        self.stories = StoryOps(self.current, self.samples)
        self.attribution = AttributionOps(self.evaluation)
        self.ops: dict[str, Callable[..., dict[str, Any]]] = {op: getattr(self, op) for op in OPS}

    # The ops, each answered by one collaborator (``handle`` dispatches requests to them).
    load = _forward("models", "load")
    describe = _forward("models", "describe")
    image = _forward("models", "image")
    drawn = _forward("models", "drawn")
    save = _forward("models", "save")
    sample = _forward("inspection", "sample")
    kernels = _forward("inspection", "kernels")
    activations = _forward("inspection", "activations")
    activations_many = _forward("inspection", "activations_many")
    explain = _forward("inspection", "explain")
    layer_story = _forward("stories", "layer_story")
    misclassified = _forward("inspection", "misclassified")
    evaluate = _forward("evaluation", "evaluate")
    gallery = _forward("evaluation", "gallery")
    saliency = _forward("evaluation", "saliency")
    gradcam = _forward("evaluation", "gradcam")
    occlusion = _forward("evaluation", "occlusion")
    actmax = _forward("evaluation", "actmax")
    attribute = _forward("attribution", "attribute")
    snapshots = _forward("runs", "snapshots")
    snapshot_kernels = _forward("runs", "snapshot_kernels")
    compare_runs = _forward("runs", "compare_runs")
    export = _forward("runs", "export")
    # Not ops: the predictions behind ``misclassified``, the splits and model inputs, and the
    # model in eval mode for one computation (every module's mode restored after).
    predictions = _forward("inspection", "predictions")
    evaluating = _forward("current", "evaluating")
    split = _forward("samples", "split")
    inputs = _forward("samples", "inputs")

    def handle(self, request: Request) -> Reply:
        """Answer one inspection request; every problem becomes Reply(ok=False, one line)."""
        method = self.ops.get(request.op)
        if method is None:
            return Reply.failure(request, f"unknown op {request.op!r}; use one of {', '.join(OPS)}")
        kwargs = dict(request.kwargs or {})
        try:
            inspect.signature(method).bind(**kwargs)
        except TypeError as exc:
            return Reply.failure(request, f"bad arguments for {request.op}: {exc}")
        try:
            return Reply.success(request, method(**kwargs))
        except EngineError as exc:
            return Reply.failure(request, exc)  # a user's traceback follows its summary line
        except Exception as exc:  # never let one request take the process down
            if self.verbose:
                traceback.print_exc()
            return Reply.failure(request, f"{request.op} failed: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------ model state

    @property
    def model(self) -> nn.Module | None:
        """The model the ops inspect (None before load or training)."""
        return self.current.model

    @property
    def info(self) -> ModelInfo | None:
        """The inspected model's ModelInfo."""
        return self.current.info

    @property
    def state(self) -> Any:
        """The TrainState of the live or last training run (its run_dir serves RunOps)."""
        return self.current.state

    @state.setter
    def state(self, value: Any) -> None:
        self.current.state = value

    @property
    def live(self) -> bool:
        """Whether the ops see the model being trained."""
        return self.current.live

    def set_model(self, model: nn.Module, info: ModelInfo, state: Any = None) -> None:
        """Inspect ``model`` from now on (a freshly loaded one, or a trained one)."""
        self.current.set_model(model, info, state)

    def set_live(self, state: Any) -> None:
        """Point the ops at the model being trained (a TrainState); cheap to call every step."""
        self.current.set_live(state)

    def end_live(self) -> None:
        """Training ended: keep the trained model (and its state, for ``save``)."""
        self.current.end_live()
