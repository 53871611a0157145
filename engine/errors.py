"""User-facing errors: each one is a single line naming the problem and the fix (exit code 2)."""

from __future__ import annotations


class EngineError(Exception):
    """A problem the user can fix; ``str(error)`` is the one-line message shown to them."""

    exit_code = 2


class DataError(EngineError):
    """A dataset file is missing, truncated or corrupt."""


class SpecError(EngineError):
    """A model name or spec string cannot be built."""


class CheckpointError(EngineError):
    """A checkpoint or weights file cannot be read or does not fit the model."""


class DeviceError(EngineError):
    """The requested device (e.g. CUDA) is not available."""


class ConfigError(EngineError):
    """A training option or recipe is invalid."""


class TrainingDiverged(EngineError):
    """The loss became NaN or infinite."""
