# Collected by tools/collect.py from notebooks/09_datasets.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The paper's training samples: crops, flips, Gaussian noise, variant draws, resizing.

Images are NumPy arrays, HxW (gray) or HxWxC (colour), float32 in [0, 1] unless said otherwise.
Every random choice comes from the ``numpy.random.Generator`` passed in, so one seed fixes a
sample. The functions reproduce the release's data pipeline; the loaders of ``durn_teach.data``
apply them.
"""

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

PAPER_SIGMAS = (30, 50, 70)
TEST_NOISE_SEED = 8526081014239199321


def random_crop(images: Sequence[np.ndarray], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The same random ``size`` x ``size`` window of every image of a pair (the release's CropSample)."""
    height, width = images[0].shape[:2]
    if height < size or width < size:
        raise ValueError(f"cannot crop {size}x{size} from an image of {height}x{width} pixels")
    top = int(rng.integers(0, height - size + 1))
    left = int(rng.integers(0, width - size + 1))
    return [image[top : top + size, left : left + size] for image in images]


def random_flip(images: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Flip every image of a pair left-right with probability 1/2 (the rain-streak setting)."""
    if rng.random() < 0.5:
        return [image[:, ::-1] for image in images]
    return list(images)


def gaussian_noise(
    clean: np.ndarray, rng: np.random.Generator, sigmas: Sequence[float] = PAPER_SIGMAS
) -> np.ndarray:
    """Add white Gaussian noise whose sigma (0-255 scale) is drawn per image from ``sigmas``; not clipped."""
    sigma = float(rng.choice(sigmas))
    return (clean + rng.normal(0.0, sigma / 255.0, clean.shape)).astype(np.float32)


def fixed_seed_noise(clean: np.ndarray, sigma: float) -> np.ndarray:
    """The release's test noise: the same seed for every image, drawn as for an RGB image.

    The release reseeds torch with ``TEST_NOISE_SEED`` before each image, draws 3xHxW normal
    noise, adds it, and keeps the first channel for the gray networks.
    """
    height, width = clean.shape[:2]
    generator = torch.Generator().manual_seed(TEST_NOISE_SEED)
    noise = torch.empty(3, height, width).normal_(0.0, sigma, generator=generator) / 255.0
    noise = noise[0].numpy() if clean.ndim == 2 else noise[: clean.shape[2]].permute(1, 2, 0).numpy()
    return (clean + noise).astype(np.float32)


def draw_variant(variants: Sequence, rng: np.random.Generator):
    """One degraded version of an image, drawn uniformly: one of 10 hazy (RESIDE), 14 rainy (DDN)
    or 3 rain densities (DID-MDN)."""
    return variants[int(rng.integers(len(variants)))]


def crop_to_multiple(image: np.ndarray, k: int = 4) -> np.ndarray:
    """Drop the last rows and columns so that both sides are multiples of ``k`` (the release's align_to_k)."""
    height, width = image.shape[:2]
    return image[: height // k * k, : width // k * k]


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``size`` = (width, height), bilinear with half-pixel centres and no antialiasing,
    as OpenCV's ``cv2.resize`` in the release; uint8 stays uint8 (rounded)."""
    array = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    batch = array[None, None] if image.ndim == 2 else array.permute(2, 0, 1)[None]
    out = F.interpolate(batch, size=(size[1], size[0]), mode="bilinear", align_corners=False)
    out = out[0, 0] if image.ndim == 2 else out[0].permute(1, 2, 0)
    if image.dtype == np.uint8:
        return out.round().clamp(0, 255).numpy().astype(np.uint8)
    return out.numpy()
