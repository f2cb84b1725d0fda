"""Diagrams of the dual residual blocks and networks, drawn from the modules themselves.

The roles of the paper's Fig. 3 (a block: two paired operations ``T1`` and ``T2`` on two
residual streams) and Fig. 4 (a network: a stem, the chain of blocks, a tail) are drawn with
matplotlib from a built module: every label (kernel, dilation, stride, channels, SE,
up-sampling, normalisation) is read from the layers it names, so a diagram cannot drift from the
code it shows (Liu et al., CVPR 2019, Sec. 3-4).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from durn_teach.attention import SEBasicBlock
from durn_teach.layers import ConvLayer
from durn_teach.norms import FeatNorm

T1_PARTS = ("conv_pre", "norm_pre", "upsamp", "up_conv", "up_norm")  # in the order they run
T2_PARTS = ("se", "down_conv", "down_norm")
QUIET = (nn.ReLU, nn.Tanh, nn.Identity)


def describe(module: nn.Module) -> str:
    """A layer in a few words: ``conv 3x3, 64->64, dilation 2``, ``x2 up (PixelShuffle)``, ``SE``."""
    conv = module.conv2d if isinstance(module, ConvLayer) else module
    if isinstance(conv, nn.ConvTranspose2d):
        return f"x2 up (transposed conv {conv.kernel_size[0]}x{conv.kernel_size[1]}), " \
               f"{conv.in_channels}->{conv.out_channels}"
    if isinstance(conv, nn.Conv2d):
        k = conv.kernel_size
        text = f"conv {k[0]}x{k[1]}, {conv.in_channels}->{conv.out_channels}"
        if conv.dilation[0] > 1:
            text += f", dilation {conv.dilation[0]}"
        if conv.stride[0] > 1:
            text += f", stride {conv.stride[0]} (down)"
        return text
    if isinstance(module, nn.PixelShuffle):
        return f"x{module.upscale_factor} up (PixelShuffle)"
    if isinstance(module, SEBasicBlock):
        return f"SE block ({module.conv1.in_channels} channels)"
    if isinstance(module, FeatNorm):
        inner = type(module.norm).__name__
        return {"BatchNorm2d": "batch norm", "InsNorm": "instance norm", "Identity": ""}.get(inner, inner)
    if isinstance(module, nn.BatchNorm2d):
        return "batch norm"
    if isinstance(module, nn.Sequential):
        return ", ".join(part for part in map(describe, module) if part)
    return type(module).__name__


def short(module: nn.Module) -> str:
    """A layer in a word or two, for the network view: ``5x5 d2``, ``3x3 /2``, ``up``, ``SE``."""
    conv = module.conv2d if isinstance(module, ConvLayer) else module
    if isinstance(conv, nn.ConvTranspose2d):
        return "up (tconv)"
    if isinstance(conv, nn.Conv2d):
        text = f"{conv.kernel_size[0]}x{conv.kernel_size[1]}"
        text += f" d{conv.dilation[0]}" if conv.dilation[0] > 1 else ""
        return text + (" /2" if conv.stride[0] > 1 else "")
    if isinstance(module, nn.PixelShuffle):
        return "up"
    if isinstance(module, SEBasicBlock):
        return "SE"
    if isinstance(module, nn.Sequential):
        return " ".join(part for part in map(short, module) if part)
    return ""


def is_block(module: nn.Module) -> bool:
    """A dual residual block: a module with both paired operations' convolutions."""
    return hasattr(module, "up_conv") and hasattr(module, "down_conv")


def operations(block: nn.Module, words: Any = describe) -> tuple[list[str], list[str]]:
    """The layers of ``T1`` and of ``T2`` of a block, described by ``words``, in the order they run."""
    def parts(names: tuple[str, ...]) -> list[str]:
        texts = [words(getattr(block, name)) for name in names if hasattr(block, name)]
        return [text for text in texts if text]

    return parts(T1_PARTS), parts(T2_PARTS)


def _box(ax: Any, x: float, y: float, w: float, h: float, text: str, colour: str, size: float = 7.5) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.05",
                                facecolor=colour, edgecolor="0.3", lw=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, wrap=True)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], colour: str = "0.25") -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.0})


