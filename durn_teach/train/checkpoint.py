"""Training checkpoints: written atomically, holding everything an exact resume needs.

A checkpoint is a dict of tensors and plain values, so ``torch.load(..., weights_only=True)``
reads it and ``durn_teach.load_pretrained`` takes its ``"model"`` entry as a state dict. It
carries the SHA-256 of its own contents (``"checksum"``), checked when it is read, so a file
damaged on disk is reported, never resumed; the loop keeps the checkpoint before the last one
(``last.prev.pt``) to fall back on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from durn_teach.checkpoints import write_atomic
from durn_teach.train.presets import Preset

FORMAT = "durn-teach-train/1"


class ResumeError(ValueError):
    """A checkpoint that cannot continue the run asked for."""


def rng_state(generator: torch.Generator | None = None) -> dict[str, Any]:
    """The state of every random number generator a run uses: Python, NumPy, torch, CUDA, loop."""
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"] = {key: np.asarray(value).tolist() for key, value in numpy_state["state"].items()}
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": numpy_state,
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def set_rng_state(state: dict[str, Any], generator: torch.Generator | None = None) -> None:
    """Put every generator back where ``rng_state`` found it."""
    random.setstate(state["python"])
    numpy_state = dict(state["numpy"])
    numpy_state["state"] = {
        key: np.asarray(value, dtype=np.uint32) if key == "key" else value
        for key, value in numpy_state["state"].items()
    }
    np.random.set_state(numpy_state)
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])


def save_atomic(payload: dict[str, Any], path: str | Path, previous: str | Path | None = None) -> Path:
    """Write ``payload`` to ``path`` through a temporary file and a rename.

    The file at ``path`` is either the previous checkpoint or the new one, never a partial
    write: a full disk or a killed process leaves the previous checkpoint as it was. With
    ``previous``, the checkpoint that was at ``path`` is moved there once the new one is whole.
    """
    return write_atomic(path, lambda file: torch.save(payload, file), previous, what="the checkpoint")


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files that :func:`save_atomic` of a killed process left in ``folder``
    (``.<name>.<pid>.tmp`` of a process that no longer runs); returns what was removed."""
    removed = []
    for path in Path(folder).glob(".*.*.tmp"):
        pid = path.name.removesuffix(".tmp").rpartition(".")[2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
            continue
        except ProcessLookupError:
            pass
        except PermissionError:  # it exists, as another user's process
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def payload_digest(payload: Any) -> str:
    """The SHA-256 of a checkpoint's contents: every tensor's dtype, shape and bytes and every
    plain value, in key order (the ``"checksum"`` entry itself left out)."""
    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            flat = value.detach().cpu().contiguous().reshape(-1)
            digest.update(f"tensor {value.dtype} {tuple(value.shape)};".encode())
            digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
        elif isinstance(value, dict):
            digest.update(b"{")
            for key in sorted(value, key=repr):
                if key != "checksum":
                    digest.update(repr(key).encode())
                    feed(value[key])
            digest.update(b"}")
        elif isinstance(value, list | tuple):
            digest.update(b"[")
            for item in value:
                feed(item)
            digest.update(b"]")
        else:
            digest.update(f"{type(value).__name__} {value!r};".encode())

    feed(payload)
    return digest.hexdigest()


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a training checkpoint (``weights_only=True``), refusing other files clearly."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as error:
        raise ResumeError(f"{path} is not a readable durn-teach training checkpoint: {error}") from None
    if not isinstance(payload, dict) or "format" not in payload:
        raise ResumeError(
            f"{path} is not a durn-teach training checkpoint (no 'format' entry); to start from "
            f"a plain state dict such as the authors' *_model.pt, pass it as init (--init), not resume"
        )
    if payload["format"] != FORMAT:
        raise ResumeError(
            f"{path} has checkpoint format {payload['format']!r}, this durn-teach reads {FORMAT!r}; "
            f"resume it with the durn-teach version that wrote it, or start from its weights with --init"
        )
    if "checksum" in payload and payload_digest(payload) != payload["checksum"]:
        raise ResumeError(f"{path} is corrupt: its contents do not match the checksum written with them "
                          f"(a damaged disk or copy); it was not resumed")
    return payload


def check_compatible(payload: dict[str, Any], preset: dict[str, Any], path: str | Path) -> None:
    """Refuse to resume a run of another network or with another setting, naming the differences."""
    saved = payload["preset"]
    if saved["network"] != preset["network"]:
        raise ResumeError(
            f"{path} is a {saved['network']} checkpoint (preset {saved['name']!r}); "
            f"this run trains {preset['network']} (preset {preset['name']!r})"
        )
    defaults = {f.name: f.default for f in dataclasses.fields(Preset) if f.default is not dataclasses.MISSING}
    changed = [  # a setting added since the checkpoint was written counts as its default
        f"{key}: {saved.get(key, defaults.get(key))!r} in the checkpoint, {value!r} now"
        for key, value in preset.items()
        if saved.get(key, defaults.get(key)) != value
    ]
    if changed:
        raise ResumeError(
            f"{path} was written by a run with another setting, so resuming would not continue it:\n  "
            + "\n  ".join(changed)
        )
