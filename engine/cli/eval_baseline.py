"""``eval --baseline``: the tutorials' "Improvement over dense network" of a checkpoint over a
baseline checkpoint (typically an ``mlp`` run), both evaluated on the same test digits."""

from __future__ import annotations

from typing import Any

from torch import nn


def is_dense(model: nn.Module) -> bool:
    """Whether a network has no convolution (a dense network such as ``mlp``)."""
    return not any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules())


def baseline_result(path: str, test: Any, device: Any, test_acc: float) -> dict[str, Any]:
    """The baseline checkpoint's model, test loss and accuracy on ``test`` (an MnistSplit on
    ``device``), and ``improvement``: test_acc minus its accuracy, as a fraction (0.0123 is
    1.23 percentage points). Raises CheckpointError for an unreadable baseline."""
    from engine.training.checkpoint import model_from_checkpoint
    from engine.training.steps import evaluate, normalization

    model, info, _ = model_from_checkpoint(path, device=device)
    mean, std = normalization(info)
    loss, acc = evaluate(model, test, mean=mean, std=std)
    return {
        "checkpoint": str(path),
        "model": info.name,
        "dense": is_dense(model),
        "test_loss": loss,
        "test_acc": acc,
        "improvement": test_acc - acc,
    }


def improvement_line(baseline: dict[str, Any]) -> str:
    """``Improvement over dense network (mlp, 98.28%): +0.64 percentage points``."""
    kind = "dense network" if baseline["dense"] else "baseline network"
    return (
        f"Improvement over {kind} ({baseline['model']}, {baseline['test_acc']:.2%}): "
        f"{100 * baseline['improvement']:+.2f} percentage points"
    )
