"""The devices this machine can train on, told without importing torch (the UI never does)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def gpu_driver_present() -> bool:
    """Whether a GPU driver torch could use is installed, told without importing torch (which
    the UI process never does): NVIDIA's, WSL's or ROCm's device files on Linux, nvcuda.dll on
    Windows. A driver torch cannot use is reported by the engine when training starts."""
    if sys.platform == "win32":
        root = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
        return (root / "System32" / "nvcuda.dll").exists()
    if sys.platform != "linux":
        return False  # macOS: no CUDA
    dev = Path("/dev")
    return (
        Path("/proc/driver/nvidia/version").exists()
        or any(dev.glob("nvidia[0-9]*"))
        or (dev / "dxg").exists()
        or (dev / "kfd").exists()
    )


def run_devices(current: str = "auto") -> list[str]:
    """The devices the run form offers: ``auto`` and ``cpu``, and ``cuda`` only where a GPU
    driver is installed (with ``current``, such as ``cuda:1``, kept when it is a CUDA one)."""
    devices = ["auto", "cpu"]
    if gpu_driver_present():
        devices.append("cuda")
        if current.startswith("cuda:"):
            devices.append(current)
    return devices
