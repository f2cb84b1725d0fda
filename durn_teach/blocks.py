# Collected by tools/collect.py from notebooks/04_dual_residual_blocks.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The dual residual blocks (Liu et al., CVPR 2019, Sec. 3 and Fig. 3)."""

from typing import Literal

from torch import Tensor, nn

from durn_teach.attention import SEBasicBlock
from durn_teach.layers import ConvLayer
from durn_teach.norms import FeatNorm, NormType

Padding = Literal["reflect", "zeros"]


class DuRB_P(nn.Module):
    """DuRB-P: T1 = conv(k1, dilation) + norm, T2 = conv(k2) + norm (Sec. 3.2, Fig. 3a)."""

    def __init__(
        self,
        dim: int = 32,
        k1_size: int = 3,
        k2_size: int = 1,
        dilation: int = 1,
        norm_type: NormType = "batch_norm",
        dilated_padding: Padding = "reflect",
    ) -> None:
        super().__init__()
        self.conv1 = ConvLayer(dim, dim, 3)
        self.norm1 = FeatNorm(norm_type, dim)
        self.conv2 = ConvLayer(dim, dim, 3)
        self.norm2 = FeatNorm(norm_type, dim)
        self.up_conv = ConvLayer(dim, dim, k1_size, dilation=dilation, dilated_padding=dilated_padding)
        self.up_norm = FeatNorm(norm_type, dim)
        self.down_conv = ConvLayer(dim, dim, k2_size)
        self.down_norm = FeatNorm(norm_type, dim)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor, res: Tensor) -> tuple[Tensor, Tensor]:
        x_r = x
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x) + x_r))
        res = self.relu(self.up_norm(self.up_conv(x)) + res)  # T1, then the r stream
        x = self.relu(self.down_norm(self.down_conv(res)) + x_r)  # T2, then the x stream
        return x, res


class DuRB_U(nn.Module):
    """DuRB-U: T1 = up-sampling (PixelShuffle) + conv, T2 = stride-2 conv (Sec. 3.2, Fig. 3b)."""

    def __init__(
        self,
        in_dim: int = 256,
        res_dim: int = 128,
        f_size: int = 3,
        dilation: int = 1,
        norm_type: NormType = "instance",
    ) -> None:
        super().__init__()
        self.conv1 = ConvLayer(in_dim, in_dim, 3)
        self.norm1 = FeatNorm(norm_type, in_dim)
        self.conv2 = ConvLayer(in_dim, in_dim, 3)
        self.norm2 = FeatNorm(norm_type, in_dim)
        self.conv_pre = ConvLayer(in_dim, 2 * in_dim, 1)
        self.norm_pre = FeatNorm(norm_type, 2 * in_dim)
        self.upsamp = nn.PixelShuffle(2)
        self.up_conv = ConvLayer(res_dim, res_dim, f_size, dilation=dilation, dilated_padding="zeros")
        self.up_norm = FeatNorm(norm_type, res_dim)
        self.down_conv = ConvLayer(res_dim, in_dim, 3, stride=2)
        self.down_norm = FeatNorm(norm_type, in_dim)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor, res: Tensor) -> tuple[Tensor, Tensor]:
        x_r = x
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x) + x_r))
        x = self.upsamp(self.norm_pre(self.conv_pre(x)))  # T1: up ...
        res = self.relu(self.up_norm(self.up_conv(x) + res))  # ... + conv, norm after the sum
        x = self.relu(self.down_norm(self.down_conv(res) + x_r))  # T2: down, norm after the sum
        return x, res


class DuRB_US(nn.Module):
    """DuRB-US: T1 = up-sampling + conv, T2 = SE block + stride-2 conv (Sec. 3.2, Fig. 3c)."""

    def __init__(self, dim: int = 64, f_size: int = 5, dilation: int = 1, se_hidden: int = 32) -> None:
        super().__init__()
        self.conv1 = ConvLayer(dim, dim, 3)
        self.conv2 = ConvLayer(dim, dim, 3)
        self.conv_pre = ConvLayer(dim, 4 * dim, 3)
        self.upsamp = nn.PixelShuffle(2)
        self.up_conv = ConvLayer(dim, dim, f_size, dilation=dilation, dilated_padding="zeros")
        self.se = SEBasicBlock(dim, se_hidden)
        self.down_conv = ConvLayer(dim, dim, 3, stride=2)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor, res: Tensor) -> tuple[Tensor, Tensor]:
        x_r = x
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x) + x_r)
        res = self.relu(self.up_conv(self.upsamp(self.conv_pre(x))) + res)  # T1: up + conv
        x = self.relu(self.down_conv(self.se(res)) + x_r)  # T2: SE + down
        return x, res


class DuRB_S(nn.Module):
    """DuRB-S: T1 = conv(k1, dilation) + norm, T2 = SE block + conv(k2) + norm (Fig. 3d)."""

    def __init__(
        self,
        dim: int = 64,
        k1_size: int = 3,
        k2_size: int = 3,
        dilation: int = 1,
        se_hidden: int = 32,
        dilated_padding: Padding = "reflect",
    ) -> None:
        super().__init__()
        self.conv1 = ConvLayer(dim, dim, 3)
        self.norm1 = FeatNorm("batch_norm", dim)
        self.conv2 = ConvLayer(dim, dim, 3)
        self.norm2 = FeatNorm("batch_norm", dim)
        self.up_conv = ConvLayer(dim, dim, k1_size, dilation=dilation, dilated_padding=dilated_padding)
        self.up_norm = FeatNorm("batch_norm", dim)
        self.se = SEBasicBlock(dim, se_hidden, with_norm=True)
        self.down_conv = ConvLayer(dim, dim, k2_size)
        self.down_norm = FeatNorm("batch_norm", dim)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor, res: Tensor) -> tuple[Tensor, Tensor]:
        x_r = x
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x) + x_r))
        res = self.relu(self.up_norm(self.up_conv(x)) + res)  # T1
        x = self.relu(self.down_norm(self.down_conv(self.se(res))) + x_r)  # T2: SE + conv
        return x, res
