"""Restore a NumPy image with a network: checks, padding, evaluation mode, no gradients."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from durn_teach.models import in_channels


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
    if not np.isfinite(image).all():
        raise ValueError(f"the image has {int((~np.isfinite(image)).sum())} NaN or infinite values")


def restore(model: nn.Module, image: np.ndarray) -> np.ndarray:
    """Restore ``image`` (HxW gray or HxWx3 colour, float in [0, 1]) with ``model``.

    Sizes the network cannot take are reflection-padded and cropped back; the result has
    the input's shape and dtype. Runs in evaluation mode, without gradients, on the
    model's device, and leaves the model's mode as it was.
    """
    check_image(image, in_channels(model))
    height, width = image.shape[:2]
    min_size = getattr(model, "min_size", 1)
    if min(height, width) < min_size:
        raise ValueError(
            f"the image is {height}x{width}; {type(model).__name__} needs at least "
            f"{min_size} pixels on each side"
        )
    parameter = next(model.parameters())
    x = torch.from_numpy(np.ascontiguousarray(image.reshape(height, width, -1)))
    x = x.permute(2, 0, 1)[None].to(parameter.device, parameter.dtype)
    multiple = getattr(model, "size_multiple", 1)
    x = F.pad(x, (0, -width % multiple, 0, -height % multiple), mode="reflect")
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            out = model(x)[0, :, :height, :width]
    finally:
        model.train(was_training)
    return out.permute(1, 2, 0).cpu().numpy().reshape(image.shape).astype(image.dtype)
