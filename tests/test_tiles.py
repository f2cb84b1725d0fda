"""Tiled restore: agreement with the whole image, seam-free blending, memory, and bad input."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from durn_teach import build_model, restore
from durn_teach.inference import _starts, _window
from tests.conftest import golden, recipe_state_dict, reference_key

pytestmark = pytest.mark.usefixtures("one_thread")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * np.log10(1 / np.mean((a.astype(np.float64) - b) ** 2))


def golden_network(name: str, reference: dict) -> nn.Module:
    model = build_model(name)
    state = recipe_state_dict(reference[reference_key(name)]["state_dict"], int(golden(name)["seed"]))
    model.load_state_dict(state)
    return model


def noise_image(side: int, channels: int, seed: int = 0) -> np.ndarray:
    shape = (side, side) if channels == 1 else (side, side, channels)
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def test_tiled_agrees_with_whole_on_a_768_image(reference):
    """The issue's criterion: above 50 dB on 768x768 (DuRN-P: batch norm, full resolution)."""
    model = golden_network("DuRN-P", reference)
    image = noise_image(768, 1)
    whole = restore(model, image)
    tiled = restore(model, image, tile=512, overlap=64)
    assert tiled.shape == image.shape and tiled.dtype == image.dtype
    assert psnr(tiled, whole) > 50


@pytest.mark.parametrize("name", ["DuRN-P-no-norm", "DuRN-US", "DuRN-S-P", "DuRN-S"])
def test_tiled_agrees_with_whole_for_the_other_pixel_local_networks(name, reference):
    model = golden_network(name, reference)
    image = noise_image(192, 3)[:180]  # 180x192: the last tile row overlaps by more than `overlap`
    whole = restore(model, image)
    tiled = restore(model, image, tile=96, overlap=32)
    assert psnr(tiled, whole) > 50


def test_duRN_U_tiles_normalise_each_tile_by_its_own_statistics(reference):
    """Instance norm is not pixel-local: tiled DuRN-U is seamless but not the whole-image result.

    Where only one tile has weight (its inner part), the tiled result is that tile restored
    on its own; one tile as large as the image gives the whole-image result exactly.
    """
    model = golden_network("DuRN-U", reference)
    image = noise_image(160, 3)
    whole = restore(model, image)
    np.testing.assert_array_equal(restore(model, image, tile=160, overlap=32), whole)
    tiled = restore(model, image, tile=96, overlap=32)  # tiles at 0 and 64 on each axis
    alone = restore(model, np.ascontiguousarray(image[:96, :96]))
    np.testing.assert_allclose(tiled[:64, :64], alone[:64, :64], rtol=0, atol=1e-5)
    assert psnr(tiled, whole) < 50  # different statistics, a different result


class PixelScale(nn.Module):
    """A pixel-wise stand-in network: tiling must give back exactly its whole-image output."""

    size_multiple, min_size = 4, 8

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return self.conv(x)


class TileMean(nn.Module):
    """Outputs each tile's mean everywhere: the worst case of a seam, a jump between tiles."""

    size_multiple, min_size = 1, 1

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)
        nn.init.ones_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x):
        return self.conv(x).mean(dim=(2, 3), keepdim=True).expand_as(x)


def test_blending_weights_sum_to_one_and_reproduce_a_pixelwise_network():
    left, right = _window(64, 16, False, True), _window(64, 16, True, False)
    torch.testing.assert_close(left[48:] + right[:16], torch.ones(16))
    assert (left > 0).all() and (right > 0).all()
    assert _starts(100, 40, 10) == [0, 30, 60] and _starts(40, 40, 10) == [0]
    model = PixelScale()
    image = noise_image(100, 3)[:, :92]
    np.testing.assert_allclose(restore(model, image, tile=32, overlap=12), restore(model, image), atol=1e-6)


