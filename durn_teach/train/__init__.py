"""Training the DuRNs as the paper did: presets, the loop, checkpoints (Liu et al., CVPR 2019, Sec. 5).

The training step is taught in chapter 10 (``durn_teach.train.step``); the rest is the harness.
"""

from durn_teach.train.checkpoint import ResumeError, load_checkpoint
from durn_teach.train.loop import TrainResult, fit, pick_device, plot_curves, read_log
from durn_teach.train.presets import COMMAND_LINE, PRESETS, Preset, get_preset, list_presets
from durn_teach.train.step import NonFiniteLoss

__all__ = [
    "COMMAND_LINE", "PRESETS", "NonFiniteLoss", "Preset", "ResumeError", "TrainResult", "fit", "get_preset",
    "list_presets", "load_checkpoint", "pick_device", "plot_curves", "read_log",
]
