"""Fetch the paper's nine datasets, and the course's real rain pairs and colour photographs, and
arrange them into the layouts ``durn_teach.data`` reads.

Each dataset has one entry in :data:`SOURCES`: where its archives come from, their SHA-256 where
one is recorded, and how the unpacked files are arranged under the data root. Archives that can
be fetched without a login are downloaded over HTTP with a progress bar, resumed where a transfer
was interrupted (HTTP ``Range``), written under ``<name>.part`` until complete and verified, and
hashed with pooch. Archives behind a form, a login or a cloud drive are fetched by the user from
the page printed by the script and handed over with ``--from-archive PATH``.

No SHA-256 is recorded yet for the archives of the paper's nine datasets: the project has not
been able to download them from their official sources. The scripts say so, print the SHA-256
they computed, and take ``--sha256`` to pin one; a mismatch is an error and the bad file is kept
aside, never used. Rain100L, Rain100H, RainTrainH, Kodak24, CBSD68 and four RainDrop training
pairs are fetched file by file from public GitHub repositories at a recorded commit, each file
checked against its recorded SHA-256 (``durn_teach.manifests``).

    durn-teach data list                      # every dataset: size, licence, status
    durn-teach data fetch bsd-gray            # download, verify, unpack, arrange
    durn-teach data fetch gopro --from-archive ~/Downloads/GOPRO_Large.zip
"""

from __future__ import annotations

import argparse
import lzma
import os
import re
import shutil
import sys
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from durn_teach.arguments import whole_number
from durn_teach.files import ChecksumError, DownloadError, download, verify
from durn_teach.manifests import MANIFESTS
from durn_teach.names import POLYU_CROP, POLYU_FULL, split_names

with warnings.catch_warnings():  # pooch imports tqdm.auto, which warns in notebooks without ipywidgets
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch
    from tqdm.auto import tqdm

ENV = "DURN_DATA"
RELEASE = "https://github.com/liu-vis/DualResidualNetworks"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root`` if given, else ``$DURN_DATA``, else ``durn-teach/data`` in the user's cache."""
    if root is not None and str(root) != "":
        return Path(root).expanduser()
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    return Path(pooch.os_cache("durn-teach")) / "data"


@dataclass(frozen=True)
class Archive:
    """One archive of a dataset: its file name, where to get it, and its SHA-256 if one is recorded.

    A ``filename`` that is no archive (``.zip``, ``.tar``, ...) is one file of the dataset, named
    by its path in the source repository: ``fetch`` downloads such files to
    ``archives/<key>/<filename>`` and arranges them together, as an unpacked tree.
    """

    filename: str
    url: str | None = None  # a direct download; None when the archive is behind a page
    sha256: str | None = None  # None: no published checksum recorded
    page: str | None = None  # the page where the user gets it by hand


@dataclass(frozen=True)
class Source:
    """A dataset of the paper: its archives, folders under the data root, size, licence, notes."""

    key: str
    title: str
    task: str
    folders: tuple[str, ...]
    images: str
    size: str
    licence: str
    homepage: str
    archives: tuple[Archive, ...]
    arrange: Callable[[Path, Path], None]  # (unpacked tree, data root): place the files
    check: Callable[[Path], list[tuple[str, bool | None]]]  # data root -> what is in place
    notes: str = ""

    @property
    def manual(self) -> bool:
        return any(archive.url is None for archive in self.archives)


# --------------------------------------------------------------------------------------------
# Download, verify, unpack
# --------------------------------------------------------------------------------------------


ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz")


def is_archive(name: str) -> bool:
    """Whether a file name is one of the archives ``unpack`` reads (else: a single file of a dataset)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _safe_target(base: Path, name: str) -> Path:
    target = (base / name).resolve()
    if not target.is_relative_to(base.resolve()):
        raise ValueError(f"archive member {name!r} would be written outside {base}")
    return target


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a zip or tar archive into ``into`` (refusing members that point outside it)."""
    name = archive.name.lower()
    if not name.endswith(".zip") and not is_archive(name):
        raise ValueError(
            f"cannot unpack {archive}: expected a .zip, .tar, .tgz, .tar.gz, .tar.bz2 or .tar.xz "
            "archive; unpack it yourself and pass the folder to --from-archive"
        )
    into.mkdir(parents=True, exist_ok=True)
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    _safe_target(into, member)
                zf.extractall(into)
        else:
            with tarfile.open(archive) as tf:
                for member in tf.getmembers():
                    _safe_target(into, member.name)
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(into, filter="data")
                else:  # pragma: no cover - Python without extraction filters
                    tf.extractall(into)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as error:
        if isinstance(error, FileNotFoundError | PermissionError):
            raise
        gist = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"cannot unpack {archive}: {gist.rstrip(':')} (a truncated or damaged download? "
            "fetch it again, or check it against the dataset's published checksum)"
        ) from None
    return into


# --------------------------------------------------------------------------------------------
# Arranging unpacked files into the layouts the loaders read, and checking them
# --------------------------------------------------------------------------------------------

# One line of a check: what was counted, and whether it is complete (None: for information).
Line = tuple[str, bool | None]


