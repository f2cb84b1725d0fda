"""The public API: building by name, summaries, the CLI, and ``restore`` with its checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from durn_teach import build_model, list_models, restore, summary
from durn_teach.cli import main
from tests.conftest import NAMES


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown network 'DuRN-X'") as error:
        build_model("DuRN-X")
    for name in NAMES:
        assert name in str(error.value)


def test_unknown_option_names_the_accepted_ones():
    with pytest.raises(TypeError, match="DuRN-U does not take \\['width'\\]"):
        build_model("DuRN-U", width=3)
    with pytest.raises(TypeError, match="in_channels, dim, norm_type"):
        build_model("DuRN-P", colour=True)


def test_options_reach_the_constructor():
    model = build_model("DuRN-P", in_channels=3)
    assert model.conv1.conv2d.in_channels == 3 and model.conv4.conv2d.out_channels == 3


def test_builds_are_fresh_objects():
    assert build_model("DuRN-P") is not build_model("DuRN-P")


def test_summary_by_name_and_by_model():
    stats = summary("DuRN-P-no-norm")
    assert stats.total_params == 815_651
    assert "DuRB_P" in str(stats)
    assert summary(build_model("DuRN-S-P"), input_size=(1, 3, 32, 32)).total_params == 10_176_964


def test_cli_summary_prints_the_table(capsys):
    assert main(["summary", "DuRN-P", "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 816,225" in out and "DuRB_P" in out


def test_cli_list_and_bad_name(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == list_models()
    with pytest.raises(SystemExit):
        main(["summary", "DuRN-Z"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.fixture(scope="module")
def gray_model():
    torch.manual_seed(0)
    return build_model("DuRN-P")


@pytest.fixture(scope="module")
def colour_model():
    torch.manual_seed(0)
    return build_model("DuRN-U")


def test_restore_gray_keeps_shape_and_dtype(gray_model):
    rng = np.random.default_rng(0)
    for shape in [(37, 41), (37, 41, 1)]:
        for dtype in [np.float32, np.float64]:
            image = rng.random(shape).astype(dtype)
            out = restore(gray_model, image)
            assert out.shape == image.shape and out.dtype == dtype
            assert np.isfinite(out).all()


def test_restore_matches_the_network_on_sizes_it_takes(gray_model):
    image = np.random.default_rng(1).random((32, 40)).astype(np.float32)
    with torch.no_grad():
        expected = gray_model.eval()(torch.from_numpy(image)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(restore(gray_model, image, clip=False), expected, atol=1e-6)


def test_restore_pads_odd_sizes_for_multiple_of_4_networks(colour_model):
    image = np.random.default_rng(2).random((30, 43, 3)).astype(np.float32)
    out = restore(colour_model, image, clip=False)
    assert out.shape == image.shape
    # The padded rows only extend the image: the result equals running on the padded image.
    padded = np.pad(image, ((0, 2), (0, 1), (0, 0)), mode="reflect")
    with torch.no_grad():
        whole = colour_model.eval()(torch.from_numpy(padded).permute(2, 0, 1)[None])
    np.testing.assert_allclose(out, whole[0].permute(1, 2, 0).numpy()[:30, :43], atol=1e-5)


def test_restore_takes_a_tensor_and_gives_the_numpy_result(gray_model, colour_model):
    rng = np.random.default_rng(5)
    for model, shape in [(gray_model, (33, 38)), (colour_model, (30, 43, 3))]:
        image = rng.random(shape).astype(np.float32)
        tensor = torch.from_numpy(image.reshape(*shape[:2], -1)).permute(2, 0, 1)  # CxHxW
        out = restore(model, tensor)
        assert isinstance(out, torch.Tensor) and out.shape == tensor.shape and out.dtype == torch.float32
        expected = restore(model, image)
        np.testing.assert_allclose(out.permute(1, 2, 0).numpy().reshape(shape), expected, atol=1e-6)


def test_restore_takes_a_batch_and_each_image_gets_its_own_result(gray_model):
    batch = torch.rand(3, 1, 28, 36, generator=torch.Generator().manual_seed(6))
    out = restore(gray_model, batch, clip=False)
    assert out.shape == batch.shape
    for index in range(3):
        alone = restore(gray_model, batch[index, 0].numpy(), clip=False)
        np.testing.assert_allclose(out[index, 0].numpy(), alone, atol=1e-5)
    tiled = restore(gray_model, batch.double(), tile=16, overlap=4)
    assert tiled.dtype == torch.float64 and tiled.shape == batch.shape
    assert 0 <= tiled.min() <= tiled.max() <= 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_restore_keeps_a_cuda_tensor_on_its_device():
    torch.manual_seed(0)
    model = build_model("DuRN-P").cuda()
    batch = torch.rand(2, 1, 32, 32, device="cuda")
    out = restore(model, batch)
    assert out.device == batch.device
    np.testing.assert_allclose(out.cpu().numpy(), restore(model.cpu(), batch.cpu()).numpy(), atol=1e-4)


def test_restore_swaps_a_tensors_channels_for_a_bgr_network():
    torch.manual_seed(0)
    model = build_model("DuRN-S-P")
    assert model.colour_order == "bgr"
    image = np.random.default_rng(7).random((24, 24, 3)).astype(np.float32)
    out = restore(model, torch.from_numpy(image).permute(2, 0, 1))
    np.testing.assert_allclose(out.permute(1, 2, 0).numpy(), restore(model, image), atol=1e-6)


@pytest.mark.parametrize(
    "tensor, error, message",
    [
        (torch.zeros(1, 20, 20, dtype=torch.uint8), TypeError, r"tensor.float\(\) / 255"),
        (torch.zeros(20, 20, 1), ValueError, "got 20x20x1; it looks channels-last: use tensor.permute"),
        (torch.zeros(20, 20), ValueError, "1xHxW or Nx1xHxW tensors, got 20x20"),
        (torch.full((1, 20, 20), 200.0), ValueError, "0-255 scale: divide it by 255"),
        (torch.full((2, 1, 20, 20), float("nan")), ValueError, "800 NaN or infinite"),
        (torch.zeros(0, 1, 20, 20), ValueError, "empty"),
    ],
)
def test_restore_rejects_bad_tensors(gray_model, tensor, error, message):
    with pytest.raises(error, match=message):
        restore(gray_model, tensor)


def test_restore_leaves_the_model_mode_and_gradients_alone(gray_model):
    gray_model.train()
    restore(gray_model, np.zeros((20, 20), np.float32))
    assert gray_model.training
    assert all(p.grad is None for p in gray_model.parameters())
    gray_model.eval()


@pytest.mark.parametrize(
    ("image", "error", "message"),
    [
        (np.zeros((20, 20, 3), np.float32), ValueError, "restores HxW \\(or HxWx1\\) images, got 20x20x3"),
        (np.zeros((3, 20, 20), np.float32), ValueError, "got 3x20x20"),
        (np.zeros((10, 30), np.float32), ValueError, "is 10x30; DuRN_P needs at least 16"),
        (np.full((20, 20), np.nan, np.float32), ValueError, "400 NaN or infinite"),
        (np.full((20, 20), np.inf), ValueError, "NaN or infinite"),
        (np.zeros((20, 20), np.uint8), TypeError, "got dtype uint8 \\(for 8-bit images use"),
        (np.zeros((20, 20), np.int64), TypeError, "float image in \\[0, 1\\], got dtype int64"),
        ([[0.0] * 20] * 20, TypeError, "expected a NumPy array, got list"),
        (np.full((20, 20), 200.0, np.float32), ValueError, "looks like an image on the 0-255 scale: divide"),
        (np.full((20, 20), -3.0, np.float32), ValueError, "values run from -3 to -3, far outside"),
    ],
)
def test_restore_rejects_bad_gray_input(gray_model, image, error, message):
    with pytest.raises(error, match=message):
        restore(gray_model, image)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((24, 24), "restores HxWx3 images, got 24x24"),
        ((24, 24, 4), "got 24x24x4"),
        ((3, 24, 28), "channels-first: use image.transpose\\(1, 2, 0\\)"),
        ((4, 40, 3), "is 4x40; DuRN_U needs at least 8"),
    ],
)
def test_restore_rejects_bad_colour_input(colour_model, shape, message):
    with pytest.raises(ValueError, match=message):
        restore(colour_model, np.zeros(shape, np.float32))


@pytest.mark.parametrize("name", ["DuRN-US", "DuRN-S-P", "DuRN-S", "DuRN-P-no-norm"])
def test_restore_every_colour_network_on_an_odd_size(name):
    model = build_model(name)
    image = np.random.default_rng(3).random((model.min_size + 3, model.min_size + 5, 3))
    assert restore(model, image).shape == image.shape


def test_version_prints_without_importing_torch():
    import subprocess
    import sys

    code = ("import sys; from durn_teach.cli import main; code = main(['--version']); "
            "print('torch' in sys.modules); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    from durn_teach import __version__

    assert done.stdout.split("\n")[:2] == [f"durn-teach {__version__}", "False"]
    code = ("import sys; from durn_teach.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "train a network with one of the paper's settings" in done.stdout
    assert done.stdout.strip().endswith("False")  # the commands listed, torch not imported


def test_the_full_parser_has_exactly_the_commands_the_quick_help_lists():
    import argparse

    from durn_teach.cli import COMMANDS, build_parser

    subcommands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subcommands.choices) == {*COMMANDS, "eval"}


def test_noisy_images_that_leave_zero_one_are_still_restored(gray_model):
    rng = np.random.default_rng(0)
    noisy = (0.5 + rng.normal(0, 70 / 255, (32, 32))).astype(np.float32)  # sigma 70: about -0.9 to 1.9
    noisy[0, 0], noisy[0, 1] = -0.95, 1.95
    assert restore(gray_model, noisy).shape == noisy.shape


def test_non_finite_weights_and_impossible_sizes_are_refused(tmp_path):
    from durn_teach import load_pretrained
    from durn_teach.models import CheckpointError

    state, key = build_model("DuRN-P").state_dict(), "block2.up_conv.conv2d.weight"
    state[key] = torch.full_like(state[key], float("nan"))
    torch.save(state, tmp_path / "nan.pt")
    n = state[key].numel()
    message = rf"NaN or infinite weights in 1 tensor\(s\), e.g. {key} \({n} of {n}\)"
    with pytest.raises(CheckpointError, match=message):
        load_pretrained("DuRN-P", tmp_path / "nan.pt")
    with pytest.raises(ValueError, match=r"DuRN-P cannot be built with \{'dim': 0\}: sizes and counts must"):
        build_model("DuRN-P", dim=0)


def test_restore_returns_an_image_in_0_1_unless_asked_for_the_raw_output():
    model = build_model("DuRN-P").eval()
    with torch.no_grad():
        for parameter in model.conv4.parameters():  # the last convolution: outputs far outside [0, 1]
            parameter.mul_(50)
    noisy = np.random.default_rng(0).random((32, 32), dtype=np.float32)
    raw = restore(model, noisy, clip=False)
    assert raw.min() < 0 or raw.max() > 1
    np.testing.assert_array_equal(restore(model, noisy), np.clip(raw, 0, 1))


def test_a_tiled_restore_can_show_a_bar_over_its_tiles(gray_model, capsys):
    image = np.random.default_rng(8).random((40, 40)).astype(np.float32)
    quiet = restore(gray_model, image, tile=24, overlap=4)
    assert "tile" not in capsys.readouterr().err
    shown = restore(gray_model, image, tile=24, overlap=4, progress=True)
    assert "4/4" in capsys.readouterr().err and np.array_equal(shown, quiet)
