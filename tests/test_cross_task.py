"""The cross-task study's block swap (chapter 19): every network with every DuRB type runs, keeps the
release's other layers, restarts the residual stream where it no longer fits, and trains."""

from __future__ import annotations

import json

import pytest
import torch

from durn_teach.blocks import DuRB_P, DuRB_S, DuRB_U, DuRB_US
from durn_teach.cli import main
from durn_teach.cross_task import BLOCK_TYPES, swap_blocks
from durn_teach.export import _command
from durn_teach.models import build_model, list_models
from durn_teach.networks import MODELS
from durn_teach.train import get_preset
from durn_teach.train.presets import departures

from .test_train import Crops, run, tiny

BLOCKS = (DuRB_P, DuRB_U, DuRB_US, DuRB_S)
CHANNELS = {"DuRN-P": 1}


def blocks(model: torch.nn.Module) -> dict[str, torch.nn.Module]:
    return {name: child for name, child in model.named_children() if isinstance(child, BLOCKS)}


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("kind", list(BLOCK_TYPES))
def test_every_network_runs_with_every_block_type(name, kind):
    with torch.device("meta"):  # shapes only: the forward pass is checked without arithmetic
        model = build_model(name, block=kind).eval()
        x = torch.empty(2, CHANNELS.get(name, 3), 64, 64)
        assert model(x).shape == x.shape
    assert all(isinstance(block, BLOCK_TYPES[kind]) for block in blocks(model).values())
    release = MODELS[name]()
    assert len(blocks(model)) == len(blocks(release))
    outside = {k for k in release.state_dict() if k.split(".")[0] not in blocks(release)}
    assert outside <= set(model.state_dict())  # the head and tail keep their release keys


@pytest.mark.parametrize("name", list_models())
def test_a_network_built_without_a_block_type_or_with_its_own_is_the_release(name):
    def shapes(model):
        return {key: value.shape for key, value in model.state_dict().items()}

    release = shapes(build_model(name))
    assert shapes(build_model(name, block=None)) == release
    own = {"DuRN-P": "DuRB-P", "DuRN-P-no-norm": "DuRB-P", "DuRN-U": "DuRB-U", "DuRN-US": "DuRB-US",
           "DuRN-S": "DuRB-S"}.get(name)
    if own:
        swapped = build_model(name, block=own)
        assert not any(block._forward_pre_hooks for block in blocks(swapped).values())
        assert shapes(swapped) == release


def test_the_new_blocks_keep_width_kernels_and_normalisation():
    model = build_model("DuRN-P", block="DuRB-S")
    t1 = model.block4.up_conv.conv2d
    assert t1.kernel_size == (11, 11) and t1.dilation == (2, 2)
    assert model.block4.down_conv.conv2d.kernel_size == (7, 7)
    u = build_model("DuRN-P-no-norm", block="DuRB-U")
    assert u.block4.up_conv.conv2d.kernel_size == (3, 3)  # dilated: 3x3, as the release's DuRB-U
    assert u.block5.up_conv.conv2d.kernel_size == (11, 11)
    assert isinstance(u.block1.norm1.norm, torch.nn.Identity)  # DuRN-P-no-norm has no normalisation
    assert isinstance(build_model("DuRN-U", block="DuRB-P").rud1.norm1.norm, torch.nn.Module)
    assert type(build_model("DuRN-U", block="DuRB-P").rud1.norm1.norm).__name__ == "InsNorm"


def test_the_residual_stream_restarts_where_it_does_not_fit():
    received = {}

    def keep(name):  # runs after the swap's own pre-hook: sees what the block is given
        def hook(module, args):
            received[name] = (args[0].detach().clone(), args[1].detach().clone())
        return hook

    model = swap_blocks(MODELS["DuRN-P"](dim=8), "DuRB-U").eval()
    for name in ("block1", "block2"):
        getattr(model, name).register_forward_pre_hook(keep(name))
    with torch.no_grad():
        model(torch.rand(1, 1, 32, 32))
    x, res = received["block1"]
    assert x.shape == (1, 8, 32, 32) and res.shape == (1, 4, 64, 64)  # r at twice the size, half the width
    assert not res.any()  # DuRN-P's own r (the head's features) does not fit: it starts at zero
    assert received["block2"][1].shape == (1, 4, 64, 64) and received["block2"][1].any()  # then it flows

    model = swap_blocks(MODELS["DuRN-U"](), "DuRB-S").eval()
    model.rud1.register_forward_pre_hook(keep("rud1"))
    with torch.no_grad():
        model(torch.rand(1, 3, 32, 32))
    x, res = received["rud1"]
    assert torch.equal(res, x)  # DuRB-S: r restarts at the block's input, as DuRN-P starts it


def test_a_bad_block_type_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match="unknown block type 'DuRB-X'; the blocks are: DuRB-P, DuRB-U"):
        build_model("DuRN-P", block="DuRB-X")
    with pytest.raises(ValueError, match="block must be one of DuRB-P"):
        get_preset("gaussian-gray", block="P")
    with pytest.raises(SystemExit):
        main(["train", "gaussian-gray", "--quick", "--block", "P"])
    assert "invalid choice: 'P'" in capsys.readouterr().err


def test_a_preset_trains_with_another_block_type_and_records_it(tmp_path):
    preset = tiny(block="DuRB-S")
    assert "its dual residual blocks are DuRB-S blocks" in departures(preset)[-1]
    result = run(tmp_path / "run", preset, max_steps=1)
    assert isinstance(result.model.block1, DuRB_S)
    settings = json.loads((tmp_path / "run" / "preset.json").read_text())
    assert settings["block"] == "DuRB-S"
    model = build_model("DuRN-P", block="DuRB-S", dim=8)
    model.load_state_dict(torch.load(tmp_path / "run" / "last.pt", weights_only=False)["model"])
    command = _command({**get_preset("gaussian-gray", quick=True, block="DuRB-U").to_dict(), "seed": 0},
                       "cuda", "float16 autocast")
    assert command == "durn-teach train gaussian-gray --quick --block DuRB-U --device cuda"
    assert Crops  # the training tests' data, shared
