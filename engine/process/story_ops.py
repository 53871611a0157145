"""The Workbench's ``layer_story`` op: what the selected layer does to the current digit."""

from __future__ import annotations

from typing import Any

from engine.process.current_model import CurrentModel
from engine.process.sample_inputs import SampleInputs

BATCH_FOR_STATISTICS = 64  # batch norm's batch statistics: the digit and the test digits after it


class StoryOps:
    """``layer_story``: one layer's input and output for a sample and the facts of its line."""

    def __init__(self, current: CurrentModel, inputs: SampleInputs) -> None:
        self.current = current
        self.inputs = inputs

    def layer_story(self, layer: str, index: int, split: str = "test") -> dict[str, Any]:
        """``engine.inspect.layer_story.layer_story`` for layer key ``layer`` (any module;
        ``conv1#2``: conv1's second call) and sample ``index`` (-1: the picture), plus
        ``index``. A batch norm layer also sees the next test digits, for
        its batch statistics (``batch_size`` of them)."""
        from engine.inspect.layer_calls import resolve_layer
        from engine.inspect.layer_story import NORMS, layer_story

        model, _ = self.current.require()
        module = resolve_layer(model, layer)[2]
        indices = [index]
        if isinstance(module, NORMS):
            size = len(self.inputs.split(split))
            start = max(int(index), 0)
            indices += [(start + k) % size for k in range(1, BATCH_FOR_STATISTICS)]
        x, _, labels = self.inputs.inputs(indices, split)
        with self.current.evaluating() as model:
            story = layer_story(model, x, layer)
        story.update(index=int(index), label=labels[0])
        return story
