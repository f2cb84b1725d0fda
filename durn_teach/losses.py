# Collected by tools/collect.py from notebooks/07_measuring_restoration.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The release's training losses (Liu et al., CVPR 2019, Sec. 5): SSIM as ``pytorch_ssim``
computes it, and the objective of each task, by name in ``LOSSES``."""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def check_pair(restored: Tensor, clean: Tensor) -> None:
    """Raise unless both are floating-point N x C x H x W tensors of one shape and dtype."""
    for name, tensor in (("restored", restored), ("clean", clean)):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if not tensor.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {tensor.dtype}")
        if tensor.ndim != 4:
            raise ValueError(f"{name} must be a batch N x C x H x W, got shape {tuple(tensor.shape)}")
    if restored.shape != clean.shape or restored.dtype != clean.dtype:
        raise ValueError(
            "restored and clean must have the same shape and dtype, got "
            f"{tuple(restored.shape)} {restored.dtype} and {tuple(clean.shape)} {clean.dtype}"
        )


def gaussian_window(size: int = 11, sigma: float = 1.5) -> Tensor:
    """The release's SSIM window: the outer product of a normalised 1-D Gaussian (float64)."""
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return torch.outer(g, g)


def ssim_map(restored: Tensor, clean: Tensor, window_size: int = 11, sigma: float = 1.5) -> Tensor:
    """The SSIM map (N x C x H x W) of two batches in [0, 1], as the release's ``pytorch_ssim``.

    Gaussian-weighted local statistics per channel (a depthwise convolution), zero padding of
    ``window_size // 2``, ``C1 = 0.01 ** 2`` and ``C2 = 0.03 ** 2`` (Wang et al. 2004).
    """
    check_pair(restored, clean)
    channels = restored.shape[1]
    window = gaussian_window(window_size, sigma).to(restored)
    window = window.expand(channels, 1, window_size, window_size)

    def local_mean(t: Tensor) -> Tensor:
        return F.conv2d(t, window, padding=window_size // 2, groups=channels)

    mu_x, mu_y = local_mean(restored), local_mean(clean)
    var_x = local_mean(restored * restored) - mu_x**2
    var_y = local_mean(clean * clean) - mu_y**2
    cov_xy = local_mean(restored * clean) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def ssim(restored: Tensor, clean: Tensor, window_size: int = 11, sigma: float = 1.5) -> Tensor:
    """The release's SSIM: the mean of :func:`ssim_map` over the batch, channels and pixels."""
    return ssim_map(restored, clean, window_size, sigma).mean()


def l2_loss(restored: Tensor, clean: Tensor) -> Tensor:
    """The mean squared error: the objective for Gaussian noise (DuRN-P)."""
    check_pair(restored, clean)
    return F.mse_loss(restored, clean)


def ssim_l1_loss(restored: Tensor, clean: Tensor) -> Tensor:
    """``1.1 * (-SSIM) + 0.75 * L1``: the objective for real noise, blur, haze, rain and raindrops."""
    return -1.1 * ssim(restored, clean) + 0.75 * F.l1_loss(restored, clean)


def l1_loss(restored: Tensor, clean: Tensor) -> Tensor:
    """``1.1 * L1``: the objective of the raindrop network's second training stage (DuRN-S-P)."""
    check_pair(restored, clean)
    return 1.1 * F.l1_loss(restored, clean)


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "l2": l2_loss,
    "ssim_l1": ssim_l1_loss,
    "l1": l1_loss,
}


def get_loss(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """The objective called ``name`` in ``LOSSES``."""
    if name not in LOSSES:
        raise KeyError(f"unknown loss {name!r}; the losses are {sorted(LOSSES)}")
    return LOSSES[name]
