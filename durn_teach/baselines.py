# Collected by tools/collect.py from notebooks/08_classical_baselines.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""Classical baselines and the synthetic test cases they are scored on (chapter 8).

Wiener and Richardson-Lucy deconvolution given the true kernel, the dark-channel-prior dehazer
(He et al. 2011) with guided-filter refinement (He et al. 2013), the opening and median
filters, and one or more test cases per task of Liu et al. (CVPR 2019, Sec. 5), made with
:mod:`durn_teach.degrade` from scikit-image's photographs, scored in the paper's colour spaces.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage import data, restoration
from skimage.util import img_as_float

from durn_teach import degrade
from durn_teach.metrics import Space


@dataclass(frozen=True)
class Case:
    """One synthetic test case: a photograph, its degradation, and how the paper scores the task."""

    task: str
    image: str
    space: Space
    clean: np.ndarray
    degraded: np.ndarray
    sigma: float | None = None  # Gaussian noise level (0-255 scale), where known
    kernel: np.ndarray | None = None  # blur kernel, where known


def photo(name: str, step: int = 2) -> np.ndarray:
    """A scikit-image photograph as a float image in [0, 1], taking every ``step``-th pixel."""
    return img_as_float(getattr(data, name)()[::step, ::step])


def synthetic_cases() -> list[Case]:
    """The fixed synthetic test cases of the course, the same on every call (fixed seeds)."""
    cases = []
    for sigma in (30, 50, 70):
        for name, step in (("camera", 2), ("coins", 1)):
            clean = photo(name, step)
            noisy = degrade.gaussian_noise(clean, sigma, seed=sigma)
            cases.append(Case(f"Gaussian noise, sigma {sigma}", name, "gray", clean, noisy, sigma=sigma))
    for name in ("chelsea", "coffee"):
        clean = photo(name)
        cases.append(Case("real-world noise", name, "rgb", clean, degrade.camera_noise(clean, 100, seed=1)))
    for seed, name in enumerate(("astronaut", "coffee"), start=2):
        clean, kernel = photo(name), degrade.random_motion_kernel(15, seed=seed)
        blurred = degrade.motion_blur(clean, kernel, noise_sigma=1, seed=seed)
        cases.append(Case("motion blur", name, "rgb", clean, blurred, kernel=kernel))
    for name in ("rocket", "astronaut", "coffee"):
        clean = photo(name)
        cases.append(Case("haze", name, "rgb", clean, degrade.haze(clean, beta=1.2, airlight=0.9)))
    for name in ("astronaut", "chelsea"):
        clean = photo(name)
        cases.append(Case("rain streaks", name, "y", clean, degrade.rain_streaks(clean, seed=5)))
    for name in ("coffee", "rocket"):
        clean = photo(name)
        cases.append(Case("raindrops", name, "y", clean, degrade.raindrops(clean, 30, seed=6)))
    return cases


def per_channel(method: Callable[[np.ndarray, np.ndarray], np.ndarray], image: np.ndarray,
                kernel: np.ndarray) -> np.ndarray:
    """Apply a one-channel deconvolution to every colour channel."""
    return np.stack([method(image[..., c], kernel) for c in range(image.shape[2])], axis=-1)


def wiener(blurred: np.ndarray, kernel: np.ndarray, balance: float = 0.01) -> np.ndarray:
    """Wiener deconvolution of the mirrored image (a continuous periodic extension), cropped."""
    height, width = blurred.shape[:2]
    mirrored = np.concatenate([blurred, blurred[::-1]], axis=0)
    mirrored = np.concatenate([mirrored, mirrored[:, ::-1]], axis=1)
    restored = per_channel(lambda x, k: restoration.wiener(x, k, balance=balance), mirrored, kernel)
    return restored[:height, :width]


def richardson_lucy(blurred: np.ndarray, kernel: np.ndarray, iterations: int = 10) -> np.ndarray:
    """Richardson-Lucy deconvolution with a reflected margin as wide as the kernel, in float64
    (in float32 scikit-image's iterations can divide by rounding errors near zero and diverge)."""
    m = kernel.shape[0]
    padded = np.pad(blurred.astype(np.float64), ((m, m), (m, m), (0, 0)), mode="reflect")
    restored = per_channel(
        lambda x, k: restoration.richardson_lucy(x, k, num_iter=iterations), padded, kernel)
    return restored[m:-m, m:-m].astype(blurred.dtype)


def dark_channel(image: np.ndarray, patch: int = 15) -> np.ndarray:
    """The minimum over the colour channels and a ``patch`` x ``patch`` window (He et al. 2011)."""
    return ndimage.minimum_filter(image.min(axis=2), size=patch, mode="nearest")


def atmospheric_light(image: np.ndarray, dark: np.ndarray, fraction: float = 0.001) -> np.ndarray:
    """The colour of the brightest input pixel among the ``fraction`` with the brightest dark channel."""
    count = max(1, int(dark.size * fraction))
    candidates = image.reshape(-1, image.shape[2])[np.argsort(dark.ravel())[-count:]]
    return candidates[candidates.sum(axis=1).argmax()]


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int = 20, eps: float = 1e-3) -> np.ndarray:
    """Smooth ``source`` with edges that follow the gray ``guide`` (He et al. 2013).

    In every window the output is a linear function ``a * guide + b`` of the guide, fitted to
    the source by least squares with the penalty ``eps * a ** 2``; the fits are averaged.
    """

    def mean(t: np.ndarray) -> np.ndarray:
        return ndimage.uniform_filter(t, 2 * radius + 1, mode="reflect")

    mean_guide, mean_source = mean(guide), mean(source)
    variance = mean(guide * guide) - mean_guide**2
    a = (mean(guide * source) - mean_guide * mean_source) / (variance + eps)
    b = mean_source - a * mean_guide
    return mean(a) * guide + mean(b)


def dehaze_dark_channel(
    image: np.ndarray, patch: int = 15, omega: float = 0.95, t0: float = 0.1, radius: int = 20
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dark-channel-prior dehazer of He et al. (2011), refined by the guided filter.

    Takes an H x W x 3 hazy image in [0, 1]; returns the dehazed image, the refined
    transmission and the estimated atmospheric light.
    """
    degrade.check_image(image, "hazy image")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the dark channel prior needs an H x W x 3 colour image, got shape {image.shape}")
    airlight = atmospheric_light(image, dark_channel(image, patch))
    rough = 1 - omega * dark_channel(image / np.maximum(airlight, 1e-6), patch)
    t = np.clip(guided_filter(image.mean(axis=2), rough, radius), 0.0, 1.0)
    dehazed = (image - airlight) / np.maximum(t, t0)[..., None] + airlight
    return np.clip(dehazed, 0.0, 1.0), t, airlight


def opening(image: np.ndarray, width: int = 5) -> np.ndarray:
    """Grey opening with a horizontal segment: removes thin, bright, near-vertical structures."""
    return ndimage.grey_opening(image, size=(1, width, 1))


def median(image: np.ndarray, size: int = 5) -> np.ndarray:
    """A median filter over a size x size window, per channel."""
    return ndimage.median_filter(image, size=(size, size, 1))
