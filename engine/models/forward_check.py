"""One forward pass that tells whether a model takes the input shape and outputs one score
per class, each problem one ``ModelSourceError`` line."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine.errors import ModelSourceError
from engine.models.catalog import shape_text
from engine.models.user_traceback import exception_message, user_error

# What a model that rejects its input raises from torch (shape and dtype checks) or its own
# checks; anything else from forward is a bug in the user's code and shows their traceback.
REJECTIONS = (RuntimeError, ValueError, AssertionError)
NOT_REJECTIONS = (NotImplementedError, RecursionError)  # RuntimeErrors that are bugs: no forward


def check_forward(
    model: nn.Module,
    name: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    roots: tuple[str, ...] = (),
) -> None:
    """One forward pass of a zero image of ``input_shape`` in eval mode (the model's mode is
    restored); ModelSourceError (one line) when the model rejects it, with the model's own
    message, or does not output (batch, num_classes) scores; the user's traceback for an
    error in their forward that is not about the input."""
    shape = shape_text(input_shape)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            output = model(torch.zeros(1, *input_shape))
    except REJECTIONS as exc:
        if isinstance(exc, NOT_REJECTIONS):
            raise user_error(exc, roots, f"running {name} on a {shape} input") from None
        raise ModelSourceError(
            f"model {name} rejects input {shape}: {exception_message(exc)}; "
            "pass --input-shape C,H,W that it takes"
        ) from None
    except Exception as exc:
        raise user_error(exc, roots, f"running {name} on a {shape} input") from None
    finally:
        model.train(was_training)
    _check_output(output, name, shape, num_classes)


def _check_output(output: Any, name: str, shape: str, num_classes: int) -> None:
    if not isinstance(output, torch.Tensor):
        raise ModelSourceError(
            f"model {name} returns a {type(output).__name__}, not a tensor of class scores; "
            f"make forward return the scores, shape (batch, {num_classes})"
        )
    if output.dim() != 2 or output.shape[0] != 1:
        raise ModelSourceError(
            f"model {name} outputs shape {list(output.shape)} for one {shape} input; it must "
            f"output (batch, {num_classes}) class scores (flatten before the last layer)"
        )
    if output.shape[1] != num_classes:
        raise ModelSourceError(
            f"model {name} outputs {output.shape[1]} columns but the data has {num_classes} "
            f"classes; make its last layer output {num_classes} (a num_classes parameter of "
            "its constructor is given the number)"
        )
