"""Reading checkpoint files safely: plain state dicts only, never code.

The authors' ``*_model.pt`` files and the package's own are plain state dicts; they are read
with ``weights_only=True``, so a file holding other Python objects is refused instead of run.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import torch

CONTAINER_KEYS = ("state_dict", "model")


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the network asked for."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint with ``weights_only=True``: tensors and plain containers, never code."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"{path} was refused: it holds Python objects other than tensors, and loading it "
            f"could run arbitrary code. Only plain state dicts are loaded. ({error})"
        ) from None
    except (RuntimeError, EOFError, OSError) as error:
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint: {error}") from None
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
