"""The training data of a preset: the paper's dataset, or the built-in images when it is absent.

Batches are a function of (seed, epoch, position) only: the order is a permutation drawn from
(seed, epoch) (``epoch_order``, the same on every process), and each sample's random choices
(crop, variant, flip, noise) from a seed derived from
(seed, epoch, index). So a resumed run fetches exactly the batches an uninterrupted one would,
and two processes with half the batch each see together what one process sees.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset

from durn_teach import degrade
from durn_teach.data import BUILTIN_NAMES, BuiltinImages, get_dataset
from durn_teach.data.photos import DEGRADATIONS
from durn_teach.train.presets import Preset

# Validation: a held-out photograph for the built-in data, the first test images for a dataset.
VALIDATION_IMAGE = {1: "camera", 3: "coffee"}
VALIDATION_SPLIT = {"polyu": "test1", "polyu-crops": "test", "raindrop": "test_a"}
# a training set without a test split validates elsewhere; a "+" set on its first part
VALIDATION_DATA = {"train400": "set12", "rain100l+raintrainh": "rain100l"}
VALIDATION_IMAGES = 4


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Python's, NumPy's and torch's global generators for a block, then put them back."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.random.default_generator.manual_seed(seed)  # the CPU generator only
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


class SeededSamples(Dataset):
    """Wraps a dataset so that sample ``(index, seed)`` draws its random choices from ``seed``.

    The global Python, NumPy and torch generators are seeded with ``seed`` for the call and put
    back afterwards: ``durn_teach.data``'s datasets (and any dataset that draws from the global
    generators) then give the same sample for the same key, in any process.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = key
        with seeded(seed):
            sample = self.dataset[index]
        if torch.is_tensor(sample):  # a dataset of clean images only (the Gaussian setting)
            return sample, sample
        return sample[0], sample[1]


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of sample ``index`` in ``epoch``: the same on every process and after a resume."""
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1, np.uint64)[0] >> 2)


def epoch_order(size: int, epoch: int, seed: int) -> list[int]:
    """The order of the ``size`` samples in ``epoch``: a permutation drawn from ``(seed, epoch)``
    through NumPy's ``SeedSequence``, so that no two (seed, epoch) pairs share an order (seed 1's
    first epoch is not seed 0's second, as with a generator seeded by ``seed + epoch``)."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch])).permutation(size).tolist()


