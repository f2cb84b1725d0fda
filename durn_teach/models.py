"""Build, load and summarise the six networks by name: the package's public entry points."""

from __future__ import annotations

import inspect
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torchinfo
from torch import nn

from durn_teach.checkpoints import CheckpointError, non_finite, read_state_dict
from durn_teach.cross_task import BlockType, swap_blocks
from durn_teach.machine import pick_device
from durn_teach.networks import MODELS
from durn_teach.pretrained import entry, list_pretrained, weights_path
from durn_teach.speed import use_fast_path, use_reference

__all__ = ["CheckpointError", "build_model", "in_channels", "list_models", "load_pretrained",
           "release_norm_init", "summary"]


def list_models() -> list[str]:
    """The names ``build_model`` accepts, in the paper's order."""
    return list(MODELS)


def build_model(name: str, reference: bool = False, block: BlockType | None = None,
                **options: Any) -> nn.Module:
    """Build a network by its paper name, exactly as released unless ``options`` say otherwise.

    ``block`` (``"DuRB-P"``, ``"DuRB-U"``, ``"DuRB-US"`` or ``"DuRB-S"``) replaces the network's
    dual residual blocks by new ones of that type, for the paper's cross-task study (Table 5;
    :func:`durn_teach.cross_task.swap_blocks`): such a network must be trained, and the released
    checkpoints do not fit it. ``None``, the default, keeps the release's blocks.

    By default the network takes the fast path (fused instance norm, channels-last weights:
    :func:`durn_teach.speed.use_fast_path`), which computes the same outputs to rounding error
    with the release's state-dict keys. ``reference=True`` gives the eager network that mirrors
    the release's code line by line (hand-written instance norm), the benchmark's baseline.

    >>> build_model("DuRN-P")          # doctest: +SKIP
    """
    try:
        builder = MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown network {name!r}; the networks are: {', '.join(MODELS)}") from None
    impossible = {key: value for key, value in options.items()
                  if isinstance(value, int) and not isinstance(value, bool) and value < 1}
    if impossible:
        raise ValueError(f"{name} cannot be built with {impossible}: sizes and counts must be positive "
                         "integers")
    try:
        model = builder(**options)
    except TypeError as error:
        network = inspect.signature(builder).return_annotation
        accepted = ", ".join(inspect.signature(network).parameters) or "none"
        raise TypeError(f"{name} does not take {sorted(options)}; its options are: {accepted}") from error
    if block is not None:
        swap_blocks(model, block)
    return use_reference(model) if reference else use_fast_path(model)


