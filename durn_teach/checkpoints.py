"""Reading checkpoint files safely: plain state dicts only, never code.

The authors' ``*_model.pt`` files and the package's own are plain state dicts; they are read
with ``weights_only=True``, so a file holding other Python objects is refused instead of run.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import torch

CONTAINER_KEYS = ("state_dict", "model")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the network asked for."""


def reason(error: BaseException) -> str:
    """An exception's gist in one sentence: torch's loading errors are paragraphs of advice."""
    text = str(error).strip()
    unpickler = re.search(r"WeightsUnpickler error:\s*(\S.*)", text)
    if unpickler:
        return unpickler.group(1).strip()
    first = text.splitlines()[0].strip() if text else type(error).__name__
    return first.split(". ")[0].rstrip(".")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint with ``weights_only=True``: tensors and plain containers, never code."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
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
        if "Unsupported global" not in str(error):
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
