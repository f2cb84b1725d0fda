"""The block and network diagrams are read from the modules, so they follow the code."""

from __future__ import annotations

import matplotlib
import pytest

from durn_teach import build_model
from durn_teach.diagram import draw_block, draw_network, operations, short

matplotlib.use("Agg")


def texts(figure) -> str:
    return "\n".join(t.get_text() for ax in figure.axes for t in ax.texts + [ax.title])


def test_a_blocks_operations_are_read_from_its_layers():
    block = build_model("DuRN-U").rud1
    t1, t2 = operations(block)
    assert t1 == ["conv 1x1, 256->512", "instance norm", "x2 up (PixelShuffle)",
                  "conv 3x3, 128->128, dilation 3", "instance norm"]
    assert t2 == ["conv 3x3, 128->256, stride 2 (down)", "instance norm"]
    assert operations(build_model("DuRN-US").rud1, short) == (["3x3", "up", "5x5"], ["SE", "3x3 /2"])
    block.up_conv.conv2d.dilation = (5, 5)  # the drawing follows the module, not a copy of the paper
    assert "dilation 5" in texts(draw_block(block))


@pytest.mark.parametrize("name, blocks", [("DuRN-P", 6), ("DuRN-U", 6), ("DuRN-US", 12), ("DuRN-S-P", 9),
                                          ("DuRN-S", 6)])
def test_each_network_is_drawn_with_all_its_blocks(name, blocks):
    model = build_model(name)
    drawn = texts(draw_network(model))
    parameters = sum(p.numel() for p in model.parameters())
    assert f"{blocks} blocks" in drawn and f"{parameters:,} parameters" in drawn
    assert drawn.count("T1:") == blocks and "stem" in drawn and "tail" in drawn


def test_something_that_is_no_block_is_refused():
    with pytest.raises(ValueError, match="Conv2d is not a dual residual block"):
        draw_block(build_model("DuRN-P").conv1.conv2d)
