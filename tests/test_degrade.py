"""The synthetic degradations: seeded, shape- and range-keeping, monotone in their strength."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio
from skimage.util import img_as_float

from durn_teach import degrade

GRAY = img_as_float(data.camera()[::4, ::4])  # 128 x 128
COLOUR = img_as_float(data.astronaut()[::4, ::4])  # 128 x 128 x 3


def psnr(clean: np.ndarray, degraded: np.ndarray) -> float:
    return peak_signal_noise_ratio(clean, np.clip(degraded, 0, 1), data_range=1)


SHAKE = degrade.random_motion_kernel(9, 0.5, seed=0)

# name: (degrade with a seed, whether the output stays in [0, 1])
SEEDED = {
    "gaussian_noise": (lambda x, seed: degrade.gaussian_noise(x, 30, seed=seed), False),
    "camera_noise": (lambda x, seed: degrade.camera_noise(x, 100, seed=seed), True),
    "motion_blur": (lambda x, seed: degrade.motion_blur(x, SHAKE, noise_sigma=2, seed=seed), True),
    "haze": (lambda x, seed: degrade.haze(x, 1.2, 0.8), True),
    "rain_streaks": (lambda x, seed: degrade.rain_streaks(x, 0.01, seed=seed), True),
    "raindrops": (lambda x, seed: degrade.raindrops(x, 20, seed=seed), True),
}


@pytest.mark.parametrize("name", SEEDED)
@pytest.mark.parametrize("image", [GRAY, COLOUR, COLOUR.astype(np.float32)], ids=["gray", "rgb", "rgb32"])
def test_seeded_shape_dtype_range(name: str, image: np.ndarray) -> None:
    apply, bounded = SEEDED[name]
    first, again = apply(image, 7), apply(image, 7)
    assert first.shape == image.shape and first.dtype == image.dtype
    np.testing.assert_array_equal(first, again)
    assert np.isfinite(first).all()
    assert not np.array_equal(first, image)
    if bounded:
        assert first.min() >= 0 and first.max() <= 1
    if name != "haze":  # haze has no randomness
        assert not np.array_equal(first, apply(image, 8))


def test_seed_accepts_a_generator() -> None:
    a = degrade.gaussian_noise(GRAY, 10, seed=np.random.default_rng(3))
    b = degrade.gaussian_noise(GRAY, 10, seed=3)
    np.testing.assert_array_equal(a, b)


def test_gaussian_noise_is_unclipped_with_the_right_sigma() -> None:
    noisy = degrade.gaussian_noise(GRAY, 50, seed=0)
    assert noisy.min() < 0 and noisy.max() > 1  # not clipped, as in the paper
    assert (noisy - GRAY).std() * 255 == pytest.approx(50, rel=0.02)
    assert abs((noisy - GRAY).mean()) * 255 < 1


def test_gaussian_noise_sigma_zero_is_identity() -> None:
    np.testing.assert_array_equal(degrade.gaussian_noise(GRAY, 0, seed=0), GRAY)


@pytest.mark.parametrize(
    ("name", "weak", "strong"),
    [
        ("gaussian_noise", lambda x: degrade.gaussian_noise(x, 10, seed=0),
         lambda x: degrade.gaussian_noise(x, 50, seed=0)),
        ("camera_noise", lambda x: degrade.camera_noise(x, 1000, seed=0),
         lambda x: degrade.camera_noise(x, 50, seed=0)),
        ("linear_blur", lambda x: degrade.motion_blur(x, degrade.linear_motion_kernel(3, 20)),
         lambda x: degrade.motion_blur(x, degrade.linear_motion_kernel(15, 20))),
        ("shake_blur", lambda x: degrade.motion_blur(x, degrade.random_motion_kernel(4, seed=1)),
         lambda x: degrade.motion_blur(x, degrade.random_motion_kernel(16, seed=1))),
        ("haze_beta", lambda x: degrade.haze(x, 0.3), lambda x: degrade.haze(x, 2.0)),
        ("haze_depth", lambda x: degrade.haze(x, 1.0, depth=np.full(x.shape[:2], 0.1)),
         lambda x: degrade.haze(x, 1.0, depth=np.full(x.shape[:2], 1.0))),
        ("rain_streaks", lambda x: degrade.rain_streaks(x, 0.001, seed=0),
         lambda x: degrade.rain_streaks(x, 0.01, seed=0)),
        ("raindrops", lambda x: degrade.raindrops(x, 5, seed=0), lambda x: degrade.raindrops(x, 40, seed=0)),
    ],
)
def test_stronger_parameters_lower_psnr(name: str, weak, strong) -> None:
    for image in (GRAY, COLOUR):
        assert psnr(image, strong(image)) < psnr(image, weak(image)) - 1, name


def test_camera_noise_grows_with_the_signal_in_linear_light() -> None:
    # Before the tone curve the Poisson variance is u / photons: brighter pixels are noisier.
    dark, bright = np.full((200, 200), 0.2), np.full((200, 200), 0.9)
    linear_std = [
        (degrade.camera_noise(x, 200, read_noise=0, gamma=1.0, seed=0) - x).std() for x in (dark, bright)
    ]
    assert linear_std[1] > 1.8 * linear_std[0]
    assert linear_std[0] == pytest.approx(np.sqrt(0.2 / 200), rel=0.05)


def test_haze_follows_the_scattering_model() -> None:
    depth = np.linspace(0, 2, GRAY.size).reshape(GRAY.shape)
    t = np.exp(-0.7 * depth)
    np.testing.assert_allclose(degrade.haze(GRAY, 0.7, 0.85, depth), GRAY * t + 0.85 * (1 - t), atol=1e-12)
    np.testing.assert_allclose(degrade.haze(COLOUR, 0.0), COLOUR)  # no scattering, no haze


def test_rain_streaks_only_brighten_and_keep_their_drops() -> None:
    light, heavy = degrade.rain_streaks(COLOUR, 0.002, seed=1), degrade.rain_streaks(COLOUR, 0.02, seed=1)
    assert (light >= COLOUR).all() and (heavy >= light).all()
    np.testing.assert_array_equal(degrade.rain_streaks(COLOUR, 0.0, seed=1), COLOUR)


def test_raindrops_zero_count_is_identity_and_drops_are_local() -> None:
    np.testing.assert_array_equal(degrade.raindrops(COLOUR, 0, seed=0), COLOUR)
    changed = np.any(degrade.raindrops(COLOUR, 3, radius=(4, 6), seed=0) != COLOUR, axis=-1)
    assert 0 < changed.mean() < 0.2


def test_glowing_drops_are_brighter_in_the_same_places_and_no_glow_is_the_default() -> None:
    plain, bright = (degrade.raindrops(COLOUR, 6, radius=(4, 8), glow=g, seed=3) for g in (0.0, 0.3))
    np.testing.assert_array_equal(plain, degrade.raindrops(COLOUR, 6, radius=(4, 8), seed=3))
    drops = np.any(plain != COLOUR, axis=-1)
    assert np.array_equal(np.any(bright != COLOUR, axis=-1), drops)
    assert (bright >= plain - 1e-12).all() and bright[drops].mean() > plain[drops].mean() + 0.05
    assert bright.max() <= 1.0


@pytest.mark.parametrize("length", [0, 1, 7.5, 20])
@pytest.mark.parametrize("angle", [0, 30, 90, 135])
def test_linear_kernel(length: float, angle: float) -> None:
    kernel = degrade.linear_motion_kernel(length, angle)
    assert kernel.ndim == 2 and kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1
    assert kernel.sum() == pytest.approx(1) and kernel.min() >= 0
    assert kernel.shape[0] <= int(np.ceil(length / 2)) * 2 + 1
    rows, cols = np.indices(kernel.shape) - kernel.shape[0] // 2
    # centred, and spread along its direction (y up, counter-clockwise from the x axis)
    assert (kernel * rows).sum() == pytest.approx(0, abs=1e-9)
    assert (kernel * cols).sum() == pytest.approx(0, abs=1e-9)
    if length >= 7:
        theta = np.deg2rad(angle)
        along = cols * np.cos(theta) - rows * np.sin(theta)
        across = cols * np.sin(theta) + rows * np.cos(theta)
        assert (kernel * along**2).sum() > 10 * (kernel * across**2).sum()


def test_zero_length_kernel_is_identity() -> None:
    np.testing.assert_array_equal(degrade.linear_motion_kernel(0), [[1.0]])
    np.testing.assert_allclose(degrade.motion_blur(COLOUR, degrade.linear_motion_kernel(0)), COLOUR)


def test_random_kernel_is_seeded_and_straight_without_curvature() -> None:
    a, b = degrade.random_motion_kernel(12, seed=5), degrade.random_motion_kernel(12, seed=5)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == pytest.approx(1) and a.min() >= 0 and a.shape[0] % 2 == 1
    assert not np.array_equal(a, degrade.random_motion_kernel(12, seed=6))
    straight = degrade.random_motion_kernel(12, curvature=0, seed=5)
    rows, cols = np.indices(straight.shape)
    points = np.stack([rows.ravel(), cols.ravel()])
    spread = np.linalg.eigvalsh(np.cov(points, aweights=straight.ravel()))
    assert spread[0] < 0.03 * spread[1]  # its mass lies on one line


def test_motion_blur_is_a_convolution_that_keeps_the_mean() -> None:
    blurred = degrade.motion_blur(GRAY, degrade.linear_motion_kernel(9, 0))
    assert blurred.mean() == pytest.approx(GRAY.mean(), abs=2e-3)
    # a horizontal blur leaves a vertical-only image untouched away from the borders
    stripes = np.tile(np.linspace(0, 1, 64)[:, None], (1, 64))
    np.testing.assert_allclose(degrade.motion_blur(stripes, degrade.linear_motion_kernel(9, 0)), stripes)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: degrade.gaussian_noise(data.camera(), 30), TypeError, "dtype uint8"),
        (lambda: degrade.gaussian_noise(GRAY * 2, 30), ValueError, r"\[0, 1\], got values in \[0.0\d+, 2\]"),
        (lambda: degrade.gaussian_noise(GRAY - 0.5, 30), ValueError, "must lie in"),
        (lambda: degrade.gaussian_noise(GRAY[None], 30), ValueError, r"shape \(1, 128, 128\)"),
        (lambda: degrade.gaussian_noise(np.zeros((8, 8, 4)), 30), ValueError, "C = 1 or 3"),
        (lambda: degrade.gaussian_noise(GRAY.tolist(), 30), TypeError, "NumPy array, got list"),
        (lambda: degrade.gaussian_noise(np.full((8, 8), np.nan), 30), ValueError, "nan"),
        (lambda: degrade.gaussian_noise(GRAY, -5), ValueError, "sigma must be non-negative, got -5"),
        (lambda: degrade.camera_noise(GRAY, 0), ValueError, "photons must be positive, got 0"),
        (lambda: degrade.motion_blur(GRAY, np.ones((4, 4)) / 16), ValueError, r"odd sides, got shape \(4, 4"),
        (lambda: degrade.motion_blur(GRAY, np.ones((3, 3))), ValueError, "sum to 1"),
        (lambda: degrade.haze(GRAY, 1, airlight=1.5), ValueError, "airlight must lie in"),
        (lambda: degrade.haze(GRAY, 1, depth=np.ones((4, 4))), ValueError, r"shape \(128, 128\)"),
        (lambda: degrade.haze(GRAY, -1), ValueError, "beta must be non-negative"),
        (lambda: degrade.rain_streaks(GRAY, 2.0), ValueError, "density must lie in"),
        (lambda: degrade.raindrops(GRAY, 2.5), ValueError, "count must be a non-negative integer"),
        (lambda: degrade.raindrops(GRAY, 3, radius=(5, 2)), ValueError, "0 < low <= high"),
        (lambda: degrade.raindrops(GRAY, 3, glow=1.5), ValueError, r"glow must be in \[0, 1\], got 1.5"),
    ],
)
def test_bad_input(call, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
