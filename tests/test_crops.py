"""The book's crops of real test images: chosen from a comparison, written whole or not at all."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from durn_teach import build_model, compare, crops
from durn_teach.cli import main

# Three crops of the paper's PolyU test scenes and one of a training scene (names as PolyU's).
TEST = ["Canon5D2_5_160_3200_chair_11", "NikonD800_5-6_160_6400_wall_2", "NikonD800_5-6_160_6400_plant_9"]
TRAIN = "Canon80D_8_8_3200_ball_1"


@pytest.fixture(scope="module")
def polyu(tmp_path_factory):
    """A data root with synthetic smooth colour 'crops' (48x56) and strong synthetic noise, the
    dataset's notice beside them, and a comparison of an untrained network on it (nlm tuned)."""
    root = tmp_path_factory.mktemp("polyu")
    folder = root / "PolyU_cropped"
    folder.mkdir()
    y, x = np.mgrid[0:48, 0:56] / 56
    for k, name in enumerate([*TEST, TRAIN]):
        clean = np.stack([0.2 + 0.5 * x + 0.1 * c + 0.05 * k * (y > 0.4) for c in range(3)], -1)
        noisy = clean + np.random.default_rng(k).normal(0, 0.05, clean.shape)
        for kind, image in (("mean", clean), ("real", noisy)):
            data = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
            Image.fromarray(data).save(folder / f"{name}_{kind}.JPG", format="PNG")
    (folder / "License.txt").write_text("the dataset's notice\n")
    model = build_model("DuRN-P-no-norm").eval()  # untrained: these tests check the bookkeeping
    result = compare.compare(model, "polyu-crops", methods=["noisy", "nlm", "network"], root=root,
                             progress=False, grid=(8, 16), network={"label": "DuRN-P-no-norm", "sha256": "0"})
    return root, model, result


def test_the_crops_are_the_central_regions_of_three_test_images(polyu, tmp_path, monkeypatch):
    root, model, result = polyu
    monkeypatch.setattr("durn_teach.pretrained.evaluation", lambda name, protocol, folder=None: result)
    out = tmp_path / "crops"
    index = crops.write_crops(model, "real-noise", "polyu-crops", out, root, size=32, classical="nlm")
    assert {item["name"] for item in index["images"]} == {f"{name}_mean.JPG" for name in TEST}  # not TRAIN
    assert index["classical"]["level"] == result["methods"]["nlm"]["tuning"]["chosen"]
    assert (out / "LICENSE.txt").read_text() == "the dataset's notice\n"
    assert json.loads((out / "crops.json").read_text()) == index
    for item in index["images"]:
        assert item["region"] == [8, 12, 32]  # (48 - 32) / 2, (56 - 32) / 2
        whole = np.asarray(Image.open(root / "PolyU_cropped" / item["name"]))
        clean = np.asarray(Image.open(out / item["files"]["clean"]))
        assert clean.shape == (32, 32, 3) and np.array_equal(clean, whole[8:40, 12:44])
        noisy = np.asarray(Image.open(root / "PolyU_cropped" / item["name"].replace("_mean", "_real")))
        assert np.array_equal(np.asarray(Image.open(out / item["files"]["noisy"])), noisy[8:40, 12:44])
        assert set(item["region_scores"]) == {"noisy", "classical", "network"}
        assert item["region_scores"]["classical"]["psnr"] > item["region_scores"]["noisy"]["psnr"]
    shown, images = crops.read_crops("polyu-crops", out)
    assert shown == index and all(image.shape == (32, 32, 3) for i in images.values() for image in i.values())


def test_the_three_images_are_those_at_the_quartiles_of_the_margin():
    rows = lambda values: {"rows": [{"name": f"i{k}", "psnr": v} for k, v in enumerate(values)]}  # noqa: E731
    result = {"results": {"real": {"network": rows([30, 31, 32, 33, 34, 35, 36, 37, 38]),
                                   "bm3d": rows([30, 30, 30, 30, 30, 30, 30, 30, 30])}}}
    assert crops.pick(result) == ["i2", "i4", "i6"]  # margins 0..8: the quartiles 2, 4 and 6
    result["results"]["real"]["network"] = rows([30, 31])
    result["results"]["real"]["bm3d"] = rows([30, 30])
    with pytest.raises(ValueError, match="has 2 test image"):
        crops.pick(result)


