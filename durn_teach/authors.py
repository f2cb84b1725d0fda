"""The authors' released checkpoints, one command away (Liu et al., CVPR 2019, the release's "Models").

The release publishes every trained network in one Google Drive file, ``trainedmodels.zip``
(its README's "Models" link); unzipped, the test scripts read
``trainedmodels/<data_name>/<tag>_model.pt``. :func:`fetch` downloads it once into the cache
(with ``gdown`` when it is installed, else a direct download), or takes the file or its unzipped
folder from ``from_archive`` when the machine is offline; keeps only the checkpoints asked for;
loads each strictly into its network, refusing a file that does not fit; and records each
file's SHA-256 on its first fetch, checked on every later use (the release publishes none).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from torch import nn

from durn_teach.checkpoints import CheckpointError, write_atomic
from durn_teach.files import ChecksumError, DownloadError, download, sha256_of
from durn_teach.models import load_pretrained
from durn_teach.pretrained import cache_folder

DRIVE_ID = "1Fi6B3Lm_8afu_Ak8LxGihXJTd2XGx9Y2"
PAGE = f"https://drive.google.com/file/d/{DRIVE_ID}/view"
URL = f"https://drive.usercontent.google.com/download?id={DRIVE_ID}&export=download&confirm=t"
ARCHIVE = "trainedmodels.zip"
RECORD = "sha256.json"  # the digests recorded on first fetch
PREFIX = "authors:"  # --weights authors:KEY


@dataclass(frozen=True)
class Release:
    """One released checkpoint: the network it fits and its place in ``trainedmodels/``."""

    network: str
    path: str
    trained_on: str


RELEASES = {
    "gaussian": Release("DuRN-P", "BSD_gray/DuRN_P_model.pt", "BSD500 gray (Gaussian noise)"),
    "real-noise": Release("DuRN-P-no-norm", "RealNoiseHKPoly/DuRN_P_no_norm_model.pt", "PolyU real noise"),
    "motion-blur": Release("DuRN-U", "GoPro/DuRN_U_model.pt", "GoPro (motion blur; also the Car dataset)"),
    "haze-reside": Release("DuRN-US", "RESIDE/DuRN-US_model.pt", "RESIDE ITS (haze)"),
    "haze-dcpdn": Release("DuRN-US", "DCPDNData/DuRN-US_model.pt", "DCPDN data (haze)"),
    "raindrop": Release("DuRN-S-P", "RainDrop/DuRN_S_P_model.pt", "RainDrop (raindrops)"),
    "rain-streak-didmdn": Release("DuRN-S", "DIDMDN_Data/DuRN_S_model.pt", "DID-MDN (rain streaks)"),
    "rain-streak-ddn": Release("DuRN-S", "DDN_Data/DuRN_S_model.pt", "DDN (rain streaks)"),
}


def folder() -> Path:
    """Where the authors' checkpoints are kept: ``authors/`` in the weights cache."""
    return cache_folder() / "authors"


def select(names: Iterable[str] = ()) -> list[str]:
    """The release keys ``names`` ask for: keys, or networks (all of a network's); all if none."""
    chosen: list[str] = []
    for name in list(names) or list(RELEASES):
        keys = [name] if name in RELEASES else [k for k, r in RELEASES.items() if r.network == name]
        if not keys:
            networks = sorted({r.network for r in RELEASES.values()})
            raise ValueError(f"no released checkpoint {name!r}; give one of {', '.join(RELEASES)} or a "
                             f"network ({', '.join(networks)})")
        chosen += [key for key in keys if key not in chosen]
    return chosen


def _recorded(where: Path) -> dict[str, str]:
    record = where / RECORD
    return json.loads(record.read_text()) if record.is_file() else {}


def _write_record(where: Path, digests: dict[str, str]) -> None:
    text = json.dumps(digests, indent=2, sort_keys=True) + "\n"
    write_atomic(where / RECORD, lambda file: file.write(text.encode()), what="the SHA-256 record")


def _download(where: Path, url: str, progress: bool) -> Path:
    """The release's zip in ``where`` (downloaded once; gdown when installed, for Google Drive)."""
    target = where / ARCHIVE
    if target.is_file():
        return target
    advice = (f"download {PAGE} by hand ({ARCHIVE}) and run: durn-teach weights fetch authors "
              f"--from-archive PATH (the zip, or the folder it unzips to), or put the zip at {target}")
    try:
        if url == URL and _has_gdown():
            import gdown  # optional: Google Drive's confirmation pages for large files

            part = where / f"{ARCHIVE}.part"
            if gdown.download(id=DRIVE_ID, output=str(part), quiet=not progress) is None:
                raise DownloadError("gdown could not fetch the file")
            os.replace(part, target)
        else:
            download(url, target, progress=progress, quiet=True, retries=0)
    except (DownloadError, OSError) as error:
        cause = error.__cause__
        if isinstance(cause, OSError) or "Connection" in type(cause).__name__:
            reason = f"{urlparse(url).netloc} cannot be reached from here"
        else:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        part = where / f"{ARCHIVE}.part"
        if part.is_file() and part.stat().st_size == 0:
            part.unlink()
        raise DownloadError(f"could not download the authors' models ({reason}); {advice}") from None
    if not zipfile.is_zipfile(target):  # Google Drive answers with a web page when it refuses
        target.rename(target.with_name(ARCHIVE + ".rejected"))
        raise DownloadError(f"what came back from {url} is not a zip archive (kept aside as "
                            f"{ARCHIVE}.rejected); {advice}")
    return target


