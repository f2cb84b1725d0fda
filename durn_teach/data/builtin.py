"""``BuiltinImages``: scikit-image's bundled photographs with a synthetic degradation, fully offline."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from durn_teach.data.base import to_tensor
from durn_teach.data.loader import sample_rng
from durn_teach.sampling import gaussian_noise, random_crop

BUILTIN_NAMES = ("astronaut", "camera", "chelsea", "coffee", "rocket", "moon", "grass", "gravel",
                 "brick", "clock", "coins")

Degrade = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def builtin_image(name: str, channels: int = 3) -> np.ndarray:
    """A bundled photograph of scikit-image as float32 in [0, 1]: HxW (``channels=1``) or HxWx3."""
    from skimage import color, data

    if name not in BUILTIN_NAMES:
        raise ValueError(f"unknown built-in image {name!r}; valid: {', '.join(BUILTIN_NAMES)}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    image = getattr(data, name)()
    image = image.astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    if image.ndim == 3 and channels == 1:
        return color.rgb2gray(image[..., :3]).astype(np.float32)
    if image.ndim == 2 and channels == 3:
        return np.repeat(image[..., None], 3, axis=2)
    return image[..., :3] if image.ndim == 3 else image


class BuiltinImages(Dataset):
    """scikit-image's photographs, degraded by ``degrade(clean, rng) -> degraded`` (synthetic data).

    Returns ``(degraded, clean, name)`` like the paper's datasets: random ``crop_size`` crops
    (``None``: whole images), each photograph ``repeats`` times per epoch. The default
    degradation is the paper's Gaussian noise (sigma drawn from {30, 50, 70}); any callable
    ``degrade(clean, rng)`` of an HxW or HxWx3 float image and a NumPy generator works. Random
    choices are seeded as in the paper's datasets (see ``make_loader``).
    """

    def __init__(
        self,
        names: Sequence[str] = BUILTIN_NAMES,
        channels: int = 3,
        crop_size: int | None = 64,
        degrade: Degrade = gaussian_noise,
        repeats: int = 1,
    ) -> None:
        self.names = tuple(names)
        self.images = {name: builtin_image(name, channels) for name in self.names}
        self.crop_size, self.degrade, self.repeats = crop_size, degrade, repeats

    def __len__(self) -> int:
        return len(self.names) * self.repeats

    def __getitem__(self, key: int | tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, str]:
        index, rng = sample_rng(key)
        name = self.names[index % len(self.names)]
        clean = self.images[name]
        if self.crop_size is not None:
            (clean,) = random_crop([clean], self.crop_size, rng)
        degraded = np.asarray(self.degrade(np.ascontiguousarray(clean), rng), dtype=np.float32)
        return to_tensor(degraded), to_tensor(clean), name
