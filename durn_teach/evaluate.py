"""Evaluate a network the way the paper computed its tables (Liu et al., CVPR 2019, Sec. 5).

Every protocol runs the network on whole test images, one at a time, and scores the result
with ``durn_teach.metrics``: clipped to [0, 1], scaled by 255, truncated to 8 bits, then
scikit-image's PSNR and SSIM in the dataset's colour space (gray, RGB or the Y of YCrCb); the
DCPDN test compares float images with data range 1. Datasets with several degraded versions
of each image (SOTS: 10 hazy, DDN: 14 rainy) score every version and average them all.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from durn_teach.data import BUILTIN_NAMES, builtin_image, get_dataset
from durn_teach.inference import restore
from durn_teach.metrics import float_psnr_ssim, paper_psnr_ssim, quantise
from durn_teach.sampling import fixed_seed_noise
from durn_teach.train.data import _builtin_degradation


@dataclass(frozen=True)
class Protocol:
    """How the paper tested one network on one test set, and the numbers it published."""

    name: str
    task: str
    network: str
    dataset: str
    split: str
    space: str
    published: dict[float | None, tuple[float, float]]
    float_metric: bool = False
    bgr: bool = False
    sigmas: tuple[float, ...] = ()
    note: str = ""
    options: dict[str, Any] = field(default_factory=dict)


COMMON_SIGMAS = (15, 25, 30, 50, 70)  # the levels most denoising papers report on BSD68 and Set12
PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in [
        Protocol("bsd-gray", "Gaussian noise", "DuRN-P", "bsd-gray", "test", "gray",
                 {30: (28.49, 0.8158), 50: (26.36, 0.7355), 70: (25.06, 0.6761)}, sigmas=(30, 50, 70),
                 note="BSD gray test (200 images), noise with the release's fixed seed, not clipped"),
        Protocol("bsd68", "Gaussian noise", "DuRN-P", "bsd68", "test", "gray", {}, sigmas=COMMON_SIGMAS,
                 note="BSD68, noise with the release's fixed seed (not in the paper's tables)"),
        Protocol("set12", "Gaussian noise", "DuRN-P", "set12", "test", "gray", {}, sigmas=COMMON_SIGMAS,
                 note="Set12, noise with the release's fixed seed (not in the paper's tables)"),
        Protocol("polyu", "real-world noise", "DuRN-P-no-norm", "polyu", "test1", "rgb",
                 {None: (36.83, 0.9636)}, note="the 100 crops of the 10 test scenes"),
        Protocol("polyu-crops", "real-world noise", "DuRN-P-no-norm", "polyu-crops", "test", "rgb", {},
                 note="the official 512x512 crops of the 10 test scenes (27 images); the paper's "
                 "36.83 / 0.9636 is on the release's 100 crops of these scenes (polyu)"),
        Protocol("gopro", "motion blur", "DuRN-U", "gopro", "test", "rgb", {None: (29.90, 0.9101)},
                 note="inputs resized to 640x360"),
        Protocol("car", "motion blur", "DuRN-U", "car", "test", "rgb", {None: (29.23, 0.8805)},
                 note="resized to 360x360"),
        Protocol("blur-synthetic", "motion blur", "DuRN-U", "photos", "test", "rgb", {},
                 options={"degradation": "motion-blur"},
                 note="kodim17-24, each blurred by chapter 8's 15 px camera shake of a fixed seed, noise "
                 "sigma 1 (synthetic data; not in the paper's tables)"),
        Protocol("sots-indoor", "haze", "DuRN-US", "reside", "test", "rgb", {None: (32.12, 0.9803)},
                 note="all 10 hazy versions of each image"),
        Protocol("sots-examples", "haze", "DuRN-US", "sots-examples", "all", "rgb", {},
                 note="eight real SOTS pairs: indoor image 1400 at six haze levels and two outdoor "
                 "images, whole (not in the paper's tables)"),
        Protocol("haze-synthetic", "haze", "DuRN-US", "photos", "test", "rgb", {},
                 options={"degradation": "haze"},
                 note="kodim17-24 with chapter 6's haze: beta 1, airlight 0.9, depth a ramp from 1 at "
                 "the top to 0.2 at the bottom (synthetic data; not in the paper's tables)"),
        Protocol("dcpdn-testa", "haze", "DuRN-US", "dcpdn", "test", "rgb", {None: (32.60, 0.9828)},
                 float_metric=True, note="float images, data range 1"),
        Protocol("raindrop-a", "raindrops", "DuRN-S-P", "raindrop", "test_a", "y", {None: (31.24, 0.9259)},
                 bgr=True, note="cropped to multiples of 4; the network sees BGR"),
        Protocol("raindrop-b", "raindrops", "DuRN-S-P", "raindrop", "test_b", "y", {None: (25.32, 0.8174)},
                 bgr=True, note="cropped to multiples of 4; the network sees BGR"),
        Protocol("raindrop-real", "raindrops", "DuRN-S-P", "raindrop-examples", "all", "y", {}, bgr=True,
                 note="four real RainDrop pairs (examples of its training split) cropped to multiples "
                 "of 4; the network sees BGR (not in the paper's tables)"),
        Protocol("raindrop-synthetic", "raindrops", "DuRN-S-P", "photos", "test", "y", {}, bgr=True,
                 options={"degradation": "raindrops"},
                 note="kodim17-24 with chapter 6's 30 synthetic drops of a fixed seed (synthetic data)"),
        Protocol("raindrop-dense", "raindrops", "DuRN-S-P", "photos", "test", "y", {}, bgr=True,
                 options={"degradation": "raindrops-real"},
                 note="kodim17-24 with dense, bright synthetic drops of a fixed seed, matched to the real "
                 "RainDrop pairs (synthetic data)"),
        Protocol("rain100l", "rain streaks", "DuRN-S", "rain100l", "test", "y", {},
                 note="the 20 Rain100L pairs held out, by background, from the course's training side "
                 "(not in the paper's tables)"),
        Protocol("rain100h", "rain streaks", "DuRN-S", "rain100h", "test", "y", {},
                 note="Rain100H, heavy rain: the pairs present (not in the paper's tables)"),
        Protocol("did-mdn", "rain streaks", "DuRN-S", "did-mdn", "test", "y", {None: (33.21, 0.9251)}),
        Protocol("ddn", "rain streaks", "DuRN-S", "ddn", "test", "y", {None: (31.30, 0.9194)},
                 note="all 14 rainy versions; the release's random split"),
        Protocol("ddn-1-650", "rain streaks", "DuRN-S", "ddn", "test_b", "y", {None: (30.61, 0.9136)},
                 note="all 14 rainy versions; split 1-650 / 651-1000"),
    ]
}


REAL = "real"  # the results key of a real-noise protocol: one level, the camera's
# the shipped checkpoints' test sets, where ``durn-teach pretrained export`` says to score them
SCORED_ON = {"DuRN-P": "bsd68", "DuRN-P-no-norm": "polyu-crops", "DuRN-S": "rain100l",
             "DuRN-S-P": "raindrop-real"}


def level_label(key: str) -> str:
    """How a results key reads: ``sigma 50`` for a Gaussian level, ``real noise`` for ``REAL``,
    other keys (``synthetic`` of the restoration tasks) as they are."""
    if key == REAL:
        return "real noise"
    return f"sigma {key}" if key.replace(".", "", 1).isdigit() else key


def get_protocol(name: str, sigma: float | None = None) -> Protocol:
    """The protocol ``name``; the Gaussian ones need ``sigma`` (one of the protocol's levels)."""
    if name not in PROTOCOLS:
        raise ValueError(f"unknown test protocol {name!r}; the protocols are: {', '.join(PROTOCOLS)}")
    protocol = PROTOCOLS[name]
    if protocol.sigmas and sigma is None:
        levels = ", ".join(f"{s:g}" for s in protocol.sigmas)
        raise ValueError(f"the protocol {name!r} needs a noise level: sigma= (--sigma) one of {levels}")
    if not protocol.sigmas and sigma is not None:
        raise ValueError(f"the protocol {name!r} has no noise level to choose; leave sigma (--sigma) out")
    return protocol


def test_set(protocol: Protocol, root: str | Path | None = None, sigma: float | None = None,
             limit: int | None = None) -> Dataset:
    """The protocol's test images from ``durn_teach.data`` (whole images, with names)."""
    options = dict(protocol.options)
    if protocol.sigmas:
        options["sigma"] = sigma
    if protocol.bgr:
        options["bgr"] = True
    return get_dataset(protocol.dataset, root=root, split=protocol.split, limit=limit, **options)


class BuiltinTestSet(Dataset):
    """Synthetic test pairs: the centre of scikit-image's photographs with a synthetic degradation.

    Stands in for a protocol's test set where the dataset is absent (labelled synthetic): the
    Gaussian protocols add the release's fixed-seed noise, the others the training harness's
    synthetic stand-in for their dataset, each image with a fixed seed.
    """

    def __init__(self, protocol: Protocol, sigma: float | None = None, names: tuple[str, ...] = (),
                 size: int = 128) -> None:
        self.channels = 1 if protocol.space == "gray" else 3
        self.names = tuple(names) or BUILTIN_NAMES[:4]
        self.clean = []
        for name in self.names:
            image = builtin_image(name, self.channels)
            top, left = ((side - min(size, side)) // 2 for side in image.shape[:2])
            crop = image[top : top + size, left : left + size]
            self.clean.append(crop[: crop.shape[0] // 4 * 4, : crop.shape[1] // 4 * 4])
        if protocol.sigmas:
            self.degrade: Callable = lambda clean, rng: fixed_seed_noise(clean, sigma)
        else:
            train_data = {"reside": "reside", "car": "gopro"}.get(protocol.dataset, protocol.dataset)
            self.degrade = _builtin_degradation(train_data, protocol.options)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, str]:
        clean = self.clean[index]
        degraded = np.asarray(self.degrade(clean, np.random.default_rng(index)), dtype=np.float32)
        to = (lambda a: torch.from_numpy(np.ascontiguousarray(a))[None]) if clean.ndim == 2 else \
            (lambda a: torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1))
        return to(degraded), to(clean), f"{self.names[index]} (synthetic)"


def as_image(tensor: torch.Tensor) -> np.ndarray:
    """A CxHxW tensor as an HxW (one channel) or HxWxC float32 array."""
    array = tensor.detach().cpu().float().numpy()
    return array[0] if array.shape[0] == 1 else np.ascontiguousarray(array.transpose(1, 2, 0))


def evaluate(
    model: nn.Module | Callable[[np.ndarray], np.ndarray],
    protocol: Protocol | str,
    *,
    sigma: float | None = None,
    root: str | Path | None = None,
    dataset: Dataset | None = None,
    limit: int | None = None,
    save_dir: str | Path | None = None,
    tile: int | None = None,
    amp: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``model`` on a protocol's test set; returns a plain dict with per-image rows.

    ``model`` is a network, or any function from a degraded image (HxW or HxWxC float32
    array) to its restoration, such as a classical method (``durn_teach.compare``).
    ``dataset`` (items ``(degraded, clean, name)``) replaces the protocol's test set, for
    instance a :class:`BuiltinTestSet`. ``save_dir`` keeps every restored image as the 8-bit
    PNG the metric saw. ``tile`` restores each image in blended tiles of that size; ``amp``
    (``"bfloat16"``, ``"float16"`` or ``"auto"``) runs a network under autocast, as ``restore`` does.
    The result: ``protocol``, ``network``, ``space``, ``sigma``, ``images``, mean ``psnr`` and
    ``ssim``, the ``published`` pair (or None), and ``rows`` (``name``, ``psnr``, ``ssim``).
    """
    protocol = get_protocol(protocol, sigma) if isinstance(protocol, str) else protocol
    if dataset is None:
        dataset = test_set(protocol, root, sigma, limit)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    if count == 0:
        raise ValueError(f"the test set of {protocol.name!r} is empty")
    options: dict[str, Any] = {"tile": tile} if tile is not None else {}
    if amp is not None:
        options["amp"] = amp
    if save_dir is not None:
        save_dir = Path(save_dir)
        save_dir.mkdir(parents=True, exist_ok=True)
    indices: Any = range(count)
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc=protocol.name, unit="image")
    rows = []
    for index in indices:
        degraded, clean, name = dataset[index][:3]
        image = as_image(degraded)
        if isinstance(model, nn.Module):
            restored = restore(model, image, colour_order="bgr" if protocol.bgr else "rgb", clip=False,
                               **options)  # raw: each protocol's metric clips (or not) as the paper did
        else:
            restored = np.asarray(model(image), dtype=np.float32)
        clean_image = as_image(clean)
        if protocol.bgr:  # the network saw BGR; the metric reads RGB
            restored, clean_image = restored[..., ::-1], clean_image[..., ::-1]
        restored = np.ascontiguousarray(restored)
        clean_image = np.ascontiguousarray(clean_image)
        if protocol.float_metric:
            psnr, ssim = float_psnr_ssim(restored, clean_image, protocol.space)
        else:
            psnr, ssim = paper_psnr_ssim(restored, clean_image, protocol.space)
        rows.append({"name": str(name), "psnr": psnr, "ssim": ssim})
        if save_dir is not None:
            from PIL import Image

            stem = Path(str(name).replace("/", "_").replace(" ", "_")).stem
            Image.fromarray(quantise(restored)).save(save_dir / f"{stem}.png")
    return {
        "protocol": protocol.name,
        "network": protocol.network,
        "space": protocol.space,
        "sigma": sigma,
        "images": len(rows),
        "psnr": float(np.mean([r["psnr"] for r in rows])),
        "ssim": float(np.mean([r["ssim"] for r in rows])),
        "published": protocol.published.get(sigma if protocol.sigmas else None),
        "rows": rows,
    }


def format_table(result: dict[str, Any], rows: bool = True) -> str:
    """The result as a text table: one line per image, then the mean and the published numbers."""
    lines = []
    width = max([len(r["name"]) for r in result["rows"]] + [len("published (paper)")])
    title = f"{result['protocol']}" + (f", sigma {result['sigma']:g}" if result["sigma"] is not None else "")
    lines.append(f"{title}: {result['network']}, metric in {result['space']}, {result['images']} images")
    lines.append(f"{'image':<{width}}  {'PSNR':>7}  {'SSIM':>6}")
    if rows:
        lines += [f"{r['name']:<{width}}  {r['psnr']:7.2f}  {r['ssim']:6.4f}" for r in result["rows"]]
    lines.append(f"{'mean':<{width}}  {result['psnr']:7.2f}  {result['ssim']:6.4f}")
    if result["published"] is not None:
        psnr, ssim = result["published"]
        lines.append(f"{'published (paper)':<{width}}  {psnr:7.2f}  {ssim:6.4f}")
    return "\n".join(lines)


def write_csv(result: dict[str, Any], path: str | Path) -> Path:
    """The per-image rows and the mean (and the published numbers) as CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["protocol", "sigma", "image", "psnr", "ssim"])
        sigma = "" if result["sigma"] is None else result["sigma"]
        for row in result["rows"]:
            writer.writerow([result["protocol"], sigma, row["name"], f"{row['psnr']:.4f}",
                             f"{row['ssim']:.6f}"])
        writer.writerow([result["protocol"], sigma, "mean", f"{result['psnr']:.4f}", f"{result['ssim']:.6f}"])
        if result["published"] is not None:
            writer.writerow([result["protocol"], sigma, "published", *result["published"]])
    return path
