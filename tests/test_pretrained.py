"""The shipped checkpoints: registry, hashes, strict loading, real denoising, export and record."""

from __future__ import annotations

import fnmatch
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage import data

import durn_teach
from durn_teach import build_model, export, load_pretrained, pretrained, restore
from durn_teach.cli import main
from durn_teach.compare_tasks import BASELINES
from durn_teach.data.photos import DEGRADATIONS
from durn_teach.degrade import camera_noise, gaussian_noise, haze, rain_streaks
from durn_teach.files import sha256_of
from durn_teach.metrics import paper_psnr_ssim
from durn_teach.models import CheckpointError
from durn_teach.train import fit, get_preset

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = pretrained.registry()
REAL_NOISE_GAIN = 0.3  # dB over the noisy input; measured +0.46 (see the test)


def test_something_is_shipped_and_listed():
    assert list(SHIPPED) == durn_teach.list_pretrained() == ["gaussian-gray", "haze", "motion-blur",
                                                             "rain-streak", "raindrop", "real-noise"]
    networks = {name: record["network"] for name, record in SHIPPED.items()}
    assert networks == {"gaussian-gray": "DuRN-P", "haze": "DuRN-US", "motion-blur": "DuRN-U",
                        "rain-streak": "DuRN-S", "raindrop": "DuRN-S-P", "real-noise": "DuRN-P-no-norm"}


def test_sitting_presets_list_each_sitting_and_end_with_the_entrys_preset():
    for name, record in SHIPPED.items():
        presets = pretrained.sitting_presets(name)
        assert presets[-1] == record["preset"]
        assert presets == ([stage["preset"] for stage in record["stages"]] if "stages" in record
                           else [record["preset"]])
    assert pretrained.sitting_presets("real-noise") == ["real-noise-crops", "real-noise-crops-stage2"]


def shipped_file(name: str) -> Path:
    """Where a shipped checkpoint's weights are in this checkout: the package, or weights/ if large."""
    record = SHIPPED[name]
    return (pretrained.WEIGHTS if record.get("url") else pretrained.FOLDER) / record["file"]


@pytest.mark.parametrize("name", list(SHIPPED))
def test_registry_hashes_and_sizes_match_the_files(name):
    record = SHIPPED[name]
    path = shipped_file(name)
    assert sha256_of(path) == record["sha256"]
    assert path.stat().st_size == record["bytes"]
    assert pretrained.weights_path(name) == path
    large = record["bytes"] > pretrained.LARGE_BYTES
    assert bool(record.get("url")) == large, "large weights stay out of the wheel, with a URL"
    if large:
        assert record["url"] == pretrained.WEIGHTS_URL + record["file"]


@pytest.mark.parametrize("name", list(SHIPPED))
def test_each_checkpoint_is_a_float32_state_dict_that_loads_strictly(name):
    record = SHIPPED[name]
    state = torch.load(shipped_file(name), map_location="cpu", weights_only=True)
    floats = [value for value in state.values() if value.is_floating_point()]
    assert floats and all(value.dtype == torch.float32 for value in floats)
    model = build_model(record["network"])
    assert list(state) == list(model.state_dict()), "the release's keys, in its order"
    model.load_state_dict(state, strict=True)
    loaded = load_pretrained(record["network"], name)
    for key, value in loaded.state_dict().items():
        assert torch.equal(value, state[key]), key


@pytest.mark.parametrize("name", list(SHIPPED))
def test_each_entry_says_how_it_was_trained(name):
    record = SHIPPED[name]
    stages = record.get("stages", [record])
    assert record["command"] == " && ".join(stage["command"] for stage in stages)
    for stage in stages:
        assert stage["command"].startswith(f"durn-teach train {stage['preset']}")
    assert record["steps"] == sum(stage["steps"] for stage in stages)
    assert record["steps"] > 0 and record["training_seconds"] > 0
    assert record["precision"] in ("float32", "bfloat16 autocast", "float16 autocast")
    log = pretrained.training_log(name)
    assert max(r["step"] for r in log) == record["steps"], "the shipped log is the run's"


