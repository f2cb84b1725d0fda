"""Real rain-streak pairs beyond the paper's DID-MDN and DDN: Rain100L, Rain100H, RainTrainH.

Rain100L and Rain100H (Yang et al., CVPR 2017) are the rain-streak test sets most papers after
DuRN report; RainTrainH is the heavy-rain training set distributed with them. The course trains
its DuRN-S on real pairs (chapter 14): Rain100L split by background (no clean image, nor crop
of one, on both sides; ``tools/split_rain100l.py``) plus RainTrainH, and tests on the held-out
Rain100L pairs. Layouts: ``<folder>/input/<name>`` rainy and ``<folder>/target/<name>`` clean
(the MPRNet/Restormer redistribution), or PReNet's ``rain-N.png`` / ``norain-N.png``, in one
folder or in ``input/`` and ``target/``.
"""

from __future__ import annotations

import re

import numpy as np

from durn_teach.data.base import Item, PairedDataset
from durn_teach.names import split_names
from durn_teach.sampling import random_crop, random_flip


class _RainPairs(PairedDataset):
    """Rainy/clean pairs; training: random 64x64 crops and left-right flips (the paper's rain
    streak sampling, Sec. 5.5); test: whole images."""

    crop = 64

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rainy, clean = self.read(item.degraded[0]), self.read(item.clean)
        if rainy.shape != clean.shape:
            raise ValueError(
                f"{self.title}: {item.degraded[0]} is {rainy.shape[1]}x{rainy.shape[0]} but its clean "
                f"image {item.clean} is {clean.shape[1]}x{clean.shape[0]}; a pair must have one size"
            )
        if self.train:
            return tuple(random_flip(random_crop([rainy, clean], self.crop_size, rng), rng))
        return rainy, clean


class Rain100L(_RainPairs):
    """Rain100L, light rain: 100 pairs (``Rain100L/{input,target}/<name>.png``).

    ``all``: the 100 pairs; ``train`` / ``test``: the course's split by background (80 / 20).
    """

    title, folder, key, splits = "Rain100L", "Rain100L", "rain100l", ("all", "train", "test")
    train_splits = ("train",)

    def build_items(self) -> list[Item]:
        if self.split == "all":
            names = sorted(split_names(self.folder, "train") + split_names(self.folder, "test"))
        else:
            names = split_names(self.folder, self.split)
        if not any((self.path / "input" / n).is_file() for n in names):
            raise FileNotFoundError(
                f"{self.title}: none of the {len(names)} rainy images of split {self.split!r} is in "
                f"{self.path / 'input'}; expected input/<name> and target/<name> with the names "
                f"of durn_teach/splits/Rain100L (e.g. {names[0]}): fetch them with "
                f"`python data_scripts/{self.key}.py --root {self.root}`"
            )
        return [Item(n, self.path / "target" / n, (self.path / "input" / n,)) for n in names]


PRENET_RAINY = re.compile(r"^rain-(\d+)\.png$")


class _PReNetPairs(_RainPairs):
    """Every ``rain-N.png`` with its ``norain-N.png`` found under the folder (any subset of the set)."""

    def build_items(self) -> list[Item]:
        rainy_dir = self.path / "input" if (self.path / "input").is_dir() else self.path
        clean_dir = self.path / "target" if (self.path / "target").is_dir() else self.path
        rainy = [p for p in rainy_dir.glob("rain-*.png") if PRENET_RAINY.match(p.name)]
        rainy.sort(key=lambda p: int(PRENET_RAINY.match(p.name)[1]))
        if not rainy:
            raise FileNotFoundError(
                f"{self.title}: no rain-N.png files in {rainy_dir}; expected PReNet's layout "
                f"(rain-N.png and norain-N.png, in one folder or in input/ and target/): fetch them "
                f"with `python data_scripts/{self.key}.py --root {self.root}`"
            )
        return [Item(p.name, clean_dir / p.name.replace("rain-", "norain-", 1), (p,)) for p in rainy]


class Rain100H(_PReNetPairs):
    """Rain100H, heavy rain: the test pairs found in ``Rain100H/`` (100 in the full set)."""

    title, folder, key, splits, train_splits = "Rain100H", "Rain100H", "rain100h", ("test",), ()

    def __init__(self, root=None, split: str = "test", limit: int | None = None) -> None:
        super().__init__(root, split, None, limit)


class RainTrainH(_PReNetPairs):
    """RainTrainH, heavy rain: the training pairs found in ``RainTrainH/`` (1,800 in the full set)."""

    title, folder, key, splits = "RainTrainH", "RainTrainH", "raintrainh", ("train",)
