"""The fast path of ``restore`` never computes with stale weights, folds only what is right, and
is safe from several threads (issues 18 and 22)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

from durn_teach import build_model, restore
from durn_teach.norms import InsNorm
from durn_teach.speed import adam, fold_batchnorm, inference_copy

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


def _gradients(model: nn.Module) -> None:
    generator = torch.Generator().manual_seed(3)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=generator)


def fused_adam_step(model: nn.Module) -> None:
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)
    assert optimiser.defaults["fused"]  # the fused kernel runs on CPU in this PyTorch
    _gradients(model)
    optimiser.step()


def project_adam_step(model: nn.Module) -> None:
    optimiser = adam(model.parameters(), lr=1e-2)
    assert optimiser.defaults.get("fused")
    _gradients(model)
    optimiser.step()


def data_edit(model: nn.Module) -> None:
    model.conv1.conv2d.weight.data.mul_(1.5)


def batchnorm_weight_data_edit(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.weight.data.mul_(0.5)


def ema_update(model: nn.Module) -> None:
    other = durn_p(seed=1)
    for p, q in zip(model.parameters(), other.parameters(), strict=True):
        p.data.mul_(0.9).add_(q.data, alpha=0.1)
    for b, c in zip(model.buffers(), other.buffers(), strict=True):
        if b.is_floating_point():
            b.data.mul_(0.9).add_(c.data, alpha=0.1)


def eps_change(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eps = 0.5


def load_state_dict(model: nn.Module) -> None:
    model.load_state_dict(durn_p(seed=2).state_dict())


UPDATES: dict[str, Callable[[nn.Module], None]] = {
    "fused Adam": fused_adam_step,
    "durn_teach.speed.adam": project_adam_step,
    ".data edit": data_edit,
    "BatchNorm .data edit": batchnorm_weight_data_edit,
    "EMA update": ema_update,
    "eps change": eps_change,
    "load_state_dict": load_state_dict,
}


@pytest.mark.parametrize("update", list(UPDATES))
def test_the_fast_path_computes_with_the_current_weights_after_any_update(update):
    model, image = durn_p(), gray_image()
    before = restore(model, image)  # builds and caches the fast copy
    np.testing.assert_allclose(before, restore(model, image, optimize=False), rtol=0, atol=TOLERANCE)
    UPDATES[update](model)
    faithful = restore(model, image, optimize=False)
    assert np.abs(faithful - before).max() > CHANGED
    np.testing.assert_allclose(restore(model, image), faithful, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(restore(model, image), faithful, rtol=0, atol=TOLERANCE)  # cached again


def test_the_copy_stays_cached_while_nothing_changes_and_a_new_one_reuses_the_trace(monkeypatch):
    from durn_teach import speed

    model = durn_p()
    first = inference_copy(model)
    assert inference_copy(model) is first
    traces = []
    monkeypatch.setattr(speed, "_conv_batchnorm_pairs", lambda m: traces.append(m) or [])
    data_edit(model)
    second = inference_copy(model)
    assert second is not first and not traces  # refolded with the pairs found before
    assert inference_copy(model) is second
    eps_change(model)
    inference_copy(model)
    assert len(traces) == 1  # another setting: traced again


def test_an_instance_norm_setting_reaches_the_fast_copy():
    torch.manual_seed(0)
    model = build_model("DuRN-U")
    image = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
    before = restore(model, image)
    for module in model.modules():
        if isinstance(module, InsNorm):
            module.eps = 10.0
    faithful = restore(model, image, optimize=False)
    assert np.abs(faithful - before).max() > CHANGED
    np.testing.assert_allclose(restore(model, image), faithful, rtol=0, atol=TOLERANCE)


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


def _in_threads(count: int, work: Callable[[int], np.ndarray]) -> list[np.ndarray]:
    """Run ``work(i)`` in ``count`` threads started together; re-raise the first error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    if errors:
        raise errors[0]
    return results


def test_threads_restoring_with_a_new_model_get_the_sequential_result():
    image = gray_image()
    expected = restore(durn_p(), image)
    model = durn_p()
    for result in _in_threads(8, lambda i: restore(model, image)):
        np.testing.assert_array_equal(result, expected)


def test_a_trace_in_one_thread_does_not_break_restores_in_others():
    image = gray_image()
    warm = durn_p()
    expected = restore(warm, image)
    fresh = [durn_p() for _ in range(3)]

    def work(i: int) -> list[np.ndarray]:
        if i < 3:  # each traces a model of its own
            return [restore(fresh[i], image)]
        return [restore(warm, image) for _ in range(3)]

    for results in _in_threads(8, work):
        for result in results:
            np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("optimize", [False, True])
def test_threads_restoring_with_a_model_in_training_mode_leave_it_alone(optimize):
    image = gray_image()
    model = durn_p().train()
    expected = restore(durn_p().eval(), image, optimize=optimize)
    buffers = {key: value.clone() for key, value in model.named_buffers()}
    seen_eval = threading.Event()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if not all(m.training for m in model.modules()):
                seen_eval.set()
            time.sleep(1e-4)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = _in_threads(6, lambda i: [restore(model, image, optimize=optimize) for _ in range(2)])
    finally:
        done.set()
        watcher.join()
    for result in (r for pair in results for r in pair):
        np.testing.assert_array_equal(result, expected)
    assert not seen_eval.is_set(), "restore switched the caller's model to evaluation mode"
    assert all(m.training for m in model.modules())
    for key, value in model.named_buffers():
        assert torch.equal(value, buffers[key]), key


def test_a_trace_inside_no_tracing_is_refused_not_a_deadlock():
    from durn_teach.speed import no_tracing

    model = durn_p()
    message = "cannot trace a network while this thread runs one"
    with no_tracing(), no_tracing(), pytest.raises(RuntimeError, match=message):  # nested: fine
        fold_batchnorm(model)
    assert isinstance(fold_batchnorm(model), nn.Module)


def test_a_thread_inside_no_tracing_gets_a_copy_while_another_waits_to_trace():
    from durn_teach import speed

    warm, fresh = durn_p(), durn_p(seed=1)
    inference_copy(warm)
    inside, finished = threading.Event(), []

    def runner() -> None:  # holds a shared section, like a restore running its network
        with speed.no_tracing():
            inside.set()
            deadline = time.monotonic() + 60
            while not speed._TRACING._waiting and time.monotonic() < deadline:
                time.sleep(1e-3)
            data_edit(warm)  # a new copy, no trace needed
            finished.append(inference_copy(warm))

    def tracer() -> None:
        inside.wait()
        finished.append(inference_copy(fresh))  # waits for the runner to leave its section

    threads = [threading.Thread(target=runner, daemon=True), threading.Thread(target=tracer, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "deadlock"
    assert len(finished) == 2