def test_blended_tiles_have_no_seam():
    """Even a network whose output jumps from tile to tile is blended smoothly across the overlap."""
    image = np.zeros((64, 256), dtype=np.float32)
    image[:, 128:] = 1  # the tile means differ by up to 1
    out = restore(TileMean(), image, tile=64, overlap=32)
    steps = np.abs(np.diff(out, axis=1)).max()
    # A raised-cosine ramp over 32 pixels rises at most pi / 64 of the jump per pixel.
    assert steps <= np.pi / 64 * 1.0 + 1e-6
    hard = restore(TileMean(), image, tile=64, overlap=0)  # no overlap: the seam is there
    assert np.abs(np.diff(hard, axis=1)).max() > 0.2


@pytest.mark.parametrize(
    ("tile", "overlap", "message"),
    [
        (30, 8, "not a multiple of 4, which DuRN_U needs; use tile=28"),
        (4, 0, "smaller than DuRN_U's smallest input side, 8"),
        (0, 0, "tile must be a positive number of pixels, got 0"),
        (32.0, 8, "tile must be a positive number"),
        (32, 17, "overlap must be a whole number of pixels from 0 to tile // 2 = 16, got 17"),
        (32, -1, "overlap must be"),
    ],
)
def test_bad_tiles_are_refused_with_what_was_passed(tile, overlap, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        restore(build_model("DuRN-U"), noise_image(64, 3), tile=tile, overlap=overlap)


def test_bad_amp_is_refused():
    with pytest.raises(ValueError, match="amp must be None or one of"):
        restore(build_model("DuRN-P"), noise_image(32, 1), amp="float8")


def test_auto_amp_takes_bfloat16_only_on_a_cpu_with_bfloat16_units(monkeypatch):
    from durn_teach import inference, machine

    monkeypatch.setattr(machine, "bfloat16_units", lambda: ["amx_bf16"])
    assert machine.auto_amp(torch.device("cpu")) == "bfloat16"
    assert machine.auto_amp(torch.device("cuda")) is None  # not measured on GPUs: float32
    model, image = build_model("DuRN-P").eval(), noise_image(32, 1)
    asked = []
    monkeypatch.setattr(inference, "auto_amp", lambda device: asked.append(device) or "bfloat16")
    assert np.array_equal(restore(model, image, amp="auto"), restore(model, image, amp="bfloat16"))
    assert asked == [torch.device("cpu")]  # asked about the device the model's weights are on
    monkeypatch.setattr(machine, "bfloat16_units", lambda: [])
    monkeypatch.setattr(inference, "auto_amp", machine.auto_amp)
    assert machine.auto_amp(torch.device("cpu")) is None  # emulated bfloat16 is slower: float32
    assert np.array_equal(restore(model, image, amp="auto"), restore(model, image))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")
def test_a_12_megapixel_photo_restores_within_4_gib():
    """The tiling harness on a 4000x3000 colour photo, with DuRN-P's design at 2 channels (fast to run).

    ``durn-teach bench --restore-megapixels 12`` measures the real networks.
    """
    code = textwrap.dedent(
        """
        import numpy as np
        from pathlib import Path
        import torch
        from durn_teach import build_model, restore
        torch.set_num_threads(1)
        model = build_model("DuRN-P", in_channels=3, dim=2)
        image = np.random.default_rng(0).random((3000, 4000, 3), dtype=np.float32)
        out = restore(model, image, tile=512, overlap=64)
        assert out.shape == image.shape and np.isfinite(out).all()
        status = Path("/proc/self/status").read_text().splitlines()
        print([int(line.split()[1]) for line in status if line.startswith("VmHWM")][0])
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mib = int(done.stdout.strip()) / 1024
    assert peak_mib < 4096, f"peak resident memory {peak_mib:.0f} MiB"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tiled_restore_on_cuda_agrees_with_the_cpu(reference):
    model = golden_network("DuRN-S-P", reference)
    image = noise_image(128, 3)
    on_cpu = restore(model, image, tile=64, overlap=16)
    on_gpu = restore(model.cuda(), image, tile=64, overlap=16)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=0, atol=1e-3)
