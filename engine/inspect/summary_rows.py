"""The layer table's rows and totals as data: :class:`LayerSummary` and :class:`ModelSummary`.

Plain dataclasses (no torch) with a JSON-ready ``to_dict`` and its inverse ``from_dict``; the
meaning of every field is in the class docstrings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from engine.models.layer_keys import layer_key

SUMMARY_TOTAL_KEYS = (
    "total_params",
    "trainable_params",
    "total_macs",
    "input_size_mb",
    "forward_backward_size_mb",
    "params_size_mb",
    "estimated_total_mb",
)


@dataclass(frozen=True)
class LayerSummary:
    """One row: one call of a module, in execution order (a container's row before its
    children's).

    ``name``: the module's dotted name (``layer1.conv1``); ``type``: its class name.
    ``input_shape``/``output_shape``: the call's first input and its output with a leading -1
    batch dimension; None when there was no tensor, and for the row of a container that is never
    called itself (a ModuleList: it only groups the rows of the calls inside it).
    ``kernel_size``: conv and pooling kernels, else None.
    ``params``: parameter elements of the module and everything inside it (torchinfo's
    ``num_params``: what it shows for a container folded to one row); ``own_params``: those not
    inside any row below it in the tree (torchinfo's shown value for an unfolded container: 0 for
    most; equals ``params`` for a leaf). ``trainable``: some of them require gradients.
    ``macs``: multiply-accumulates of this call at batch 1; for a container, the sum of the leaf
    rows inside it (what torchinfo shows when folded). Sum ``macs`` over leaf rows only; the
    totals are in :class:`ModelSummary`.
    ``depth``: torchinfo's depth (the model's children are 1). ``call``: the module's 0-based
    call. ``leaf``: the module has no children. ``key``: the row's layer key
    (``engine.models.layer_keys.layer_key(name, call)``: ``conv1``, ``conv1#2``), which ops
    taking ``layer=`` accept. ``recursive``: the module already has an earlier row (a second or
    later call): its parameters are shown again but counted once in the totals.
    """

    name: str
    type: str
    input_shape: list[int] | None
    output_shape: list[int] | None
    kernel_size: list[int] | None
    params: int
    trainable: bool
    macs: int
    depth: int = 1
    call: int = 0
    leaf: bool = True
    key: str = ""
    recursive: bool = False
    own_params: int | None = None

    def __post_init__(self) -> None:
        # rows from payloads written before calls were counted: fill what they imply
        if not self.key:
            object.__setattr__(self, "key", layer_key(self.name, self.call))
        if self.own_params is None:
            object.__setattr__(self, "own_params", self.params if self.leaf else 0)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerSummary:
        """A row from :func:`dataclasses.asdict` output; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class ModelSummary:
    """The rows plus torchinfo's totals and torchsummary's memory estimates.

    ``total_params``/``trainable_params``: every parameter of the model once (shared tensors
    once, a module called many times once). ``total_macs``: the sum of the leaf rows' ``macs``
    (every call counts). Memory: 4 bytes per input element, 2 x 4 bytes per output element of
    every leaf call, 4 bytes per parameter (torchsummary's estimate).
    """

    layers: list[LayerSummary] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    input_size_mb: float = 0.0
    forward_backward_size_mb: float = 0.0
    params_size_mb: float = 0.0
    estimated_total_mb: float = 0.0
    input_shape: tuple[int, ...] = ()

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def leaf_keys(self) -> list[str]:
        """The keys of the leaf rows in execution order (what describe()'s ``layers`` lists)."""
        return [layer.key for layer in self.layers if layer.leaf]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: ``layers`` (one dict per row) and the totals."""
        totals = {key: getattr(self, key) for key in SUMMARY_TOTAL_KEYS}
        return {"layers": [asdict(layer) for layer in self.layers], **totals}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSummary:
        """The inverse of :meth:`to_dict` (used by the TUI on payloads from the child process);
        rows without the call fields (older payloads) load as depth-1 leaf rows, call 0."""
        layers = [LayerSummary.from_dict(layer) for layer in data.get("layers", [])]
        return cls(layers=layers, **{key: data[key] for key in SUMMARY_TOTAL_KEYS if key in data})
