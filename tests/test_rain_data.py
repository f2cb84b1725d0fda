"""Rain100L, Rain100H, RainTrainH, the RainDrop examples and the degraded photographs on tiny
generated folders.

Every folder is written here, in each layout the datasets are distributed in; no real image is
read. A rainy image is its clean image plus ``k`` grey levels (``tests.trees``), so a loaded pair
tells which pair it is and whether the two crops are aligned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from durn_teach import data
from durn_teach.data.photos import KODAK_TEST
from tests import trees


def offset(degraded: torch.Tensor, clean: torch.Tensor) -> float:
    """The grey levels between a rainy image and its clean one (exact only if they are aligned)."""
    difference = (degraded - clean) * 255
    assert float(difference.max() - difference.min()) == pytest.approx(0, abs=1e-3)  # aligned
    return round(float(difference.mean()), 3)


def pair(rainy: Path, clean: Path, level: int, k: int, size: tuple[int, int] = (24, 32)) -> None:
    trees.save(clean, trees.clean(level, *size))
    trees.save(rainy, trees.clean(level, *size) + k)


# ------------------------------------------------------------------------------------------------
# Rain100L: input/<name> and target/<name>, the names of the course's split files
# ------------------------------------------------------------------------------------------------


def rain100l(root: Path, names: list[str]) -> Path:
    folder = root / "Rain100L"
    for k, name in enumerate(names, start=1):
        pair(folder / "input" / name, folder / "target" / name, 60 + 10 * k, k)
    return folder


def test_rain100l_split_files_hold_the_100_pairs_with_no_name_on_both_sides():
    train, test = data.split_names("Rain100L", "train"), data.split_names("Rain100L", "test")
    assert len(train) == len(set(train)) == 80 and len(test) == len(set(test)) == 20
    assert not set(train) & set(test)
    assert set(train) | set(test) == {f"test_{n}.png" for n in range(1, 6)} | {
        f"train_{n}.png" for n in range(1, 96)
    }
    assert {f"test_{n}.png" for n in range(1, 6)} <= set(test)  # the redistribution's own test pairs


def test_rain100l_reads_pairs_of_each_split_by_name(tmp_path):
    test, train = data.split_names("Rain100L", "test")[:2], data.split_names("Rain100L", "train")[:2]
    rain100l(tmp_path, test + train)
    whole = data.Rain100L(tmp_path, split="test")
    assert len(whole) == 20 and not whole.train
    rainy, clean, name = whole[1]
    assert name == test[1] and rainy.shape == clean.shape == (3, 24, 32) and offset(rainy, clean) == 2
    crops = data.Rain100L(tmp_path, split="train", crop_size=16)
    rainy, clean, name = crops[0]
    assert name == train[0] and rainy.shape == (3, 16, 16) and offset(rainy, clean) == 3
    everything = data.Rain100L(tmp_path, split="all", limit=3)
    assert [item.name for item in everything.items] == sorted(data.split_names("Rain100L", "train")
                                                             + data.split_names("Rain100L", "test"))[:3]
    assert data.get_dataset("rain100l", root=tmp_path, split="test").items == whole.items


def test_rain100l_missing_pair_file_names_the_file(tmp_path):
    name = data.split_names("Rain100L", "test")[0]
    folder = rain100l(tmp_path, [name])
    (folder / "target" / name).unlink()
    dataset = data.Rain100L(tmp_path, split="test")
    assert folder / "target" / name in dataset.missing()
    with pytest.raises(FileNotFoundError, match=rf"Rain100L: missing file .*target/{name}.*rain100l\.py"):
        dataset[0]


def test_rain100l_size_mismatch_is_a_value_error(tmp_path):
    folder = tmp_path / "Rain100L"
    for split in ("train", "test"):
        name = data.split_names("Rain100L", split)[0]
        trees.save(folder / "input" / name, trees.clean(60, 24, 32))
        trees.save(folder / "target" / name, trees.clean(60, 24, 30))
    for split in ("train", "test", "all"):
        name = data.Rain100L(tmp_path, split=split).items[0].name
        with pytest.raises(ValueError, match=rf"{name} is 32x24 but its clean image .* is 30x24"):
            data.Rain100L(tmp_path, split=split, crop_size=8)[0]


def test_rain100l_folder_without_pairs_says_what_it_expects(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Rain100L: the folder .* does not exist.*rain100l\.py"):
        data.Rain100L(tmp_path, split="test")
    (tmp_path / "Rain100L" / "input").mkdir(parents=True)
    trees.save(tmp_path / "Rain100L" / "input" / "1.png", trees.clean(60))  # another naming
    with pytest.raises(FileNotFoundError, match=r"none of the 20 rainy images of split 'test' .*test_1\.png"):
        data.Rain100L(tmp_path, split="test")
    with pytest.raises(ValueError, match="unknown split 'val' for Rain100L; valid: all, train, test"):
        data.Rain100L(tmp_path, split="val")


# ------------------------------------------------------------------------------------------------
# Rain100H and RainTrainH: PReNet's rain-N.png / norain-N.png, flat or in input/ and target/
# ------------------------------------------------------------------------------------------------

PRENET = {"rain100h": (data.Rain100H, "Rain100H", {}), "raintrainh": (data.RainTrainH, "RainTrainH",
                                                                        {"crop_size": 16})}


def prenet(root: Path, folder: str, layout: str, numbers=(10, 2, 1)) -> Path:
    base = root / folder
    rainy_dir, clean_dir = (base / "input", base / "target") if layout == "input-target" else (base, base)
    for n in numbers:
        pair(rainy_dir / f"rain-{n}.png", clean_dir / f"norain-{n}.png", 40 + 10 * n, n)
    return base


@pytest.mark.parametrize("layout", ["flat", "input-target"])
@pytest.mark.parametrize("key", list(PRENET))
def test_prenet_pairs_are_found_in_either_layout_in_numeric_order(key, layout, tmp_path):
    cls, folder, options = PRENET[key]
    base = prenet(tmp_path, folder, layout)
    rainy_dir = base / "input" if layout == "input-target" else base
    (rainy_dir / "Thumbs.db").write_bytes(b"")
    trees.save(rainy_dir / "rain-3 (copy).png", trees.clean(0))  # not a PReNet name: ignored
    dataset = cls(tmp_path, **options)
    assert [item.name for item in dataset.items] == ["rain-1.png", "rain-2.png", "rain-10.png"]
    assert data.get_dataset(key, root=tmp_path, **options).items == dataset.items
    for index, n in enumerate((1, 2, 10)):
        rainy, clean, name = dataset[index]
        assert name == f"rain-{n}.png" and offset(rainy, clean) == n
        assert rainy.shape == ((3, 16, 16) if dataset.train else (3, 24, 32))


@pytest.mark.parametrize("key", list(PRENET))
def test_prenet_missing_clean_file_names_it(key, tmp_path):
    cls, folder, options = PRENET[key]
    base = prenet(tmp_path, folder, "input-target")
    (base / "target" / "norain-2.png").unlink()
    dataset = cls(tmp_path, **options)
    assert dataset.missing() == [base / "target" / "norain-2.png"]
    with pytest.raises(FileNotFoundError, match=rf"{folder}: missing file .*norain-2\.png.*{key}\.py"):
        dataset[1]


@pytest.mark.parametrize("key", list(PRENET))
def test_prenet_size_mismatch_is_a_value_error(key, tmp_path):
    cls, folder, options = PRENET[key]
    trees.save(tmp_path / folder / "rain-1.png", trees.clean(60, 24, 32))
    trees.save(tmp_path / folder / "norain-1.png", trees.clean(60, 32, 24))
    message = r"rain-1\.png is 32x24 but its clean image .*norain-1\.png is 24x32"
    with pytest.raises(ValueError, match=message):
        cls(tmp_path, **options)[0]


@pytest.mark.parametrize("key", list(PRENET))
def test_prenet_folder_without_pairs_says_what_it_expects(key, tmp_path):
    cls, folder, options = PRENET[key]
    with pytest.raises(FileNotFoundError, match=rf"{folder}: the folder .* does not exist.*{key}\.py"):
        cls(tmp_path, **options)
    trees.save(tmp_path / folder / "input" / "1.png", trees.clean(60))
    trees.save(tmp_path / folder / "norain-1.png", trees.clean(60))
    with pytest.raises(FileNotFoundError, match=r"no rain-N\.png files in .*input; expected PReNet's"):
        cls(tmp_path, **options)


# ------------------------------------------------------------------------------------------------
# DegradedPhotos: Kodak24, CBSD68 and PolyU clean crops with synthetic raindrops
# ------------------------------------------------------------------------------------------------

POLYU_TRAIN = "Canon5D2_5_160_3200_plug_11"  # scene Canon5D2_plug: a training scene
POLYU_TEST = "Canon5D2_5_160_3200_chair_11"  # scene Canon5D2_chair: one of the paper's test scenes


def colour(level: int, h: int = 40, w: int = 48) -> np.ndarray:
    """Three channels that differ (R = level, G = level + 40, B = level + 80, plus the ramp)."""
    return trees.clean(level, h, w) + np.array([0, 40, 80], dtype=np.uint8)


@pytest.fixture
def photos(tmp_path) -> Path:
    for k in (1, 2, 17, 24):
        trees.save(tmp_path / "Kodak24" / f"kodim{k:02d}.png", colour(10 + k))
    trees.save(tmp_path / "CBSD68" / "101085.png", colour(30))
    for stem in (POLYU_TRAIN, POLYU_TEST):
        trees.save(tmp_path / "PolyU_cropped" / f"{stem}_mean.JPG", colour(50))
        trees.save(tmp_path / "PolyU_cropped" / f"{stem}_real.JPG", colour(55))
    return tmp_path


def test_photos_hold_out_kodim17_to_24_and_the_polyu_test_scenes(photos):
    train = data.DegradedPhotos(photos, split="train", crop_size=16)
    names = [item.name for item in train.items]
    assert names == ["Kodak24/kodim01.png", "Kodak24/kodim02.png", "CBSD68/101085.png",
                     f"PolyU_cropped/{POLYU_TRAIN}_mean.JPG"]
    assert not any(name.endswith(KODAK_TEST) for name in names)
    assert set(KODAK_TEST) == {f"kodim{k:02d}.png" for k in range(17, 25)}
    test = data.get_dataset("photos", root=photos, split="test")
    assert [item.name for item in test.items] == ["kodim17.png", "kodim24.png"]
    degraded, clean, _ = train[0]
    assert degraded.shape == clean.shape == (3, 16, 16)
    degraded, clean, name = test[0]
    assert name == "kodim17.png" and degraded.shape == clean.shape == (3, 40, 48)
    assert float((degraded - clean).abs().max()) > 0  # drops were drawn


def test_photos_test_degradation_is_the_same_on_every_read(photos):
    first = data.DegradedPhotos(photos, split="test")
    again = data.DegradedPhotos(photos, split="test")
    for index in range(len(first)):
        assert torch.equal(first[index][0], first[index][0])
        assert torch.equal(first[index][0], again[index][0])
    assert not torch.equal(first[0][0] - first[0][1], first[1][0] - first[1][1])  # per image


def test_photos_bgr_reverses_the_channels(photos):
    rgb, bgr = data.DegradedPhotos(photos, split="test"), data.DegradedPhotos(photos, split="test", bgr=True)
    (d_rgb, c_rgb, _), (d_bgr, c_bgr, _) = rgb[0], bgr[0]
    assert torch.equal(c_bgr, c_rgb.flip(0)) and torch.equal(d_bgr, d_rgb.flip(0))
    assert float(c_rgb[2].mean() - c_rgb[0].mean()) * 255 == pytest.approx(80, abs=1e-3)


def test_photos_bad_inputs_give_clear_errors(tmp_path, photos):
    with pytest.raises(ValueError, match="unknown degradation 'fog'; valid: raindrops"):
        data.DegradedPhotos(photos, degradation="fog")
    with pytest.raises(ValueError, match="unknown split 'val' for Degraded photographs; valid: train, test"):
        data.DegradedPhotos(photos, split="val")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"no photographs for split 'test' .*Kodak24/kodim17-24\.png"
                                                r".*data fetch kodak24"):
        data.DegradedPhotos(empty, split="test")
    with pytest.raises(FileNotFoundError, match=r"no photographs for split 'train'.*CBSD68/\*\.png.*cbsd68"):
        data.DegradedPhotos(empty, split="train")
    with pytest.raises(FileNotFoundError, match=r"data root .*nowhere does not exist.*data fetch kodak24"):
        data.DegradedPhotos(tmp_path / "nowhere", split="test")
    (photos / "Kodak24" / "kodim24.png").write_bytes(b"not a png")
    with pytest.raises(OSError, match=r"cannot read the image .*kodim24\.png: it is corrupt"):
        data.DegradedPhotos(photos, split="test")[1]


# ------------------------------------------------------------------------------------------------
# RainDrop examples: RainDrop_examples/{data/<n>_rain.png,gt/<n>_clean.png}, every pair found
# ------------------------------------------------------------------------------------------------


def raindrop_examples(root: Path, numbers=(10, 0, 3, 1)) -> Path:
    folder = root / "RainDrop_examples"
    for n in numbers:  # sizes not multiples of 4, as a test of the crop
        trees.save(folder / "gt" / f"{n}_clean.png", colour(50 + n, 26, 35))
        trees.save(folder / "data" / f"{n}_rain.png", colour(50 + n, 26, 35) + n)
    return folder


def test_raindrop_examples_read_every_pair_in_numeric_order_in_bgr_cropped_to_multiples_of_four(tmp_path):
    folder = raindrop_examples(tmp_path)
    (folder / "data" / "Thumbs.db").write_bytes(b"")
    trees.save(folder / "data" / "0_rain (copy).jpg", colour(0))  # not a <n>_rain.png: ignored
    examples = data.RainDropExamples(tmp_path)
    assert [item.name for item in examples.items] == ["0", "1", "3", "10"] and not examples.train
    assert data.get_dataset("raindrop-examples", root=tmp_path).items == examples.items
    for index, n in enumerate((0, 1, 3, 10)):
        rainy, clean, name = examples[index]
        assert name == str(n) and rainy.shape == clean.shape == (3, 24, 32) and offset(rainy, clean) == n
    bgr, rgb = examples[2][1], data.RainDropExamples(tmp_path, bgr=False)[2][1]
    assert torch.equal(bgr, rgb.flip(0))  # BGR, as the release fed DuRN-S-P
    assert float(rgb[2].mean() - rgb[0].mean()) * 255 == pytest.approx(80, abs=1e-3)
    assert len(data.RainDropExamples(tmp_path, limit=2)) == 2


def test_raindrop_examples_missing_clean_file_names_it(tmp_path):
    folder = raindrop_examples(tmp_path)
    (folder / "gt" / "3_clean.png").unlink()
    examples = data.RainDropExamples(tmp_path)
    assert examples.missing() == [folder / "gt" / "3_clean.png"]
    with pytest.raises(FileNotFoundError, match=r"RainDrop examples: missing file .*3_clean\.png"
                                                r".*raindrop_examples\.py"):
        examples[2]


def test_raindrop_examples_folder_without_pairs_says_what_it_expects(tmp_path):
    message = r"RainDrop examples: the folder .*RainDrop_examples does not exist.*data fetch raindrop-exam"
    with pytest.raises(FileNotFoundError, match=message + r".*raindrop_examples\.py"):
        data.RainDropExamples(tmp_path)
    trees.save(tmp_path / "RainDrop_examples" / "data" / "0_rainy.png", trees.clean(60))  # another naming
    with pytest.raises(FileNotFoundError, match=r"no <n>_rain\.png files in .*RainDrop_examples/data"):
        data.RainDropExamples(tmp_path)
    with pytest.raises(ValueError, match="unknown split 'train' for RainDrop examples; valid: all"):
        data.RainDropExamples(tmp_path, split="train")
