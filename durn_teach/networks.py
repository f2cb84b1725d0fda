# Collected by tools/collect.py from notebooks/05_networks.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The six Dual Residual Networks of the release (Liu et al., CVPR 2019, Sec. 4)."""

from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

from durn_teach.blocks import DuRB_P, DuRB_S, DuRB_U, DuRB_US
from durn_teach.layers import ConvLayer
from durn_teach.norms import FeatNorm, NormType


class DuRN_P(nn.Module):
    """DuRN-P: a conv head, six DuRB-P, a conv tail, ``tanh(...) + input`` (Sec. 4.1, Fig. 4).

    ``norm_type=None`` gives DuRN-P-no-norm, the real-noise network.
    """

    size_multiple = 1
    min_size = 16  # block 6 reflection-pads by 15 pixels

    def __init__(self, in_channels: int = 1, dim: int = 32, norm_type: NormType = "batch_norm") -> None:
        super().__init__()
        self.dim, self.norm_type = dim, norm_type
        self.conv1 = ConvLayer(in_channels, dim, 3)
        self.norm1 = FeatNorm(norm_type, dim)
        self.conv2 = ConvLayer(dim, dim, 3)
        self.norm2 = FeatNorm(norm_type, dim)
        self.block1 = self.make_block(k1_size=5, k2_size=3, dilation=1)
        self.block2 = self.make_block(k1_size=7, k2_size=5, dilation=1)
        self.block3 = self.make_block(k1_size=7, k2_size=5, dilation=2)
        self.block4 = self.make_block(k1_size=11, k2_size=7, dilation=2)
        self.block5 = self.make_block(k1_size=11, k2_size=5, dilation=1)
        self.block6 = self.make_block(k1_size=11, k2_size=7, dilation=3)
        self.conv3 = ConvLayer(dim, dim, 3)
        self.norm3 = FeatNorm(norm_type, dim)
        self.conv4 = ConvLayer(dim, in_channels, 3)
        self.relu = nn.ReLU()
        self.tanh = nn.Tanh()

    def make_block(self, k1_size: int, k2_size: int, dilation: int) -> nn.Module:
        return DuRB_P(self.dim, k1_size, k2_size, dilation, self.norm_type)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.relu(self.norm2(self.conv2(out)))
        res = out
        for block in (self.block1, self.block2, self.block3, self.block4, self.block5, self.block6):
            out, res = block(out, res)
        out = self.relu(self.norm3(self.conv3(out)))
        return self.tanh(self.conv4(out)) + x


class DuRN_S(DuRN_P):
    """DuRN-S: DuRN-P's design at 64 channels with DuRB-S blocks (Sec. 4.5)."""

    def __init__(self, in_channels: int = 3, dim: int = 64) -> None:
        super().__init__(in_channels, dim, norm_type="batch_norm")

    def make_block(self, k1_size: int, k2_size: int, dilation: int) -> nn.Module:
        return DuRB_S(self.dim, k1_size, k2_size, dilation, se_hidden=self.dim // 2)


class DuRN_U(nn.Module):
    """DuRN-U: stride-2 encoder, six DuRB-U, PixelShuffle decoder, ``tanh(...) + input`` (Sec. 4.2)."""

    size_multiple = 4
    min_size = 8  # instance norm needs more than one pixel at a quarter of the size

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, padding=3)
        self.norm1 = FeatNorm("instance", 64)
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, stride=2, padding=1)
        self.norm2 = FeatNorm("instance", 128)
        self.conv3 = nn.Conv2d(128, 256, kernel_size=3, stride=2, padding=1)
        self.norm3 = FeatNorm("instance", 256)
        self.rud1 = DuRB_U(256, 128, f_size=3, dilation=3)
        self.rud2 = DuRB_U(256, 128, f_size=7, dilation=1)
        self.rud3 = DuRB_U(256, 128, f_size=3, dilation=3)
        self.rud4 = DuRB_U(256, 128, f_size=7, dilation=1)
        self.rud5 = DuRB_U(256, 128, f_size=3, dilation=2)
        self.rud6 = DuRB_U(256, 128, f_size=5, dilation=1)
        self.upconv1 = ConvLayer(256, 512, 1)
        self.upnorm1 = FeatNorm("instance", 512)
        self.upsamp1 = nn.PixelShuffle(2)
        self.conv4 = ConvLayer(128, 128, 3)
        self.norm4 = FeatNorm("instance", 128)
        self.upconv2 = ConvLayer(128, 256, 1)
        self.upnorm2 = FeatNorm("instance", 256)
        self.upsamp2 = nn.PixelShuffle(2)
        self.conv5 = ConvLayer(64, 64, 3)
        self.norm5 = FeatNorm("instance", 64)
        self.end_conv = nn.Conv2d(64, 3, kernel_size=7, padding=3)
        self.relu = nn.ReLU()
        self.tanh = nn.Tanh()

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.relu(self.norm2(self.conv2(out)))
        res = out  # taken at half resolution, before the second stride-2 convolution
        out = self.relu(self.norm3(self.conv3(out)))
        for block in (self.rud1, self.rud2, self.rud3, self.rud4, self.rud5, self.rud6):
            out, res = block(out, res)
        out = self.upsamp1(self.upnorm1(self.upconv1(out)))
        out = self.relu(self.norm4(self.conv4(out)))
        out = self.upsamp2(self.upnorm2(self.upconv2(out)))
        out = self.relu(self.norm5(self.conv5(out)))
        return self.tanh(self.end_conv(out)) + x


