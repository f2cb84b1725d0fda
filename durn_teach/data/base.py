"""Reading a dataset's distributed layout: split files, images with clear errors, the base Dataset."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch.utils.data import Dataset

from durn_teach.data.download import data_root
from durn_teach.data.loader import sample_rng


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """HxW -> 1xHxW, HxWxC -> CxHxW, float32."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    tensor = torch.from_numpy(image)
    return tensor[None] if image.ndim == 2 else tensor.permute(2, 0, 1).contiguous()


@dataclass(frozen=True)
class Item:
    """One sample of a split: its name, its clean image and its degraded variants (files)."""

    name: str
    clean: Path | None
    degraded: tuple[Path, ...] = ()


class PairedDataset(Dataset):
    """A dataset of the paper, read from its distributed layout under the data root.

    Returns ``(degraded, clean, name)``: float32 tensors CxHxW in [0, 1] (gray: 1xHxW) and the
    image's name. Training splits give random crops of the paper's size (``crop_size`` overrides
    it) with the paper's random choices; test splits give whole images, for the evaluation
    protocols. ``dataset[i]`` draws its random choices from torch's generator;
    ``make_loader(dataset, ..., seed=s)`` draws them from ``s``, whatever the number of workers.
    ``limit`` keeps the first items of the split only (a quick run, a partial download).
    """

    title: ClassVar[str]  # the dataset's name in messages
    folder: ClassVar[str]  # its folder under the data root
    key: ClassVar[str]  # its fetch key: data_scripts/<key>.py, `durn-teach data fetch <key>`
    splits: ClassVar[tuple[str, ...]]
    train_splits: ClassVar[tuple[str, ...]] = ("train",)
    crop: ClassVar[int | None] = None  # the paper's training crop

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        crop_size: int | None = None,
        limit: int | None = None,
    ) -> None:
        if split not in self.splits:
            raise ValueError(f"unknown split {split!r} for {self.title}; valid: {', '.join(self.splits)}")
        self.root = data_root(root)
        self.path = self.root / self.folder
        self.split = split
        self.train = split in self.train_splits
        self.crop_size = (crop_size or self.crop) if self.train else None
        if not self.path.is_dir():
            raise FileNotFoundError(
                f"{self.title}: the folder {self.path} does not exist; fetch the dataset with "
                f"`durn-teach data fetch {self.key} --data-root {self.root}` (in a checkout also "
                f"`python data_scripts/{self.key.replace('-', '_')}.py --data-root {self.root}`)"
            )
        self.items = self.build_items()[:limit]

    def build_items(self) -> list[Item]:
        raise NotImplementedError

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The (degraded, clean) arrays of one item, after the paper's sampling."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, str]:
        index, rng = sample_rng(key)
        item = self.items[index]
        degraded, clean = self.pair(item, rng)
        return to_tensor(degraded), to_tensor(clean), item.name

    def missing(self) -> list[Path]:
        """The files of this split that are not on disk."""
        files = [p for item in self.items for p in (item.clean, *item.degraded) if p is not None]
        return [path for path in files if not path.is_file()]

    def read(self, path: Path, mode: str = "RGB") -> np.ndarray:
        """An image as a float32 array in [0, 1]; a missing or corrupt file names its path and the fix."""
        return read_image(path, self, mode).astype(np.float32) / 255.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={str(self.root)!r}, split={self.split!r}, {len(self)} items)"


def read_image(path: Path, dataset: PairedDataset, mode: str = "RGB") -> np.ndarray:
    """An image file as a uint8 array (``mode`` ``"RGB"`` or ``"L"``), or a clear error."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise FileNotFoundError(
            f"{dataset.title}: missing file {path} (split {dataset.split!r}); fetch the dataset with "
            f"`durn-teach data fetch {dataset.key} --data-root {dataset.root}` (in a checkout also "
            f"`python data_scripts/{dataset.key.replace('-', '_')}.py --data-root {dataset.root}`)"
        )
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert(mode))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise OSError(f"{dataset.title}: cannot read the image {path}: it is corrupt ({error})") from error
