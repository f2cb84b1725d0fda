"""Colab support: report the runtime, and keep data and checkpoints on Google Drive if asked."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

DRIVE = Path("/content/drive")


def in_colab() -> bool:
    """Whether this code runs in a Google Colab runtime."""
    return "google.colab" in sys.modules


def runtime_report() -> str:
    """One line on the device: the GPU's name, or how to turn a GPU runtime on."""
    if torch.cuda.is_available():
        return f"torch {torch.__version__} on GPU: {torch.cuda.get_device_name(0)}"
    hint = " (Colab: Runtime > Change runtime type > T4 GPU, then run again)" if in_colab() else ""
    return f"torch {torch.__version__} on CPU only{hint}"


def setup(use_drive: bool = False, folder: str = "durn-teach") -> Path:
    """Print the runtime report and return the working folder for data and checkpoints.

    With ``use_drive=True`` in Colab, Google Drive is mounted and ``MyDrive/<folder>`` is
    used, so that a disconnected runtime loses nothing; ``DURN_DATA`` points into it unless
    already set. Elsewhere the folder is ``./<folder>``.
    """
    print(runtime_report())
    if use_drive and in_colab():
        from google.colab import drive  # available in Colab only

        drive.mount(str(DRIVE))
        root = DRIVE / "MyDrive" / folder
    else:
        root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DURN_DATA", str(root / "data"))
    print(f"data and checkpoints go to {root.resolve()}")
    return root