def before_and_after(model: torch.nn.Module, degraded: np.ndarray, clean: np.ndarray,
                     space: str) -> tuple[float, float, float, float]:
    """PSNR and SSIM (the paper's metric) before and after ``model`` restores ``degraded``."""
    before, ssim_before = paper_psnr_ssim(degraded, clean, space)
    after, ssim_after = paper_psnr_ssim(restore(model, degraded), clean, space)
    return before, after, ssim_before, ssim_after


def test_the_gaussian_checkpoint_denoises_a_real_photograph():
    clean = data.camera()[160:288, 192:320].astype(np.float32) / 255  # 128x128, the cameraman
    noisy = gaussian_noise(clean, 50, seed=0)
    before, after, ssim_before, ssim_after = before_and_after(
        load_pretrained("DuRN-P", "gaussian-gray"), noisy, clean, "gray")
    assert after >= before + 5, f"{before:.2f} dB -> {after:.2f} dB"
    assert ssim_after > ssim_before + 0.2


def test_the_real_noise_checkpoint_cleans_camera_like_noise_on_a_real_photograph():
    # Synthetic Poisson-Gaussian noise (a noise std of about 13/255). The network learned PolyU's
    # correlated camera noise and gains less on pixel-independent noise: +0.46 dB for seeds 0-2
    # (+1.4 dB on PolyU's real test crops in validation). Returning the input gains 0 dB.
    clean = data.coffee()[60:188, 200:328].astype(np.float32) / 255  # 128x128 RGB
    noisy = camera_noise(clean, photons=100, read_noise=0.25, seed=0)
    before, after, ssim_before, ssim_after = before_and_after(
        load_pretrained("DuRN-P-no-norm", "real-noise"), noisy, clean, "rgb")
    assert after >= before + REAL_NOISE_GAIN, f"{before:.2f} dB -> {after:.2f} dB"
    assert ssim_after > ssim_before


def test_the_rain_streak_checkpoint_removes_synthetic_streaks_from_a_real_photograph():
    # Trained on real Rain100L / RainTrainH pairs; on chapter 6's synthetic streaks it gains
    # +4.9 to +5.5 dB on this crop (seeds 0-2) and +4.9 to +8.8 dB on chelsea and astronaut.
    clean = data.coffee()[:128, :128].astype(np.float32) / 255
    rainy = rain_streaks(clean, seed=0)
    before, after, ssim_before, ssim_after = before_and_after(
        load_pretrained("DuRN-S", "rain-streak"), rainy, clean, "y")
    assert after >= before + 3, f"{before:.2f} dB -> {after:.2f} dB"
    assert ssim_after > ssim_before


def test_the_haze_checkpoint_clears_synthetic_haze_from_a_real_photograph():
    # Trained on chapter 6's haze over random depth stand-ins; on chapter 6's test haze (a ramp,
    # beta 1, airlight 0.9) it gains +5.0 dB on this crop (+4.2 to +4.9 dB on other crops).
    clean = data.coffee()[:128, :128].astype(np.float32) / 255
    hazy = haze(clean)
    before, after, ssim_before, ssim_after = before_and_after(
        load_pretrained("haze"), hazy, clean, "rgb")
    assert after >= before + 3, f"{before:.2f} dB -> {after:.2f} dB"
    assert ssim_after > ssim_before


def test_the_raindrop_checkpoint_takes_dense_drops_off_a_real_photograph():
    # Trained on chapter 6's drops and on dense, bright ones like the real RainDrop pairs'; at the
    # latter's test setting it gains +3.9 dB on this crop (+1.9 to +6.6 dB on coffee, chelsea and
    # astronaut crops, seeds 0-2). Returning the input gains 0 dB.
    clean = data.coffee()[:128, :128].astype(np.float32) / 255
    rainy = DEGRADATIONS["raindrops-real"](clean, np.random.default_rng(0), False)[0]
    before, after, ssim_before, ssim_after = before_and_after(
        load_pretrained("raindrop"), rainy, clean, "y")
    assert after >= before + 2, f"{before:.2f} dB -> {after:.2f} dB"
    assert ssim_after > ssim_before


