# Collected by tools/collect.py from notebooks/19_cross_task_study.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The cross-task study (Liu et al., CVPR 2019, Table 5): a task's network with another DuRB."""

from typing import Literal

from torch import Tensor, nn

from durn_teach.blocks import DuRB_P, DuRB_S, DuRB_U, DuRB_US

BlockType = Literal["DuRB-P", "DuRB-U", "DuRB-US", "DuRB-S"]
BLOCK_TYPES: dict[str, type[nn.Module]] = {"DuRB-P": DuRB_P, "DuRB-U": DuRB_U, "DuRB-US": DuRB_US,
                                           "DuRB-S": DuRB_S}
UP_DOWN = (DuRB_U, DuRB_US)  # T1 up-samples: their r stream runs at twice the block input's size


def network_norm(model: nn.Module) -> str | None:
    """The normalisation a network's own layers use: batch norm, instance norm or none."""
    kinds = {type(module).__name__ for module in model.modules()}
    if "BatchNorm2d" in kinds:
        return "batch_norm"
    return "instance" if "InsNorm" in kinds else None


def make_block(kind: BlockType, old: nn.Module, norm: str | None) -> nn.Module:
    """A ``kind`` block in the place of the release block ``old``: the same width, T1's kernel,
    dilation and padding (T2's kernel too, between DuRB-P and DuRB-S) where the new block has them."""
    dim = old.conv1.conv2d.in_channels
    k1, dilation = old.up_conv.conv2d.kernel_size[0], old.up_conv.conv2d.dilation[0]
    k2 = old.down_conv.conv2d.kernel_size[0] if old.down_conv.conv2d.stride == (1, 1) else 3
    zeros = dilation > 1 and old.up_conv.conv2d.padding_mode == "zeros"  # the old block's padding
    padding = "zeros" if zeros else "reflect"
    if kind == "DuRB-P":
        return DuRB_P(dim, k1, k2, dilation, norm, dilated_padding=padding)
    if kind == "DuRB-S":
        return DuRB_S(dim, k1, k2, dilation, se_hidden=dim // 2, dilated_padding=padding)
    f_size = 3 if dilation > 1 else k1  # their dilated T1 pads by `dilation`: sizes keep for 3x3 only
    if kind == "DuRB-U":
        return DuRB_U(dim, dim // 2, f_size, dilation, norm)
    return DuRB_US(dim, f_size, dilation, se_hidden=dim // 2)


def fit_stream(block: nn.Module, args: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """Start the r stream afresh where the network's does not fit ``block``: at the block's input
    ``x`` for DuRB-P and DuRB-S (as DuRN-P starts it), at zero for DuRB-U and DuRB-US."""
    x, res = args
    if not isinstance(block, UP_DOWN):
        return (x, res) if res.shape == x.shape else (x, x)
    channels = block.up_conv.conv2d.out_channels
    shape = (x.shape[0], channels, 2 * x.shape[2], 2 * x.shape[3])
    return (x, res) if tuple(res.shape) == shape else (x, x.new_zeros(shape))


def swap_blocks(model: nn.Module, kind: BlockType) -> nn.Module:
    """Replace every DuRB of ``model`` that is not a ``kind`` by a new ``kind`` block, in place.

    The rest of the network (head, tail, normalisation, resets of r) stays the release's; the
    new blocks are freshly initialised, so the network must be trained (Table 5's study).
    """
    if kind not in BLOCK_TYPES:
        raise ValueError(f"unknown block type {kind!r}; the blocks are: {', '.join(BLOCK_TYPES)}")
    norm = network_norm(model)
    for name, child in list(model.named_children()):
        if isinstance(child, tuple(BLOCK_TYPES.values())) and not isinstance(child, BLOCK_TYPES[kind]):
            block = make_block(kind, child, norm)
            block.register_forward_pre_hook(fit_stream)
            setattr(model, name, block)
    return model