def release_norm_init(model: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """Start ``model``'s BatchNorm layers as the PyTorch 0.3 of the release did: weights uniform
    in [0, 1), biases 0 (today's PyTorch starts the weights at 1). In place; returns ``model``.

    For from-scratch runs of the networks with BatchNorm (DuRN-P, DuRN-S, DuRN-S-P); the
    instance-normalised networks and loaded weights are unaffected.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
                weight = torch.rand(module.weight.shape, generator=generator, dtype=module.weight.dtype)
                module.weight.copy_(weight)
                module.bias.zero_()
    return model


def in_channels(model: nn.Module) -> int:
    """The number of image channels a network takes (that of its first convolution)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    raise ValueError(f"{type(model).__name__} has no convolution to read its input channels from")


def transforms(name: str) -> str:
    """What an image must be before network ``name`` sees it, as torchvision's weights say it:
    read from the network itself (its channels, colour order and size constraints)."""
    with torch.device("meta"):  # the structure only: no weights allocated
        model = build_model(name)
    channels = in_channels(model)
    order = getattr(model, "colour_order", "rgb")
    image = "HxW gray" if channels == 1 else "HxWx3 RGB" if order == "rgb" else \
        f"HxWx3 {order.upper()} (restore takes RGB and swaps it)"
    multiple, smallest = getattr(model, "size_multiple", 1), getattr(model, "min_size", 1)
    size = f"; sides multiples of {multiple} (restore pads)" if multiple > 1 else ""
    return f"{image} float in [0, 1], no mean subtraction; at least {smallest} px{size}"


@lru_cache
def _manifest(name: str) -> dict[str, tuple[int, ...]]:
    """Key -> shape of a network's state dict, built on the meta device (no memory, no time)."""
    with torch.device("meta"):
        model = MODELS[name]()
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def _closest_network(shapes: dict[str, tuple[int, ...]]) -> tuple[str, float]:
    """The registered network whose (key, shape) pairs overlap most with a checkpoint's."""
    pairs = set(shapes.items())

    def overlap(name: str) -> float:
        expected = set(_manifest(name).items())
        return len(pairs & expected) / len(pairs | expected)

    best = max(MODELS, key=overlap)
    return best, overlap(best)


def load_pretrained(
    name: str, path: str | Path | None = None, map_location: str | torch.device = "cpu",
    reference: bool = False,
) -> nn.Module:
    """Load a checkpoint in the authors' format (a plain state dict) into network ``name``.

    ``path`` is a checkpoint file or, where no such file exists, the name of a checkpoint
    shipped with the package (``durn_teach.pretrained.list_pretrained()``, e.g.
    ``"gaussian-gray"``), whose network and SHA-256 are checked against its registry entry.
    A shipped checkpoint's name alone, ``load_pretrained("gaussian-gray")``, loads it into the
    network its registry entry names.
    Accepts the ``module.`` prefix of ``nn.DataParallel`` and checkpoints without
    ``num_batches_tracked`` (saved by old PyTorch). Loads strictly, with
    ``weights_only=True``; returns the network in evaluation mode on ``map_location`` (refused,
    with what to use, where this machine lacks that device), on the fast path unless
    ``reference=True`` (see :func:`build_model`).
    """
    device = pick_device(map_location)  # refuses a device this machine lacks, before any loading
    if path is None:
        if name not in list_pretrained():
            raise ValueError(
                f"load_pretrained({name!r}) needs weights: a shipped checkpoint's name alone (one of "
                f"{', '.join(list_pretrained()) or 'none'}) or a network and a checkpoint file, "
                f"load_pretrained('DuRN-P', 'DuRN_P_model.pt')")
        name, path = entry(name)["network"], name
    model = build_model(name, reference=reference)
    path = Path(path)
    if not path.is_file():
        if str(path) in list_pretrained():
            path = weights_path(str(path), network=name)
        else:
            shipped = ", ".join(list_pretrained()) or "none"
            raise FileNotFoundError(
                f"no checkpoint at {path}, and {str(path)!r} is not the name of a shipped checkpoint "
                f"(the shipped checkpoints are: {shipped})"
            )
    state = read_state_dict(path)
    broken = [f"{key} ({int((~torch.isfinite(state[key])).sum())} of {state[key].numel()})"
              for key in non_finite(state)]
    if broken:
        raise CheckpointError(f"{path} holds NaN or infinite weights in {len(broken)} tensor(s), e.g. "
                              f"{', '.join(broken[:3])}: a damaged file or a diverged run; it was not loaded")
    expected = model.state_dict()
    for key, value in expected.items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(value)
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    wrong_shape = [
        f"{key} {tuple(state[key].shape)} (expected {tuple(value.shape)})"
        for key, value in expected.items()
        if key in state and state[key].shape != value.shape
    ]
    if missing or unexpected or wrong_shape:
        lines = [f"{path} does not fit {name}:"]
        for label, keys in [("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)]:
            if keys:
                lines.append(f"  {len(keys)} {label} keys, e.g. {', '.join(keys[:3])}")
        closest, score = _closest_network({key: tuple(v.shape) for key, v in state.items()})
        if closest != name and score > 0.5:
            lines.append(f"  it looks like a {closest} checkpoint: load_pretrained({closest!r}, ...)")
        raise CheckpointError("\n".join(lines))
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def summary(
    name_or_model: str | nn.Module,
    input_size: tuple[int, ...] | None = None,
    depth: int = 2,
    **kwargs: Any,
) -> torchinfo.ModelStatistics:
    """The torchinfo table of a network (by name or module) on one 64x64 image by default."""
    model = build_model(name_or_model) if isinstance(name_or_model, str) else name_or_model
    if input_size is None:
        input_size = (1, in_channels(model), 64, 64)
    kwargs.setdefault("col_names", ("output_size", "num_params", "mult_adds"))
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("device", next(model.parameters()).device)
    return torchinfo.summary(model, input_size=input_size, depth=depth, **kwargs)
