"""Short names of where a model computes, for headers and model info: ``cpu``, ``cuda:0 (H200)``."""

from __future__ import annotations

import torch


def device_label(device: torch.device | str) -> str:
    """``cpu``, or ``cuda:N (GPU)`` with the GPU's name less its maker (``NVIDIA H200`` ->
    ``H200``); a bare ``cuda`` names the current device's index."""
    device = torch.device(device)
    if device.type != "cuda":
        return device.type
    index = device.index if device.index is not None else torch.cuda.current_device()
    name = torch.cuda.get_device_name(index).removeprefix("NVIDIA ").strip()
    return f"cuda:{index} ({name})" if name else f"cuda:{index}"
