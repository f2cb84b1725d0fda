"""The fast path of ``restore`` folds only what is right (issue 22)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from durn_teach import build_model, restore
from durn_teach.speed import fold_batchnorm, inference_copy

TOLERANCE = 1e-4  # fast path against optimize=False, float32
CHANGED = 1e-2  # each update must move the output at least this much, or the test proves nothing

pytestmark = pytest.mark.usefixtures("one_thread")


def with_statistics(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` with BatchNorm running statistics and affine weights away from their defaults."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                shape = module.running_mean.shape
                module.running_mean.copy_(0.1 * torch.randn(shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                module.weight.copy_(1 + 0.1 * torch.randn(shape, generator=generator))
                module.bias.copy_(0.1 * torch.randn(shape, generator=generator))
    return model


def durn_p(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return with_statistics(build_model("DuRN-P"), seed)


def gray_image(side: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((side, side), dtype=np.float32)


class SharedConv(nn.Module):
    """One convolution at two places, only one of them followed by BatchNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.norm = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.norm(self.conv(x)) + self.conv(x)


class SharedNorm(SharedConv):
    def forward(self, x):
        return self.norm(self.conv(x)) + self.norm(x)


class ConvWeightRead(SharedConv):
    def forward(self, x):
        return self.norm(self.conv(x)) * self.conv.weight.mean()


class AliasedConv(SharedConv):
    """The same convolution under two names."""

    def __init__(self) -> None:
        super().__init__()
        self.alias = self.conv

    def forward(self, x):
        return self.norm(self.conv(x)) + self.alias(x)


class TiedWeight(SharedConv):
    """Two convolutions sharing one weight: the folded one must not change the other's."""

    def __init__(self) -> None:
        super().__init__()
        self.other = nn.Conv2d(3, 3, 3, padding=1)
        self.other.weight = self.conv.weight

    def forward(self, x):
        return self.norm(self.conv(x)) + self.other(x)


class SingleUse(SharedConv):
    def forward(self, x):
        return self.norm(self.conv(x)) + x


UNFOLDABLE = [SharedConv, SharedNorm, ConvWeightRead, AliasedConv]


@pytest.mark.parametrize("network", [*UNFOLDABLE, TiedWeight, SingleUse])
def test_folding_is_right_for_every_use_of_a_shared_module(network):
    torch.manual_seed(0)
    model = with_statistics(network()).eval()
    x = torch.rand(2, 3, 12, 12)
    with torch.no_grad():
        expected = model(x)
        torch.testing.assert_close(fold_batchnorm(model)(x), expected, rtol=0, atol=1e-5)
        torch.testing.assert_close(inference_copy(model)(x), expected, rtol=0, atol=1e-5)
    image = np.random.default_rng(0).random((12, 12, 3), dtype=np.float32)
    np.testing.assert_allclose(restore(model, image), restore(model, image, optimize=False), atol=1e-5)
    unfolded = any(isinstance(m, nn.BatchNorm2d) for m in fold_batchnorm(model).modules())
    assert unfolded == (network in UNFOLDABLE)
