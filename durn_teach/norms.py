# Collected by tools/collect.py from notebooks/03_normalisation_attention.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""Normalisation layers of the release (Liu et al., CVPR 2019, Sec. 4)."""

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

NormType = Literal["batch_norm", "instance"] | None


class InsNorm(nn.Module):
    """The release's instance norm: ``x_hat * scale + scale`` (``shift`` is kept but unused).

    ``x_hat`` uses the biased variance and ``eps`` inside the square root. ``fused=False``
    computes it by hand, line by line as the release does; the default calls
    ``F.instance_norm``, the same computation in one kernel.
    """

    def __init__(self, dim: int, eps: float = 1e-9, fused: bool = True) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.rand(dim))
        self.shift = nn.Parameter(torch.zeros(dim))
        self.eps = eps
        self.fused = fused

    def forward(self, x: Tensor) -> Tensor:
        if self.fused:
            return F.instance_norm(x, weight=self.scale, bias=self.scale, eps=self.eps)
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
        scale = self.scale[None, :, None, None]
        return (x - mean) / torch.sqrt(var + self.eps) * scale + scale


class FeatNorm(nn.Module):
    """The release's normalisation wrapper; ``norm_type=None`` means no normalisation.

    It exists for its name: checkpoint keys read ``...norm1.norm.weight``.
    """

    def __init__(self, norm_type: NormType, dim: int) -> None:
        super().__init__()
        if norm_type == "batch_norm":
            self.norm = nn.BatchNorm2d(dim)
        elif norm_type == "instance":
            self.norm = InsNorm(dim)
        elif norm_type is None:
            self.norm = nn.Identity()
        else:
            raise ValueError(f"norm_type must be 'batch_norm', 'instance' or None, got {norm_type!r}")

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x)