class DuRN_US(nn.Module):
    """DuRN-US: stride-2 encoder, twelve DuRB-US, PixelShuffle decoder (Sec. 4.3)."""

    size_multiple = 4
    min_size = 12  # the 11x11 convolutions reflection-pad by 5 at half the size

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, padding=3)
        self.conv2 = nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1)
        for number, f_size in enumerate([5, 5, 7, 7] + [11] * 8, start=1):
            self.add_module(f"rud{number}", DuRB_US(64, f_size=f_size))
        self.upconv1 = ConvLayer(64, 256, 3)
        self.upsamp1 = nn.PixelShuffle(2)
        self.conv4 = ConvLayer(64, 64, 3)
        self.upconv2 = ConvLayer(64, 256, 3)
        self.upsamp2 = nn.PixelShuffle(2)
        self.conv5 = ConvLayer(64, 64, 3)
        self.end_conv = nn.Conv2d(64, 3, kernel_size=7, padding=3)
        self.relu = nn.ReLU()
        self.tanh = nn.Tanh()

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.conv1(x))
        out = self.relu(self.conv2(out))
        res = out  # taken at half resolution, as in DuRN-U
        out = self.relu(self.conv3(out))
        for number in range(1, 13):
            out, res = getattr(self, f"rud{number}")(out, res)
        out = self.relu(self.conv4(self.upsamp1(self.upconv1(out))))
        out = self.relu(self.conv5(self.upsamp2(self.upconv2(out))))
        return self.tanh(self.end_conv(out)) + x


def _up_stage(in_dim: int, out_dim: int) -> nn.Sequential:
    """The release's up-sampling: transposed conv, a one-pixel reflection pad, 2x2 average."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_dim, out_dim, kernel_size=4, stride=2, padding=1),
        nn.ReflectionPad2d((1, 0, 1, 0)),
        nn.AvgPool2d(2, stride=1),
        nn.ReLU(),
    )


class DuRN_S_P(nn.Module):
    """DuRN-S-P: three DuRB-S, a reset of ``res``, six DuRB-P; ``input - tanh(...)`` (Sec. 4.4)."""

    size_multiple = 4
    min_size = 16  # the 7x7 convolutions reflection-pad by 3 at a quarter of the size
    colour_order = "bgr"  # the release fed it OpenCV's BGR images; restore() converts RGB for it

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=5, padding=1)  # shrinks by 2: a release quirk
        self.norm1 = FeatNorm("batch_norm", 64)
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, stride=2, padding=1)
        self.norm2 = FeatNorm("batch_norm", 128)
        self.conv3 = nn.Conv2d(128, 128, kernel_size=3, stride=2, padding=1)
        self.norm3 = FeatNorm("batch_norm", 128)
        for number, dilation in enumerate([12, 8, 6], start=1):
            block = DuRB_S(128, 3, 3, dilation, se_hidden=64, dilated_padding="zeros")
            self.add_module(f"rud{number}", block)
        p_blocks = [(3, 2), (5, 1), (3, 3), (7, 1), (3, 4), (7, 1)]  # (f_size, dilation) of rud4-rud9
        for number, (f_size, dilation) in enumerate(p_blocks, start=4):
            block = DuRB_P(128, f_size, 5, dilation, "batch_norm", dilated_padding="zeros")
            self.add_module(f"rud{number}", block)
        self.deconv1 = _up_stage(128, 128)
        self.conv4 = ConvLayer(128, 128, 3)
        self.norm4 = FeatNorm("batch_norm", 128)
        self.deconv2 = _up_stage(128, 64)
        self.end_conv = ConvLayer(64, 3, 5)
        self.relu = nn.ReLU()
        self.tanh = nn.Tanh()
        self.prelu = nn.PReLU()  # unused, as in the release; kept for its checkpoint key

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.relu(self.norm2(self.conv2(out)))
        out = self.relu(self.norm3(self.conv3(out)))
        res = out
        for block in (self.rud1, self.rud2, self.rud3):
            out, res = block(out, res)
        res = out  # the reset between the DuRB-S and the DuRB-P group
        for block in (self.rud4, self.rud5, self.rud6, self.rud7, self.rud8, self.rud9):
            out, res = block(out, res)
        out = self.relu(self.norm4(self.conv4(self.deconv1(out))))
        return x - self.tanh(self.end_conv(self.deconv2(out)))


def durn_p(**options: Any) -> DuRN_P:
    """DuRN-P for Gaussian noise removal on gray images, with batch norm (Sec. 4.1)."""
    return DuRN_P(**options)


def durn_p_no_norm(**options: Any) -> DuRN_P:
    """DuRN-P without normalisation, for real-world noise on colour images (Sec. 4.1)."""
    return DuRN_P(**{"in_channels": 3, "norm_type": None, **options})


def durn_u(**options: Any) -> DuRN_U:
    """DuRN-U for motion blur removal (Sec. 4.2)."""
    return DuRN_U(**options)


def durn_us(**options: Any) -> DuRN_US:
    """DuRN-US for haze removal (Sec. 4.3)."""
    return DuRN_US(**options)


def durn_s_p(**options: Any) -> DuRN_S_P:
    """DuRN-S-P for raindrop removal (Sec. 4.4)."""
    return DuRN_S_P(**options)


def durn_s(**options: Any) -> DuRN_S:
    """DuRN-S for rain-streak removal (Sec. 4.5)."""
    return DuRN_S(**options)


MODELS: dict[str, Callable[..., nn.Module]] = {
    "DuRN-P": durn_p,
    "DuRN-P-no-norm": durn_p_no_norm,
    "DuRN-U": durn_u,
    "DuRN-US": durn_us,
    "DuRN-S-P": durn_s_p,
    "DuRN-S": durn_s,
}
