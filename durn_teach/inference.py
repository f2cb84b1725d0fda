"""Restore an image (NumPy, or a tensor or batch) with a network: checks, padding, evaluation mode,
no gradients, tiles."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm  # the plain bar: the command line shows it

from durn_teach.machine import auto_amp
from durn_teach.models import in_channels
from durn_teach.speed import evaluation_view, inference_copy, no_tracing

LIMIT = 2.0  # noise of sigma 70 (0-255 scale) takes a [0, 1] image to about -0.9 and 1.9: accepted


def check_image(image: np.ndarray, channels: int) -> None:
    """Raise a clear error unless ``image`` is a finite float image with ``channels`` channels."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"expected a NumPy array, got {type(image).__name__}")
    if not np.issubdtype(image.dtype, np.floating):
        hint = " (for 8-bit images use image.astype(np.float32) / 255)" if image.dtype == np.uint8 else ""
        raise TypeError(f"expected a float image in [0, 1], got dtype {image.dtype}{hint}")
    layout = "HxW (or HxWx1)" if channels == 1 else f"HxWx{channels}"
    shape = "x".join(map(str, image.shape))
    gray = image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1)
    if channels == 1 and not gray or channels > 1 and (image.ndim != 3 or image.shape[2] != channels):
        hint = ""
        if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[2] not in (1, 3):
            hint = "; it looks channels-first: use image.transpose(1, 2, 0)"
        raise ValueError(f"this network restores {layout} images, got {shape}{hint}")
    _check_values(int((~np.isfinite(image)).sum()), lambda: (float(image.min()), float(image.max())))


def _check_values(non_finite: int, extremes: Callable[[], tuple[float, float]]) -> None:
    """Refuse NaN or infinite values, and values no degraded [0, 1] image can hold (a 0-255 float)."""
    if non_finite:
        raise ValueError(f"the image has {non_finite} NaN or infinite values")
    low, high = extremes()
    if low < -LIMIT or high > 1 + LIMIT:
        scale = "; it looks like an image on the 0-255 scale: divide it by 255" if high > 3 else ""
        raise ValueError(f"the image's values run from {low:.3g} to {high:.3g}, far outside [0, 1] "
                         f"(a degraded image stays within [-{LIMIT:g}, {1 + LIMIT:g}]){scale}")


def check_tensor(image: torch.Tensor, channels: int) -> None:
    """Raise a clear error unless ``image`` is a finite float CxHxW or NxCxHxW tensor with ``channels``."""
    if not image.is_floating_point():
        hint = " (for 8-bit images use tensor.float() / 255)" if image.dtype == torch.uint8 else ""
        raise TypeError(f"expected a float tensor in [0, 1], got dtype {image.dtype}{hint}")
    shape = "x".join(map(str, image.shape))
    if image.ndim not in (3, 4) or image.shape[-3] != channels:
        last = image.ndim == 3 and image.shape[-1] == channels and image.shape[0] != channels
        hint = "; it looks channels-last: use tensor.permute(2, 0, 1)" if last else ""
        raise ValueError(f"this network restores {channels}xHxW or Nx{channels}xHxW tensors, got {shape}"
                         f"{hint}")
    if image.numel() == 0:
        raise ValueError(f"the tensor is empty ({shape})")
    values = image.detach()
    _check_values(int((~torch.isfinite(values)).sum()), lambda: (float(values.min()), float(values.max())))



AMP_DTYPES = ("bfloat16", "float16")
AMP_CHOICES = (*AMP_DTYPES, "auto")  # "auto": machine.auto_amp, bfloat16 where it was measured to pay


def _window(length: int, overlap: int, ramp_start: bool, ramp_end: bool) -> torch.Tensor:
    """A 1-D blending weight: 1 inside, a raised-cosine ramp over ``overlap`` pixels at inner edges.

    Where two tiles overlap by exactly ``overlap`` pixels, one's falling ramp ``cos^2`` and the
    other's rising ramp ``sin^2`` sum to one, so blending is a partition of unity; the ramps stay
    above zero, so every pixel has weight wherever tiles overlap by more.
    """
    weight = torch.ones(length)
    if overlap > 0:
        ramp = torch.sin(torch.pi / 2 * (torch.arange(overlap) + 0.5) / overlap).square()
        if ramp_start:
            weight[:overlap] = ramp
        if ramp_end:
            weight[length - overlap :] = ramp.flip(0)
    return weight


