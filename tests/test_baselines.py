"""The dark-channel-prior dehazer, the guided filter and the synthetic test cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from durn_teach import baselines, degrade
from durn_teach.metrics import paper_psnr_ssim

ASTRONAUT = baselines.photo("astronaut", 4)  # 128 x 128 x 3


def test_dark_channel_is_the_patch_minimum_of_the_channel_minimum() -> None:
    image = np.random.default_rng(0).random((20, 24, 3))
    dark = baselines.dark_channel(image, patch=5)
    i, j = 10, 7
    assert dark[i, j] == image[i - 2 : i + 3, j - 2 : j + 3].min()
    assert dark.shape == (20, 24)


def test_atmospheric_light_comes_from_the_haziest_pixels() -> None:
    image = np.full((30, 30, 3), 0.2)
    image[5:8, 5:8] = [0.8, 0.85, 0.9]  # the most opaque region
    image[20, 20] = [1.0, 0.0, 1.0]  # bright, but with a dark channel of 0
    light = baselines.atmospheric_light(image, baselines.dark_channel(image, 3), fraction=0.01)
    np.testing.assert_allclose(light, [0.8, 0.85, 0.9])


def test_guided_filter_keeps_a_linear_function_of_the_guide() -> None:
    guide = ndimage.gaussian_filter(np.random.default_rng(1).random((40, 40)), 2)
    np.testing.assert_allclose(baselines.guided_filter(guide, 0.3 * guide + 0.1, 4, eps=1e-12),
                               0.3 * guide + 0.1, atol=1e-6)
    flat = baselines.guided_filter(guide, np.full_like(guide, 0.5), 4)
    np.testing.assert_allclose(flat, 0.5, atol=1e-12)


def test_dehazing_recovers_most_of_a_synthetic_haze() -> None:
    hazy = degrade.haze(ASTRONAUT, beta=1.2, airlight=0.9)
    dehazed, t, light = baselines.dehaze_dark_channel(hazy)
    assert dehazed.shape == hazy.shape and t.shape == hazy.shape[:2]
    assert dehazed.min() >= 0 and dehazed.max() <= 1
    np.testing.assert_allclose(light, 0.9, atol=0.05)
    true_t = degrade.transmission(degrade.ramp_depth(hazy.shape), 1.2)
    assert np.abs(t - true_t).mean() < 0.1
    before, after = paper_psnr_ssim(hazy, ASTRONAUT, "rgb"), paper_psnr_ssim(dehazed, ASTRONAUT, "rgb")
    assert after[0] > before[0] + 8 and after[1] > before[1]


def test_dehazer_rejects_gray_and_out_of_range_images() -> None:
    with pytest.raises(ValueError, match=r"H x W x 3 colour image, got shape \(128, 128\)"):
        baselines.dehaze_dark_channel(ASTRONAUT[..., 0])
    with pytest.raises(ValueError, match=r"hazy image must lie in \[0, 1\]"):
        baselines.dehaze_dark_channel(ASTRONAUT * 3)


def test_synthetic_cases_are_fixed_and_fit_their_spaces() -> None:
    first, again = baselines.synthetic_cases(), baselines.synthetic_cases()
    assert len(first) == len(again) > 10
    tasks = {case.task for case in first}
    assert {"real-world noise", "motion blur", "haze", "rain streaks", "raindrops"} <= tasks
    assert {t for t in tasks if t.startswith("Gaussian")} == {
        f"Gaussian noise, sigma {s}" for s in (30, 50, 70)
    }
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.degraded, b.degraded)
        assert a.clean.shape == a.degraded.shape
        assert (a.clean.ndim == 2) == (a.space == "gray")
        np.testing.assert_allclose(np.rint(a.clean * 255), a.clean * 255, atol=1e-9)  # 8-bit photographs
        psnr, _ = paper_psnr_ssim(a.degraded, a.clean, a.space)
        assert psnr < 35  # every case is visibly degraded
        if a.task == "motion blur":
            assert a.kernel is not None and a.kernel.sum() == pytest.approx(1)
        if a.task.startswith("Gaussian"):
            assert (a.degraded - a.clean).std() * 255 == pytest.approx(a.sigma, rel=0.05)
