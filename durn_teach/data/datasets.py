"""One Dataset per dataset of the paper, reading its distributed layout with the paper's splits."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from durn_teach.data.base import Item, PairedDataset, read_image
from durn_teach.names import polyu_scene, split_names
from durn_teach.sampling import (
    PAPER_SIGMAS,
    crop_to_multiple,
    draw_variant,
    fixed_seed_noise,
    gaussian_noise,
    random_crop,
    random_flip,
    resize,
)


class _GaussianDenoising(PairedDataset):
    """Clean gray images; the noise is added here (training: sigma drawn from ``sigmas``;
    test: ``sigma`` with the release's fixed seed). The release reads RGB and keeps channel 0."""

    crop = 64

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        crop_size: int | None = None,
        sigmas: Sequence[float] = PAPER_SIGMAS,
        sigma: float | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(root, split, crop_size, limit)
        if not self.train and sigma is None:
            raise ValueError(f"{self.title} {split}: pass sigma=, the noise level to test (paper: 30/50/70)")
        self.sigmas, self.sigma = tuple(sigmas), sigma

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        clean = self.read(item.clean)[..., 0]
        if not self.train:
            return fixed_seed_noise(clean, self.sigma), clean
        (clean,) = random_crop([clean], self.crop_size, rng)
        return gaussian_noise(clean, rng, self.sigmas), clean


class BSDGray(_GaussianDenoising):
    """BSD gray: BSDS500's 300 train+val and 200 test images (``BSD_gray/{train_and_val,test}/<id>.png``).

    Training: random 64x64 crops, sigma drawn per image from {30, 50, 70}, noise not clipped.
    Test: whole images with ``sigma`` and the release's fixed seed.
    """

    title, folder, key, splits = "BSD gray", "BSD_gray", "bsd-gray", ("train", "test")

    def build_items(self) -> list[Item]:
        sub = "train_and_val" if self.split == "train" else "test"
        return [Item(name, self.path / sub / name) for name in split_names(self.folder, self.split)]


class _FolderSet(_GaussianDenoising):
    """A folder of clean gray PNGs as distributed with DnCNN, in sorted order."""

    key = "dncnn-sets"

    def __init__(self, root: str | os.PathLike | None = None, split: str | None = None, **kwargs) -> None:
        super().__init__(root, split or self.splits[0], **kwargs)

    def build_items(self) -> list[Item]:
        return [Item(p.name, p) for p in sorted(self.path.glob("*.png"))]


class BSD68(_FolderSet):
    """BSD68: 68 gray test images (``BSD68/*.png``), with ``sigma`` and the release's fixed seed."""

    title, folder, splits, train_splits = "BSD68", "BSD68", ("test",), ()


class Set12(_FolderSet):
    """Set12: 12 classic gray test images (``Set12/*.png``), with ``sigma`` and the release's fixed seed."""

    title, folder, splits, train_splits = "Set12", "Set12", ("test",), ()


class Train400(_FolderSet):
    """Train400: 400 gray 180x180 training images of BSD (``Train400/*.png``), sampled as BSD gray."""

    title, folder, splits = "Train400", "Train400", ("train",)


class _CameraNoise(PairedDataset):
    """Real noisy photographs and their clean versions: random crops of both for training."""

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        noisy, clean = self.read(item.degraded[0]), self.read(item.clean)
        if self.train:
            noisy, clean = random_crop([noisy, clean], self.crop_size, rng)
        return noisy, clean


class PolyU(_CameraNoise):
    """PolyU real-world noise, as the release arranged it (``RealNoiseHKPoly/``).

    ``train``: the paper's 30 full-size scenes (``OriginalImages/<scene>_{Real,mean}.JPG``), random
    128x128 crops. ``test``: the 10 held-out full-size scenes. ``test1``: the release's 100
    512x512 crops of the test scenes (``test1/<scene>_<k>_{real,mean}.PNG``), the published protocol.
    """

    title, folder, key, splits, crop = "PolyU", "RealNoiseHKPoly", "polyu", ("train", "test", "test1"), 128

    def build_items(self) -> list[Item]:
        items = []
        for name in split_names(self.folder, self.split):
            if self.split == "test1":
                noisy = self.path / "test1" / name.replace("_mean.PNG", "_real.PNG")
                items.append(Item(name, self.path / "test1" / name, (noisy,)))
            else:
                noisy = self.path / "OriginalImages" / name.replace("_mean.JPG", "_Real.JPG")
                items.append(Item(name, self.path / "OriginalImages" / name, (noisy,)))
        return items


class PolyUCrops(_CameraNoise):
    """The official 100 PolyU crops (``PolyU_cropped/*_{real,mean}.JPG``), split by scene.

    ``all``: the 100 crops; ``test``: those of the paper's 10 test scenes (whole 512x512 images
    with names; the release's own test crops are :class:`PolyU` ``test1``); ``train``: the crops
    of the other scenes, as random 128x128 crops (the paper's real-noise crop, Sec. 5.1).
    """

    title, folder, key, crop = "PolyU crops", "PolyU_cropped", "polyu", 128
    splits = ("all", "train", "test")

    def build_items(self) -> list[Item]:
        test = {n.removesuffix("_mean.JPG") for n in split_names("RealNoiseHKPoly", "test")}
        items = []
        for clean in sorted(self.path.glob("*_mean.JPG")):
            in_test = polyu_scene(clean.name) in test
            if self.split == "all" or in_test == (self.split == "test"):
                noisy = clean.with_name(clean.name.replace("_mean.", "_real."))
                items.append(Item(clean.name, clean, (noisy,)))
        return items


class GoPro(PairedDataset):
    """GoPro (``GoPro/{train,test}/<sequence>/{blur,sharp}/<frame>.png``): every image resized to
    640x360 first (``resize``), then random 256x256 crops for training; whole images for test."""

    title, folder, key, splits, crop = "GoPro", "GoPro", "gopro", ("train", "test"), 256

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str = "train",
        crop_size: int | None = None,
        resize_to: tuple[int, int] | None = (640, 360),
        limit: int | None = None,
    ) -> None:
        super().__init__(root, split, crop_size, limit)
        self.resize_to = resize_to

    def build_items(self) -> list[Item]:
        items = []
        for name in split_names(self.folder, self.split):
            sequence, frame = name.split("/")
            base = self.path / self.split / sequence
            items.append(Item(name, base / "sharp" / frame, (base / "blur" / frame,)))
        return items

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        blur, sharp = (read_image(p, self) for p in (item.degraded[0], item.clean))
        if self.resize_to is not None:
            blur, sharp = resize(blur, self.resize_to), resize(sharp, self.resize_to)
        blur, sharp = blur.astype(np.float32) / 255.0, sharp.astype(np.float32) / 255.0
        if self.train:
            blur, sharp = random_crop([blur, sharp], self.crop_size, rng)
        return blur, sharp


