"""The comparison of a network with classical denoisers on the same noisy images (`durn-teach compare`)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from PIL import Image

from durn_teach import compare
from durn_teach.cli import main
from durn_teach.evaluate import evaluate, get_protocol
from durn_teach.evaluate import test_set as protocol_images
from durn_teach.metrics import paper_psnr_ssim
from durn_teach.sampling import TEST_NOISE_SEED, fixed_seed_noise


def synthetic_image(seed: int, shape: tuple[int, int] = (40, 48)) -> np.ndarray:
    """A smooth 8-bit gray image (a ramp and a bright disc), different for each seed (synthetic)."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]] / shape[1]
    centre = np.random.default_rng(seed).uniform(0.3, 0.6, 2)
    image = 0.25 + 0.4 * x + 0.25 * (((x - centre[0]) ** 2 + (y - centre[1]) ** 2) < 0.05)
    return np.round(image * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """A data root whose BSD68 folder holds three small synthetic PNGs (the test reads two)."""
    root = tmp_path_factory.mktemp("data")
    (root / "BSD68").mkdir()
    for k in range(3):
        Image.fromarray(synthetic_image(k)).save(root / "BSD68" / f"test{k + 1:03d}.png")
    return root


def run_compare(data_root, tmp_path, methods):
    path = tmp_path / "bsd68.json"
    argv = ["compare", "--weights", "gaussian-gray", "--data-root", str(data_root), "--limit", "2",
            "--json", str(path), "--no-progress", "--methods", *methods]
    assert main(argv) == 0
    return json.loads(path.read_text())


def check_result(result, data_root, methods):
    particulars = (result["protocol"], result["test_set"], result["images"], result["limit"])
    assert particulars == ("bsd68", "BSD68", 2, 2)
    assert result["sigmas"] == [30.0, 50.0, 70.0]
    assert result["noise"]["seed"] == TEST_NOISE_SEED
    assert set(result["machine"]) >= {"platform", "processor", "cpu_count", "device"}
    assert result["versions"]["torch"] and result["versions"]["scikit-image"]
    assert list(result["methods"]) == methods
    assert result["methods"]["network"]["sha256"] and result["methods"]["network"]["name"] == "DuRN-P"
    folder = data_root / "BSD68"
    clean = [np.asarray(Image.open(folder / f"test{k:03d}.png"), np.float32) / 255 for k in (1, 2)]
    for sigma, scores in result["results"].items():
        assert list(scores) == methods
        for method in methods:
            rows = scores[method]["rows"]
            assert [row["name"] for row in rows] == ["test001.png", "test002.png"]
            assert scores[method]["psnr"] == pytest.approx(np.mean([row["psnr"] for row in rows]))
            assert scores[method]["seconds"] >= 0
        # the noisy input is the protocol's fixed-seed noise on these very images
        for row, image in zip(scores["noisy"]["rows"], clean, strict=True):
            psnr, ssim = paper_psnr_ssim(fixed_seed_noise(image, float(sigma)), image, "gray")
            assert (row["psnr"], row["ssim"]) == pytest.approx((psnr, ssim))
        for method in methods[1:]:  # every denoiser clearly beats its input on smooth images
            assert scores[method]["psnr"] > scores["noisy"]["psnr"] + 3, (sigma, method)


def test_compare_scores_every_method_on_the_same_images(data_root, tmp_path, capsys):
    pytest.importorskip("bm3d", reason="BM3D is the optional extra durn-teach[baselines]")
    methods = ["noisy", "nlm", "bm3d", "network"]
    result = run_compare(data_root, tmp_path, methods)
    check_result(result, data_root, methods)
    assert result["versions"]["bm3d"]
    out = capsys.readouterr().out
    assert "BSD68, 2 images" in out and "BM3D" in out and "non-local means" in out


def test_compare_without_bm3d_and_its_clear_error(data_root, tmp_path, monkeypatch):
    methods = ["noisy", "nlm", "network"]
    check_result(run_compare(data_root, tmp_path, methods), data_root, methods)
    monkeypatch.setitem(sys.modules, "bm3d", None)  # as if the package were absent
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'durn-teach\[baselines\]'"):
        compare.bm3d_denoise(np.zeros((16, 16), np.float32), 50)


def test_non_local_means_uses_the_reference_parameters():
    assert compare.nlm_parameters(30) == pytest.approx({"patch_size": 5, "patch_distance": 10,
                                                        "h": 0.4 * 30 / 255, "sigma": 30 / 255})
    assert compare.nlm_parameters(50)["patch_size"] == compare.nlm_parameters(70)["patch_size"] == 9
    assert compare.nlm_parameters(70)["h"] == pytest.approx(0.35 * 70 / 255)
    with pytest.raises(ValueError, match="0 < sigma <= 100"):
        compare.nlm_parameters(120)


def test_bad_requests_are_named(data_root, capsys):
    with pytest.raises(ValueError, match="gray Gaussian or a real-noise protocol .*bsd68.*polyu-crops.*not "
                       "'sots-indoor'"):
        compare.compare(None, "sots-indoor", methods=["noisy"])
    with pytest.raises(ValueError, match="unknown methods"):
        compare.compare(None, "bsd68", methods=["wiener"])
    assert main(["compare", "--weights", "missing.pt", "--record", "--data-root", str(data_root)]) == 2
    assert "--record needs --weights to name a shipped checkpoint" in capsys.readouterr().err


@pytest.fixture(scope="module")
def polyu_root(tmp_path_factory):
    """A data root whose PolyU_cropped folder holds two crops of test scenes and one of a training
    scene: synthetic smooth colour images with strong synthetic noise (PNG bytes, named .JPG)."""
    root = tmp_path_factory.mktemp("polyu")
    folder = root / "PolyU_cropped"
    folder.mkdir()
    names = ["Canon5D2_5_160_3200_chair_11", "NikonD800_5-6_160_6400_wall_2", "Canon80D_8_8_3200_ball_1"]
    for k, name in enumerate(names):
        clean = np.stack([synthetic_image(k + c) for c in range(3)], -1)
        noisy = np.clip(clean + np.random.default_rng(k).normal(0, [12, 15, 18], clean.shape), 0, 255)
        Image.fromarray(clean).save(folder / f"{name}_mean.JPG", format="PNG")
        Image.fromarray(noisy.astype(np.uint8)).save(folder / f"{name}_real.JPG", format="PNG")
    return root


def test_real_noise_comparison_chooses_the_classical_level_on_training_pairs(polyu_root):
    from durn_teach import build_model

    methods = ["noisy", "nlm", "nlm-true", "network"]
    model = build_model("DuRN-P-no-norm").eval()  # untrained: the test checks the bookkeeping
    result = compare.compare(model, "polyu-crops", methods=methods, root=polyu_root, progress=False,
                             network={"label": "DuRN-P-no-norm (untrained)"}, grid=(4, 15, 40))
    assert (result["test_set"], result["images"], result["sigmas"]) == ("PolyU crops", 2, [])
    assert result["noise"]["seed"] is None and list(result["results"]) == [compare.REAL]
    scores = result["results"][compare.REAL]
    assert [row["name"] for row in scores["noisy"]["rows"]] == [
        "Canon5D2_5_160_3200_chair_11_mean.JPG", "NikonD800_5-6_160_6400_wall_2_mean.JPG"]  # test scenes only
    tuning = result["methods"]["nlm"]["tuning"]
    assert tuning["training_pairs"] == 1 and tuning["grid"] == [4, 15, 40]  # the one training-scene crop
    assert tuning["chosen"] == max(tuning["grid"], key=lambda s: tuning["scores"][f"{s:g}"]["psnr"])
    assert tuning["chosen"] == 15  # the synthetic noise is 12-18: the grid's middle level wins
    assert "never on the test set" in result["methods"]["nlm"]["how"]
    spec = get_protocol("polyu-crops")
    items = [protocol_images(spec, polyu_root)[i] for i in range(2)]
    again = evaluate(lambda x: compare.non_local_means(x, 15), spec, dataset=items, progress=False)
    assert scores["nlm"]["psnr"] == pytest.approx(again["psnr"])  # the test set at the chosen level
    folder = polyu_root / "PolyU_cropped"
    for row in scores["nlm-true"]["rows"]:
        clean = np.asarray(Image.open(folder / row["name"]), np.float64)
        noisy = np.asarray(Image.open(folder / row["name"].replace("_mean", "_real")), np.float64)
        assert row["noise_level"] == pytest.approx((noisy - clean).reshape(-1, 3).std(0), abs=1e-3)
        assert min(row["noise_level"]) > 10 and max(row["noise_level"]) < 20
    assert scores["nlm"]["psnr"] > scores["noisy"]["psnr"] + 3
    assert scores["nlm-true"]["psnr"] > scores["noisy"]["psnr"] + 3  # told the level, it cleans smooth images
    assert result["methods"]["nlm"]["label"] == "non-local means (colour)"
    assert result["methods"]["nlm-true"]["label"] == "non-local means (colour), told the true level"
    table = compare.format_comparison(result)
    assert "PolyU crops, 2 images" in table and "real noise" in table and "sigma" not in table
    with pytest.raises(ValueError, match="camera's own noise"):
        compare.compare(None, "polyu-crops", [30], methods=["noisy"], root=polyu_root)
    with pytest.raises(ValueError, match="has rgb images, but the network takes 1 channel"):
        compare.compare(build_model("DuRN-P"), "polyu-crops", methods=["network"], root=polyu_root)
    with pytest.raises(ValueError, match="nlm-true and bm3d-true are for real noise"):
        compare.compare(None, "bsd68", methods=["nlm-true"])


def test_training_pairs_are_the_central_regions_of_the_training_split(polyu_root):
    pairs = compare.training_pairs(get_protocol("polyu-crops"), polyu_root, size=32)
    assert [name for _, _, name in pairs] == ["Canon80D_8_8_3200_ball_1_mean.JPG"]
    noisy, clean, _ = pairs[0]
    assert noisy.shape == clean.shape == (3, 32, 32)
    whole = np.asarray(Image.open(polyu_root / "PolyU_cropped" / "Canon80D_8_8_3200_ball_1_mean.JPG"))
    top, left = (whole.shape[0] - 32) // 2, (whole.shape[1] - 32) // 2
    assert np.allclose(clean.permute(1, 2, 0).numpy() * 255, whole[top:top + 32, left:left + 32])


def test_cbm3d_is_told_each_channels_level(polyu_root):
    pytest.importorskip("bm3d", reason="BM3D is the optional extra durn-teach[baselines]")
    result = compare.compare(None, "polyu-crops", methods=["noisy", "bm3d", "bm3d-true"], root=polyu_root,
                             progress=False, grid=(8, 16))
    scores = result["results"][compare.REAL]
    assert result["methods"]["bm3d"]["label"] == "CBM3D" and "bm3d_rgb" in result["methods"]["bm3d"]["how"]
    assert result["methods"]["bm3d"]["tuning"]["chosen"] in (8, 16)
    assert scores["bm3d"]["psnr"] > scores["noisy"]["psnr"] + 3
    assert scores["bm3d-true"]["psnr"] > scores["noisy"]["psnr"] + 3
    assert all(len(row["noise_level"]) == 3 for row in scores["bm3d-true"]["rows"])


def test_the_real_noise_command_defaults_to_the_protocols_network(polyu_root, tmp_path, capsys):
    path = tmp_path / "real.json"
    argv = ["compare", "polyu-crops", "--weights", "real-noise", "--data-root", str(polyu_root), "--json",
            str(path), "--no-progress", "--methods", "noisy", "network"]
    assert main(argv) == 0
    result = json.loads(path.read_text())
    assert result["methods"]["network"]["name"] == "DuRN-P-no-norm" and result["sigmas"] == []
    assert main([*argv, "--sigmas", "30"]) == 2
    assert "leave --sigmas out" in capsys.readouterr().err


def test_the_true_noise_level_of_gray_and_colour_pairs():
    clean = np.zeros((8, 8, 3))
    noisy = clean + np.array([1, 2, 3]) / 255 * np.where(np.indices((8, 8)).sum(0) % 2, 1, -1)[..., None]
    assert compare.noise_level(noisy, clean) == pytest.approx([1, 2, 3])
    assert compare.noise_level(noisy[..., 1], clean[..., 1]) == pytest.approx([2])


def test_colour_non_local_means_uses_the_reference_parameters():
    assert compare.nlm_parameters(20, colour=True) == pytest.approx(
        {"patch_size": 3, "patch_distance": 10, "h": 0.55 * 20 / 255, "sigma": 20 / 255})
    assert compare.nlm_parameters(40, colour=True)["patch_size"] == 5
    assert compare.nlm_parameters(80, colour=True)["h"] == pytest.approx(0.35 * 80 / 255)
