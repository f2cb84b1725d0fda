"""Optional: the BSD68, Set12, Train400 and PolyU loaders over real images under $DURN_DATA.

Marked ``realdata``; each test is skipped, saying why, where its folder is absent. On a
development machine: ``DURN_DATA=<the datasets folder> pytest -m realdata``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from durn_teach import data
from durn_teach.names import polyu_scene

pytestmark = pytest.mark.realdata


def real(folder: str) -> Path:
    if not os.environ.get("DURN_DATA"):
        pytest.skip("DURN_DATA is not set: no real images to read")
    path = Path(os.environ["DURN_DATA"]) / folder
    if not path.is_dir():
        pytest.skip(f"{path} is absent: fetch it with data_scripts/ to run this test")
    return path.parent


@pytest.mark.parametrize(("cls", "count"), [(data.BSD68, 68), (data.Set12, 12)])
def test_gray_test_sets_give_whole_noisy_images(cls, count):
    dataset = cls(real(cls.folder), sigma=50)
    assert len(dataset) == count and not dataset.missing()
    for noisy, clean, name in dataset:
        assert noisy.shape == clean.shape and noisy.shape[0] == 1 and min(noisy.shape[1:]) >= 256 // 2
        assert 40 < float((noisy - clean).std() * 255) < 60, name


def test_train400_gives_crops_with_the_paper_noise():
    dataset = data.Train400(real("Train400"))
    assert len(dataset) == 400
    loader = data.make_loader(dataset, batch_size=100, seed=0, num_workers=2)
    noisy, clean, names = next(iter(loader))
    assert noisy.shape == (100, 1, 64, 64) and len(set(names)) == 100
    sigmas = ((noisy - clean).flatten(1).std(dim=1) * 255).tolist()
    assert all(min(abs(s - v) for v in (30, 50, 70)) < 5 for s in sigmas)


def test_polyu_crops_split_by_the_paper_scenes():
    root = real("PolyU_cropped")
    everything = data.PolyUCrops(root, "all")
    assert len(everything) == 100 and not everything.missing()
    scenes = {
        n.removesuffix("_mean.JPG") for s in ("train", "test") for n in data.split_names("RealNoiseHKPoly", s)
    }
    assert {polyu_scene(n) for *_, n in everything} <= scenes  # every crop belongs to one of the 40 scenes
    test, train = data.PolyUCrops(root, "test"), data.PolyUCrops(root, "train")
    assert len(test) + len(train) == 100 and len(test) > 0
    noisy, clean, _ = test[0]
    assert noisy.shape == clean.shape == (3, 512, 512)
    assert 0 < float((noisy - clean).abs().mean()) < 0.1  # real noise: small, not zero
    assert torch.equal(test[0][0], noisy)


def test_polyu_full_size_scenes_when_present():
    root = real("RealNoiseHKPoly")
    noisy, clean, name = data.PolyU(root)[0]
    assert noisy.shape == clean.shape == (3, 128, 128) and name == "SonyA7II_class_mean.JPG"
