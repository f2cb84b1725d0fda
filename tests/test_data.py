"""The loaders of durn_teach.data on tiny fabricated trees in the release's layouts."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import torch

from durn_teach import data
from durn_teach.sampling import TEST_NOISE_SEED
from tests import trees

LEVEL = 1 / 255


@pytest.fixture
def root(tmp_path):
    for write in trees.TREES.values():
        write(tmp_path)
    return tmp_path


def levels(degraded: torch.Tensor, clean: torch.Tensor) -> float:
    """The grey-level offset between a degraded and a clean image (the variant number)."""
    return float((degraded - clean).mean() * 255)


def test_split_files_are_the_release_lists_installed_with_their_licence():
    counts = {
        ("BSD_gray", "train"): 300,
        ("BSD_gray", "test"): 200,
        ("RealNoiseHKPoly", "train"): 30,
        ("RealNoiseHKPoly", "test"): 10,
        ("RealNoiseHKPoly", "test1"): 100,
        ("GoPro", "train"): 2103,
        ("GoPro", "test"): 1111,
        ("CarDataset", "test"): 1151,
        ("RESIDE", "train"): 1399,
        ("RESIDE", "test"): 50,
        ("DCPDNData", "train"): 4000,
        ("DCPDNData", "test"): 401,
        ("RainDrop", "train"): 861,
        ("RainDrop", "test_a"): 58,
        ("RainDrop", "test_b"): 249,
        ("DIDMDN_Data", "train"): 4000,
        ("DIDMDN_Data", "test"): 1201,
        ("DDN_Data", "train"): 650,
        ("DDN_Data", "test"): 349,
        ("DDN_Data", "train_b"): 650,
        ("DDN_Data", "test_b"): 350,
    }
    for (folder, split), count in counts.items():
        names = data.split_names(folder, split)
        assert len(names) == len(set(names)) == count, (folder, split)
    # train and test never share an image; the DDN "b" split is images 1-650 / 651-1000
    for folder, train, test in (
        ("BSD_gray", "train", "test"),
        ("RESIDE", "train", "test"),
        ("DDN_Data", "train", "test"),
        ("GoPro", "train", "test"),
    ):
        assert not set(data.split_names(folder, train)) & set(data.split_names(folder, test))
    assert sorted(int(n[:-4]) for n in data.split_names("DDN_Data", "train_b")) == list(range(1, 651))
    assert data.split_names("GoPro", "train")[0] == "GOPR0379_11_00/000255.png"  # the release's order
    licence = resources.files("durn_teach").joinpath("splits", "LICENSE").read_text()
    assert "MIT License" in licence and "liu-vis" in licence


def test_unknown_split_dataset_or_task_lists_the_valid_ones(root):
    with pytest.raises(ValueError, match="unknown split 'val' for GoPro; valid: train, test"):
        data.GoPro(root, split="val")
    with pytest.raises(ValueError, match="valid: test_a, test_b, train"):
        data.split_names("RainDrop", "test")
    with pytest.raises(ValueError, match="unknown dataset 'gopr'; valid: bsd-gray, .*gopro"):
        data.get_dataset("gopr", root=root)
    with pytest.raises(ValueError, match="unknown task 'dehaze'; valid: gaussian-noise, .*haze"):
        data.task_datasets("dehaze")
    assert data.task_datasets("motion-blur") == ("gopro", ("gopro", "car"))


def test_missing_root_names_the_folder_the_dataset_and_the_script(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        data.RESIDEIndoor(tmp_path / "nowhere")
    message = str(error.value)
    assert "RESIDE indoor" in message and str(tmp_path / "nowhere" / "RESIDE") in message
    assert "data_scripts/reside.py" in message and "durn-teach data fetch reside" in message


def test_missing_file_names_the_file_the_dataset_and_the_script(root):
    dataset = data.GoPro(root)
    assert dataset.missing()[0].name == "000214.png"  # the third training image was never written
    hint = r"GoPro: missing file .*000214\.png.*durn-teach data fetch gopro.*data_scripts/gopro\.py"
    with pytest.raises(FileNotFoundError, match=hint):
        dataset[2]


def test_corrupt_image_names_its_path(root):
    path = root / "CarDataset" / "blurred" / "1.png"
    path.write_bytes(b"not a png at all")
    with pytest.raises(OSError, match=r"Car dataset: cannot read the image .*blurred/1\.png: it is corrupt"):
        data.CarDataset(root)[0]


def test_bsd_gray_training_crops_carry_noise_of_the_paper_sigmas(root):
    dataset = data.BSDGray(root, crop_size=16, limit=2)
    assert len(dataset) == 2 and dataset.crop_size == 16
    assert data.BSDGray(root).crop_size == 64  # the paper's crop
    torch.manual_seed(0)
    sigmas = []
    for _ in range(30):
        noisy, clean, name = dataset[0]
        assert noisy.shape == clean.shape == (1, 16, 16) and name == "86000.png"
        assert clean.min() >= 60 * LEVEL and clean.max() <= 67 * LEVEL  # a crop of image 0
        sigmas.append(float((noisy - clean).std() * 255))
    # sigma drawn per image from {30, 50, 70}: 256 pixels estimate it within a few levels
    drawn = {min((30, 50, 70), key=lambda s, v=v: abs(s - v)) for v in sigmas}
    assert drawn == {30, 50, 70}
    assert all(min(abs(s - 30), abs(s - 50), abs(s - 70)) < 9 for s in sigmas)


def test_bsd_gray_test_noise_is_the_release_fixed_seed_on_whole_images(root):
    with pytest.raises(ValueError, match="pass sigma="):
        data.BSDGray(root, split="test")
    dataset = data.BSDGray(root, split="test", sigma=50, limit=2)
    (noisy0, clean0, name0), (noisy1, clean1, _) = dataset[0], dataset[1]
    assert noisy0.shape == (1, trees.H, trees.W) and name0 == "147080.png"
    generator = torch.Generator().manual_seed(TEST_NOISE_SEED)
    expected = torch.empty(3, trees.H, trees.W).normal_(0, 50, generator=generator)[0] / 255
    torch.testing.assert_close(noisy0[0] - clean0[0], expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(noisy1 - clean1, noisy0 - clean0, atol=1e-6, rtol=0)  # same seed, every image
    assert torch.equal(dataset[0][0], noisy0)  # deterministic


def test_dncnn_sets_read_gray_pngs_in_sorted_order(root):
    assert [n for *_, n in data.BSD68(root, sigma=30)] == ["test001.png", "test002.png"]
    assert len(data.Set12(root, sigma=70)) == 2
    noisy, clean, name = data.Train400(root, crop_size=24)[1]
    assert noisy.shape == (1, 24, 24) and name == "test_002.png"


def test_polyu_pairs_scenes_and_release_crops(root):
    noisy, clean, name = data.PolyU(root, crop_size=32)[0]
    assert noisy.shape == clean.shape == (3, 32, 32) and name == "SonyA7II_class_mean.JPG"
    assert data.PolyU(root).crop_size == 128
    assert levels(noisy, clean) == pytest.approx(5, abs=1)  # the Real image of the same scene
    noisy, clean, name = data.PolyU(root, split="test")[0]
    assert noisy.shape == (3, trees.H, trees.W) and name == "Canon5D2_chair_mean.JPG"
    noisy, clean, name = data.PolyU(root, split="test1")[1]
    assert name == data.split_names("RealNoiseHKPoly", "test1")[1] and levels(noisy, clean) == pytest.approx(
        5, abs=1
    )


def test_polyu_official_crops_split_by_the_paper_scenes(root):
    splits = ("all", "train", "test")
    names = {split: [n for *_, n in data.PolyUCrops(root, split, crop_size=8)] for split in splits}
    assert len(names["all"]) == 3
    # chair (Canon5D2) and plant (NikonD800) are among the paper's 10 test scenes; the toy is not
    assert names["test"] == [
        "Canon5D2_5_160_3200_chair_11_mean.JPG",
        "NikonD800_6-3_125_5000_plant__4_mean.JPG",
    ]
    assert names["train"] == ["Sony_4-5_125_1600_toy_2_mean.JPG"]
    noisy, clean, _ = data.PolyUCrops(root, "train", crop_size=8)[0]  # training: random crops of both
    whole = data.PolyUCrops(root, "all")[2]
    assert noisy.shape == clean.shape == (3, 8, 8) and whole[0].shape[1:] != (8, 8)


def test_gopro_resizes_then_crops_and_car_resizes_whole_images(root):
    dataset = data.GoPro(root, crop_size=8, resize_to=(24, 20), limit=2)
    blur, sharp, name = dataset[0]
    assert blur.shape == sharp.shape == (3, 8, 8) and name == "GOPR0379_11_00/000255.png"
    assert levels(blur, sharp) == pytest.approx(7, abs=0.5)
    blur, sharp, _ = data.GoPro(root, split="test", resize_to=(24, 20))[1]
    assert blur.shape == (3, 20, 24)  # whole image, resized (width, height)
    assert data.GoPro(root).resize_to == (640, 360) and data.CarDataset(root).resize_to == (360, 360)
    blur, sharp, name = data.CarDataset(root, resize_to=(16, 16))[0]
    assert blur.shape == (3, 16, 16) and name == "1.png"


def test_reside_draws_one_of_ten_hazy_variants_and_tests_all_ten(root):
    dataset = data.RESIDEIndoor(root, crop_size=16, limit=2)
    assert data.RESIDEIndoor(root).crop_size == 256
    torch.manual_seed(1)
    drawn = set()
    for _ in range(60):
        hazy, clear, name = dataset[1]
        assert hazy.shape == (3, 16, 16) and name == "1109.png"
        offset = levels(hazy, clear)
        assert offset == pytest.approx(round(offset), abs=1e-3)  # aligned crops: a constant offset
        drawn.add(round(offset))
    assert drawn == set(range(1, 11))
    test = data.RESIDEIndoor(root, split="test", limit=20)
    assert [n for *_, n in test][:3] == ["1425_1.png", "1425_2.png", "1425_3.png"]
    assert [round(levels(h, c)) for h, c, _ in test] == list(range(1, 11)) * 2
    assert len(data.RESIDEIndoor(root, split="test")) == 500  # SOTS indoor: 50 images x 10


def test_dcpdn_reads_float_h5_pairs(root):
    haze, gt, name = data.DCPDN(root, crop_size=16)[0]
    assert haze.shape == (3, 16, 16) and name == "2008.h5"
    torch.testing.assert_close(haze, gt * 0.5 + 0.25)
    haze, gt, name = data.DCPDN(root, split="test")[0]
    assert haze.shape == (3, trees.H, trees.W) and name == "59.h5"


def test_raindrop_is_bgr_and_test_images_are_cropped_to_multiples_of_four(root):
    rainy, clean, name = data.RainDrop(root, crop_size=16)[0]
    assert rainy.shape == (3, 16, 16) and name == "345"
    assert clean[:, 0, 0].mul(255).round().tolist() == [50, 100, 200]  # BGR, as the release
    assert data.RainDrop(root, crop_size=16, bgr=False)[0][1][:, 0, 0].mul(255).round().tolist() == [
        200,
        100,
        50,
    ]
    for split in ("test_a", "test_b"):
        rainy, clean, _ = data.RainDrop(root, split=split)[0]
        assert rainy.shape == clean.shape == (3, 40, 48)  # 42x51 cropped to multiples of 4
        assert levels(rainy, clean) == pytest.approx(4, abs=1)


def test_did_mdn_splits_side_by_side_pairs_and_draws_a_density(root):
    dataset = data.DIDMDN(root, crop_size=16, limit=2)
    torch.manual_seed(2)
    offsets, flips = set(), set()
    for _ in range(60):
        rainy, clean, name = dataset[0]
        assert rainy.shape == (3, 16, 16) and name == "2727.jpg"
        offsets.add(round(levels(rainy, clean)))
        # the ramp rises to the right unless the pair was flipped left-right
        flips.add(bool(clean[0, 0, 1] < clean[0, 0, 0]) or bool(clean[0, 1, 1] < clean[0, 1, 0]))
    assert offsets == {4, 8, 12} and flips == {False, True}
    rainy, clean, name = data.DIDMDN(root, split="test")[0]
    assert rainy.shape == clean.shape == (3, trees.H, trees.W) and name == "1087.jpg"


def test_ddn_draws_one_of_fourteen_and_tests_all_fourteen(root):
    dataset = data.DDN(root, crop_size=16, limit=2)
    torch.manual_seed(3)
    drawn = {round(levels(*dataset[0][:2]) / 3) for _ in range(120)}
    assert drawn == set(range(1, 15))
    test = data.DDN(root, split="test_b", limit=14)
    assert [round(levels(r, c) / 3) for r, c, _ in test] == list(range(1, 15))
    assert test[0][2] == "703_1.jpg" and len(data.DDN(root, split="test")) == 349 * 14


def test_builtin_images_with_any_degradation():
    dataset = data.BuiltinImages(["camera", "coffee"], channels=1, crop_size=32, repeats=3)
    assert len(dataset) == 6
    noisy, clean, name = dataset[1]
    assert noisy.shape == clean.shape == (1, 32, 32) and name == "coffee"
    whole = data.BuiltinImages(["astronaut"], crop_size=None, degrade=lambda x, rng: 1 - x)
    negative, clean, _ = whole[0]
    assert clean.shape == (3, 512, 512)
    torch.testing.assert_close(negative, 1 - clean)
    with pytest.raises(ValueError, match="unknown built-in image 'lena'; valid: astronaut"):
        data.BuiltinImages(["lena"])


def batches(loader):
    return [(degraded.clone(), clean.clone(), list(names)) for degraded, clean, names in loader]


def test_make_loader_same_seed_same_batches_with_or_without_workers(root):
    dataset = data.DDN(root, crop_size=16, limit=2)
    dataset.items = dataset.items * 4  # 8 samples of the two fabricated images
    first = batches(data.make_loader(dataset, batch_size=4, seed=7))
    again = batches(data.make_loader(dataset, batch_size=4, seed=7))
    workers = batches(data.make_loader(dataset, batch_size=4, seed=7, num_workers=2))
    other = batches(data.make_loader(dataset, batch_size=4, seed=8))
    for a, b, c in zip(first, again, workers, strict=True):
        assert torch.equal(a[0], b[0]) and torch.equal(a[0], c[0]) and a[2] == c[2]
    assert not all(torch.equal(a[0], d[0]) for a, d in zip(first, other, strict=True))
    loader = data.make_loader(dataset, batch_size=4, seed=7)
    epochs = [batches(loader), batches(loader)]
    assert not all(torch.equal(a[0], b[0]) for a, b in zip(*epochs, strict=True))  # fresh draws per epoch
    assert loader.pin_memory == torch.cuda.is_available()
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        data.make_loader(dataset, batch_size=0)


def test_builtin_loader_is_reproducible_and_batches_the_paper_noise():
    dataset = data.BuiltinImages(channels=1, crop_size=48)
    a = batches(data.make_loader(dataset, batch_size=11, seed=0))
    b = batches(data.make_loader(dataset, batch_size=11, seed=0))
    assert torch.equal(a[0][0], b[0][0]) and a[0][0].shape == (11, 1, 48, 48)
    noise = (a[0][0] - a[0][1]).flatten(1).std(dim=1) * 255
    assert all(min(abs(s - 30), abs(s - 50), abs(s - 70)) < 6 for s in noise.tolist())


def test_sampling_functions_keep_pairs_aligned():
    from durn_teach import sampling

    rng = np.random.default_rng(0)
    image = np.arange(60 * 80, dtype=np.float32).reshape(60, 80)
    a, b = sampling.random_crop([image, image + 1], 16, rng)
    assert a.shape == (16, 16) and np.array_equal(b - a, np.ones((16, 16)))
    with pytest.raises(ValueError, match="cannot crop 64x64 from an image of 60x80 pixels"):
        sampling.random_crop([image], 64, rng)
    assert sampling.crop_to_multiple(np.zeros((43, 50, 3))).shape == (40, 48, 3)
    half = sampling.resize(np.arange(16, dtype=np.uint8).reshape(4, 4) * 10, (2, 2))
    assert half.dtype == np.uint8 and half.tolist() == [[25, 45], [105, 125]]  # 2x2 means, as cv2
