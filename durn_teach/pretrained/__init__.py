"""Checkpoints trained by the package's own commands, shipped with it, and their registry.

``registry.json`` beside this file holds one entry per shipped checkpoint: its network, the
exact ``durn-teach train`` command, the data, the steps, the training time, the device and
precision, the numbers it measured on test sets, and the SHA-256 of its weights file, which is
checked every time the file is loaded. This module only reads the registry; the entries are
written by ``durn_teach.export`` (``durn-teach pretrained export`` from a run folder, ``record``
from the JSON of ``durn-teach compare``), never by hand. The weights are plain float32 state
dicts with the release's keys, like the authors' ``*_model.pt``;
``durn_teach.load_pretrained(name)`` loads one by its name, offline.

>>> list_pretrained()                               # doctest: +SKIP
['gaussian-gray']
>>> durn_teach.load_pretrained("DuRN-P", "gaussian-gray")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from durn_teach.checkpoints import CheckpointError
from durn_teach.files import ChecksumError as DownloadChecksumError
from durn_teach.files import DownloadError, download, sha256_of

FOLDER = Path(__file__).resolve().parent  # the shipped checkpoints (package data)
REGISTRY = "registry.json"
FORMAT = "durn-teach-pretrained/1"
# Weights files above this size stay out of the wheel: they live in the repository's top-level
# weights/ folder, and an installed package downloads them once from WEIGHTS_URL into its cache.
LARGE_BYTES = 8 * 2**20
WEIGHTS = FOLDER.parents[1] / "weights"
WEIGHTS_URL = "https://github.com/durn-teach/durn-teach/raw/main/weights/"
CACHE_ENV = "DURN_WEIGHTS_CACHE"


class ChecksumError(CheckpointError):
    """A shipped weights file whose SHA-256 is not the one its registry entry records."""


def _folder(folder: str | Path | None) -> Path:
    return FOLDER if folder is None else Path(folder)


def registry(folder: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The registry's entries, by name (an empty dict where nothing is shipped yet)."""
    path = _folder(folder) / REGISTRY
    if not path.is_file():
        return {}
    payload = json.loads(path.read_text())
    if payload.get("format") != FORMAT:
        raise ValueError(f"{path} has format {payload.get('format')!r}, this durn-teach reads {FORMAT!r}")
    return payload["checkpoints"]


def list_pretrained(folder: str | Path | None = None) -> list[str]:
    """The names of the shipped checkpoints, for ``durn_teach.load_pretrained(network, name)``."""
    return list(registry(folder))


def entry(name: str, folder: str | Path | None = None) -> dict[str, Any]:
    """The registry entry of a shipped checkpoint; an unknown name lists the known ones."""
    entries = registry(folder)
    if name not in entries:
        known = ", ".join(entries) or "none"
        raise ValueError(f"no shipped checkpoint named {name!r}; the shipped checkpoints are: {known}")
    return entries[name]


def sitting_presets(name: str, folder: str | Path | None = None) -> list[str]:
    """The preset of each sitting a shipped checkpoint was trained in, first to last (one for a
    checkpoint of a single sitting, whose entry has no ``stages``)."""
    record = entry(name, folder)
    return [stage["preset"] for stage in record.get("stages", [record])]


def cache_folder() -> Path:
    """Where downloaded weights are kept: ``$DURN_WEIGHTS_CACHE``, else durn-teach/weights in the
    user's cache folder."""
    import pooch

    return Path(os.environ.get(CACHE_ENV) or pooch.os_cache("durn-teach") / "weights")


def _weights_folder(folder: str | Path | None) -> Path:
    """The folder of the large weights files beside a registry: the checkout's weights/ for the package's."""
    return WEIGHTS if folder is None else Path(folder) / "weights"


def _external_file(name: str, record: dict[str, Any], folder: str | Path | None, progress: bool) -> Path:
    """A large weights file: from the checkout's weights/ folder, the cache, or downloaded into the cache."""
    for candidate in (_weights_folder(folder) / record["file"], cache_folder() / record["file"]):
        if candidate.is_file():
            return candidate
    target = cache_folder() / record["file"]
    print(f"downloading the weights of {name!r} ({record['bytes'] / 2**20:.0f} MB) into {target.parent}")
    try:
        return download(record["url"], target, sha256=record["sha256"], progress=progress)
    except DownloadChecksumError as error:
        raise ChecksumError(f"the weights of {name!r} downloaded from {record['url']} are damaged: {error}") \
            from None
    except (DownloadError, OSError) as error:
        raise FileNotFoundError(
            f"the weights of {name!r} are not here and could not be downloaded ({error}); download "
            f"{record['url']} by hand into {target.parent} (or set ${CACHE_ENV} to its folder)"
        ) from None


def weights_path(name: str, network: str | None = None, folder: str | Path | None = None,
                 progress: bool = True) -> Path:
    """The weights file of a shipped checkpoint, after checking its network and its SHA-256.

    ``network`` (if given) must be the entry's network. Small files ship in the package; large
    ones (an entry with a ``url``) are read from the checkout's ``weights/`` folder or the
    cache (:func:`cache_folder`), else downloaded once into the cache. A file whose hash
    differs from the registry's raises :class:`ChecksumError` with both hashes.
    """
    record = entry(name, folder)
    if network is not None and network != record["network"]:
        raise CheckpointError(
            f"the shipped checkpoint {name!r} holds {record['network']} weights, not {network}: "
            f"load it with load_pretrained({record['network']!r}, {name!r})"
        )
    if record.get("url"):
        path = _external_file(name, record, folder, progress)
    else:
        path = _folder(folder) / record["file"]
    if not path.is_file():
        raise FileNotFoundError(
            f"the shipped checkpoint {name!r} has no weights file at {path}; reinstall durn-teach "
            f"(pip install --force-reinstall durn-teach)"
        )
    actual = sha256_of(Path(path))
    if actual != record["sha256"]:
        raise ChecksumError(
            f"{path} is damaged or was changed: its SHA-256 is {actual}, the registry expects "
            f"{record['sha256']}. Reinstall durn-teach (pip install --force-reinstall durn-teach) to get "
            f"the shipped file back; if you exported new weights on purpose, export them with "
            f"`durn-teach pretrained export RUN {name}`, which records their hash."
        )
    return path


def training_log(name: str, folder: str | Path | None = None) -> list[dict[str, Any]]:
    """The training log of a shipped checkpoint: its records, as ``durn_teach.train.read_log`` gives."""
    record = entry(name, folder)
    path = _folder(folder) / record["log"]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluation(name: str, test_set: str, folder: str | Path | None = None) -> dict[str, Any]:
    """The committed JSON of ``durn-teach compare`` for a shipped checkpoint on ``test_set``."""
    entry(name, folder)
    path = _folder(folder) / f"{name}.{test_set}.json"
    if not path.is_file():
        shipped = sorted(p.name for p in _folder(folder).glob(f"{name}.*.json"))
        raise FileNotFoundError(
            f"no evaluation of {name!r} on {test_set!r} at {path}; shipped: {', '.join(shipped) or 'none'}"
        )
    return json.loads(path.read_text())
