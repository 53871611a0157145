"""Messages between the parent (``engine.process.remote``) and the child (engine.process.worker).

Torch-free: the parent imports this module, and everything sent through the pipe is made of
these dataclasses, ``engine.training.events`` events, plain Python values and numpy arrays.

Parent -> child: always a :class:`Request`. Its ``op`` is an inspection op (``OPS``, answered
with exactly one :class:`Reply`) or a control message (``CONTROL_OPS``):

- ``train`` (kwargs ``config``: ``TrainConfig.to_dict()``, ``resume``: path or None) is
  answered with a Reply (ok once training is accepted, an error when already training); the
  run then reports through events (Started ... Finished or Failed).
- ``pause``, ``resume``, ``stop`` get no Reply: the trainer answers with Paused, Resumed and
  Finished(reason="stopped") events. Outside training they do nothing.
- ``shutdown`` gets no Reply: the child stops any training cleanly (the trainer saves its
  checkpoint) and exits.

Child -> parent: :class:`Reply` objects and ``engine.training.events.Event`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Inspection ops, answered at once when idle and between training steps while training.
LOAD = "load"
SAMPLE = "sample"
KERNELS = "kernels"
ACTIVATIONS = "activations"
ACTIVATIONS_MANY = "activations_many"
MISCLASSIFIED = "misclassified"
IMAGE = "image"
SAVE = "save"
DESCRIBE = "describe"  # beyond the ARCHITECTURE table: load's payload for the current model
EXPLAIN = "explain"  # issue 4: one conv cell as per-input-channel multiply-adds (Workbench.explain)
DRAWN = "drawn"  # issue 14: a drawn canvas as the input (ModelOps.drawn)
LAYER_STORY = "layer_story"  # issue 14: a layer's input -> output (engine.process.story_ops)
# Evaluate and interpret (issue 5; engine.process.interpret_ops and run_ops): see those modules
# for their payloads.
INTERPRET_OPS = (
    "evaluate",
    "gallery",
    "saliency",
    "gradcam",
    "occlusion",
    "actmax",
    "attribute",
    "snapshots",
    "snapshot_kernels",
    "compare_runs",
    "export",
)
OPS = (
    LOAD,
    SAMPLE,
    KERNELS,
    ACTIVATIONS,
    ACTIVATIONS_MANY,
    MISCLASSIFIED,
    IMAGE,
    SAVE,
    DESCRIBE,
    EXPLAIN,
    DRAWN,
    LAYER_STORY,
    *INTERPRET_OPS,
)

# Control messages.
TRAIN = "train"
PAUSE = "pause"
RESUME = "resume"
STOP = "stop"
SHUTDOWN = "shutdown"
CONTROL_OPS = (TRAIN, PAUSE, RESUME, STOP, SHUTDOWN)

# Control messages that are answered by events rather than by a Reply.
NO_REPLY_OPS = (PAUSE, RESUME, STOP, SHUTDOWN)

ALL_OPS = OPS + CONTROL_OPS

# Index that names the custom input image set with the ``image`` op.
CUSTOM_INDEX = -1


@dataclass(frozen=True)
class Request:
    """One message from the parent: ``op`` with its keyword arguments, numbered by ``id``."""

    id: int
    op: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """The answer to Request ``request_id``: a payload dict when ok, else a one-line error."""

    request_id: int
    op: str
    ok: bool
    payload: dict[str, Any] | None = None
    error: str | None = None

    @classmethod
    def success(cls, request: Request, payload: dict[str, Any] | None = None) -> Reply:
        return cls(request.id, request.op, True, payload if payload is not None else {}, None)

    @classmethod
    def failure(cls, request: Request, error: object) -> Reply:
        """A failed reply; ``error`` (text or exception) as :func:`error_text` writes it."""
        return cls(request.id, request.op, False, None, error_text(error))


def one_line(text: object, limit: int = 500) -> str:
    """A message squeezed onto one line (first non-empty line, whitespace collapsed)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = " ".join(lines[0].split()) if lines else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def error_text(error: object, limit: int = 500) -> str:
    """An error as a reply or Failed event carries it: its summary squeezed onto the first
    line (:func:`one_line`), then, for an error with ``details`` (``ModelSourceError``: the
    user's own traceback), those lines unchanged after it. The app may show the first line
    only; the headless commands print them all."""
    summary = getattr(error, "summary", None)
    details = str(getattr(error, "details", "") or "").strip("\n")
    head = one_line(summary if isinstance(summary, str) else error, limit)
    return f"{head}\n{details}" if details else head
