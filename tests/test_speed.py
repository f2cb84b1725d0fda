"""The fast path computes what the release's eager code computes, on every network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from durn_teach import build_model, restore
from durn_teach.models import in_channels
from durn_teach.norms import InsNorm
from durn_teach.speed import adam, fold_batchnorm, inference_copy, use_reference
from tests.conftest import NAMES, golden, recipe_state_dict, reference_key

FLOAT32 = 1e-3  # the tolerance for float32 outputs in [0, 1]
SIDE = 24  # a side every network takes


pytestmark = pytest.mark.usefixtures("one_thread")


def golden_pair(
    name: str, reference: dict, dtype: torch.dtype = torch.float32
) -> tuple[nn.Module, nn.Module]:
    """The reference and the fast network with the golden weights (non-trivial BatchNorm statistics)."""
    state = recipe_state_dict(reference[reference_key(name)]["state_dict"], int(golden(name)["seed"]))
    slow, fast = build_model(name, reference=True).to(dtype), build_model(name).to(dtype)
    slow.load_state_dict(state)
    fast.load_state_dict(state)
    return slow, fast


def test_reference_switch_uses_the_hand_written_instance_norm_and_the_default_the_fused_one():
    slow, fast = build_model("DuRN-U", reference=True), build_model("DuRN-U")
    norms = [m for m in slow.modules() if isinstance(m, InsNorm)]
    assert norms and not any(m.fused for m in norms)
    assert all(m.fused for m in fast.modules() if isinstance(m, InsNorm))
    assert fast.conv1.weight.is_contiguous()  # instance norm works in NCHW
    assert list(slow.state_dict()) == list(fast.state_dict())
    p_slow, p_fast = build_model("DuRN-P", reference=True), build_model("DuRN-P")
    assert p_slow.conv1.conv2d.weight.is_contiguous()
    assert p_fast.conv1.conv2d.weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("name", NAMES)
def test_fast_path_agrees_with_the_reference_in_float32(name, reference):
    slow, fast = golden_pair(name, reference)
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(2, in_channels(slow), SIDE, SIDE, generator=generator)
    with torch.no_grad():
        expected_eval = slow.eval()(x)
        torch.testing.assert_close(fast.eval()(x), expected_eval, rtol=0, atol=FLOAT32)
        torch.testing.assert_close(inference_copy(fast)(x), expected_eval, rtol=0, atol=FLOAT32)
    x_slow, x_fast = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_slow, out_fast = slow.train()(x_slow), fast.train()(x_fast)
    torch.testing.assert_close(out_fast, out_slow, rtol=0, atol=FLOAT32)
    out_slow.square().mean().backward()
    out_fast.square().mean().backward()
    torch.testing.assert_close(x_fast.grad, x_slow.grad, rtol=0, atol=FLOAT32)
    # Parameter gradients, against the reference in float64: the fast path's float32 error is
    # within twice the reference's, or within the float32 tolerance relative to the largest
    # gradient. (Another summation order can move a pre-activation within rounding of zero to
    # the other side of a ReLU's kink, which switches that element's gradient on or off.)
    exact, _ = golden_pair(name, reference, torch.float64)
    exact.train()(x.double()).square().mean().backward()
    slack = FLOAT32 * max(p.grad.abs().max().item() for p in exact.parameters() if p.grad is not None)
    for (key, p_exact), p_slow, p_fast in zip(
        exact.named_parameters(), slow.parameters(), fast.parameters(), strict=True
    ):
        if p_exact.grad is not None:
            slow_error = (p_slow.grad.double() - p_exact.grad).abs().max().item()
            fast_error = (p_fast.grad.double() - p_exact.grad).abs().max().item()
            assert fast_error <= 2 * slow_error + slack, key


@pytest.mark.parametrize("name", NAMES)
def test_batchnorm_folding_equals_the_unfolded_network_in_eval_mode(name, reference):
    _, model = golden_pair(name, reference, torch.float64)
    model.eval()
    folded = fold_batchnorm(model)
    x = torch.from_numpy(golden(name)["input"])
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), rtol=0, atol=1e-9)
        torch.testing.assert_close(
            folded(x), torch.from_numpy(golden(name)["out_eval"]), rtol=0, atol=1e-9
        )
    remaining = sum(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    before = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert (remaining < before) == (before > 0)


def test_folding_keeps_the_convolution_keys_drops_the_folded_norms_and_leaves_the_original():
    model = build_model("DuRN-S").eval()
    before = {key: value.clone() for key, value in model.state_dict().items()}
    folded = fold_batchnorm(model)
    keys = set(folded.state_dict())
    assert "block1.up_conv.conv2d.weight" in keys and "block1.up_norm.norm.weight" not in keys
    assert "block1.norm2.norm.weight" in keys  # after a sum, so not folded
    assert "block1.se.conv1.bias" in keys  # a bias-free convolution gains a bias
    assert isinstance(folded.block1.up_norm.norm, nn.Identity)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert isinstance(model.block1.up_norm.norm, nn.BatchNorm2d)


def test_a_folded_copy_refuses_training_mode():
    folded = fold_batchnorm(build_model("DuRN-P"))
    folded.train()
    with pytest.raises(RuntimeError, match="inference-only"):
        folded(torch.rand(1, 1, 16, 16))


def test_folding_needs_a_traceable_model():
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3)

        def forward(self, x):
            return self.conv(x) if x.sum() > 0 else x

    with pytest.raises(ValueError, match="cannot fold the BatchNorm layers of Branchy"):
        fold_batchnorm(Branchy())
    assert isinstance(inference_copy(Branchy()).conv, nn.Conv2d)  # copied, unfolded


def test_the_inference_copy_is_cached_until_the_weights_change():
    model = build_model("DuRN-P")
    first = inference_copy(model)
    assert inference_copy(model) is first
    with torch.no_grad():
        model.conv1.conv2d.weight.mul_(2)
    second = inference_copy(model)
    assert second is not first
    x = torch.rand(1, 1, 20, 20)
    with torch.no_grad():
        torch.testing.assert_close(second(x), model.eval()(x), rtol=0, atol=FLOAT32)


def test_restore_fast_and_faithful_agree():
    slow = use_reference(build_model("DuRN-P-no-norm"))
    fast = build_model("DuRN-P-no-norm")
    fast.load_state_dict(slow.state_dict())
    image = np.random.default_rng(0).random((40, 44, 3), dtype=np.float32)
    faithful = restore(slow, image, optimize=False)
    np.testing.assert_allclose(restore(fast, image), faithful, rtol=0, atol=FLOAT32)
    assert restore(fast, image, amp="bfloat16").shape == image.shape


def test_fused_adam_takes_the_same_step():
    torch.manual_seed(0)
    a, b = nn.Linear(8, 4), nn.Linear(8, 4)
    b.load_state_dict(a.state_dict())
    opt_a, opt_b = torch.optim.Adam(a.parameters(), lr=1e-2), adam(b.parameters(), lr=1e-2)
    x = torch.randn(16, 8)
    for _ in range(3):
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            model(x).square().mean().backward()
            opt.step()
    torch.testing.assert_close(b.weight, a.weight, rtol=0, atol=1e-6)
