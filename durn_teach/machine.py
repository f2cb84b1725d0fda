"""Where a run runs: the device it picks, and the machine and versions a result records.

Low in the package, for training, inference benchmarks and comparisons alike: a committed
result says on which processor, with how many cores and threads, on which device, and with
which versions of the libraries (and durn-teach's commit) its numbers were computed.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

DEVICE_HELP = "auto (CUDA, then MPS, then the CPU), cpu, cuda, cuda:N, mps"  # every command's --device


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given and usable, else CUDA, then Apple's MPS, then the CPU."""
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for, but this machine has no CUDA GPU (use cpu)")
    if chosen.type == "cuda" and (chosen.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} was asked for, but there are {torch.cuda.device_count()} GPUs")
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} was asked for, but Apple's MPS is not available here (use cpu)")
    if chosen.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unsupported device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    return chosen


def _cpuinfo(field: str) -> str | None:
    """The value of ``field`` on the first processor in ``/proc/cpuinfo`` (None where there is none)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    return None


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else what ``platform`` says."""
    return _cpuinfo("model name") or platform.processor() or "unknown"


def bfloat16_units() -> list[str]:
    """The processor's bfloat16 arithmetic (``amx_bf16``, ``avx512_bf16`` in ``/proc/cpuinfo``'s
    flags): where there is none, CPU autocast is emulated and slower than float32."""
    flags = (_cpuinfo("flags") or "").split()
    return [unit for unit in ("amx_bf16", "avx512_bf16") if unit in flags]


def auto_amp(device: torch.device) -> str | None:
    """The precision ``amp="auto"`` picks on ``device``: bfloat16 on a CPU with bfloat16 units,
    where the course measured both of its conditions (faster than float32, and every shipped
    checkpoint within 0.05 dB of float32 on its test images: ``durn-teach bench --amp-quality``,
    chapter 17); None, float32, everywhere else: CPUs without such units (autocast is emulated
    there, and slower) and GPUs, where the quality check has not been run."""
    return "bfloat16" if device.type == "cpu" and bfloat16_units() else None


def machine(device: str = "cpu") -> dict[str, Any]:
    """Where a run ran: platform, processor, cores, torch's threads, the network's device."""
    info = {"platform": platform.platform(), "processor": cpu_name(), "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "device": device}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def versions() -> dict[str, str | None]:
    """The versions of Python, the libraries that computed the numbers, and durn-teach's commit."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("durn-teach", "torch", "numpy", "scikit-image", "bm3d"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    found["durn-teach commit"] = None
    try:
        git = {"capture_output": True, "text": True, "timeout": 10, "cwd": Path(__file__).parent}
        commit = subprocess.run(["git", "rev-parse", "HEAD"], **git)
        if commit.returncode == 0:
            changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], **git)
            found["durn-teach commit"] = commit.stdout.strip() + (" (with changes)" if changed.stdout else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return found
