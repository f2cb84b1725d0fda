"""``durn-teach bench`` runs end to end at a tiny size (no timing is asserted, only the results' sense)."""

from __future__ import annotations

import json

import pytest
import torch

from durn_teach.bench import run, table
from durn_teach.cli import main
from tests.conftest import NAMES

pytestmark = pytest.mark.usefixtures("one_thread")


def test_bench_command_runs_end_to_end_and_writes_json(tmp_path, capsys):
    path = tmp_path / "results" / "cpu.json"
    argv = ["bench", "--size", "16", "--rounds", "1", "--conv-side", "16", "--device", "cpu",
            "--amp", "--restore-megapixels", "0.01", "--tile", "64", "--overlap", "16", "--threads", "1",
            "--json", str(path)]
    assert main(argv) == 0
    assert torch.get_num_threads() == 1
    printed = capsys.readouterr().out
    results = json.loads(path.read_text())
    cpu = results["devices"]["cpu"]
    assert results["settings"]["size"] == 16 and results["settings"]["tolerance"] == 1e-3
    assert cpu["machine"]["torch_threads"] == 1 and cpu["machine"]["cpu"]
    assert set(cpu["machine"]["bfloat16_units"]) <= {"amx_bf16", "avx512_bf16"}
    assert cpu["conv_throughput"]["gflops"] > 0 and len(cpu["conv_throughput"]["runs"]) == 6
    assert list(cpu["networks"]) == NAMES
    limit = cpu["conv_throughput"]["gflops"]
    for name, network in cpu["networks"].items():
        assert network["mult_adds"] > 0, name
        assert set(network["training"]) == {"reference", "fast"}, name
        assert {"reference", "fast", "fast+bfloat16"} <= set(network["inference"]) or network["notes"]
        for mode in ("inference", "training"):
            for variant, row in network[mode].items():
                assert row["seconds"] > 0 and row["images_per_s"] > 0, (name, mode, variant)
                assert row["fraction_of_conv"] == pytest.approx(row["gflops"] / limit)
                if row["agrees"] is not None:  # the float32 variants: within 1e-3 of the baseline
                    assert row["agrees"] is True, (name, mode, variant, row["max_abs_difference"])
        assert network["inference"]["reference"]["max_abs_difference"] == 0
    assert cpu["restore"]["width"] * cpu["restore"]["height"] == pytest.approx(1e4, rel=0.02)
    assert "DuRN-S-P" in printed and "3x3 convolution throughput" in printed and str(path) in printed


def test_bench_refuses_bad_input():
    with pytest.raises(ValueError, match="unknown networks \\['DuRN-X'\\]"):
        run(names=["DuRN-X"])
    with pytest.raises(ValueError, match="must be positive, got 0"):
        run(size=0)
    with pytest.raises(ValueError, match="DuRN-U takes sides that are multiples of 4 from 8 up; size 10"):
        run(names=["DuRN-U"], size=10, conv_side=8, rounds=1, devices=["cpu"])
    with pytest.raises(SystemExit, match="durn-teach bench: DuRN-P takes sides"):
        main(["bench", "--networks", "DuRN-P", "--size", "8", "--conv-side", "8", "--rounds", "1"])


def test_table_lists_every_variant():
    results = run(names=["DuRN-P"], size=16, rounds=1, conv_side=16, devices=["cpu"], train=False)
    lines = table(results).splitlines()
    assert sum("DuRN-P" in line for line in lines) == 2  # reference and fast inference


def test_a_preset_s_training_throughput_is_timed_as_train_runs_it(capsys):
    from durn_teach.bench import bench_preset

    row = bench_preset("gaussian-gray", torch.device("cpu"), rounds=1, amp=True, quick=True, batch=2, crop=16,
                       model_options={"dim": 8}, block="DuRB-S")
    assert (row["network"], row["batch"], row["crop"], row["loss"], row["block"]) == \
        ("DuRN-P", 2, 16, "l2", "DuRB-S")
    assert set(row["precisions"]) == {"float32", "bfloat16"}
    for speed in row["precisions"].values():
        assert speed["seconds_per_step"] > 0
        assert speed["images_per_s"] == pytest.approx(2 / speed["seconds_per_step"])
        assert speed["steps_per_hour"] == pytest.approx(3600 / speed["seconds_per_step"])
    results = {"devices": {"cpu": {"conv_throughput": {"gflops": 1.0}, "networks": {},
                                   "presets": {"gaussian-gray": row}}}}
    assert "train gaussian-gray (DuRN-P, 2 x 16^2, float32):" in table(results)


def test_only_presets_with_an_empty_network_list(tmp_path):
    path = tmp_path / "presets.json"
    assert main(["bench", "--networks", "--presets", "real-noise-crops", "--rounds", "1", "--conv-side", "16",
                 "--device", "cpu", "--json", str(path)]) == 0
    cpu = json.loads(path.read_text())["devices"]["cpu"]
    assert cpu["networks"] == {} and set(cpu["presets"]) == {"real-noise-crops"}
    assert cpu["presets"]["real-noise-crops"]["network"] == "DuRN-P-no-norm"


def test_the_precision_check_scores_a_shipped_checkpoint_in_float32_and_bfloat16():
    from durn_teach.evaluate import BuiltinTestSet, evaluate, get_protocol
    from durn_teach.models import load_pretrained
    from durn_teach.precision import amp_quality, quality_table

    protocol = get_protocol("bsd68", 50)
    data = BuiltinTestSet(protocol, sigma=50, names=("camera", "coins"), size=32)
    result = amp_quality("gaussian-gray", torch.device("cpu"), dataset=data)
    assert (result["protocol"], result["sigma"], result["images"]) == ("bsd68", 50, 2)
    exact, half = result["passes"]["float32"], result["passes"]["bfloat16"]
    direct = evaluate(load_pretrained("DuRN-P", "gaussian-gray"), protocol, dataset=data, progress=False)
    assert exact["psnr"] == pytest.approx(direct["psnr"], abs=1e-9)  # the exact path is evaluate's
    assert half["psnr_change"] == pytest.approx(half["psnr"] - exact["psnr"])
    changes = [h - e for h, e in zip(half["rows"], exact["rows"], strict=True)]
    assert half["worst_image_change"] == max(changes, key=abs) and abs(half["psnr_change"]) < 1
    assert "gaussian-gray  bsd68" in quality_table({"gaussian-gray": result})


def test_the_precision_check_names_missing_data_before_any_timing(tmp_path):
    with pytest.raises(SystemExit, match="durn-teach bench: BSD68: the folder .* does not exist; fetch"):
        main(["bench", "--networks", "DuRN-P", "--amp-quality", "gaussian-gray",
              "--data-root", str(tmp_path)])
    with pytest.raises(ValueError, match="no precision check for \\['DuRN-P'\\]"):
        run(names=[], quality=["DuRN-P"])
