"""CurrentModel: the model the Workbench's ops inspect, either loaded or being trained (live).

Holds the model, its ModelInfo, the TrainState of the live or last training run and a
generation counter that caches (predictions, evaluations, the custom input) key on. During
training ``set_live(state)`` points it at the model being trained; ``evaluating`` puts the
model in eval mode only for one op and restores every module's train/eval flag afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from engine.errors import EngineError
from engine.models.registry import ModelInfo, named_layers
from engine.training.device_label import device_label
from engine.training.events import precision_label


class OpError(EngineError):
    """A request the workbench cannot answer (unknown layer, bad index, nothing loaded)."""


def layer_names_hint(names: Sequence[str], limit: int = 12) -> str:
    """The first ``limit`` layer names, comma separated, for an error message."""
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


class CurrentModel:
    """The inspected model, its info, the training state and whether training is live."""

    def __init__(self) -> None:
        self.model: nn.Module | None = None
        self.info: ModelInfo | None = None
        self.state: Any = None  # the TrainState of the live or last training run
        self.live = False
        self.generation = 0  # bumped whenever the model object changes or training ends

    def set_model(self, model: nn.Module, info: ModelInfo, state: Any = None) -> None:
        """Inspect ``model`` from now on (a freshly loaded one, or a trained one)."""
        self.model, self.info, self.state = model, info, state
        self.generation += 1

    def set_live(self, state: Any) -> None:
        """Point at the model being trained (a TrainState); cheap to call every step."""
        if state is None:
            self.end_live()
            return
        if state is not self.state or state.model is not self.model:
            self.set_model(state.model, state.info, state)
        self.live = True

    def end_live(self) -> None:
        """Training ended: keep the trained model (and its state, for ``save``)."""
        self.live = False
        self.generation += 1

    def require(self) -> tuple[nn.Module, ModelInfo]:
        """(model, info); OpError when nothing is loaded."""
        if self.model is None or self.info is None:
            raise OpError("no model is loaded; send load(model=NAME) or start training first")
        return self.model, self.info

    def weights_version(self) -> tuple[int, int | None]:
        """Changes whenever the weights may have: a new model, or a training step."""
        step = getattr(self.state, "global_step", None) if self.live else None
        return (self.generation, step)

    @contextmanager
    def evaluating(self) -> Iterator[nn.Module]:
        """The model in eval mode under inference_mode; every module's mode restored after."""
        model, _ = self.require()
        modes = [(module, module.training) for module in model.modules()]
        model.eval()
        try:
            with torch.inference_mode():
                yield model
        finally:
            for module, training in modes:
                module.training = training

    def device(self) -> torch.device:
        """The device of the model's parameters (cpu for a model without any)."""
        model, _ = self.require()
        for tensor in model.parameters():
            return tensor.device
        return torch.device("cpu")

    def compute_labels(self) -> dict[str, str]:
        """Where the model in view computes, for the header: ``device`` (``cpu``,
        ``cuda:0 (H200)``) and ``precision`` (float32, or the training run's bf16/fp16)."""
        precision = getattr(self.state, "precision", None)
        same_model = self.state is not None and getattr(self.state, "model", None) is self.model
        described = precision.describe() if precision is not None and same_model else "float32"
        return {"device": device_label(self.device()), "precision": precision_label(described)}

    def layer(self, name: str) -> nn.Module:
        """The named layer; OpError naming the model's layers when there is none."""
        model, _ = self.require()
        layers = dict(named_layers(model))
        if name not in layers:
            raise OpError(f"unknown layer {name!r}; use one of {layer_names_hint(list(layers))}")
        return layers[name]