def test_bad_requests_are_refused_and_lose_nothing(polyu, tmp_path, monkeypatch, capsys):
    root, model, result = polyu
    monkeypatch.setattr("durn_teach.pretrained.evaluation", lambda name, protocol, folder=None: result)
    out = tmp_path / "crops"
    out.mkdir()
    (out / "crops.json").write_text("before")
    with pytest.raises(ValueError, match="whose terms allow teaching use .*not 'rain100l'"):
        crops.write_crops(model, "real-noise", "rain100l", out, root)
    with pytest.raises(ValueError, match="16 to 256 .*got 300"):
        crops.write_crops(model, "real-noise", "polyu-crops", out, root, size=300)
    with pytest.raises(ValueError, match="no bm3d with a level chosen on training pairs"):
        crops.write_crops(model, "real-noise", "polyu-crops", out, root)  # the comparison has nlm only
    (root / "PolyU_cropped" / f"{TEST[1]}_mean.JPG").rename(root / "moved.JPG")
    try:
        with pytest.raises(FileNotFoundError, match="not in"):
            crops.write_crops(model, "real-noise", "polyu-crops", out, root, size=32, classical="nlm")
    finally:
        (root / "moved.JPG").rename(root / "PolyU_cropped" / f"{TEST[1]}_mean.JPG")
    assert (out / "crops.json").read_text() == "before" and len(list(out.iterdir())) == 1
    with pytest.raises(FileNotFoundError, match="write them with durn-teach crops"):
        crops.read_crops("polyu-crops", tmp_path / "none")
    with pytest.raises(SystemExit):
        main(["crops", "rain100l", "--weights", "real-noise"])
    assert "invalid choice: 'rain100l'" in capsys.readouterr().err


def test_the_chapter_tables_and_figure_read_the_committed_files(polyu, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from durn_teach import report

    root, model, result = polyu
    monkeypatch.setattr("durn_teach.pretrained.evaluation", lambda name, protocol, folder=None: result)
    crops.write_crops(model, "real-noise", "polyu-crops", tmp_path / "crops" / "polyu-crops", root, size=32,
                      classical="nlm")
    assert report.notes(result, "real-noise") == [
        "**Stale**: these numbers are of other weights than the shipped ones."]  # its sha256 is "0"
    monkeypatch.setattr("durn_teach.pretrained.FOLDER", tmp_path)  # read_crops's default folder
    figure = report.show_crops("polyu-crops")
    assert len(figure.axes) == 12 and all("dB" in ax.get_title() for ax in figure.axes[:3])
    assert "PolyU real-world noisy images" in figure._suptitle.get_text()
    chosen = result["methods"]["nlm"]["tuning"]["chosen"]
    table = report.tuning_table(result, "nlm").data
    assert f"<b>{chosen:g}</b>" in table and table.count("<b>") == 3  # the chosen row only


def test_sittings_gives_each_shipped_sittings_preset_and_its_departures_once(monkeypatch):
    from durn_teach import report
    from durn_teach.train.presets import PRESETS

    stages = [{"preset": "rain-streak-rain100l"}, {"preset": "rain-streak-rain100l-stage2"},
              {"preset": "rain-streak-rain100l-stage2"}]
    monkeypatch.setattr("durn_teach.pretrained.entry",
                        lambda name, folder=None: {"preset": stages[-1]["preset"], "stages": stages})
    text = report.sittings("rain-streak")
    assert text.count("rain-streak-rain100l:\n") == 1 and text.count("rain-streak-rain100l-stage2:\n") == 1
    assert text.index("rain-streak-rain100l:") < text.index("rain-streak-rain100l-stage2:")
    assert PRESETS["rain-streak-rain100l-stage2"].__doc__.strip() in text
    monkeypatch.setattr("durn_teach.pretrained.entry", lambda name, folder=None: {"preset": "haze-photos"})
    assert report.sittings("haze").startswith("haze-photos:\n    Haze with DuRN-US")
    assert report.sittings("x", ("real-noise",)).startswith("real-noise:\n")


def test_the_checkpoint_table_names_each_sittings_precision_where_they_differ():
    from durn_teach import report

    same = [{"device": "cpu", "precision": "float32"}] * 2
    assert report.devices(same) == "cpu, float32"
    mixed = [{"device": "cpu", "precision": "float32"}, {"device": "cpu", "precision": "bfloat16 autocast"}]
    assert report.devices(mixed) == "cpu, float32 (sitting 1); cpu, bfloat16 autocast (sitting 2)"
    table = report.checkpoint_table("real-noise").data  # two float32 sittings on a CPU
    assert "<td>device, precision</td><td>cpu, float32</td>" in table and "sitting 2 of 2" in table
