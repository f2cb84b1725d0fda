"""Tiny fabricated dataset trees in the release's layouts (synthetic images, for the loader tests).

A clean image of base level ``c`` is ``c`` plus a small diagonal ramp; its degraded variant ``k``
is the clean image plus ``k`` grey levels. So a loaded pair tells which image and which variant
it came from (``degraded - clean == k``), and whether the two crops are aligned (the ramp
cancels only then).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from durn_teach.data import split_names

H, W = 40, 48  # every fabricated image (before any crop or resize)


def clean(level: int, h: int = H, w: int = W, channels: int = 3) -> np.ndarray:
    ramp = (np.arange(h)[:, None] + np.arange(w)[None, :]) % 8
    image = (level + ramp).astype(np.uint8)
    return np.repeat(image[..., None], channels, axis=2) if channels > 1 else image


def save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        Image.fromarray(array).save(path, quality=100, subsampling=0)
    else:
        Image.fromarray(array).save(path)


def first(folder: str, split: str, n: int = 2) -> list[str]:
    return split_names(folder, split)[:n]


def bsd_gray(root: Path) -> None:
    for i, name in enumerate(first("BSD_gray", "train")):
        save(root / "BSD_gray" / "train_and_val" / name, clean(60 + 20 * i, channels=1))
    for i, name in enumerate(first("BSD_gray", "test")):
        save(root / "BSD_gray" / "test" / name, clean(100 + 20 * i, channels=1))


def dncnn_sets(root: Path) -> None:
    for folder, names in (
        ("BSD68", ["test001.png", "test002.png"]),
        ("Set12", ["01.png", "02.png"]),
        ("Train400", ["test_001.png", "test_002.png"]),
    ):
        for i, name in enumerate(names):
            save(root / folder / name, clean(80 + 10 * i, channels=1))


def polyu(root: Path) -> None:
    for split in ("train", "test"):
        for i, name in enumerate(first("RealNoiseHKPoly", split)):
            base = root / "RealNoiseHKPoly" / "OriginalImages"
            save(base / name, clean(50 + 10 * i))
            save(base / name.replace("_mean.JPG", "_Real.JPG"), clean(50 + 10 * i) + 5)
    for i, name in enumerate(first("RealNoiseHKPoly", "test1")):
        save(root / "RealNoiseHKPoly" / "test1" / name, clean(150 + 10 * i))
        save(
            root / "RealNoiseHKPoly" / "test1" / name.replace("_mean.PNG", "_real.PNG"),
            clean(150 + 10 * i) + 5,
        )
    for i, stem in enumerate(
        ["Canon5D2_5_160_3200_chair_11", "Sony_4-5_125_1600_toy_2", "NikonD800_6-3_125_5000_plant__4"]
    ):
        save(root / "PolyU_cropped" / f"{stem}_mean.JPG", clean(90 + 10 * i))
        save(root / "PolyU_cropped" / f"{stem}_real.JPG", clean(90 + 10 * i) + 5)


def gopro(root: Path) -> None:
    for split in ("train", "test"):
        for i, name in enumerate(first("GoPro", split)):
            sequence, frame = name.split("/")
            save(root / "GoPro" / split / sequence / "sharp" / frame, clean(40 + 10 * i))
            save(root / "GoPro" / split / sequence / "blur" / frame, clean(40 + 10 * i) + 7)


def car(root: Path) -> None:
    for i, name in enumerate(first("CarDataset", "test")):
        save(root / "CarDataset" / "sharp" / name, clean(70 + 10 * i))
        save(root / "CarDataset" / "blurred" / name, clean(70 + 10 * i) + 7)


def reside(root: Path) -> None:
    for split, folder in (("train", "indoor_train"), ("test", "sots_indoor_test")):
        for i, name in enumerate(first("RESIDE", split)):
            stem = name.removesuffix(".png")
            save(root / "RESIDE" / folder / "labels" / name, clean(30 + 20 * i))
            for k in range(1, 11):
                save(root / "RESIDE" / folder / "images" / f"{stem}_{k}.png", clean(30 + 20 * i) + k)


def dcpdn(root: Path) -> None:
    for split, folder in (("train", "train512"), ("test", "TestA")):
        for i, name in enumerate(first("DCPDNData", split)):
            path = root / "DCPDNData" / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            gt = clean(60 + 20 * i).astype(np.float32) / 255
            with h5py.File(path, "w") as f:
                f["ato"] = np.ones_like(gt)
                f["gt"] = gt
                f["haze"] = gt * 0.5 + 0.25
                f["trans"] = np.full_like(gt, 0.5)


def raindrop(root: Path) -> None:
    colour = np.zeros((H + 2, W + 3, 3), np.uint8)
    colour[..., 0], colour[..., 1], colour[..., 2] = 200, 100, 50  # RGB
    for split, ext in (("train", "png"), ("test_a", "png"), ("test_b", "jpg")):
        for name in first("RainDrop", split):
            save(root / "RainDrop" / split / "gt" / f"{name}_clean.{ext}", colour)
            save(root / "RainDrop" / split / "data" / f"{name}_rain.{ext}", colour + 4)


def side_by_side(level: int, k: int) -> np.ndarray:
    return np.concatenate([clean(level) + k, clean(level)], axis=1)  # rainy left, clean right


def did_mdn(root: Path) -> None:
    for i, name in enumerate(first("DIDMDN_Data", "train")):
        for k, density in enumerate(("Rain_Heavy", "Rain_Medium", "Rain_Light"), start=1):
            save(
                root / "DIDMDN_Data" / "train" / density / "train2018new" / name,
                side_by_side(60 + 30 * i, 4 * k),
            )
    for i, name in enumerate(first("DIDMDN_Data", "test")):
        save(root / "DIDMDN_Data" / "test" / name, side_by_side(60 + 30 * i, 4))


def ddn(root: Path) -> None:
    for split in ("train", "test", "train_b", "test_b"):
        for i, name in enumerate(first("DDN_Data", split)):
            stem = name.removesuffix(".jpg")
            save(root / "DDN_Data" / "label" / name, clean(20 + 20 * i))
            for k in range(1, 15):
                save(root / "DDN_Data" / "rain_image" / f"{stem}_{k}.jpg", clean(20 + 20 * i) + 3 * k)


TREES = {
    "bsd-gray": bsd_gray,
    "dncnn-sets": dncnn_sets,
    "polyu": polyu,
    "gopro": gopro,
    "car": car,
    "reside": reside,
    "dcpdn": dcpdn,
    "raindrop": raindrop,
    "did-mdn": did_mdn,
    "ddn": ddn,
}