def _files(tree: Path) -> Iterator[Path]:
    for path in sorted(tree.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path


def _place(source: Path, target: Path) -> None:
    """Put one file at its place in the layout: moved out of our staging folder, copied otherwise
    (a folder the user passed stays intact); converted where the layout names another format."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix.lower() != target.suffix.lower():  # e.g. a .jpg where the layout names .png
        from PIL import Image

        with Image.open(source) as image:
            image.save(target)
    elif ".staging" in source.parts:
        shutil.move(source, target)
    else:
        shutil.copy2(source, target)


def _count(folder: str, split: str, present: Callable[[str], bool]) -> Line:
    names = split_names(folder, split)
    found = sum(present(name) for name in names)
    return f"{folder} {split}: {found} of {len(names)} images in place", found == len(names)


def arrange_bsd_gray(tree: Path, root: Path) -> None:
    """BSDS500 ``.../images/{train,val,test}/<id>.jpg`` -> ``BSD_gray/{train_and_val,test}/<id>.png``.

    The release's gray PNGs were made by a conversion the authors did not publish; this one uses
    PIL's ITU-R 601-2 luma, so gray levels may differ slightly from theirs.
    """
    from PIL import Image

    for path in _files(tree):
        if path.suffix.lower() == ".jpg" and path.parent.name in ("train", "val", "test"):
            folder = "test" if path.parent.name == "test" else "train_and_val"
            target = root / "BSD_gray" / folder / f"{path.stem}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            with Image.open(path) as image:
                image.convert("L").save(target)


def check_bsd_gray(root: Path) -> list[Line]:
    out = root / "BSD_gray"
    return [_count("BSD_gray", "train", lambda n: (out / "train_and_val" / n).is_file()),
            _count("BSD_gray", "test", lambda n: (out / "test" / n).is_file())]


DNCNN_SETS = {"BSD68": 68, "Set12": 12, "Train400": 400}


def arrange_dncnn_sets(tree: Path, root: Path) -> None:
    """DnCNN's ``testsets/{BSD68,Set12}``, ``.../Train400`` -> ``BSD68/``, ``Set12/``, ``Train400/``."""
    for path in _files(tree):
        if path.parent.name in DNCNN_SETS and path.suffix.lower() == ".png":
            _place(path, root / path.parent.name / path.name)


def check_dncnn_sets(root: Path) -> list[Line]:
    lines = []
    for name, expected in DNCNN_SETS.items():
        found = len(list((root / name).glob("*.png"))) if (root / name).is_dir() else 0
        lines.append((f"{name}: {found} of {expected} images in place", found == expected))
    return lines


def _polyu_scenes() -> set[str]:
    return {n.removesuffix("_mean.JPG") for s in ("train", "test") for n in split_names("RealNoiseHKPoly", s)}


def arrange_polyu(tree: Path, root: Path) -> None:
    """PolyU: the full-size ``<scene>_{Real,mean}.JPG`` -> ``RealNoiseHKPoly/OriginalImages/``; the
    official crops ``*_<k>_{real,mean}.JPG`` -> ``PolyU_cropped/``; the release's own crops
    ``*_{real,mean}.PNG`` (a folder ``test1``) -> ``RealNoiseHKPoly/test1/``."""
    scenes = _polyu_scenes()
    for path in _files(tree):
        full = POLYU_FULL.match(path.name)
        if POLYU_CROP.match(path.name):
            _place(path, root / "PolyU_cropped" / path.name)
        elif full and full.group(1) in scenes:
            _place(path, root / "RealNoiseHKPoly" / "OriginalImages" / path.name)
        elif path.suffix == ".PNG" and path.parent.name == "test1":
            _place(path, root / "RealNoiseHKPoly" / "test1" / path.name)


def check_polyu(root: Path) -> list[Line]:
    crops = root / "PolyU_cropped"
    found = len(list(crops.glob("*.JPG"))) if crops.is_dir() else 0
    originals = root / "RealNoiseHKPoly" / "OriginalImages"
    test1 = root / "RealNoiseHKPoly" / "test1"

    def whole(name: str) -> bool:
        return (originals / name).is_file() and (originals / name.replace("_mean.", "_Real.")).is_file()

    return [
        (f"PolyU_cropped: {found} of 200 files (100 official crops) in place", found == 200),
        _count("RealNoiseHKPoly", "train", whole),
        _count("RealNoiseHKPoly", "test", whole),
        (f"RealNoiseHKPoly test1 (the release's own crops, optional): "
         f"{len(list(test1.glob('*.PNG'))) if test1.is_dir() else 0} files", None),
    ]


def arrange_gopro(tree: Path, root: Path) -> None:
    """GOPRO_Large ``{train,test}/<sequence>/{blur,sharp}/<frame>.png`` -> ``GoPro/`` (same layout)."""
    for path in _files(tree):
        parts = path.parts
        if len(parts) >= 4 and parts[-4] in ("train", "test") and parts[-2] in ("blur", "sharp"):
            _place(path, root / "GoPro" / Path(*parts[-4:]))


def check_gopro(root: Path) -> list[Line]:
    def pair(name: str, split: str) -> bool:
        sequence, frame = name.split("/")
        return all((root / "GoPro" / split / sequence / kind / frame).is_file() for kind in ("blur", "sharp"))

    return [_count("GoPro", s, lambda n, s=s: pair(n, s)) for s in ("train", "test")]


def arrange_car(tree: Path, root: Path) -> None:
    """The Car dataset ``{blurred,sharp}/<n>.png`` -> ``CarDataset/`` (same layout)."""
    for path in _files(tree):
        if path.parent.name in ("blurred", "sharp"):
            _place(path, root / "CarDataset" / path.parent.name / path.name)


def check_car(root: Path) -> list[Line]:
    out = root / "CarDataset"
    return [_count("CarDataset", "test",
                   lambda n: (out / "blurred" / n).is_file() and (out / "sharp" / n).is_file())]


RESIDE_HAZY = re.compile(r"^(\d+)_(\d+)(?:_[0-9.]+)?\.(png|jpg)$", re.IGNORECASE)
RESIDE_CLEAR = re.compile(r"^(\d+)\.(png|jpg)$", re.IGNORECASE)
RESIDE_FOLDERS = {"train": "indoor_train", "test": "sots_indoor_test"}


def arrange_reside(tree: Path, root: Path) -> None:
    """RESIDE ITS and SOTS indoor: hazy ``<id>_<k>[_<beta>].png`` and clear ``<id>.png`` ->
    ``RESIDE/{indoor_train,sots_indoor_test}/{images/<id>_<k>.png,labels/<id>.png}``.

    Whether an image belongs to ITS (training) or SOTS indoor (test) is read from the release's
    split lists (ids 1-1399 and 1400-1449), so the two archives may be passed in any order.
    """
    where = {n.removesuffix(".png"): RESIDE_FOLDERS[s]
             for s in RESIDE_FOLDERS for n in split_names("RESIDE", s)}
    for path in _files(tree):
        hazy, clear = RESIDE_HAZY.match(path.name), RESIDE_CLEAR.match(path.name)
        if hazy and hazy[1] in where:
            _place(path, root / "RESIDE" / where[hazy[1]] / "images" / f"{hazy[1]}_{hazy[2]}.png")
        elif clear and clear[1] in where and path.parent.name.lower() not in ("trans", "depth"):
            _place(path, root / "RESIDE" / where[clear[1]] / "labels" / f"{clear[1]}.png")


def check_reside(root: Path) -> list[Line]:
    def whole(name: str, folder: str) -> bool:
        stem, base = name.removesuffix(".png"), root / "RESIDE" / folder
        hazy = all((base / "images" / f"{stem}_{k}.png").is_file() for k in range(1, 11))
        return hazy and (base / "labels" / name).is_file()

    return [_count("RESIDE", s, lambda n, s=s: whole(n, RESIDE_FOLDERS[s])) for s in RESIDE_FOLDERS]


def arrange_dcpdn(tree: Path, root: Path) -> None:
    """DCPDN h5 pairs: in a folder named like test -> ``DCPDNData/TestA/``, else ``DCPDNData/train512/``."""
    for path in _files(tree):
        if path.suffix == ".h5":
            folder = "TestA" if "test" in path.parent.name.lower() else "train512"
            _place(path, root / "DCPDNData" / folder / path.name)


def check_dcpdn(root: Path) -> list[Line]:
    out = root / "DCPDNData"
    return [_count("DCPDNData", "train", lambda n: (out / "train512" / n).is_file()),
            _count("DCPDNData", "test", lambda n: (out / "TestA" / n).is_file())]


RAINDROP_FILE = re.compile(r"^(\d+)_(rain|clean)\.(png|jpg)$")
RAINDROP_SPLITS = ("train", "test_a", "test_b")


def arrange_raindrop(tree: Path, root: Path) -> None:
    """RainDrop ``{train,test_a,test_b}/{data,gt}/<n>_{rain,clean}.<ext>`` -> ``RainDrop/`` (same layout)."""
    for path in _files(tree):
        parts = path.parts
        if RAINDROP_FILE.match(path.name) and parts[-2] in ("data", "gt"):
            if parts[-3] not in RAINDROP_SPLITS:
                raise ValueError(
                    f"RainDrop: {path} is not in a folder train, test_a or test_b; pass the official "
                    "train.zip, test_a.zip and test_b.zip (or their unpacked folders) as they are"
                )
            _place(path, root / "RainDrop" / parts[-3] / parts[-2] / path.name)


def check_raindrop(root: Path) -> list[Line]:
    def pair(name: str, split: str) -> bool:
        ext, base = ("jpg" if split == "test_b" else "png"), root / "RainDrop" / split
        files = (base / "data" / f"{name}_rain.{ext}", base / "gt" / f"{name}_clean.{ext}")
        return all(f.is_file() for f in files)

    return [_count("RainDrop", s, lambda n, s=s: pair(n, s)) for s in RAINDROP_SPLITS]


DIDMDN_DENSITIES = ("Rain_Heavy", "Rain_Medium", "Rain_Light")


def arrange_didmdn(tree: Path, root: Path) -> None:
    """DID-MDN ``Rain_{Heavy,Medium,Light}/train2018new/<n>.jpg`` -> ``DIDMDN_Data/train/`` (same);
    the test pairs (a folder whose name says test) -> ``DIDMDN_Data/test/<n>.jpg``."""
    for path in _files(tree):
        if path.suffix.lower() != ".jpg":
            continue
        density = next((part for part in path.parts if part in DIDMDN_DENSITIES), None)
        if density is not None:
            _place(path, root / "DIDMDN_Data" / "train" / density / "train2018new" / path.name)
        elif "test" in path.parent.name.lower():
            _place(path, root / "DIDMDN_Data" / "test" / path.name)


def check_didmdn(root: Path) -> list[Line]:
    out = root / "DIDMDN_Data"
    return [
        _count("DIDMDN_Data", "train",
               lambda n: all((out / "train" / d / "train2018new" / n).is_file() for d in DIDMDN_DENSITIES)),
        _count("DIDMDN_Data", "test", lambda n: (out / "test" / n).is_file()),
    ]


DDN_RAINY = re.compile(r"^(\d+)_(\d+)\.jpg$")
DDN_CLEAN = re.compile(r"^(\d+)\.jpg$")


def arrange_ddn(tree: Path, root: Path) -> None:
    """DDN: rainy ``<n>_<k>.jpg`` (k = 1..14) -> ``DDN_Data/rain_image/``, clean ``<n>.jpg`` -> ``label/``."""
    for path in _files(tree):
        if DDN_RAINY.match(path.name):
            _place(path, root / "DDN_Data" / "rain_image" / path.name)
        elif DDN_CLEAN.match(path.name):
            _place(path, root / "DDN_Data" / "label" / path.name)


def check_ddn(root: Path) -> list[Line]:
    def whole(name: str) -> bool:
        stem, base = name.removesuffix(".jpg"), root / "DDN_Data"
        rainy = all((base / "rain_image" / f"{stem}_{k}.jpg").is_file() for k in range(1, 15))
        return rainy and (base / "label" / name).is_file()

    return [_count("DDN_Data", s, whole) for s in ("train", "test")]


# The course's real rain pairs and colour photographs, fetched file by file (durn_teach.manifests)

RAIN100L_FILE = re.compile(r"^(\d+)\.png$")
RAIN100L_NAME = re.compile(r"^(test|train)_\d+\.png$")
RAIN100L_KINDS = {"rain": "input", "gt": "target"}


def arrange_rain100l(tree: Path, root: Path) -> None:
    """Nealgo/DerainSys ``.../{test,train}/{rain,gt}/<n>.png`` -> ``Rain100L/{input,target}/<split>_<n>.png``;
    files already named so under ``input/`` and ``target/`` are placed as they are.

    The names (and so the course's split, ``durn_teach/splits/Rain100L``) are those of the
    redistribution in github Nealgo/DerainSys: 480x320 crops, every portrait image stored turned
    by 90 degrees to landscape, split 5/95 into that repository's ``test``/``train``. The official
    release (481x321 originals, ``rain-N``/``norain-N``) cannot be arranged into these names: which
    crop, which rotation and which number each image got is not published. Pass the repository (its
    GitHub zip at the commit, or a checkout) or a folder in the arranged layout to --from-archive.
    """
    for path in _files(tree):
        parts = path.parts
        if len(parts) >= 3 and RAIN100L_FILE.match(path.name) and parts[-3] in ("test", "train") \
                and parts[-2] in RAIN100L_KINDS:
            _place(path, root / "Rain100L" / RAIN100L_KINDS[parts[-2]] / f"{parts[-3]}_{path.name}")
        elif RAIN100L_NAME.match(path.name) and parts[-2] in ("input", "target"):
            _place(path, root / "Rain100L" / parts[-2] / path.name)


def check_rain100l(root: Path) -> list[Line]:
    out = root / "Rain100L"

    def pair(name: str) -> bool:
        return (out / "input" / name).is_file() and (out / "target" / name).is_file()

    return [_count("Rain100L", s, pair) for s in ("train", "test")]


PRENET_RAINY = re.compile(r"^rain-(\d+)\.png$")
PRENET_CLEAN = re.compile(r"^norain-(\d+)\.png$")


def _arrange_prenet(tree: Path, root: Path, folder: str, names: Callable[[str], bool]) -> None:
    """PReNet's ``rain-N.png`` -> ``<folder>/input/``, ``norain-N.png`` -> ``<folder>/target/``: the
    files under a folder whose name ``names`` accepts or, where the tree has no such folder, all."""
    files = [p for p in _files(tree) if PRENET_RAINY.match(p.name) or PRENET_CLEAN.match(p.name)]
    chosen = [p for p in files if any(names(part.lower()) for part in p.relative_to(tree).parts[:-1])]
    for path in chosen or files:
        kind = "input" if PRENET_RAINY.match(path.name) else "target"
        _place(path, root / folder / kind / path.name)


def _prenet_pairs(folder: Path) -> tuple[int, int]:
    """(pairs, rainy images without their clean one) in a PReNet folder, as the loaders read it:
    ``rain-N.png`` and ``norain-N.png`` in one folder or in ``input/`` and ``target/``."""
    rainy_dir = folder / "input" if (folder / "input").is_dir() else folder
    clean_dir = folder / "target" if (folder / "target").is_dir() else folder
    rainy = [p for p in rainy_dir.glob("rain-*.png") if PRENET_RAINY.match(p.name)]
    paired = sum((clean_dir / f"no{p.name}").is_file() for p in rainy)
    return paired, len(rainy) - paired


def _check_prenet(root: Path, folder: str, split: str, key: str, full: int) -> list[Line]:
    """How many pairs are in place, against the pairs downloadable here (a sample of the set)."""
    paired, unpaired = _prenet_pairs(root / folder)
    here = len(SOURCES[key].archives) // 2
    lines = [(f"{folder} {split}: {paired} pairs in place ({here} downloadable by this script, "
              f"{full:,} in the full set)", paired >= here)]
    if unpaired:
        lines.append((f"{folder} {split}: {unpaired} rain-N.png without their norain-N.png", False))
    return lines


def arrange_rain100h(tree: Path, root: Path) -> None:
    """Rain100H, PReNet naming: ``rain-N.png`` -> ``Rain100H/input/``, ``norain-N.png`` ->
    ``Rain100H/target/`` (the files under a folder ``Rain100H`` or ``Rain10H``, else every such file).

    The download is the 10 pairs of github simonsLiang/PReNet_paddle (``Rain10H/rainy/rain-NNN.png``,
    ``Rain10H/norain-NNN.png``); the 100 pairs come with PReNet's Rain100H.zip (github
    csdwren/PReNet, a cloud drive), by hand, with --from-archive.
    """
    _arrange_prenet(tree, root, "Rain100H", lambda name: name in ("rain100h", "rain10h"))


def check_rain100h(root: Path) -> list[Line]:
    return _check_prenet(root, "Rain100H", "test", "rain100h", 100)


def arrange_raintrainh(tree: Path, root: Path) -> None:
    """RainTrainH, PReNet naming: ``rain-N.png`` -> ``RainTrainH/input/``, ``norain-N.png`` ->
    ``RainTrainH/target/`` (the files under a folder named ``RainTrainH...``, else every such file).

    The download is the 12 pairs of github simonsLiang/PReNet_paddle (``RainTrainH_min/``); the
    full set comes with PReNet's RainTrainH.zip (github csdwren/PReNet), by hand, with --from-archive.
    """
    _arrange_prenet(tree, root, "RainTrainH", lambda name: name.startswith("raintrainh"))


def check_raintrainh(root: Path) -> list[Line]:
    return _check_prenet(root, "RainTrainH", "train", "raintrainh", 1800)


KODAK_FILE = re.compile(r"^kodim\d\d\.png$")


def arrange_kodak24(tree: Path, root: Path) -> None:
    """Kodak ``kodimNN.png`` (cszn/IRCNN ``testsets/Set24/``) -> ``Kodak24/kodimNN.png``.

    Mind other copies under the same names: cszn/FFDNet's ``testsets/Kodak24`` holds 500x500 crops.
    """
    for path in _files(tree):
        if KODAK_FILE.match(path.name):
            _place(path, root / "Kodak24" / path.name)


def check_kodak24(root: Path) -> list[Line]:
    found = sum((root / "Kodak24" / f"kodim{k:02d}.png").is_file() for k in range(1, 25))
    return [(f"Kodak24: {found} of 24 images in place", found == 24)]


def arrange_cbsd68(tree: Path, root: Path) -> None:
    """CBSD68 ``testsets/CBSD68/<id>.png`` (cszn/IRCNN, cszn/FFDNet) -> ``CBSD68/<id>.png``."""
    for path in _files(tree):
        if path.parent.name == "CBSD68" and path.suffix.lower() == ".png":
            _place(path, root / "CBSD68" / path.name)


def check_cbsd68(root: Path) -> list[Line]:
    names = [Path(a.filename).name for a in SOURCES["cbsd68"].archives]
    found = sum((root / "CBSD68" / name).is_file() for name in names)
    return [(f"CBSD68: {found} of {len(names)} images in place", found == len(names))]


def arrange_raindrop_examples(tree: Path, root: Path) -> None:
    """RainDrop pairs ``<n>_rain.png`` / ``<n>_clean.png`` -> ``RainDrop_examples/{data,gt}/`` (the
    release's naming), the files under a folder ``training_data_example`` or, where the tree has no
    such folder, every such file (a folder already in this layout, say).

    The download is the four training pairs of github MaybeShewill-CV/attentive-gan-derainnet
    (``data/training_data_example/{rain_image,clean_image}/``; older commits: ``data/`` and
    ``gt_label/``). A tree with two files of one name (RainDrop's ``train`` and ``test_a`` together)
    is refused: pass the full set to the ``raindrop`` source instead.
    """
    files = [p for p in _files(tree) if RAINDROP_FILE.match(p.name)]
    chosen = [p for p in files if "training_data_example" in p.relative_to(tree).parts[:-1]]
    targets: dict[Path, Path] = {}
    for path in chosen or files:
        kind = "data" if RAINDROP_FILE.match(path.name)[2] == "rain" else "gt"
        target = root / "RainDrop_examples" / kind / f"{path.stem}.png"
        if target in targets:
            raise ValueError(
                f"RainDrop examples: {targets[target]} and {path} would both be {target}; pass one "
                "folder of pairs (the full RainDrop set goes to `durn-teach data fetch raindrop`)"
            )
        targets[target] = path
    for target, path in targets.items():
        _place(path, target)


def check_raindrop_examples(root: Path) -> list[Line]:
    out = root / "RainDrop_examples"
    numbers = sorted({RAINDROP_FILE.match(Path(a.filename).name)[1]
                      for a in SOURCES["raindrop-examples"].archives}, key=int)
    found = sum((out / "data" / f"{n}_rain.png").is_file() and (out / "gt" / f"{n}_clean.png").is_file()
                for n in numbers)
    lines = [(f"RainDrop_examples: {found} of {len(numbers)} pairs in place", found == len(numbers))]
    rainy = list((out / "data").glob("*_rain.png")) if (out / "data").is_dir() else []
    unpaired = sum(not (out / "gt" / p.name.replace("_rain.", "_clean.")).is_file() for p in rainy)
    if unpaired:
        lines.append((f"RainDrop_examples: {unpaired} <n>_rain.png without their <n>_clean.png", False))
    return lines


def arrange_sots_examples(tree: Path, root: Path) -> None:
    """SOTS pairs -> ``SOTS_examples/{indoor,outdoor}/{hazy,gt}/``: the indoor evaluation folders
    ``results/qualitative/<id>_<k>/{hazy,gt}.png`` (github codesensei-tushar/dehazing-compression)
    as ``indoor/hazy/<id>_<k>.png`` and ``indoor/gt/<id>.png``, the outdoor test pairs
    ``test/dehaze/{input,target}/`` (github XLearning-SCU/2022-CVPR-AirNet) as ``outdoor/hazy/``
    and ``outdoor/gt/``; a folder already in this layout is copied as it is."""
    out = root / "SOTS_examples"
    for path in _files(tree):
        folder, parent = path.parent.name, path.parent.parent.name
        if parent == "qualitative" and path.name in ("hazy.png", "gt.png"):
            if path.name == "hazy.png":
                _place(path, out / "indoor" / "hazy" / f"{folder}.png")
            else:
                _place(path, out / "indoor" / "gt" / f"{folder.split('_')[0]}.png")
        elif parent == "dehaze" and folder in ("input", "target"):
            _place(path, out / "outdoor" / ("hazy" if folder == "input" else "gt") / path.name)
        elif parent in ("indoor", "outdoor") and folder in ("hazy", "gt"):
            _place(path, out / parent / folder / path.name)


def check_sots_examples(root: Path) -> list[Line]:
    out, lines = root / "SOTS_examples", []
    for scene in ("indoor", "outdoor"):
        hazy = sorted((out / scene / "hazy").glob("*.*")) if (out / scene / "hazy").is_dir() else []
        paired = sum((out / scene / "gt" / f"{p.name.split('_')[0]}.png").is_file() for p in hazy)
        expected = {"indoor": 6, "outdoor": 2}[scene]
        lines.append((f"SOTS_examples/{scene}: {paired} of {expected} pairs in place", paired >= expected))
    return lines


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

BSDS = "https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping"
DNCNN = "https://github.com/cszn/DnCNN"
POLYU = "https://github.com/csjunxu/PolyU-Real-World-Noisy-Images-Dataset"
JORDER = "http://www.icst.pku.edu.cn/struct/Projects/joint_rain_removal.html"  # Rain100L/H, RainTrainH

# The repositories (and commits) the file-by-file sources are downloaded from.
GITHUB = {
    "rain100l": ("Nealgo/DerainSys", "d332525aa084a128e7b14f182fb0b42ee43e5190"),
    "rain100h": ("simonsLiang/PReNet_paddle", "1c9cd981f533d658f0a58355b1a8c839f86b7723"),
    "raintrainh": ("simonsLiang/PReNet_paddle", "1c9cd981f533d658f0a58355b1a8c839f86b7723"),
    "kodak24": ("cszn/IRCNN", "d9dcd537bdac3ae5b753296cd675db8a303c8f72"),
    "cbsd68": ("cszn/IRCNN", "d9dcd537bdac3ae5b753296cd675db8a303c8f72"),
    "raindrop-examples": ("MaybeShewill-CV/attentive-gan-derainnet",
                          "996e36b3d07010fd797acca9756b3f4a90a6eb54"),
    "sots-indoor": ("codesensei-tushar/dehazing-compression", "03ebfc829f064b4c4ebe277dbd16693787d1b08f"),
    "sots-outdoor": ("XLearning-SCU/2022-CVPR-AirNet", "bedea82f7f7a71f135bcc026fd02ea9f2feaa710"),
}
# The sources whose files come from several of those repositories: their parts, in order.
GITHUB_PARTS = {"sots-examples": ("sots-indoor", "sots-outdoor")}


def github_files(key: str) -> tuple[Archive, ...]:
    """One :class:`Archive` per file of the manifest of ``key`` (``durn_teach.manifests``): its raw
    URL in the repository at the recorded commit (``GITHUB``) and its recorded SHA-256; for a
    source of several repositories (``GITHUB_PARTS``), the files of each part in turn."""
    if key in GITHUB_PARTS:
        return tuple(archive for part in GITHUB_PARTS[key] for archive in github_files(part))
    repo, commit = GITHUB[key]
    files = []
    for line in MANIFESTS[key].strip().splitlines():
        digest, path = line.split(maxsplit=1)
        files.append(Archive(path, url=f"https://raw.githubusercontent.com/{repo}/{commit}/{path}",
                             sha256=digest, page=f"https://github.com/{repo}/tree/{commit}"))
    return tuple(files)


SOURCES: dict[str, Source] = {
    "bsd-gray": Source(
        key="bsd-gray", title="BSD gray (BSDS500)", task="Gaussian noise", folders=("BSD_gray",),
        images="300 train+val / 200 test", size="unknown",
        licence="Berkeley BSDS: non-commercial research and education",
        homepage=f"{BSDS}/resources.html",
        archives=(Archive("BSR_bsds500.tgz", url=f"{BSDS}/BSR/BSR_bsds500.tgz"),),
        arrange=arrange_bsd_gray, check=check_bsd_gray,
        notes="converted to gray PNGs with PIL's ITU-R 601-2 luma (the release's conversion is unpublished)",
    ),
    "dncnn-sets": Source(
        key="dncnn-sets", title="BSD68, Set12, Train400 (DnCNN)", task="Gaussian noise",
        folders=("BSD68", "Set12", "Train400"), images="68 + 12 test / 400 train",
        size="unknown",
        licence="BSD68/Train400: Berkeley BSDS terms; Set12: as distributed with DnCNN",
        homepage=DNCNN,
        archives=(Archive("DnCNN-master.zip", url=f"{DNCNN}/archive/refs/heads/master.zip"),),
        arrange=arrange_dncnn_sets, check=check_dncnn_sets,
        notes="a branch archive: its content, and so its SHA-256, changes when the repository does",
    ),
    "polyu": Source(
        key="polyu", title="PolyU real-world noise", task="real-world noise",
        folders=("RealNoiseHKPoly", "PolyU_cropped"),
        images="30 train / 10 test scenes; 100 crops", size="unknown",
        licence="PolyU: non-commercial use only (teaching, research)", homepage=POLYU,
        archives=(
            Archive("PolyU-Real-World-Noisy-Images-Dataset-master.zip",
                    url=f"{POLYU}/archive/refs/heads/master.zip"),
            Archive("PolyU full-size images (zip)",
                    page="https://drive.google.com/file/d/1tzNY-WTk3HRI8MiixDp1-Es1k55VgRKS/view"),
        ),
        arrange=arrange_polyu, check=check_polyu,
        notes="the repository holds the 100 official crops; the 40 full-size scenes the paper trains "
              "on are also linked from the dataset's Readme (Google Drive, Baidu); the release's own "
              "100 test crops (test1) are not distributed by PolyU",
    ),
    "gopro": Source(
        key="gopro", title="GoPro", task="motion blur", folders=("GoPro",),
        images="2103 train / 1111 test", size="several GB", licence="see the official page",
        homepage="https://seungjunnah.github.io/Datasets/gopro.html",
        archives=(Archive("GOPRO_Large.zip", page="https://seungjunnah.github.io/Datasets/gopro.html"),),
        arrange=arrange_gopro, check=check_gopro,
    ),
    "car": Source(
        key="car", title="Car dataset", task="motion blur", folders=("CarDataset",),
        images="1151 test", size="unknown", licence="unknown",
        homepage=RELEASE,
        archives=(Archive("the Car dataset (folders blurred/ and sharp/)"),),
        arrange=arrange_car, check=check_car,
        notes="the paper cites the dataset's source; pass its folders blurred/ and sharp/ (or an archive)",
    ),
    "reside": Source(
        key="reside", title="RESIDE ITS + SOTS indoor", task="haze", folders=("RESIDE",),
        images="1399 x 10 train / 50 x 10 test", size="unknown", licence="see the official page",
        homepage="https://sites.google.com/view/reside-dehaze-datasets",
        archives=(
            Archive("ITS (RESIDE-Standard indoor training set)",
                    page="https://sites.google.com/view/reside-dehaze-datasets"),
            Archive("SOTS (RESIDE-Standard test set)",
                    page="https://sites.google.com/view/reside-dehaze-datasets"),
        ),
        arrange=arrange_reside, check=check_reside,
    ),
    "dcpdn": Source(
        key="dcpdn", title="DCPDN data (h5 pairs)", task="haze", folders=("DCPDNData",),
        images="4000 train / 401 test (TestA)", size="unknown", licence="see the official page",
        homepage="https://github.com/hezhangsprinter/DCPDN",
        archives=(Archive("DCPDN training and TestA h5 files",
                          page="https://github.com/hezhangsprinter/DCPDN"),),
        arrange=arrange_dcpdn, check=check_dcpdn,
    ),
    "raindrop": Source(
        key="raindrop", title="RainDrop", task="raindrops", folders=("RainDrop",),
        images="861 train / 58 test_a / 249 test_b", size="unknown", licence="see the official page",
        homepage="https://github.com/rui1996/DeRaindrop",
        archives=tuple(Archive(f"{split}.zip", page="https://github.com/rui1996/DeRaindrop")
                       for split in ("train", "test_a", "test_b")),
        arrange=arrange_raindrop, check=check_raindrop,
    ),
    "did-mdn": Source(
        key="did-mdn", title="DID-MDN", task="rain streaks", folders=("DIDMDN_Data",),
        images="4000 x 3 densities train / 1201 test", size="unknown", licence="see the official page",
        homepage="https://github.com/hezhangsprinter/DID-MDN",
        archives=(Archive("DID-MDN training and test data",
                          page="https://github.com/hezhangsprinter/DID-MDN"),),
        arrange=arrange_didmdn, check=check_didmdn,
    ),
    "ddn": Source(
        key="ddn", title="DDN data (Rain1400)", task="rain streaks", folders=("DDN_Data",),
        images="1000 scenes x 14 rainy: 650/349 or 650/350 split", size="unknown",
        licence="see the official page",
        homepage="https://xueyangfu.github.io/projects/cvpr2017.html",
        archives=(Archive("DDN rain dataset (training and testing)",
                          page="https://xueyangfu.github.io/projects/cvpr2017.html"),),
        arrange=arrange_ddn, check=check_ddn,
    ),
    "rain100l": Source(
        key="rain100l", title="Rain100L", task="rain streaks (real pairs)", folders=("Rain100L",),
        images="100 pairs: the course's split 80 train / 20 test", size="53 MB",
        licence="none stated (dataset authors' terms)", homepage=JORDER,
        archives=github_files("rain100l"), arrange=arrange_rain100l, check=check_rain100l,
        notes="the 480x320 crops (portrait images turned to landscape) redistributed in github "
              "Nealgo/DerainSys @ d332525, ai_engine/dataset/{test,train}/{rain,gt}/N.png; the official "
              "page's originals cannot be arranged into these names; 25 clean images are crops of CBSD68",
    ),
    "rain100h": Source(
        key="rain100h", title="Rain100H (first 10 test pairs)", task="rain streaks (real pairs)",
        folders=("Rain100H",), images="10 of the 100 test pairs", size="5.5 MB",
        licence="none stated (dataset authors' terms)", homepage=JORDER,
        archives=github_files("rain100h"), arrange=arrange_rain100h, check=check_rain100h,
        notes="the 10 pairs of github simonsLiang/PReNet_paddle @ 1c9cd98 (Rain10H/); the 100 pairs: "
              "PReNet's Rain100H.zip (github csdwren/PReNet), with --from-archive; "
              "norain-003 and norain-004 are the same image, CBSD68's 182053",
    ),
    "raintrainh": Source(
        key="raintrainh", title="RainTrainH (12 training pairs)", task="rain streaks (real pairs)",
        folders=("RainTrainH",), images="12 of the 1,800 training pairs", size="6.1 MB",
        licence="none stated (dataset authors' terms)", homepage=JORDER,
        archives=github_files("raintrainh"), arrange=arrange_raintrainh, check=check_raintrainh,
        notes="the 12 pairs of github simonsLiang/PReNet_paddle @ 1c9cd98 (RainTrainH_min/); the full "
              "set: PReNet's RainTrainH.zip (github csdwren/PReNet), with --from-archive; 6 clean "
              "images are CBSD68 test images",
    ),
    "kodak24": Source(
        key="kodak24", title="Kodak24", task="colour photographs", folders=("Kodak24",),
        images="24 (kodim17-24 held out for testing)", size="15 MB", licence="none stated",
        homepage="http://r0k.us/graphics/kodak/",
        archives=github_files("kodak24"), arrange=arrange_kodak24, check=check_kodak24,
        notes="full size 768x512, from github cszn/IRCNN @ d9dcd53, testsets/Set24",
    ),
    "cbsd68": Source(
        key="cbsd68", title="CBSD68", task="colour photographs", folders=("CBSD68",),
        images="68", size="18 MB", licence="Berkeley BSDS: non-commercial research and education",
        homepage="https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/bsds/",
        archives=github_files("cbsd68"), arrange=arrange_cbsd68, check=check_cbsd68,
        notes="the colour BSD68 test images, from github cszn/IRCNN @ d9dcd53, testsets/CBSD68",
    ),
    "raindrop-examples": Source(
        key="raindrop-examples", title="RainDrop examples (4 training pairs)", task="raindrops (real pairs)",
        folders=("RainDrop_examples",), images="4 of the 861 training pairs", size="5.3 MB",
        licence="none stated (dataset authors' terms); the repository: MIT",
        homepage="https://github.com/rui1996/DeRaindrop",
        archives=github_files("raindrop-examples"), arrange=arrange_raindrop_examples,
        check=check_raindrop_examples,
        notes="pairs 0-3 (720x480) of RainDrop's training split, not test_a/test_b, from github "
              "MaybeShewill-CV/attentive-gan-derainnet @ 996e36b, data/training_data_example/"
              "{rain_image,clean_image}/; the full set: the raindrop source, by hand",
    ),
    "sots-examples": Source(
        key="sots-examples", title="SOTS examples (8 real hazy pairs)", task="haze (real pairs)",
        folders=("SOTS_examples",), images="6 indoor (one scene, 6 haze levels) + 2 outdoor",
        size="3.3 MB", licence="none stated (RESIDE's terms); the repositories: none stated",
        homepage="https://sites.google.com/view/reside-dehaze-datasets",
        archives=github_files("sots-examples"), arrange=arrange_sots_examples, check=check_sots_examples,
        notes="SOTS indoor image 1400 at haze levels 1-5 and 10 (620x460), from github "
              "codesensei-tushar/dehazing-compression @ 03ebfc8, results/qualitative/ (saved by its "
              "evaluation); SOTS outdoor 0001 and 0002 (550x413), from github XLearning-SCU/2022-CVPR-AirNet "
              "@ bedea82, test/dehaze/; the full SOTS: the reside source, by hand",
    ),
}


def source(key: str) -> Source:
    """The registry entry of a dataset; an unknown key lists the valid ones."""
    if key not in SOURCES:
        raise KeyError(f"unknown dataset {key!r}; valid: {', '.join(SOURCES)}")
    return SOURCES[key]


# --------------------------------------------------------------------------------------------
# Fetch, status, command line
# --------------------------------------------------------------------------------------------


def instructions(src: Source, root: Path) -> str:
    """What the user does by hand for a dataset behind a page."""
    lines = [f"{src.title}: some archives must be fetched by hand (a login, a form or a cloud drive)."]
    for archive in src.archives:
        if archive.url is None and archive.page is None:
            lines.append(f"  - {archive.filename}: this project knows no download location for it")
        elif archive.url is None:
            lines.append(f"  - {archive.filename}: get it from {archive.page} (a web page to visit)")
    if src.notes:
        lines.append(f"  note: {src.notes}")
    lines.append("then run, with every archive (or an unpacked folder) you downloaded:")
    script = f"data_scripts/{src.key.replace('-', '_')}.py"
    lines.append(f"  python {script} --data-root {root} --from-archive PATH [PATH ...]")
    return "\n".join(lines)


def fetch(
    key: str | Source,
    root: str | os.PathLike | None = None,
    *,
    from_archive: Sequence[str | os.PathLike] = (),
    sha256: Sequence[str] = (),
    retries: int = 3,
    progress: bool = True,
) -> list[tuple[str, bool | None]]:
    """Get a dataset's archives (download, or ``from_archive``), verify, unpack, arrange; report.

    ``sha256`` pins the expected digests, in the order of the archives. Returns the check of what
    is in place afterwards, one ``(line, complete)`` per split (also printed). A source of single
    files (not archives) is downloaded to ``archives/<key>/`` file by file, each verified (a file
    already there and whole is not downloaded again), and arranged from there (copied: the
    downloaded files stay, like archives do).
    """
    src = key if isinstance(key, Source) else source(key)
    root = data_root(root)
    pins = list(sha256)
    if from_archive:
        archives = [Path(given).expanduser() for given in from_archive]
        known = [{a.filename: a.sha256 for a in src.archives}.get(path.name) for path in archives]
    else:
        direct = [a for a in src.archives if a.url is not None]
        if not direct:
            print(instructions(src, root))
            return []
        archives = [root / "archives" / (a.filename if is_archive(a.filename) else f"{src.key}/{a.filename}")
                    for a in direct]
        known = [a.sha256 for a in direct]
    # single files of the dataset (downloaded, never the user's): arranged together from their folder
    files = [] if from_archive else [i for i, path in enumerate(archives) if not is_archive(path.name)]
    if len(pins) > len(archives):
        raise ValueError(f"{len(pins)} --sha256 values for {len(archives)} archives")
    expected = [pins[i] if i < len(pins) else known[i] for i in range(len(archives))]
    for index, path in enumerate(archives):
        if from_archive and not path.exists():
            raise FileNotFoundError(f"{src.title}: --from-archive {path} does not exist")
        if from_archive and path.is_dir() and index < len(pins):
            raise ValueError(f"--sha256 was given for {path}, a folder: checksums apply to archive "
                             "files, not to unpacked folders (drop --sha256 or give the archive)")
    root.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(archives):
        if from_archive and path.is_dir():
            print(f"  {path}: a folder, used as it is (folders have no checksum)")
        elif from_archive:
            verify(path, expected[index])
        elif index not in files:
            url = direct[index].url
            print(f"downloading {url}")
            download(url, path, sha256=expected[index], retries=retries, progress=progress)
    if files:
        print(f"downloading {len(files)} files from {os.path.commonprefix([direct[i].url for i in files])}")
        for index in tqdm(files, unit="file", desc=src.key, disable=not progress):
            download(direct[index].url, archives[index], sha256=expected[index], retries=retries,
                     progress=False, quiet=True)
        checked = sum(expected[index] is not None for index in files)
        print(f"  {checked} of {len(files)} files: SHA-256 verified")
    staging = root / ".staging" / src.key
    try:
        if files:
            src.arrange(root / "archives" / src.key, root)
        for index, path in enumerate(archives):
            if index in files:
                continue
            if path.is_dir():
                src.arrange(path, root)
            else:
                print(f"  unpacking {path.name}")
                shutil.rmtree(staging, ignore_errors=True)
                src.arrange(unpack(path, staging), root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if staging.parent.is_dir() and not any(staging.parent.iterdir()):
            staging.parent.rmdir()
    if not from_archive and src.manual:
        print(instructions(src, root))
    report = src.check(root)
    for line, complete in report:
        print(f"  {line}" + ("  <- incomplete" if complete is False else ""))
    return report


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def status(key: str | Source, root: str | os.PathLike | None = None) -> str:
    """``ready``, ``missing`` or ``incomplete (...)`` for a dataset under the data root."""
    src = key if isinstance(key, Source) else source(key)
    root = data_root(root)
    if not any((root / folder).is_dir() for folder in src.folders):
        return "missing"
    incomplete = [line.split(":")[0] for line, complete in src.check(root) if complete is False]
    return f"incomplete ({'; '.join(incomplete)})" if incomplete else "ready"


def table(root: str | os.PathLike | None = None) -> list[dict[str, str]]:
    """One row per dataset: key, title, task, images, size, how it is fetched, licence, status."""
    root = data_root(root)
    rows = []
    for src in SOURCES.values():
        here = sum(_du(root / f) for f in src.folders if (root / f).is_dir())
        how = ("download" + (" + by hand" if src.manual else "")) if any(a.url for a in src.archives) \
            else "by hand, then --from-archive"
        rows.append({
            "key": src.key, "dataset": src.title, "task": src.task, "images": src.images,
            "size": src.size + (f" ({here / 1e6:,.1f} MB here)" if here else ""), "fetch": how,
            "licence": src.licence, "status": status(src, root),
        })
    return rows


def build_parser(prog: str = "durn-teach data") -> argparse.ArgumentParser:
    """The options of ``durn-teach data`` and data_scripts/."""
    parser = argparse.ArgumentParser(prog=prog, description="Fetch and arrange the paper's datasets.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every dataset with its size, licence and status")
    listing.add_argument("--data-root", "--root", dest="root",
                         help=f"data root (default: ${ENV}, else the user's cache)")
    get = commands.add_parser("fetch", help="download or take archives, verify, unpack, arrange")
    get.add_argument("name", choices=list(SOURCES), metavar="NAME", help=", ".join(SOURCES))
    get.add_argument("--data-root", "--root", dest="root",
                     help=f"data root (default: ${ENV}, else the user's cache)")
    get.add_argument("--from-archive", nargs="+", default=[], metavar="PATH",
                     help="archives (or unpacked folders) you downloaded yourself")
    get.add_argument("--sha256", action="append", default=[], metavar="HEX",
                     help="expected SHA-256 of each archive, in order (repeat for several)")
    get.add_argument("--retries", type=whole_number, default=3, help="interruptions to resume (default 3)")
    get.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "durn-teach data") -> int:
    """``list`` the datasets, or ``fetch`` one: the command line of ``durn-teach data`` and data_scripts/."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    root = data_root(args.root)
    if args.command == "list":
        print(f"data root: {root}")
        for row in table(root):
            print(f"{row['key']:17s} {row['status']:10s} {row['dataset']} ({row['task']}): "
                  f"{row['images']}; {row['size']}; {row['fetch']}; licence: {row['licence']}")
        return 0
    print(f"{source(args.name).title} -> {root}")
    try:
        report = fetch(args.name, root, from_archive=args.from_archive, sha256=args.sha256,
                       retries=args.retries, progress=not args.no_progress)
    except (ChecksumError, DownloadError, FileNotFoundError, ValueError) as error:
        print(f"{prog} fetch: error: {error}", file=sys.stderr)
        return 1
    incomplete = [line.split(":")[0] for line, complete in report if complete is False]
    if incomplete:
        print(f"{prog} fetch: error: {args.name} is incomplete ({'; '.join(incomplete)}): "
              "some files are missing from what was given", file=sys.stderr)
        return 1
    return 0