def _has_gdown() -> bool:
    import importlib.util

    return importlib.util.find_spec("gdown") is not None


def _extract(source: Path, keys: list[str], where: Path) -> None:
    """Put the checkpoints of ``keys`` from the zip or folder ``source`` under ``where/trainedmodels``."""
    for key in keys:
        inner = f"trainedmodels/{RELEASES[key].path}"
        target = where / inner
        if source.is_dir():
            roots = [source, source.parent] if source.name == "trainedmodels" else [source]
            found = next((root / inner for root in roots if (root / inner).is_file()), None)
            if found is None:
                raise FileNotFoundError(f"{source} holds no {inner}: give the folder that the release's "
                                        f"{ARCHIVE} unzips to")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
            continue
        try:
            with zipfile.ZipFile(source) as archive:
                member = next((n for n in archive.namelist() if n.endswith(inner)), None)
                if member is None:
                    raise FileNotFoundError(f"{source} holds no {inner}: is it the release's {ARCHIVE}?")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as file, tempfile.NamedTemporaryFile(
                        dir=target.parent, delete=False) as out:
                    shutil.copyfileobj(file, out)
                os.replace(out.name, target)
        except (zipfile.BadZipFile, EOFError) as error:
            raise ValueError(f"cannot unpack {source}: {error} (a truncated download? fetch it "
                             "again)") from None


def fetch(
    names: Iterable[str] = (),
    from_archive: str | os.PathLike | None = None,
    url: str = URL,
    progress: bool = True,
) -> dict[str, Path]:
    """Get the released checkpoints ``names`` (keys or networks; all by default) into the cache.

    Each is loaded strictly into its network (a file that does not fit is refused) and its
    SHA-256 recorded on first fetch and checked ever after. Returns the key -> file of each.
    """
    keys = select(names)
    where = folder()
    where.mkdir(parents=True, exist_ok=True)
    missing = [key for key in keys if not (where / "trainedmodels" / RELEASES[key].path).is_file()]
    if missing:
        source = Path(from_archive).expanduser() if from_archive else _download(where, url, progress)
        if not source.exists():
            raise FileNotFoundError(f"--from-archive {source} does not exist")
        _extract(source, missing, where)
    digests = _recorded(where)
    paths = {}
    for key in keys:
        release, path = RELEASES[key], where / "trainedmodels" / RELEASES[key].path
        try:
            load_pretrained(release.network, path)
        except CheckpointError as error:
            path.unlink()
            raise CheckpointError(f"the released {key} checkpoint does not load into {release.network}, "
                                  f"so it was removed: {str(error).splitlines()[0]}") from None
        digest = sha256_of(path)
        if digests.get(key, digest) != digest:
            raise ChecksumError(f"{path}: SHA-256 {digest} differs from the {digests[key]} recorded when it "
                                f"was first fetched; delete the file and fetch it again")
        note = "matches the SHA-256 recorded at its first fetch" if key in digests else \
            "SHA-256 recorded (its first fetch)"
        digests[key] = digest
        print(f"  {key}: {release.network}, loads strictly; {digest[:16]}... {note}")
        paths[key] = path
    _write_record(where, digests)
    return paths


def weights_path(key: str) -> Path:
    """The cached file of the released checkpoint ``key``, its SHA-256 checked against the record."""
    if key not in RELEASES:
        raise ValueError(f"no released checkpoint {key!r}; one of {', '.join(RELEASES)}")
    path = folder() / "trainedmodels" / RELEASES[key].path
    if not path.is_file():
        raise FileNotFoundError(f"the authors' {key} checkpoint is not here yet: run durn-teach weights "
                                f"fetch authors {key}")
    recorded = _recorded(folder()).get(key)
    if recorded is not None and sha256_of(path) != recorded:
        raise ChecksumError(f"{path} changed since its first fetch (SHA-256 differs from the record); "
                            f"delete it and run durn-teach weights fetch authors {key}")
    return path


def load_authors(key: str, map_location: str = "cpu") -> nn.Module:
    """The authors' released network ``key`` (fetched before), loaded strictly, in evaluation mode."""
    path = weights_path(key)  # first: it says what an unknown key is
    return load_pretrained(RELEASES[key].network, path, map_location=map_location)


def resolve(weights: str) -> tuple[str | None, str]:
    """``--weights authors:KEY`` -> (its network, its cached file); anything else -> (None, weights)."""
    if not weights.startswith(PREFIX):
        return None, weights
    key = weights.removeprefix(PREFIX)
    path = weights_path(key)  # first: it says what an unknown key is
    return RELEASES[key].network, str(path)