def epoch_batches(
    size: int, batch: int, epoch: int, seed: int, replicas: int = 1, rank: int = 0, start: int = 0
) -> list[list[tuple[int, int]]]:
    """This process's batches of ``epoch`` as lists of ``(index, seed)`` keys, from batch ``start`` on.

    ``batch`` is the global batch; each of the ``replicas`` processes gets ``batch / replicas``
    samples per step, and together they get the samples one process would (the order is padded
    by its first samples to a multiple of ``replicas``, as ``DistributedSampler`` does).
    """
    if batch % replicas:
        raise ValueError(f"the batch of {batch} does not split evenly over {replicas} processes")
    order = epoch_order(size, epoch, seed)
    total = -(-size // replicas) * replicas
    order = (order * -(-total // max(size, 1)))[:total]
    mine, share = order[rank::replicas], batch // replicas
    batches = [mine[k : k + share] for k in range(0, len(mine), share)]
    return [[(index, sample_seed(seed, epoch, index)) for index in keys] for keys in batches[start:]]


def make_loader(
    data: SeededSamples, batches: list[list[tuple[int, int]]], num_workers: int = 0, pin: bool = False
) -> DataLoader:
    """A DataLoader over precomputed batches (any number of workers gives the same tensors)."""
    return DataLoader(data, batch_sampler=batches, num_workers=num_workers, pin_memory=pin)


def _builtin_degradation(data: str, options: dict[str, Any] | None = None
                         ) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """The synthetic stand-in for a dataset's degradation (``durn_teach.degrade``); for the
    degraded photographs, their own training degradation (``options["degradation"]``)."""
    if data == "photos":
        chosen = DEGRADATIONS[(options or {}).get("degradation", "raindrops")]
        return lambda clean, rng: chosen(clean, rng, True)[0]

    def motion(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        kernel = degrade.random_motion_kernel(float(rng.uniform(5, 15)), seed=rng)
        return degrade.motion_blur(clean, kernel)

    def camera(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return degrade.camera_noise(clean, float(rng.uniform(100, 600)), seed=rng)

    def hazy(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return degrade.haze(clean, beta=float(rng.uniform(0.6, 1.8)), airlight=float(rng.uniform(0.7, 1.0)))

    stand_ins = {
        "bsd-gray": lambda clean, rng: degrade.gaussian_noise(clean, float(rng.choice([30, 50, 70])), rng),
        "train400": lambda clean, rng: degrade.gaussian_noise(clean, float(rng.choice([30, 50, 70])), rng),
        "polyu": camera,
        "polyu-crops": camera,
        "gopro": motion,
        "reside": hazy,
        "dcpdn": hazy,
        "did-mdn": lambda clean, rng: degrade.rain_streaks(clean, seed=rng),
        "ddn": lambda clean, rng: degrade.rain_streaks(clean, seed=rng),
        "raindrop": lambda clean, rng: degrade.raindrops(clean, count=8, seed=rng),
        "rain100l+raintrainh": lambda clean, rng: degrade.rain_streaks(clean, seed=rng),
        "raindrop-examples": lambda clean, rng: degrade.raindrops(clean, count=8, seed=rng),
        "rain100l": lambda clean, rng: degrade.rain_streaks(clean, seed=rng),
        "rain100h": lambda clean, rng: degrade.rain_streaks(clean, density=0.01, seed=rng),
    }
    if data not in stand_ins:
        raise ValueError(f"unknown dataset {data!r}; the datasets are: {', '.join(stand_ins)}")
    return stand_ins[data]


def builtin_data(preset: Preset, channels: int, split: str = "train") -> Dataset:
    """The built-in stand-in for a preset's data (synthetic: photographs with a synthetic degradation).

    ``train``: random crops of every photograph but the validation one, ``epoch_size`` of them
    an epoch (or each photograph four times); ``val``: the validation photograph's centre, whole.
    """
    degrade = _builtin_degradation(preset.data, preset.data_options)
    held_out = VALIDATION_IMAGE[channels]
    if split == "val":
        return _CentreCrop(BuiltinImages([held_out], channels, crop_size=None, degrade=degrade), 128)
    names = [name for name in BUILTIN_NAMES if name != held_out]
    size = preset.epoch_size or 4 * len(names)
    repeats = -(-size // len(names))
    images = BuiltinImages(names, channels, crop_size=preset.crop, degrade=degrade, repeats=repeats)
    images = _Flipped(images) if preset.hflip else images
    return Subset(_Dihedral(images) if preset.dihedral else images, range(size))


class _Flipped(Dataset):
    """Each pair flipped left-right with probability 1/2 (the rain-streak setting, Sec. 5.5)."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        degraded, clean, *rest = self.dataset[index]
        if torch.rand(()) < 0.5:
            degraded, clean = degraded.flip(-1), clean.flip(-1)
        return degraded, clean, *rest


class _Dihedral(Dataset):
    """Each pair turned by one of the square's eight symmetries, drawn uniformly (not in the paper).

    ``k`` quarter turns, then a left-right flip for ``k >= 4``: the four rotations and their
    mirror images. Square crops keep their shape.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        sample = self.dataset[index]
        k = int(torch.randint(8, ()))

        def turn(image: torch.Tensor) -> torch.Tensor:
            image = image.rot90(k % 4, dims=(-2, -1))
            return image.flip(-1) if k >= 4 else image

        if torch.is_tensor(sample):  # clean images only (the Gaussian setting)
            return turn(sample)
        degraded, clean, *rest = sample
        return turn(degraded), turn(clean), *rest


class _CentreCrop(Dataset):
    """The central ``size`` x ``size`` window of each pair, with its random choices fixed (validation)."""

    def __init__(self, dataset: Dataset, size: int) -> None:
        self.dataset, self.size = dataset, size

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        degraded, clean = SeededSamples(self.dataset)[(index, index)]
        top, left = (max(0, (side - self.size) // 2) for side in clean.shape[1:])
        window = (slice(None), slice(top, top + self.size), slice(left, left + self.size))
        return degraded[window], clean[window]


def paper_data(preset: Preset, root: str | Path | None, split: str = "train", **extra: Any) -> Dataset:
    """The preset's dataset from ``durn_teach.data`` (raises FileNotFoundError when absent).

    ``data="a+b"`` trains on datasets ``a`` and ``b`` together (their training splits).
    """
    options: dict[str, Any] = {**preset.data_options, **extra}
    if split == "train":
        options["crop_size"] = preset.crop
    if preset.data == "gopro":
        options["resize_to"] = preset.resize
    if "+" in preset.data:
        parts = preset.data.split("+")
        return ConcatDataset([get_dataset(part, root=root, split=split, **options) for part in parts])
    return get_dataset(preset.data, root=root, split=split, **options)


class _Repeated(Dataset):
    """A dataset seen ``size`` times an epoch, cycling through it (each time with new random crops)."""

    def __init__(self, dataset: Dataset, size: int) -> None:
        self.dataset, self.size = dataset, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index % len(self.dataset)]


def training_data(preset: Preset, channels: int, root: str | Path | None = None, seed: int = 0
                  ) -> tuple[Dataset, Dataset | None, str]:
    """(train, validation, description) for a preset: its dataset, else built-in data if quick.

    A full-scale preset needs its dataset; a quick one falls back to the built-in images. A
    quick run on the real dataset trains on ``epoch_size`` images drawn once with ``seed``.
    """
    try:
        train = dataset = paper_data(preset, root)
    except FileNotFoundError as error:
        if not preset.quick:
            raise FileNotFoundError(
                f"{error}\n(the preset {preset.name!r} trains on this dataset; add --quick for a short run "
                f"on the built-in images instead)"
            ) from None
        description = f"built-in images with a synthetic stand-in for {preset.data} (synthetic data)"
        return builtin_data(preset, channels), builtin_data(preset, channels, "val"), description
    if preset.epoch_size is not None and preset.epoch_size < len(train):
        chosen = np.random.default_rng(seed).choice(len(train), preset.epoch_size, replace=False)
        train = Subset(train, sorted(chosen.tolist()))
    elif preset.epoch_size is not None and preset.epoch_size > len(train):
        train = _Repeated(train, preset.epoch_size)
    if preset.dihedral:
        train = _Dihedral(train)
    options = {"limit": VALIDATION_IMAGES}
    if preset.sigmas:
        options["sigma"] = 50
    val_preset = preset.replace(data=VALIDATION_DATA.get(preset.data, preset.data))
    val = paper_data(val_preset, root, VALIDATION_SPLIT.get(preset.data, "test"), **options)
    crops = f", {len(train)} crops an epoch" if len(train) > len(dataset) else ""
    return train, val, f"{preset.data} ({len(dataset)} training images{crops})"