class CarDataset(GoPro):
    """The Car dataset (``CarDataset/{blurred,sharp}/<n>.png``): test only, resized to 360x360."""

    title, folder, key, splits, train_splits = "Car dataset", "CarDataset", "car", ("test",), ()

    def __init__(self, root: str | os.PathLike | None = None, split: str = "test",
                 resize_to: tuple[int, int] | None = (360, 360), limit: int | None = None) -> None:
        super().__init__(root, split, None, resize_to, limit)

    def build_items(self) -> list[Item]:
        names = split_names(self.folder, self.split)
        return [Item(n, self.path / "sharp" / n, (self.path / "blurred" / n,)) for n in names]


class _Variants(PairedDataset):
    """Clean images with several degraded versions: training draws one per image; test returns
    every version as its own item, named ``<id>_<k>``."""

    variants: tuple[str, ...]
    extension = ".png"

    def files(self, name: str) -> tuple[Path, list[Path]]:
        raise NotImplementedError

    def build_items(self) -> list[Item]:
        items = []
        for name in split_names(self.folder, self.split):
            clean, versions = self.files(name)
            if self.train:
                items.append(Item(name, clean, tuple(versions)))
            else:
                stem = name.removesuffix(self.extension)
                for k, version in zip(self.variants, versions, strict=True):
                    items.append(Item(f"{stem}_{k}{self.extension}", clean, (version,)))
        return items

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        degraded = self.read(draw_variant(item.degraded, rng))
        clean = self.read(item.clean)
        if self.train:
            degraded, clean = random_crop([degraded, clean], self.crop_size, rng)
        return degraded, clean


class RESIDEIndoor(_Variants):
    """RESIDE indoor (``RESIDE/{indoor_train,sots_indoor_test}/{labels/<id>.png,images/<id>_<1..10>.png}``).

    ``train``: ITS, one of the 10 hazy versions drawn per image, random 256x256 crops.
    ``test``: SOTS indoor, all 10 hazy versions of each of the 50 images (500 items).
    """

    title, folder, key, splits, crop = "RESIDE indoor", "RESIDE", "reside", ("train", "test"), 256
    variants = tuple(str(k) for k in range(1, 11))

    def files(self, name: str) -> tuple[Path, list[Path]]:
        base = self.path / ("indoor_train" if self.split == "train" else "sots_indoor_test")
        stem = name.removesuffix(".png")
        return base / "labels" / name, [base / "images" / f"{stem}_{k}.png" for k in self.variants]


