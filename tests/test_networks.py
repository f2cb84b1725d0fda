"""The six networks are the release's: sizes, state-dict layout and golden outputs."""

from __future__ import annotations

import pytest
import torch
import torchinfo

from durn_teach import build_model, list_models
from durn_teach.models import in_channels
from tests.conftest import NAMES, golden, recipe_state_dict, reference_key

TOLERANCE = 1e-9


def test_the_registry_lists_the_six_networks_in_the_papers_order():
    assert list_models() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_parameter_counts_match_the_release(name, reference):
    facts = reference[reference_key(name)]
    parameters = list(build_model(name).parameters())
    assert sum(p.numel() for p in parameters) == facts["parameters"]
    assert len(parameters) == facts["parameter_tensors"]


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_manifest_matches_the_release(name, reference):
    manifest = [
        [key, list(value.shape), str(value.dtype).removeprefix("torch.")]
        for key, value in build_model(name).state_dict().items()
    ]
    assert manifest == reference[reference_key(name)]["state_dict"]


@pytest.mark.parametrize("name", NAMES)
def test_torchinfo_counts_match_the_release(name, reference):
    facts = reference[reference_key(name)]
    model = build_model(name)
    stats = torchinfo.summary(model, input_size=(1, in_channels(model), 64, 64), verbose=0)
    assert stats.total_params == facts["torchinfo_total_params"]
    assert stats.total_mult_adds == facts["mult_adds_at_64x64"]


@pytest.mark.parametrize("path", ["default", "reference"])
@pytest.mark.parametrize("name", NAMES)
def test_golden_outputs_in_float64(name, path, reference):
    """Both the fast default and ``reference=True`` (the release's eager code) give the golden outputs."""
    expected = golden(name)
    model = build_model(name, reference=path == "reference").double()
    state = recipe_state_dict(reference[reference_key(name)]["state_dict"], int(expected["seed"]))
    model.load_state_dict(state, strict=True)
    x = torch.from_numpy(expected["input"]).requires_grad_()

    out_eval = model.eval()(x)
    torch.testing.assert_close(
        out_eval.detach(), torch.from_numpy(expected["out_eval"]), rtol=0, atol=TOLERANCE
    )
    out_train = model.train()(x)
    torch.testing.assert_close(
        out_train.detach(), torch.from_numpy(expected["out_train"]), rtol=0, atol=TOLERANCE
    )
    out_train.square().mean().backward()
    torch.testing.assert_close(x.grad, torch.from_numpy(expected["grad_input"]), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_keep_the_input_size_for_sizes_the_network_takes(name):
    model = build_model(name).eval()
    channels = in_channels(model)
    side = 4 * ((model.min_size + 3) // 4)
    with torch.no_grad():
        assert model(torch.rand(1, channels, side, side + 4)).shape == (1, channels, side, side + 4)


@pytest.mark.parametrize("name", NAMES)
def test_min_size_is_the_smallest_side_that_runs(name):
    """Each network's ``min_size`` is tight: it runs there and fails one multiple below."""
    model = build_model(name).eval()
    channels, step = in_channels(model), model.size_multiple
    smallest = -(-model.min_size // step) * step
    with torch.no_grad():
        model(torch.rand(1, channels, smallest, smallest))
        with pytest.raises((RuntimeError, ValueError)):
            model(torch.rand(1, channels, smallest - step, smallest - step))


def test_instance_norm_shift_is_unused_and_fused_equals_by_hand():
    from durn_teach.norms import InsNorm

    fused, by_hand = InsNorm(5).double(), InsNorm(5, fused=False).double()
    by_hand.load_state_dict(fused.state_dict())
    x = torch.randn(2, 5, 9, 11, dtype=torch.float64)
    torch.testing.assert_close(fused(x), by_hand(x), rtol=0, atol=1e-12)
    fused(x).sum().backward()
    assert fused.shift.grad is None and fused.scale.grad is not None


def test_se_layer_hidden_width_is_the_argument_itself():
    from durn_teach.attention import SELayer

    layer = SELayer(64, 32)
    assert layer.fc[0].weight.shape == (32, 64)
    assert layer.fc[2].weight.shape == (64, 32)