def draw_block(block: nn.Module, ax: Any = None, title: str | None = None) -> Any:
    """One dual residual block (the roles of Fig. 3): ``x`` through two 3x3 convolutions with a
    skip, ``T1`` added to the ``res`` stream, ``T2`` of the new ``res`` added back to ``x``.
    Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    if not is_block(block):
        raise ValueError(f"{type(block).__name__} is not a dual residual block (no up_conv and down_conv)")
    t1, t2 = operations(block)
    fig = ax.figure if ax is not None else plt.figure(figsize=(10, 3.2))
    ax = ax or fig.add_subplot()
    ax.set(xlim=(0, 10), ylim=(0, 3.2))
    ax.axis("off")
    x_y, res_y = 2.5, 0.5
    ax.text(0.05, x_y, "x", fontsize=11, va="center")
    ax.text(0.05, res_y, "res", fontsize=11, va="center")
    inner = f"{describe(block.conv1)}\n{describe(block.conv2)}, + skip"
    _box(ax, 0.6, x_y - 0.45, 2.2, 0.9, inner, "#eeeeee")
    _box(ax, 3.4, 1.05, 2.6, 0.9, "T1: " + "\n".join(t1), "#cfe3f7")
    _box(ax, 6.6, 1.05, 2.6, 0.9, "T2: " + "\n".join(t2), "#f7dccf")
    _arrow(ax, (0.35, x_y), (0.6, x_y))
    _arrow(ax, (2.8, x_y), (3.9, 1.95))  # x into T1
    ax.plot([0.45, 9.6], [res_y, res_y], color="#1f77b4", lw=1.2)
    _arrow(ax, (4.7, 1.05), (4.7, res_y + 0.08), "#1f77b4")
    ax.text(4.85, res_y + 0.12, "+  (res <- res + T1)", fontsize=7.5, color="#1f77b4")
    _arrow(ax, (6.1, res_y), (7.2, 1.05), "#1f77b4")  # the new res into T2
    ax.plot([0.45, 9.6], [x_y + 0.55, x_y + 0.55], color="#d62728", lw=1.2, ls="--")
    ax.text(0.6, x_y + 0.65, "skip: the block's input x", fontsize=7.5, color="#d62728")
    _arrow(ax, (8.4, 1.95), (8.4, x_y + 0.47), "#d62728")
    ax.text(8.55, x_y + 0.1, "+  (x <- x + T2)", fontsize=7.5, color="#d62728")
    _arrow(ax, (9.2, res_y), (9.8, res_y), "#1f77b4")
    _arrow(ax, (9.2, x_y + 0.55), (9.8, x_y + 0.55), "#d62728")
    ax.set_title(title or f"{type(block).__name__}: T1 and T2 paired across the two streams", fontsize=10)
    return fig


def draw_network(model: nn.Module, ax: Any = None, title: str | None = None) -> Any:
    """A network (the roles of Fig. 4): its stem, its chain of blocks with each block's ``T1`` and
    ``T2``, and its tail, every label read from the layers. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    children = [(name, module) for name, module in model.named_children() if not isinstance(module, QUIET)]
    blocks = [(name, module) for name, module in children if is_block(module)]
    if not blocks:
        raise ValueError(f"{type(model).__name__} holds no dual residual block")
    first = children.index(blocks[0])
    last = children.index(blocks[-1])
    stem, tail = children[:first], children[last + 1 :]
    count, step = len(blocks), 1.25
    width = 2.9 + step * count + 2.9
    fig = ax.figure if ax is not None else plt.figure(figsize=(min(20, 0.62 * width + 1), 3.4))
    ax = ax or fig.add_subplot()
    ax.set(xlim=(0, width), ylim=(0, 3.6))
    ax.axis("off")

    def listing(parts: list[tuple[str, nn.Module]]) -> str:
        words = [f"{name} {short(module)}" for name, module in parts if short(module)]
        return "\n".join(words)

    _box(ax, 0.1, 0.5, 2.5, 2.6, "stem\n" + listing(stem), "#eeeeee", 7)
    for k, (name, block) in enumerate(blocks):
        left = 2.9 + step * k
        t1, t2 = operations(block, short)
        _box(ax, left, 1.9, step - 0.15, 1.0, f"{name}\nT1: " + " ".join(t1), "#cfe3f7", 7)
        _box(ax, left, 0.7, step - 0.15, 1.0, "T2: " + " ".join(t2), "#f7dccf", 7)
    end = 2.9 + step * count
    ax.plot([2.6, end], [3.2, 3.2], color="#d62728", lw=1.2)
    ax.plot([2.6, end], [0.45, 0.45], color="#1f77b4", lw=1.2)
    ax.text(2.9, 3.3, "x stream", fontsize=8, color="#d62728")
    ax.text(2.9, 0.15, "res stream (k x k: kernel, d: dilation, /2: stride 2, up: x2 up-sampling)",
            fontsize=8, color="#1f77b4")
    _box(ax, end + 0.05, 0.5, 2.6, 2.6, "tail\n" + listing(tail), "#eeeeee", 7)
    kind = {"DuRB_P": "DuRB-P", "DuRB_U": "DuRB-U", "DuRB_US": "DuRB-US", "DuRB_S": "DuRB-S"}
    names = list(dict.fromkeys(kind.get(type(b).__name__, type(b).__name__) for _, b in blocks))
    norms = sorted({describe(m) for m in model.modules() if isinstance(m, FeatNorm)} - {""})
    parameters = sum(p.numel() for p in model.parameters())
    ax.set_title(title or f"{type(model).__name__.replace('_', '-')}: {count} blocks ({', '.join(names)}), "
                 f"{parameters:,} parameters; {', '.join(norms) or 'no normalisation'}", fontsize=10)
    return fig
