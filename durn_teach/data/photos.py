"""Real clean photographs with a synthetic degradation of chapter 6: training and test pairs
for the tasks whose real pairs are few or absent here (raindrops, motion blur, haze).

The photographs are the published files of CBSD68, Kodak24 and the clean (``_mean``) PolyU
crops; the degradation is drawn per sample from ``durn_teach.degrade``. Test pairs are the
held-out photographs with a fixed-seed degradation, so every run scores the same images.
Everything made here is synthetic data and is labelled so wherever it is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from durn_teach import degrade
from durn_teach.data.base import Item, PairedDataset
from durn_teach.data.download import data_root
from durn_teach.data.loader import sample_rng
from durn_teach.names import polyu_scene, split_names
from durn_teach.sampling import random_crop

# (clean, generator, training?) -> (degraded, what a non-blind method may be told: the kernel)
Degradation = Callable[[np.ndarray, np.random.Generator, bool], tuple[np.ndarray, dict[str, np.ndarray]]]
REFERENCE_AREA = 768 * 512  # a Kodak photograph: the drop counts below are per such an area
KODAK_TEST = tuple(f"kodim{k:02d}.png" for k in range(17, 25))  # held out from every training split


def _raindrops(clean: np.ndarray, rng: np.random.Generator, train: bool) -> tuple[np.ndarray, dict]:
    """Training: from a few small drops to a dense cover of large, defocused ones, as on a real
    windscreen (a Poisson number, 10 to 200 per Kodak-sized area, of radius 4 px up to 12-45 px,
    defocus blur 2-8 px); test: chapter 6's 30 drops of radius 5-15 px."""
    if not train:
        return degrade.raindrops(clean, 30, seed=rng), {}
    area = clean.shape[0] * clean.shape[1] / REFERENCE_AREA
    count = max(1, int(rng.poisson(rng.uniform(10, 200) * area)))
    radius = (4.0, float(rng.uniform(12, 45)))
    return degrade.raindrops(clean, count, radius=radius, blur=float(rng.uniform(2, 8)), seed=rng), {}


def _raindrops_real(clean: np.ndarray, rng: np.random.Generator, train: bool) -> tuple[np.ndarray, dict]:
    """Drops like those of the real RainDrop pairs (chapter 14): dense, large, defocused and
    bright (each drop gathers light from the sky above it), on a view the glass pane softens a
    little. Test: 120 drops per Kodak-sized area of radius 10-35 px, defocus 8 px, glow 0.3, the
    view softened by a Gaussian of 0.45 px; training: a Poisson number of 20-250 per area, radius
    4 px up to 12-45 px, defocus 2-10 px, glow 0-0.4, softening 0-1 px. The test setting was
    chosen so that its pairs' ``compare_tasks.drop_look`` comes close to the real pairs' (chapter
    14 tabulates both)."""
    area = clean.shape[0] * clean.shape[1] / REFERENCE_AREA
    if train:
        count = max(1, int(rng.poisson(rng.uniform(20, 250) * area)))
        radius, blur = (4.0, float(rng.uniform(12, 45))), float(rng.uniform(2, 10))
        glow, soften = float(rng.uniform(0, 0.4)), float(rng.uniform(0, 1))
    else:
        count, radius, blur, glow, soften = max(1, round(120 * area)), (10.0, 35.0), 8.0, 0.3, 0.45
    sigmas = (soften, soften, 0)[: clean.ndim]
    view = np.clip(ndimage.gaussian_filter(clean, sigmas), 0, 1) if soften else clean
    return degrade.raindrops(view, count, radius=radius, blur=blur, glow=glow, seed=rng), {}


def _raindrops_mixed(clean: np.ndarray, rng: np.random.Generator, train: bool) -> tuple[np.ndarray, dict]:
    """Training: each sample's drops drawn half the time as :func:`_raindrops` (sharp view, from a
    few drops to a dense cover) and half as :func:`_raindrops_real` (dense, bright, softened view),
    so that one network learns both kinds; test: chapter 6's 30 drops, as :func:`_raindrops`."""
    if train and rng.uniform() < 0.5:
        return _raindrops_real(clean, rng, train)
    return _raindrops(clean, rng, train)


def blur_kernel(rng: np.random.Generator, train: bool) -> np.ndarray:
    """The kernel of one blurred sample, drawn first from its generator (so a non-blind method can
    be given the true one): training, half random camera-shake trajectories of 5-25 px
    (curvature 0-0.6) and half straight motions of 3-21 px at any angle; test, chapter 8's shake
    of 15 px (curvature 0.3)."""
    if not train:
        return degrade.random_motion_kernel(15.0, 0.3, seed=rng)
    if rng.uniform() < 0.5:
        return degrade.random_motion_kernel(float(rng.uniform(5, 25)), float(rng.uniform(0, 0.6)), seed=rng)
    return degrade.linear_motion_kernel(float(rng.uniform(3, 21)), float(rng.uniform(0, 180)))


def _motion_blur(clean: np.ndarray, rng: np.random.Generator, train: bool) -> tuple[np.ndarray, dict]:
    """Uniform motion blur with the kernel of :func:`blur_kernel` and Gaussian noise after it
    (sigma 0-2 on the 0-255 scale in training, chapter 8's 1 at test), clipped like a photograph."""
    kernel = blur_kernel(rng, train)
    sigma = float(rng.uniform(0, 2)) if train else 1.0
    return degrade.motion_blur(clean, kernel, noise_sigma=sigma, seed=rng), {"kernel": kernel}