class DDN(_Variants):
    """DDN data (``DDN_Data/{label/<n>.jpg,rain_image/<n>_<1..14>.jpg}``), for rain streaks.

    ``train``/``test``: the release's random split (650/349 images); ``train_b``/``test_b``:
    images 1-650 / 651-1000. Training draws one of the 14 rainy versions per image, random 64x64
    crops, random left-right flips; test returns all 14 versions of every image.
    """

    title, folder, key, crop = "DDN", "DDN_Data", "ddn", 64
    splits, train_splits = ("train", "test", "train_b", "test_b"), ("train", "train_b")
    variants, extension = tuple(str(k) for k in range(1, 15)), ".jpg"

    def files(self, name: str) -> tuple[Path, list[Path]]:
        stem = name.removesuffix(".jpg")
        rainy = [self.path / "rain_image" / f"{stem}_{k}.jpg" for k in self.variants]
        return self.path / "label" / name, rainy

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rainy, clean = super().pair(item, rng)
        return tuple(random_flip([rainy, clean], rng)) if self.train else (rainy, clean)


class DIDMDN(PairedDataset):
    """DID-MDN (side-by-side pairs, rainy left, clean right), for rain streaks.

    ``train``: ``DIDMDN_Data/train/Rain_{Heavy,Medium,Light}/train2018new/<n>.jpg``, one density
    drawn per image, random 64x64 crops, random left-right flips. ``test``: ``DIDMDN_Data/test/<n>.jpg``.
    """

    title, folder, key, splits, crop = "DID-MDN", "DIDMDN_Data", "did-mdn", ("train", "test"), 64
    densities = ("Rain_Heavy", "Rain_Medium", "Rain_Light")

    def build_items(self) -> list[Item]:
        names = split_names(self.folder, self.split)
        if self.train:
            base = self.path / "train"
            return [Item(n, None, tuple(base / d / "train2018new" / n for d in self.densities))
                    for n in names]
        return [Item(n, None, (self.path / "test" / n,)) for n in names]

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        both = self.read(draw_variant(item.degraded, rng))
        half = both.shape[1] // 2
        rainy, clean = both[:, :half], both[:, half : 2 * half]
        if self.train:
            rainy, clean = random_flip(random_crop([rainy, clean], self.crop_size, rng), rng)
        return rainy, clean


class RainDrop(PairedDataset):
    """RainDrop (``RainDrop/{train,test_a,test_b}/{data/<n>_rain,gt/<n>_clean}.png``; test_b: .jpg).

    Channels in BGR order as the release fed its network (``bgr=False`` for RGB). ``train``: random
    256x256 crops; ``test_a``/``test_b``: whole images cropped to multiples of 4.
    """

    title, folder, key, splits, crop = "RainDrop", "RainDrop", "raindrop", ("train", "test_a", "test_b"), 256

    def __init__(self, root: str | os.PathLike | None = None, split: str = "train",
                 crop_size: int | None = None, bgr: bool = True, limit: int | None = None) -> None:
        super().__init__(root, split, crop_size, limit)
        self.bgr = bgr

    def build_items(self) -> list[Item]:
        ext = "jpg" if self.split == "test_b" else "png"
        base = self.path / self.split
        return [Item(n, base / "gt" / f"{n}_clean.{ext}", (base / "data" / f"{n}_rain.{ext}",))
                for n in split_names(self.folder, self.split)]

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rainy, clean = self.read(item.degraded[0]), self.read(item.clean)
        if self.bgr:
            rainy, clean = rainy[..., ::-1], clean[..., ::-1]
        if self.train:
            return tuple(random_crop([rainy, clean], self.crop_size, rng))
        return crop_to_multiple(rainy, 4), crop_to_multiple(clean, 4)


