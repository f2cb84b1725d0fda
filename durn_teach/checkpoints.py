"""Reading and writing checkpoint files safely: plain state dicts only, never code.

The authors' ``*_model.pt`` files and the package's own are plain state dicts; they are read
with ``weights_only=True``, so a file holding other Python objects is refused instead of run.
The same state dicts also go to and come from ``.safetensors`` files (the same keys), a format
that holds tensors only.
"""

from __future__ import annotations

import errno
import os
import pickle
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

import torch

CONTAINER_KEYS = ("state_dict", "model")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the network asked for."""


def reason(error: BaseException) -> str:
    """An exception's gist in one sentence: torch's loading errors are paragraphs of advice."""
    text = str(error).strip()
    unpickler = re.search(r"WeightsUnpickler error:\s*(\S.*)|^(.*\bGLOBAL\b.*)$", text, re.M)
    if unpickler:
        return (unpickler.group(1) or unpickler.group(2)).strip()
    first = text.splitlines()[0].strip() if text else type(error).__name__
    return first.split(". ")[0].rstrip(".")


SAFETENSORS = ".safetensors"


def _safetensors():
    try:
        import safetensors.torch  # optional: the safetensors extra
    except ImportError:
        raise CheckpointError("reading and writing .safetensors files needs the safetensors package: "
                              "pip install 'durn-teach[safetensors]'") from None
    return safetensors.torch


def write_atomic(path: str | Path, write: Callable[[BinaryIO], object], previous: str | Path | None = None,
                 what: str = "the file") -> Path:
    """Write ``path`` with ``write(file)`` through a temporary file (synced) and a rename.

    The file at ``path`` is either the old one or the new one, never a partial write: a full disk
    or a killed process leaves the old one as it was, and an ``OSError`` that names ``what`` and
    ``path`` says so. With ``previous``, the old file is moved there once the new one is whole.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if previous is not None and path.exists():
            os.replace(path, previous)
        os.replace(temporary, path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError | RuntimeError):  # torch.save reports a full disk as RuntimeError
            noun = what.removeprefix("the ")
            kept = f"; the previous {noun} at {path} is unchanged" if path.exists() else ""
            reason = getattr(error, "strerror", None) or str(error).strip().splitlines()[0]
            raise OSError(getattr(error, "errno", None) or errno.EIO,
                          f"could not write {what} {path}: {reason}{kept}") from error
        raise
    return path


def write_state_dict(state: Mapping[str, torch.Tensor], path: str | Path) -> Path:
    """Write a state dict to ``path``: safetensors for a ``.safetensors`` name, else ``torch.save``
    (the authors' format); atomically (:func:`write_atomic`)."""
    path = Path(path)
    tensors = {key: value.detach().cpu().contiguous() for key, value in state.items()}
    if path.suffix == SAFETENSORS:
        encode = _safetensors().save  # the bytes of a .safetensors file
        return write_atomic(path, lambda file: file.write(encode({k: v.clone() for k, v in tensors.items()})),
                            what="the weights")
    return write_atomic(path, lambda file: torch.save(tensors, file), what="the weights")


def non_finite(state: Mapping[str, torch.Tensor]) -> list[str]:
    """The names of a state dict's floating-point tensors that hold NaN or infinite values."""
    return [key for key, value in state.items()
            if value.is_floating_point() and not torch.isfinite(value).all()]


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint with ``weights_only=True`` (or a ``.safetensors`` file): tensors and plain
    containers, never code."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if path.suffix == SAFETENSORS:
        try:
            return dict(_safetensors().load_file(str(path)))
        except CheckpointError:
            raise
        except Exception as error:  # a torn or foreign file
            raise CheckpointError(f"{path} is not a readable safetensors file: {reason(error)}") from None
    with open(path, "rb") as file:
        head = file.read(4)
    if head[:2] != b"PK" and head[:1] != b"\x80":  # torch.save's zip archive, or the legacy pickle
        raise CheckpointError(
            f"{path} is not a PyTorch checkpoint: it starts with {head!r}, not a zip archive "
            f"(torch.save) or a pickle (PyTorch before 1.6)"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "GLOBAL" not in str(error).upper():  # a class or function the file asks to import
            raise CheckpointError(f"{path} is damaged or not a checkpoint: {reason(error)}") from None
        raise CheckpointError(
            f"{path} was refused: it holds Python objects other than tensors, and loading it "
            f"could run arbitrary code. Only plain state dicts are loaded. ({reason(error)})"
        ) from None
    except Exception as error:  # a torn or damaged file fails inside torch in many ways
        raise CheckpointError(
            f"{path} is not a readable PyTorch checkpoint (truncated or damaged?): "
            f"{type(error).__name__}: {reason(error)}"
        ) from None
    if isinstance(payload, Mapping):
        for key in CONTAINER_KEYS:
            if isinstance(payload.get(key), Mapping):
                payload = payload[key]
                break
    if not isinstance(payload, Mapping) or not payload:
        raise CheckpointError(
            f"{path} holds a {type(payload).__name__}, not a state dict (a mapping of names to tensors)"
        )
    bad = [key for key, value in payload.items() if not isinstance(key, str) or not torch.is_tensor(value)]
    if bad:
        raise CheckpointError(f"{path} is not a state dict: entries {bad[:3]} are not tensors")
    state = dict(payload)
    if all(key.startswith("module.") for key in state):  # saved from nn.DataParallel
        state = {key.removeprefix("module."): value for key, value in state.items()}
    return state