def test_a_corrupted_copy_fails_its_hash_check(tmp_path, monkeypatch):
    folder = tmp_path / "pretrained"
    shutil.copytree(pretrained.FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    record = SHIPPED["gaussian-gray"]
    weights = folder / record["file"]
    damaged = bytearray(weights.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    weights.write_bytes(bytes(damaged))
    actual = sha256_of(weights)
    with pytest.raises(pretrained.ChecksumError, match=f"SHA-256 is {actual}, the registry expects "
                       f"{record['sha256']}") as error:
        pretrained.weights_path("gaussian-gray", folder=folder)
    assert "reinstall" in str(error.value).lower()
    monkeypatch.setattr(pretrained, "FOLDER", folder)
    with pytest.raises(pretrained.ChecksumError, match="damaged or was changed"):
        load_pretrained("DuRN-P", "gaussian-gray")


def test_unknown_names_and_wrong_networks_are_named():
    with pytest.raises(FileNotFoundError, match=r"'deblur' is not the name of a shipped checkpoint.*"
                       r"gaussian-gray, haze, motion-blur, rain-streak, raindrop, real-noise"):
        load_pretrained("DuRN-U", "deblur")
    with pytest.raises(CheckpointError, match=r"holds DuRN-P weights, not DuRN-U.*load_pretrained\('DuRN-P'"):
        load_pretrained("DuRN-U", "gaussian-gray")
    with pytest.raises(ValueError, match="no shipped checkpoint named 'nope'; the shipped checkpoints are"):
        pretrained.entry("nope")


def test_shipped_results_are_of_the_shipped_weights():
    results = sorted(pretrained.FOLDER.glob("*.*.json"))
    assert results, "the results page reads a committed evaluation"
    for path in results:
        name, protocol = path.name.split(".")[:2]
        payload = json.loads(path.read_text())
        assert payload["protocol"] == protocol
        assert payload["methods"]["network"]["sha256"] == SHIPPED[name]["sha256"], \
            f"{path.name} scored other weights: run durn-teach compare --weights {name} --record again"
        noise = {"noisy", "nlm", "bm3d", "network"}
        tasks = {"degraded", "classical", "network"}  # and a task's further classical methods by key
        extra = {b.key for task in BASELINES.values() for b in task[1:]}
        assert set(payload["methods"]) == noise or tasks <= set(payload["methods"]) <= tasks | extra
        for methods in payload["results"].values():
            for scores in methods.values():
                assert len(scores["rows"]) == payload["images"]
                assert scores["psnr"] == pytest.approx(np.mean([r["psnr"] for r in scores["rows"]]))
    for record in SHIPPED.values():  # the registry's numbers are copied from those files
        for protocol, evaluation in record["evaluations"].items():
            payload = json.loads((pretrained.FOLDER / evaluation["file"]).read_text())
            assert payload["protocol"] == protocol
            for sigma, scores in evaluation["levels"].items():
                assert scores["psnr"] == payload["results"][sigma]["network"]["psnr"]
                assert scores["ssim"] == payload["results"][sigma]["network"]["ssim"]


def test_the_committed_real_noise_comparison_tuned_on_todays_grid():
    from durn_teach.compare import TUNING_GRID

    result = pretrained.evaluation("real-noise", "polyu-crops")
    for method in ("nlm", "bm3d"):
        tuning = result["methods"][method]["tuning"]
        assert tuple(tuning["grid"]) == TUNING_GRID, f"{method}: run durn-teach compare polyu-crops again"
        assert tuning["chosen"] == max(TUNING_GRID, key=lambda level: tuning["scores"][f"{level:g}"]["psnr"])


def test_the_wheel_carries_the_shipped_files():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["durn_teach"]
    files = [p.relative_to(ROOT / "durn_teach").as_posix() for p in pretrained.FOLDER.iterdir()
             if p.is_file() and p.suffix != ".py"]
    assert "pretrained/registry.json" in files
    for file in files:
        assert any(fnmatch.fnmatch(file, pattern) for pattern in patterns), file
    package_bytes = sum(p.stat().st_size for p in (ROOT / "durn_teach").rglob("*") if p.is_file())
    assert package_bytes < 30e6, f"the wheel would carry {package_bytes / 1e6:.0f} MB"


def test_cli_lists_the_shipped_checkpoints(capsys):
    assert main(["pretrained"]) == 0
    out = capsys.readouterr().out
    assert "gaussian-gray" in out and "DuRN-P" in out
    assert "input: HxW gray float in [0, 1]" in out
    assert "recipe: durn-teach train gaussian-gray-train400" in out
    assert "HxWx3 BGR (restore takes RGB and swaps it)" in out  # the raindrop network, as released
    assert main(["compare", "--weights", "gaussian-gray", "--limit", "2", "--record"]) == 2
    assert "leave --limit out" in capsys.readouterr().err


def test_the_training_command_is_rebuilt_from_the_settings():
    settings = {**get_preset("gaussian-gray-train400").to_dict(), "seed": 0}
    assert export._command(settings, "cpu", "bfloat16 autocast") == \
        "durn-teach train gaussian-gray-train400 --data-root $DURN_DATA --device cpu --amp"
    settings = {**get_preset("gaussian-gray", quick=True).to_dict(), "epochs": 3, "seed": 2}
    assert export._command(settings, "cuda", "float16 autocast") == \
        "durn-teach train gaussian-gray --quick --epochs 3 --device cuda --seed 2"
    assert export._command({**settings, "batch": 2, "lr": 5e-5, "crop": 48}, "cuda", "float16 autocast") == \
        ("durn-teach train gaussian-gray --quick --epochs 3 --batch 2 --lr 5e-05 --crop 48 --device cuda "
         "--seed 2")
    with pytest.raises(ValueError, match="local_steps"):
        export._command({**settings, "local_steps": 2}, "cpu", "float32")
    settings = {**get_preset("gaussian-gray-train400-stage2").to_dict(), "seed": 0,
                "init_weights": {"from": "gaussian-gray", "sha256": "0" * 64}}
    assert export._command(settings, "cpu", "float32").endswith("--device cpu --init gaussian-gray")
    assert export._command(settings, "cpu", "float32", out="runs/x-sitting2", init="runs/x/model.pt"
                               ).endswith("--device cpu --out runs/x-sitting2 --init runs/x/model.pt")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished one-step DuRN-P run on built-in images (the quick Gaussian preset, shrunk)."""
    out = tmp_path_factory.mktemp("run")
    preset = get_preset("gaussian-gray", quick=True, batch=2, crop=16, epochs=1, local_steps=1, epoch_size=2)
    fit(preset, out, device="cpu", progress=False)
    return out


def test_export_writes_weights_log_and_entry_then_record_fills_the_numbers(run, tmp_path, capsys):
    folder = tmp_path / "pretrained"
    assert main(["pretrained", "export", str(run), "tiny", "--folder", str(folder),
                 "--command", "durn-teach train gaussian-gray --quick (shrunk)"]) == 0
    out = capsys.readouterr().out
    assert "exported tiny: DuRN-P, 1 steps (finished)" in out
    assert "now score it: durn-teach compare bsd68 --weights tiny" in out
    record = pretrained.registry(folder)["tiny"]
    assert record["sha256"] == sha256_of(folder / "tiny.pt")
    assert (record["steps"], record["epochs"], record["finished"]) == (1, 1, True)
    assert record["evaluations"] == {}
    state = torch.load(folder / "tiny.pt", weights_only=True)
    trained = torch.load(run / "model.pt", weights_only=True)
    assert all(torch.equal(state[key], trained[key]) for key in trained)
    assert all(value.is_contiguous() for value in state.values())
    assert len(pretrained.training_log("tiny", folder)) == 2  # one step, one epoch

    result = {"protocol": "bsd68", "test_set": "BSD68", "images": 68, "limit": None, "metric": "gray",
              "date": "2026-01-01T00:00:00+00:00",
              "methods": {"network": {"sha256": "0" * 64}},
              "results": {"50": {"network": {"psnr": 26.0, "ssim": 0.7, "rows": []}}}}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(result))
    with pytest.raises(ValueError, match="scored weights with SHA-256 0000"):
        export.record_evaluation("tiny", path, folder)
    result["methods"]["network"]["sha256"] = record["sha256"]
    path.write_text(json.dumps({**result, "limit": 2}))
    with pytest.raises(ValueError, match="only the first 2 images"):
        export.record_evaluation("tiny", path, folder)
    path.write_text(json.dumps(result))
    assert main(["pretrained", "record", "tiny", str(path), "--folder", str(folder)]) == 0
    evaluation = pretrained.registry(folder)["tiny"]["evaluations"]["bsd68"]
    assert evaluation["levels"] == {"50": {"psnr": 26.0, "ssim": 0.7}}
    assert (folder / "tiny.bsd68.json").is_file()
    assert "sigma 50 26.00 / 0.7000" in export.format_registry(folder)

    # exporting new weights clears the numbers that belonged to the old ones
    export.export_weights(run, "tiny", folder, command="again")
    assert pretrained.registry(folder)["tiny"]["evaluations"] == {}


def test_a_run_from_the_shipped_weights_continues_them(run, tmp_path):
    folder = tmp_path / "pretrained"
    first = export.export_weights(run, "tiny", folder, command="first sitting")
    preset = get_preset("gaussian-gray", quick=True, batch=2, crop=16, epochs=2, local_steps=1, epoch_size=2)
    second = tmp_path / "second"
    fit(preset, second, device="cpu", init=folder / "tiny.pt", progress=False)
    started = json.loads((second / "preset.json").read_text())["init_weights"]
    assert started == {"from": str(folder / "tiny.pt"), "sha256": first["sha256"]}

    for _ in range(2):  # exporting the same run again (later in its run) replaces its sitting
        record = export.export_weights(second, "tiny", folder, command="second sitting")
        assert [stage["command"] for stage in record["stages"]] == ["first sitting", "second sitting"]
        assert record["command"] == "first sitting && second sitting"
        assert (record["steps"], record["epochs"], record["preset_epochs"]) == (1 + 2, 1 + 2, 1 + 2)
        seconds = [stage["training_seconds"] for stage in record["stages"]]
        assert record["training_seconds"] == pytest.approx(sum(seconds))
        log = pretrained.training_log("tiny", folder)
        assert [(r["stage"], r["step"], r["epoch"]) for r in log if r["kind"] == "step"] == [
            (1, 1, 1), (2, 2, 2), (2, 3, 3)]

    third = tmp_path / "third"  # a third sitting, its command rebuilt from the settings
    fit(get_preset("gaussian-gray", quick=True), third, device="cpu", init=folder / "tiny.pt", max_steps=1,
        progress=False)
    record = export.export_weights(third, "tiny", folder)
    assert len(record["stages"]) == 3 and record["steps"] == 1 + 2 + 1
    assert record["stages"][2]["command"].endswith(
        "--device cpu --out runs/tiny-sitting3 --init runs/tiny-sitting2/model.pt")
    log = pretrained.training_log("tiny", folder)
    assert [r["stage"] for r in log if r["kind"] == "step"] == [1, 2, 2, 3]
    # weights that do not start from the shipped ones replace the entry: one sitting again
    assert "stages" not in export.export_weights(run, "tiny", folder, command="again")