def depth_proxy(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A stand-in for scene depth, since the photographs have none: a ramp in a random direction
    mixed with a smooth random field (Gaussian noise blurred over 5-25 % of the image side),
    rescaled to run from a random near (0-0.4) to a random far (0.6-1)."""
    h, w = shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    rows, cols = np.mgrid[0:1:complex(0, h), 0:1:complex(0, w)]
    ramp = _unit(cols * np.cos(angle) + rows * np.sin(angle))
    field = _unit(ndimage.gaussian_filter(rng.normal(size=(h, w)), rng.uniform(0.05, 0.25) * max(h, w)))
    mix = rng.uniform()
    near, far = rng.uniform(0, 0.4), rng.uniform(0.6, 1.0)
    return near + (far - near) * _unit(mix * ramp + (1 - mix) * field)


def _unit(values: np.ndarray) -> np.ndarray:
    """``values`` rescaled to [0, 1] (a constant map becomes zeros)."""
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def _haze(clean: np.ndarray, rng: np.random.Generator, train: bool) -> tuple[np.ndarray, dict]:
    """The scattering model of chapter 6; training: depth from :func:`depth_proxy`, scattering
    beta 0.4-2.0 and a grey airlight 0.7-1.0 (RESIDE's range); test: chapter 6's haze (beta 1,
    airlight 0.9, depth a ramp from 1 at the top to 0.2 at the bottom)."""
    beta, airlight, depth = 1.0, 0.9, degrade.ramp_depth(clean.shape)
    if train:
        beta, airlight = float(rng.uniform(0.4, 2.0)), float(rng.uniform(0.7, 1.0))
        depth = depth_proxy(clean.shape, rng)
    return degrade.haze(clean, beta, airlight, depth), {"transmission": degrade.transmission(depth, beta)}


DEGRADATIONS: dict[str, Degradation] = {"raindrops": _raindrops, "raindrops-real": _raindrops_real,
                                         "raindrops-mixed": _raindrops_mixed,
                                         "motion-blur": _motion_blur, "haze": _haze}


class DegradedPhotos(PairedDataset):
    """Clean photographs (``CBSD68/*.png``, ``Kodak24/*.png``, ``PolyU_cropped/*_mean.JPG``) with a
    synthetic ``degradation`` (a key of ``DEGRADATIONS``).

    ``train``: every photograph but the eight held-out Kodak ones (kodim17-24) and the PolyU crops
    of the paper's ten test scenes, as random crops; ``test``: kodim17-24, whole, each with the
    degradation drawn from a fixed seed. ``bgr=True`` returns channels in BGR order (the order
    the release fed DuRN-S-P). Photograph sets that are absent are skipped; none at all is an error.
    """

    title, folder, key, splits, crop = "Degraded photographs", ".", "photos", ("train", "test"), 128

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        crop_size: int | None = None,
        degradation: str = "raindrops",
        bgr: bool = False,
        limit: int | None = None,
    ) -> None:
        if degradation not in DEGRADATIONS:
            raise ValueError(f"unknown degradation {degradation!r}; valid: {', '.join(DEGRADATIONS)}")
        self.degradation, self.bgr = degradation, bgr
        fetch = f"`durn-teach data fetch kodak24 --root {data_root(root)}`" + (
            "" if split == "test" else " (and cbsd68, polyu)")
        if split in self.splits and not data_root(root).is_dir():
            raise FileNotFoundError(f"{self.title}: the data root {data_root(root)} does not exist; "
                                    f"fetch the photographs with {fetch}")
        super().__init__(root, split, crop_size, limit)
        if not self.items:
            expected = "Kodak24/kodim17-24.png" if split == "test" else \
                "Kodak24/kodim*.png, CBSD68/*.png or PolyU_cropped/*_mean.JPG"
            raise FileNotFoundError(
                f"{self.title}: no photographs for split {split!r} under {self.root} (expected "
                f"{expected}); fetch them with {fetch}"
            )

    def build_items(self) -> list[Item]:
        kodak = sorted((self.root / "Kodak24").glob("kodim*.png"))
        if self.split == "test":
            return [Item(p.name, p) for p in kodak if p.name in KODAK_TEST]
        polyu_test = {n.removesuffix("_mean.JPG") for n in split_names("RealNoiseHKPoly", "test")}
        photos = [p for p in kodak if p.name not in KODAK_TEST]
        photos += sorted((self.root / "CBSD68").glob("*.png"))
        photos += [p for p in sorted((self.root / "PolyU_cropped").glob("*_mean.JPG"))
                   if polyu_scene(p.name) not in polyu_test]
        return [Item(f"{p.parent.name}/{p.name}", p) for p in photos]

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        degraded, clean, _ = self.sample(item, rng)
        return degraded, clean

    def sample(self, item: Item, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(degraded, clean, known): ``known`` holds what a non-blind method may be told (the
        blur kernel; for haze, the transmission map), in the image's own orientation."""
        clean = self.read(item.clean)
        if self.train:
            (clean,) = random_crop([clean], self.crop_size, rng)
        else:  # the same degradation of this image in every run
            rng = np.random.default_rng([20190601, self.items.index(item)])
        degraded, known = DEGRADATIONS[self.degradation](np.ascontiguousarray(clean), rng, self.train)
        degraded = np.asarray(degraded, dtype=np.float32)
        if self.bgr:
            return degraded[..., ::-1], clean[..., ::-1], known
        return degraded, clean, known

    def known(self, key: int | tuple[int, int]) -> dict[str, np.ndarray]:
        """What a non-blind method may be told about sample ``key`` (as for ``self[key]``)."""
        index, rng = sample_rng(key)
        return self.sample(self.items[index], rng)[2]