class RainDropExamples(RainDrop):
    """RainDrop pairs in one folder (``RainDrop_examples/{data/<n>_rain,gt/<n>_clean}.png``), every
    pair found: the four training examples distributed with attentive-gan-derainnet, for instance.
    Whole images cropped to multiples of 4, BGR as the release fed DuRN-S-P (``bgr=False``: RGB)."""

    title, folder, key = "RainDrop examples", "RainDrop_examples", "raindrop-examples"
    splits, train_splits = ("all",), ()

    def __init__(self, root: str | os.PathLike | None = None, split: str = "all", bgr: bool = True,
                 limit: int | None = None) -> None:
        super().__init__(root, split, None, bgr, limit)

    def build_items(self) -> list[Item]:
        rainy = sorted((self.path / "data").glob("*_rain.png"), key=lambda p: int(p.name.split("_")[0]))
        if not rainy:
            raise FileNotFoundError(f"{self.title}: no <n>_rain.png files in {self.path / 'data'}")
        return [Item(p.name.removesuffix("_rain.png"), self.path / "gt" / p.name.replace("_rain", "_clean"),
                     (p,)) for p in rainy]


class DCPDN(PairedDataset):
    """DCPDN data: h5 files with float ``haze`` and ``gt`` images in [0, 1]
    (``DCPDNData/{train512,TestA}/<n>.h5``). ``train``: random 256x256 crops; ``test``: TestA, whole."""

    title, folder, key, splits, crop = "DCPDN", "DCPDNData", "dcpdn", ("train", "test"), 256

    def build_items(self) -> list[Item]:
        sub = "train512" if self.split == "train" else "TestA"
        return [Item(n, self.path / sub / n) for n in split_names(self.folder, self.split)]

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        import h5py

        if not item.clean.is_file():
            raise FileNotFoundError(
                f"{self.title}: missing file {item.clean} (split {self.split!r}); fetch the dataset with "
                f"`durn-teach data fetch dcpdn --data-root {self.root}`"
            )
        try:
            with h5py.File(item.clean, "r") as f:
                if "haze" not in f or "gt" not in f:
                    raise OSError(f"keys {sorted(f.keys())}, expected 'haze' and 'gt'")
                haze = np.asarray(f["haze"], dtype=np.float32)
                clean = np.asarray(f["gt"], dtype=np.float32)
        except OSError as error:
            raise OSError(f"{self.title}: cannot read {item.clean}: it is corrupt ({error})") from error
        if min(haze.min(), clean.min()) < 0 or max(haze.max(), clean.max()) > 1:
            raise ValueError(f"{self.title}: {item.clean} holds values outside [0, 1]")
        if self.train:
            haze, clean = random_crop([haze, clean], self.crop_size, rng)
        return haze, clean


class SOTSExamples(PairedDataset):
    """RESIDE SOTS pairs in one folder (``SOTS_examples/{indoor,outdoor}/{hazy,gt}/``), every pair
    found: indoor ``hazy/<id>_<k>.png`` <-> ``gt/<id>.png`` (one scene at several haze levels),
    outdoor ``hazy/<id>_<A>_<beta>.jpg`` <-> ``gt/<id>.png`` (Li et al. 2019). Whole images.

    ``split``: ``all``, ``indoor`` or ``outdoor``.
    """

    title, folder, key, splits, train_splits = "SOTS examples", "SOTS_examples", "sots-examples", (
        "all", "indoor", "outdoor"), ()

    def __init__(self, root: str | os.PathLike | None = None, split: str = "all",
                 limit: int | None = None) -> None:
        super().__init__(root, split, None, limit)

    def build_items(self) -> list[Item]:
        scenes = ("indoor", "outdoor") if self.split == "all" else (self.split,)
        items = []
        for scene in scenes:
            hazy = sorted((self.path / scene / "hazy").glob("*.*"), key=_sots_order)
            gt = self.path / scene / "gt"
            items += [Item(f"{scene}/{p.name}", gt / f"{p.name.split('_')[0]}.png", (p,))
                      for p in hazy if p.suffix.lower() in (".png", ".jpg")]
        if not items:
            raise FileNotFoundError(
                f"{self.title}: no hazy images in {self.path}/{{indoor,outdoor}}/hazy; fetch them with "
                f"`python data_scripts/sots_examples.py --root {self.root}`")
        return items

    def pair(self, item: Item, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        hazy, clean = self.read(item.degraded[0]), self.read(item.clean)
        if hazy.shape != clean.shape:
            raise ValueError(f"{self.title}: {item.degraded[0].name} is {hazy.shape[:2]} but its clear "
                             f"image {item.clean.name} is {clean.shape[:2]}")
        return hazy, clean


def _sots_order(path: Path) -> tuple[int, ...]:
    """Hazy files by image, then haze level (``1400_2`` before ``1400_10``)."""
    return tuple(int(part) if part.isdigit() else 0 for part in path.stem.split("_")[:2])
