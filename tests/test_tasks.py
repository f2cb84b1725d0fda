"""The restoration tasks' shared machinery: colour order, large weights out of the wheel (downloaded
once, hash checked), the comparison with chapter 8's method tuned on training data, the presets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from durn_teach import build_model, degrade, export, pretrained, restore
from durn_teach.cli import main
from durn_teach.compare_tasks import BASELINES, choose_parameter, compare_task, task_protocols
from durn_teach.data import split_names
from durn_teach.train import fit, get_preset


def test_restore_gives_durn_s_p_bgr_and_returns_rgb():
    torch.manual_seed(0)
    model = build_model("DuRN-S-P").eval()
    rgb = np.random.default_rng(0).random((32, 40, 3), dtype=np.float32)
    with torch.no_grad():
        bgr_in = torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1])).permute(2, 0, 1)[None]
        expected = model(bgr_in)[0].permute(1, 2, 0).numpy()[..., ::-1]
    assert model.colour_order == "bgr"
    np.testing.assert_allclose(restore(model, rgb, optimize=False, clip=False), expected, atol=1e-5)
    from_bgr = restore(model, np.ascontiguousarray(rgb[..., ::-1]), optimize=False, colour_order="bgr",
                       clip=False)
    np.testing.assert_allclose(from_bgr[..., ::-1], expected, atol=1e-5)
    with pytest.raises(ValueError, match="colour_order must be 'rgb' or 'bgr'"):
        restore(model, rgb, colour_order="RGB")


def test_networks_that_take_rgb_are_not_swapped():
    model = build_model("DuRN-S").eval()
    image = np.random.default_rng(1).random((24, 24, 3), dtype=np.float32)
    swapped = restore(model, np.ascontiguousarray(image[..., ::-1]), optimize=False, colour_order="bgr")
    np.testing.assert_allclose(swapped[..., ::-1], restore(model, image, optimize=False), atol=1e-6)


@pytest.fixture
def large_export(tmp_path, monkeypatch, server, one_thread):
    """A one-step run exported as if its weights were large: into folder/weights/, with a URL."""
    run = tmp_path / "run"
    fit(get_preset("gaussian-gray", quick=True), run, device="cpu", max_steps=1, progress=False)
    (run / "model.pt").unlink(missing_ok=True)
    monkeypatch.setattr(pretrained, "LARGE_BYTES", 0)
    monkeypatch.setattr(pretrained, "WEIGHTS_URL", f"{server.url}/weights/")
    monkeypatch.setenv(pretrained.CACHE_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "shipped"
    entry = export.export_weights(run, "tiny", folder)
    return folder, entry


def test_large_weights_stay_out_of_the_package_folder_and_are_found_in_weights(large_export):
    folder, entry = large_export
    assert entry["url"].endswith("/weights/tiny.pt")
    assert not (folder / "tiny.pt").exists()
    assert pretrained.weights_path("tiny", folder=folder) == folder / "weights" / "tiny.pt"


def test_large_weights_are_downloaded_once_into_the_cache_with_their_hash_checked(large_export, server,
                                                                                  tmp_path):
    folder, entry = large_export
    payload = (folder / "weights" / "tiny.pt").read_bytes()
    (folder / "weights" / "tiny.pt").unlink()  # an installed package: no checkout beside it
    server.files["/weights/tiny.pt"] = payload
    path = pretrained.weights_path("tiny", folder=folder, progress=False)
    assert path == tmp_path / "cache" / "tiny.pt" and path.read_bytes() == payload
    assert pretrained.weights_path("tiny", folder=folder, progress=False) == path
    assert len([r for r in server.requests if r[0] == "/weights/tiny.pt"]) == 1, "downloaded once"


def test_damaged_or_unreachable_downloads_are_refused_clearly(large_export, server, tmp_path):
    folder, entry = large_export
    payload = (folder / "weights" / "tiny.pt").read_bytes()
    (folder / "weights" / "tiny.pt").unlink()
    server.files["/weights/tiny.pt"] = payload[:-1] + bytes([payload[-1] ^ 1])
    with pytest.raises(pretrained.ChecksumError, match="damaged"):
        pretrained.weights_path("tiny", folder=folder, progress=False)
    assert not (tmp_path / "cache" / "tiny.pt").exists(), "a damaged download is never used"
    server.files.clear()
    with pytest.raises(FileNotFoundError, match="download .*tiny.pt by hand"):
        pretrained.weights_path("tiny", folder=folder, progress=False)


def _pair(root: Path, rainy: str, clean: str, seed: int, size=(24, 32)) -> None:
    rng = np.random.default_rng(seed)
    image = rng.random((*size, 3)).astype(np.float32) * 0.6
    rained = degrade.rain_streaks(image, density=0.02, length=6, seed=seed)
    for name, array in ((rainy, rained), (clean, image)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray((array * 255).round().astype(np.uint8)).save(root / name)


@pytest.fixture(scope="module")
def rain_root(tmp_path_factory):
    """Tiny Rain100L (every split name) and RainTrainH folders in their distributed layouts."""
    root = tmp_path_factory.mktemp("rain")
    names = split_names("Rain100L", "train") + split_names("Rain100L", "test")
    for k, name in enumerate(names):
        _pair(root / "Rain100L", f"input/{name}", f"target/{name}", k)
    for k in range(1, 3):
        _pair(root / "RainTrainH", f"rain-{k}.png", f"norain-{k}.png", 100 + k)
    return root


def test_the_classical_parameter_is_chosen_on_training_pairs_never_the_test_set(rain_root):
    result = compare_task(None, "rain100l", methods=("degraded", "classical"), root=rain_root,
                          choice_crop=16, progress=False)
    classical = result["methods"]["classical"]
    assert classical["grid"] == [3, 5, 7, 9] and classical["chosen"] in classical["grid"]
    assert "never the test set" in classical["chosen_on"]
    assert "rain100l and raintrainh" in classical["chosen_on"]
    scores = classical["training_psnr"]
    assert classical["chosen"] == max(classical["grid"], key=lambda v: scores[str(v)])
    rows = result["results"]["real pairs"]["degraded"]["rows"]
    assert [row["name"] for row in rows] == split_names("Rain100L", "test")


def test_choose_parameter_picks_the_best_mean_psnr():
    clean = np.full((16, 16, 3), 0.2, np.float32)
    streak = clean.copy()
    streak[:, 8] = 1.0  # a one-pixel vertical streak: any opening removes it
    best, scores = choose_parameter(BASELINES["rain streaks"][0], [(streak, clean, {})], "y")
    assert set(scores) == {"3", "5", "7", "9"} and scores[str(best)] == max(scores.values())


def test_the_compare_command_scores_a_network_on_a_rain_protocol(rain_root, tmp_path, capsys, one_thread):
    torch.manual_seed(0)
    weights = tmp_path / "durn_s.pt"
    torch.save(build_model("DuRN-S").state_dict(), weights)
    out = tmp_path / "rain.json"
    main(["compare", "rain100l", "--weights", str(weights), "--data-root", str(rain_root), "--limit", "2",
          "--methods", "degraded", "network", "--json", str(out), "--no-progress"])
    result = json.loads(out.read_text())
    assert list(result["methods"]) == ["degraded", "network"]
    assert result["methods"]["network"]["name"] == "DuRN-S" and result["images"] == 2
    assert "rainy input" in capsys.readouterr().out


def test_rain_protocols_refuse_noise_methods_and_noise_protocols_rain_methods(rain_root, capsys):
    command = ["compare", "rain100l", "--weights", "x", "--methods", "bm3d", "--data-root", str(rain_root)]
    assert main(command) == 2
    assert "has no method bm3d" in capsys.readouterr().err
    assert {"rain100l", "rain100h", "raindrop-real", "raindrop-synthetic", "raindrop-dense", "blur-synthetic",
            "sots-examples", "haze-synthetic"} <= set(task_protocols())


@pytest.mark.parametrize(
    "name", ["rain-streak-rain100l", "raindrop-photos", "motion-blur-photos", "haze-photos"])
def test_the_cpu_presets_say_what_they_change_and_run_quick_on_built_in_images(name, tmp_path, one_thread):
    preset = get_preset(name)
    doc = get_preset.__globals__["PRESETS"][name].__doc__
    assert "changed:" in doc and "Derived from" in doc
    assert preset.schedule == "cosine" and preset.epoch_size is not None
    result = fit(get_preset(name, quick=True), tmp_path / "run", device="cpu", max_steps=1, progress=False)
    assert result.step == 1
    settings = json.loads((tmp_path / "run" / "preset.json").read_text())
    assert "synthetic" in settings["data_used"]


def test_the_raindrop_second_sitting_trains_on_the_realistic_drops(tmp_path, one_thread):
    preset = get_preset("raindrop-photos-stage2", quick=True)
    result = fit(preset, tmp_path / "run", device="cpu", max_steps=1, progress=False)
    settings = json.loads((tmp_path / "run" / "preset.json").read_text())
    assert result.step == 1 and settings["data_options"]["degradation"] == "raindrops-real"
    assert "synthetic" in settings["data_used"]
    from durn_teach.data.photos import DEGRADATIONS
    from durn_teach.train.data import _builtin_degradation

    clean = np.full((32, 32, 3), 0.4)
    drawn = _builtin_degradation("photos", preset.data_options)(clean, np.random.default_rng(3))
    assert np.array_equal(drawn, DEGRADATIONS["raindrops-real"](clean, np.random.default_rng(3), True)[0])


def test_the_mixed_drops_draw_both_kinds_in_training_and_chapter_6s_at_test():
    from durn_teach.data.photos import DEGRADATIONS

    clean = np.linspace(0.2, 0.8, 64 * 64 * 3).reshape(64, 64, 3)
    kinds = {"raindrops": 0, "raindrops-real": 0}
    for seed in range(40):
        mixed = DEGRADATIONS["raindrops-mixed"](clean, np.random.default_rng(seed), True)[0]
        for name in kinds:  # the mixture spends one draw choosing, then draws the kind as itself would
            rng = np.random.default_rng(seed)
            rng.uniform()
            kinds[name] += np.array_equal(mixed, DEGRADATIONS[name](clean, rng, True)[0])
    assert kinds["raindrops"] + kinds["raindrops-real"] == 40 and min(kinds.values()) >= 10
    test = DEGRADATIONS["raindrops-mixed"](clean, np.random.default_rng(7), False)[0]
    assert np.array_equal(test, DEGRADATIONS["raindrops"](clean, np.random.default_rng(7), False)[0])


# ------------------------------------------------------------------------------------------------
# Motion blur and haze: photographs with chapter 6's degradations, real SOTS pairs
# ------------------------------------------------------------------------------------------------


def _photo(path: Path, seed: int, size=(48, 64)) -> np.ndarray:
    """A smooth random colour image (edges for a blur to smear), saved as a PNG."""
    from scipy import ndimage

    noise = np.random.default_rng(seed).random((*size, 3))
    image = np.clip(ndimage.gaussian_filter(noise, (2, 2, 0)) * 3 - 1, 0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((image * 255).round().astype(np.uint8)).save(path)
    return image


@pytest.fixture(scope="module")
def photo_root(tmp_path_factory):
    """Two training photographs (Kodak, CBSD68), two held-out Kodak ones, and two SOTS pairs."""
    root = tmp_path_factory.mktemp("photos")
    for k, name in enumerate(["Kodak24/kodim01.png", "CBSD68/101085.png", "Kodak24/kodim17.png",
                              "Kodak24/kodim18.png"]):
        _photo(root / name, k)
    pairs = (("indoor", "1400.png", "1400_1.png"), ("outdoor", "0001.png", "0001_0.8_0.2.jpg"))
    for scene, clear, hazy in pairs:
        clean = _photo(root / "SOTS_examples" / scene / "gt" / clear, 7)
        hazed = (degrade.haze(clean, 1.2, 0.9) * 255).round().astype(np.uint8)
        (root / "SOTS_examples" / scene / "hazy").mkdir(parents=True)
        Image.fromarray(hazed).save(root / "SOTS_examples" / scene / "hazy" / hazy)
    return root


def test_the_blur_of_a_test_photograph_is_chapter_8s_and_its_true_kernel_is_told(photo_root):
    from durn_teach.data import DegradedPhotos
    from durn_teach.data.photos import blur_kernel

    data = DegradedPhotos(photo_root, "test", degradation="motion-blur")
    degraded, clean, name = data[0]
    rng = np.random.default_rng([20190601, 0])
    kernel = blur_kernel(rng, train=False)
    expected = degrade.motion_blur(clean.permute(1, 2, 0).numpy(), kernel, noise_sigma=1.0, seed=rng)
    assert name == "kodim17.png" and np.array_equal(degraded.permute(1, 2, 0).numpy(), expected)
    assert np.array_equal(data.known(0)["kernel"], kernel)
    train = DegradedPhotos(photo_root, "train", crop_size=32, degradation="motion-blur")
    assert {item.name for item in train.items} == {"Kodak24/kodim01.png", "CBSD68/101085.png"}
    assert train.known((1, 5))["kernel"].sum() == pytest.approx(1.0)


def test_dense_drops_cover_and_brighten_more_than_chapter_6s_and_choose_the_median_on_themselves(photo_root,
                                                                                                 tmp_path):
    from durn_teach.compare_tasks import training_sets
    from durn_teach.data import DegradedPhotos
    from durn_teach.data.photos import DEGRADATIONS
    from durn_teach.metrics import paper_psnr_ssim

    clean = _photo(tmp_path / "photo.png", 11, size=(256, 384))  # half a Kodak photograph
    mild, dense = (DEGRADATIONS[name](clean, np.random.default_rng(5), False)[0]
                   for name in ("raindrops", "raindrops-real"))
    covered = {name: (np.abs(y - clean).mean(-1) > 0.15).mean()
               for name, y in (("mild", mild), ("dense", dense))}
    assert covered["dense"] > 4 * covered["mild"] and 0.05 < covered["dense"] < 0.6
    assert dense.mean() > clean.mean() + 0.02  # the drops glow
    assert paper_psnr_ssim(dense, clean, "y")[0] < paper_psnr_ssim(mild, clean, "y")[0] - 5
    train = DegradedPhotos(photo_root, "train", crop_size=32, degradation="raindrops-real")
    assert len({train[(0, seed)][0].numpy().tobytes() for seed in range(3)}) == 3  # a new draw each time
    median = BASELINES["raindrops"][0]
    assert training_sets(median, {"degradation": "raindrops"}) == [("photos", {"degradation": "raindrops"})]
    assert training_sets(median) == [("photos", {"degradation": "raindrops-real"})]  # for the real pairs
    result = compare_task(None, "raindrop-dense", methods=("degraded", "classical"), root=photo_root,
                          choice_crop=32, progress=False)
    assert "photos (raindrops-real)" in result["methods"]["classical"]["chosen_on"]
    assert set(result["results"]["synthetic"]["degraded"]["look"]) == {"covered", "brighter", "sharpness"}
    degraded, clean, _ = DegradedPhotos(photo_root, "test", degradation="raindrops-real")[0]
    first = paper_psnr_ssim(degraded.permute(1, 2, 0).numpy(), clean.permute(1, 2, 0).numpy(), "y")[0]
    assert result["results"]["synthetic"]["degraded"]["rows"][0]["psnr"] == pytest.approx(first)


def test_drop_look_measures_cover_brightening_and_softening_from_the_pair_alone(tmp_path):
    from scipy import ndimage

    from durn_teach.compare_tasks import drop_look

    clean = _photo(tmp_path / "photo.png", 12, size=(128, 160))
    assert drop_look(clean, clean) == {"covered": 0.0, "brighter": 0.0, "sharpness": 1.0}
    patch = clean.copy()
    patch[32:96, 40:120] = np.clip(patch[32:96, 40:120] + 0.4, 0, 1)  # a quarter of the view, brighter
    look = drop_look(patch, clean)
    assert 0.15 < look["covered"] < 0.3 and look["brighter"] > 0.2 and look["sharpness"] == pytest.approx(1.0)
    softened = drop_look(ndimage.gaussian_filter(clean, (1, 1, 0)), clean)
    assert softened["covered"] == 0.0 and softened["sharpness"] < 0.8
    flat = np.full((40, 40, 3), 0.5)
    assert np.isnan(drop_look(flat, flat)["sharpness"])  # no detail to compare: nan, not an error
    brighter = drop_look(flat + 0.4, flat)
    assert np.isnan(brighter["sharpness"]) and brighter["covered"] == 1.0


def test_haze_training_depth_stands_in_for_a_scene_and_spans_near_to_far():
    from durn_teach.data.photos import depth_proxy

    depths = [depth_proxy((40, 50), np.random.default_rng(seed)) for seed in range(20)]
    assert all(d.shape == (40, 50) and 0 <= d.min() <= 0.4 and 0.6 <= d.max() <= 1.0 for d in depths)
    assert len({d.tobytes() for d in depths}) == 20  # a new scene each time


def test_wiener_told_the_true_kernel_beats_the_blurred_input_and_both_methods_are_recorded(photo_root):
    result = compare_task(None, "blur-synthetic", methods=("degraded", "classical"), root=photo_root,
                          choice_crop=32, progress=False)
    methods, scores = result["methods"], result["results"]["synthetic"]
    assert list(scores) == ["degraded", "classical", "richardson-lucy"]
    assert methods["classical"]["told"] == ["kernel"]
    assert methods["classical"]["grid"] == [0.003, 0.01, 0.03, 0.1]
    assert methods["richardson-lucy"]["chosen"] in methods["richardson-lucy"]["grid"]
    assert "never the test set" in methods["classical"]["chosen_on"]
    assert scores["classical"]["psnr"] > scores["degraded"]["psnr"] + 1
    assert [row["name"] for row in scores["degraded"]["rows"]] == ["kodim17.png", "kodim18.png"]


def test_the_dark_channel_prior_dehazes_real_sots_pairs_and_its_omega_is_chosen_on_training_crops(photo_root):
    result = compare_task(None, "sots-examples", methods=("degraded", "classical"), root=photo_root,
                          choice_crop=32, progress=False)
    scores = result["results"]["real pairs"]
    names = [row["name"] for row in scores["degraded"]["rows"]]
    assert names == ["indoor/1400_1.png", "outdoor/0001_0.8_0.2.jpg"]
    assert result["methods"]["classical"]["key"] == "dark-channel"
    assert scores["classical"]["psnr"] > scores["degraded"]["psnr"]


def test_a_method_that_must_be_told_the_kernel_is_refused_where_none_is_known():
    wiener = BASELINES["motion blur"][0]
    with pytest.raises(ValueError, match="must be told kernel, which this test set does not give"):
        wiener.restore(np.zeros((8, 8, 3), np.float32), 0.01, {})
