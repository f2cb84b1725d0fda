"""The paper's datasets as PyTorch Datasets, in their distributed layouts, with the paper's splits.

Every dataset returns ``(degraded, clean, name)``; training splits are sampled as in the paper
(``durn_teach.sampling``), test splits give whole images for the evaluation protocols.
``make_loader`` makes the batches reproducible; ``BuiltinImages`` runs everything offline on
scikit-image's photographs. The data root is an argument, else ``$DURN_DATA``, else the user's
cache (``durn_teach.data.download.data_root``); ``data_scripts/`` fetch the datasets into it.
"""

from durn_teach.data.base import PairedDataset
from durn_teach.data.builtin import BUILTIN_NAMES, BuiltinImages, builtin_image
from durn_teach.data.datasets import (
    BSD68,
    DCPDN,
    DDN,
    DIDMDN,
    BSDGray,
    CarDataset,
    GoPro,
    PolyU,
    PolyUCrops,
    RainDrop,
    RainDropExamples,
    RESIDEIndoor,
    Set12,
    SOTSExamples,
    Train400,
)
from durn_teach.data.loader import make_loader
from durn_teach.data.photos import DegradedPhotos
from durn_teach.data.rain import Rain100H, Rain100L, RainTrainH
from durn_teach.names import split_names

DATASETS = {
    "bsd-gray": BSDGray, "bsd68": BSD68, "set12": Set12, "train400": Train400,
    "polyu": PolyU, "polyu-crops": PolyUCrops, "gopro": GoPro, "car": CarDataset,
    "reside": RESIDEIndoor, "dcpdn": DCPDN, "raindrop": RainDrop, "did-mdn": DIDMDN, "ddn": DDN,
    "rain100l": Rain100L, "rain100h": Rain100H, "raintrainh": RainTrainH, "photos": DegradedPhotos,
    "raindrop-examples": RainDropExamples, "sots-examples": SOTSExamples,
}

# The paper's tasks: the dataset each network trains on and those it is tested on.
TASKS = {
    "gaussian-noise": ("bsd-gray", ("bsd-gray",)),
    "real-noise": ("polyu", ("polyu",)),
    "motion-blur": ("gopro", ("gopro", "car")),
    "haze": ("reside", ("reside",)),
    "haze-dcpdn": ("dcpdn", ("dcpdn",)),
    "raindrop": ("raindrop", ("raindrop",)),
    "rain-streak": ("did-mdn", ("did-mdn",)),
    "rain-streak-ddn": ("ddn", ("ddn",)),
}


def get_dataset(name: str, **kwargs) -> PairedDataset:
    """The dataset called ``name`` (a key of ``DATASETS``); an unknown name lists the valid ones."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    return DATASETS[name](**kwargs)


def task_datasets(task: str) -> tuple[str, tuple[str, ...]]:
    """The training dataset and the test datasets of one of the paper's tasks (``TASKS``)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return TASKS[task]


__all__ = [
    "BSD68", "BUILTIN_NAMES", "DATASETS", "DCPDN", "DDN", "DIDMDN", "TASKS", "BSDGray", "BuiltinImages",
    "CarDataset", "DegradedPhotos", "GoPro", "PairedDataset", "PolyU", "PolyUCrops", "RESIDEIndoor",
    "Rain100H", "Rain100L", "RainDrop", "RainDropExamples", "RainTrainH", "SOTSExamples", "Set12", "Train400",
    "builtin_image", "get_dataset", "make_loader", "split_names", "task_datasets",
]
