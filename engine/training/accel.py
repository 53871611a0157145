"""The GPU path's precision and device settings: autocast dtype, gradient scaler, cudnn.

On CUDA a training step runs under autocast (bfloat16 where the GPU supports it, else float16
with a GradScaler so small gradients do not underflow), with channels_last and
``cudnn.benchmark``. On the CPU the step stays float32: bf16 autocast is not switched on by
default there because it pays off only on CPUs with native bf16 matrix units.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from dataclasses import dataclass
from typing import Any

import torch

from engine.errors import ConfigError


def autocast_dtype(device_type: str, bf16_supported: bool) -> torch.dtype | None:
    """The autocast dtype for a device: None (float32) off CUDA, bf16 where supported, else fp16."""
    if device_type != "cuda":
        return None
    return torch.bfloat16 if bf16_supported else torch.float16


def needs_grad_scaler(dtype: torch.dtype | None) -> bool:
    """float16 has a narrow exponent range: its losses are scaled; bfloat16 and float32 are not."""
    return dtype == torch.float16


@dataclass
class Precision:
    """How a step computes: the autocast dtype (None: float32) and the scaler (fp16 only)."""

    device_type: str = "cpu"
    dtype: torch.dtype | None = None
    scaler: Any = None  # torch.amp.GradScaler when dtype is float16

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def describe(self) -> str:
        if self.dtype is None:
            return "float32"
        name = str(self.dtype).removeprefix("torch.")
        return f"{name} autocast" + (" with a gradient scaler" if self.scaler else "")


def bf16_supported(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def make_precision(device: torch.device) -> Precision:
    """The precision plan for a device (see the module docstring)."""
    dtype = autocast_dtype(device.type, bf16_supported(device))
    scaler = torch.amp.GradScaler(device.type) if needs_grad_scaler(dtype) else None
    return Precision(device.type, dtype, scaler)


_DTYPES = {"float32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def precision_name(precision: Precision) -> str:
    """float32, bf16 or fp16: what a run records in its config (TrainConfig.precision)."""
    return next(name for name, dtype in _DTYPES.items() if dtype == precision.dtype)


def named_precision(name: str, device: torch.device) -> Precision:
    """The Precision a run recorded (float32, bf16, fp16) on ``device``; ConfigError where the
    device cannot compute in it (fp16 off CUDA, bf16 on a GPU without it)."""
    dtype = _DTYPES[name]
    if name == "fp16" and device.type != "cuda":
        raise ConfigError(
            "precision fp16 needs CUDA; use --device cuda or --precision float32 (or bf16)"
        )
    if name == "bf16" and device.type == "cuda" and not bf16_supported(device):
        raise ConfigError("this GPU has no bf16; use --precision fp16 or float32")
    scaler = torch.amp.GradScaler(device.type) if needs_grad_scaler(dtype) else None
    return Precision(device.type, dtype, scaler)


def prepare_device(device: torch.device) -> None:
    """Per-device switches: on CUDA let cuDNN pick the fastest kernels for the fixed shapes;
    on the CPU keep freed activation buffers for the next step (keep_freed_memory)."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    else:
        keep_freed_memory()


def backward_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, precision: Precision | None
) -> None:
    """loss.backward() and optimizer.step(), through the scaler when there is one."""
    scaler = precision.scaler if precision is not None else None
    if scaler is None:
        loss.backward()
        optimizer.step()
        return
    scaler.scale(loss).backward()
    scaler.step(optimizer)  # skips the step (no sync here) when a gradient overflowed
    scaler.update()


def optimizer_options(device: torch.device) -> dict[str, Any]:
    """Fused optimizers: one kernel per step instead of a loop of small ones (about 1 ms of a
    16 ms convnet step on the 2-core CPU); on CUDA a GradScaler also hands them its overflow
    flag on the device instead of reading it on the host (which would sync every step)."""
    return {"fused": True} if device.type in ("cuda", "cpu") else {}


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BYTES = 256 << 20


def keep_freed_memory() -> bool:
    """Let glibc reuse freed activation buffers instead of returning them to the kernel.

    By default a tensor over a few MB is mmapped and unmapped again when freed, so every step
    page-faults its largest buffers in afresh (about a thousand faults per convnet step at batch
    64, 1-2 ms of 16). Raising the mmap and trim thresholds to 256 MB keeps such buffers in the
    heap. Returns whether it applied (glibc only; elsewhere a no-op).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) and mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))


def warms_up(device: torch.device) -> bool:
    """Whether a run takes throwaway steps before its first (engine.training.steps.warm_up): on
    CUDA, where a new shape's first step costs tenths of a second; on the CPU it costs
    milliseconds."""
    return device.type == "cuda"


def checks_loss_every_step(device: torch.device) -> bool:
    """Whether each step reads its loss to catch a NaN at once: free on the CPU; on a GPU it
    would sync every step, so there the loss is checked where metrics are read (throttled)."""
    return device.type == "cpu"