def _starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile origins along one side: a stride of ``tile - overlap``, the last tile flush with the end."""
    if tile >= length:
        return [0]
    starts = list(range(0, length - tile, tile - overlap))
    return starts + [length - tile]


def _check_tiling(model: nn.Module, tile: int, overlap: int) -> None:
    name = type(model).__name__
    multiple, min_size = getattr(model, "size_multiple", 1), getattr(model, "min_size", 1)
    if not isinstance(tile, int) or isinstance(tile, bool) or tile < 1:
        raise ValueError(f"tile must be a positive number of pixels, got {tile!r}")
    if tile % multiple:
        raise ValueError(
            f"tile={tile} is not a multiple of {multiple}, which {name} needs; "
            f"use tile={max(multiple, tile // multiple * multiple)}"
        )
    if tile < min_size:
        raise ValueError(f"tile={tile} is smaller than {name}'s smallest input side, {min_size}")
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap <= tile // 2:
        raise ValueError(
            f"overlap must be a whole number of pixels from 0 to tile // 2 = {tile // 2}, got {overlap!r}"
        )


def restore(
    model: nn.Module,
    image: np.ndarray | torch.Tensor,
    tile: int | None = None,
    overlap: int = 64,
    optimize: bool = True,
    amp: str | None = None,
    colour_order: str = "rgb",
    clip: bool = True,
    progress: bool = False,
) -> np.ndarray | torch.Tensor:
    """Restore ``image`` with ``model``: a NumPy HxW gray or HxWx3 colour image, float in [0, 1],
    or a tensor, CxHxW or a batch NxCxHxW, on any device.

    Sizes the network cannot take are reflection-padded and cropped back; the result has the
    input's type, shape, dtype (and device), clipped to [0, 1] as the paper clips before it
    scores (and as ``imshow`` and image files expect); ``clip=False`` returns the network's raw
    output. Runs in evaluation mode, without gradients, on the model's device, and never changes
    the model: not its mode, not its running statistics, even while several threads restore
    with it at once. A batch runs as one forward pass (each image's result is the one it gets
    alone, to rounding), or image by image when tiled.

    ``tile`` (pixels, a multiple of the network's ``size_multiple``, at least its ``min_size``)
    restores the image in overlapping ``tile`` x ``tile`` tiles, one at a time, blended with a
    raised-cosine window over ``overlap`` pixels, so that memory depends on the tile, not the
    image: a 12-megapixel photo restores on a CPU within 4 GiB. Networks with batch norm compute
    each pixel from its neighbourhood only (in evaluation mode), and their tiled result agrees
    with the whole-image one (above 50 dB PSNR). DuRN-U's instance norm normalises by statistics
    of the whole input, so tiled it normalises each tile by that tile's own statistics: a
    different, though seamless, result; use tiles as large as memory allows.

    ``optimize=True`` (the default) runs the fast path, which keeps the outputs to rounding
    error: a cached copy with BatchNorm folded into the convolutions, in channels-last, under
    ``torch.inference_mode`` (:func:`durn_teach.speed.inference_copy`), always with the model's
    current weights and settings; ``False`` runs ``model`` itself (in training mode, a copy of its
    modules in evaluation mode that shares its weights: :func:`durn_teach.speed.evaluation_view`).
    ``amp="bfloat16"`` or ``"float16"`` runs under autocast: several times faster on GPUs and on
    CPUs with bfloat16 units, but not within the float32 tolerance (``durn-teach bench --amp``
    reports the difference); off by default. ``amp="auto"`` takes bfloat16 on a CPU with bfloat16
    units, where it was measured faster and within 0.05 dB of float32 on every shipped checkpoint,
    and float32 elsewhere (:func:`durn_teach.machine.auto_amp`).

    ``colour_order`` is the order of ``image``'s channels (``"rgb"`` or ``"bgr"``). A network
    that takes the other order (DuRN-S-P takes BGR, as the release fed it: its
    ``colour_order``) gets its channels swapped, and the result is swapped back. ``progress``
    shows a bar over the tiles of a tiled restore (``durn-teach restore`` shows it).
    """
    channels = in_channels(model)
    if isinstance(image, torch.Tensor):
        check_tensor(image, channels)
    else:
        check_image(image, channels)
    if colour_order not in ("rgb", "bgr"):
        raise ValueError(f"colour_order must be 'rgb' or 'bgr', got {colour_order!r}")
    if amp is not None and amp not in AMP_CHOICES:
        raise ValueError(f"amp must be None or one of {AMP_CHOICES}, got {amp!r}")
    if amp == "auto":
        amp = auto_amp(next(model.parameters()).device)
    if tile is not None:
        _check_tiling(model, tile, overlap)
    swap = channels == 3 and getattr(model, "colour_order", "rgb") != colour_order
    if isinstance(image, torch.Tensor):
        batch = image.detach()[None] if image.ndim == 3 else image.detach()
        batch = batch.flip(1) if swap else batch
        if tile is None:
            out = _restore_batch(model, batch, tile, overlap, optimize, amp)
        else:
            out = torch.cat([_restore_batch(model, one[None], tile, overlap, optimize, amp, progress)
                             for one in batch])
        out = (out.flip(1) if swap else out).reshape(image.shape).to(image.dtype)
        return out.clamp(0, 1) if clip else out
    height, width = image.shape[:2]
    if swap:
        image = image[..., ::-1]
    native = image.dtype.newbyteorder("=")  # torch reads only the machine's byte order (big-endian files)
    x = torch.from_numpy(np.ascontiguousarray(image.reshape(height, width, -1), dtype=native))
    out = _restore_batch(model, x.permute(2, 0, 1)[None], tile, overlap, optimize, amp, progress)[0]
    out = out.permute(1, 2, 0).numpy().reshape(image.shape).astype(image.dtype)
    if clip:
        out = np.clip(out, 0, 1)
    return np.ascontiguousarray(out[..., ::-1]) if swap else out


def _restore_batch(
    model: nn.Module, x: torch.Tensor, tile: int | None, overlap: int, optimize: bool, amp: str | None,
    progress: bool = False,
) -> torch.Tensor:
    """The network's output for the NxCxHxW batch ``x`` (padded to the sizes it takes, cropped
    back), on ``x``'s device in the model's dtype; tiled (``tile``) one image at a time."""
    height, width = x.shape[2:]
    min_size = getattr(model, "min_size", 1)
    if min(height, width) < min_size:
        raise ValueError(
            f"the image is {height}x{width}; {type(model).__name__} needs at least "
            f"{min_size} pixels on each side"
        )
    parameter = next(model.parameters())
    home = x.device
    x = x.to(parameter.dtype)
    multiple = getattr(model, "size_multiple", 1)
    x = F.pad(x, (0, -width % multiple, 0, -height % multiple), mode="reflect")
    # Neither path changes ``model``: not its mode, not its running statistics.
    network = inference_copy(model) if optimize else evaluation_view(model)

    def run(part: torch.Tensor) -> torch.Tensor:
        part = part.to(parameter.device)
        with contextlib.ExitStack() as stack:
            stack.enter_context(torch.inference_mode())
            if amp is not None:
                stack.enter_context(torch.autocast(parameter.device.type, dtype=getattr(torch, amp)))
            return network(part).to(home, parameter.dtype)

    with no_tracing():
        if tile is None or tile >= max(x.shape[2:]):
            out = run(x)
        else:
            out = _restore_tiled(run, x[0], tile, overlap, progress)[None]
    return out[:, :, :height, :width]


def _restore_tiled(
    run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int, overlap: int,
    progress: bool = False,
) -> torch.Tensor:
    """Run ``run`` on overlapping tiles of ``x`` (CxHxW) and blend the outputs with a smooth window."""
    _, height, width = x.shape
    tile_h, tile_w = min(tile, height), min(tile, width)
    rows, cols = _starts(height, tile_h, overlap), _starts(width, tile_w, overlap)
    out = torch.zeros_like(x)
    total = torch.zeros(height, width, dtype=x.dtype, device=x.device)
    with tqdm(total=len(rows) * len(cols), unit="tile", desc="restoring", disable=not progress) as bar:
        for top in rows:
            wy = _window(tile_h, overlap, top > 0, top + tile_h < height).to(x.device, x.dtype)
            for left in cols:
                wx = _window(tile_w, overlap, left > 0, left + tile_w < width).to(x.device, x.dtype)
                weight = wy[:, None] * wx[None, :]
                part = run(x[None, :, top : top + tile_h, left : left + tile_w])[0]
                out[:, top : top + tile_h, left : left + tile_w] += part * weight
                total[top : top + tile_h, left : left + tile_w] += weight
                bar.update()
    return out.div_(total)
