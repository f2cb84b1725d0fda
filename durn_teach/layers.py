# Collected by tools/collect.py from notebooks/02_convlayer.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The release's convolution layer (Liu et al., CVPR 2019, Sec. 4: every DuRN)."""

from typing import Literal

from torch import Tensor, nn


class ConvLayer(nn.Module):
    """A size-keeping convolution: reflection padding of ``dilation * (kernel_size - 1) // 2``.

    ``dilated_padding="zeros"`` reproduces DuRN-U, DuRN-US and DuRN-S-P, whose dilated
    convolutions use the convolution's own zero padding of ``dilation`` instead.
    The weights live in ``self.conv2d``, as in the authors' checkpoints.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        dilated_padding: Literal["reflect", "zeros"] = "reflect",
    ) -> None:
        super().__init__()
        if dilated_padding not in ("reflect", "zeros"):
            raise ValueError(f"dilated_padding must be 'reflect' or 'zeros', got {dilated_padding!r}")
        if dilation > 1 and dilated_padding == "zeros":
            padding, mode = dilation, "zeros"
        else:
            padding, mode = dilation * (kernel_size - 1) // 2, "reflect"
        self.conv2d = nn.Conv2d(
            in_dim, out_dim, kernel_size, stride, padding, dilation, padding_mode=mode
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2d(x)
