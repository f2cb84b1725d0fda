"""The paper's metrics against hand computations: truncation, fixed-point Y, PSNR, 7x7 SSIM."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from skimage.util import img_as_float

from durn_teach import metrics


def hand_psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(peak**2 / mse)


def hand_ssim(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    """Mean SSIM over every 7 x 7 window inside the image, sample statistics, channels averaged."""
    a, b = np.atleast_3d(a).astype(np.float64), np.atleast_3d(b).astype(np.float64)
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    per_channel = []
    for c in range(a.shape[2]):
        values = []
        for i, j in itertools.product(range(a.shape[0] - 6), range(a.shape[1] - 6)):
            x, y = a[i : i + 7, j : j + 7, c].ravel(), b[i : i + 7, j : j + 7, c].ravel()
            mx, my = x.mean(), y.mean()
            vx, vy = x.var(ddof=1), y.var(ddof=1)
            cov = ((x - mx) * (y - my)).sum() / (x.size - 1)
            values.append((2 * mx * my + c1) * (2 * cov + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
        per_channel.append(np.mean(values))
    return float(np.mean(per_channel))


def hand_y(rgb: np.ndarray) -> np.ndarray:
    """OpenCV's 8-bit Y in Python integers, pixel by pixel."""
    out = np.empty(rgb.shape[:2], np.uint8)
    for i, j in np.ndindex(out.shape):
        r, g, b = (int(v) for v in rgb[i, j])
        out[i, j] = (4899 * r + 9617 * g + 1868 * b + 8192) // 16384
    return out


def hand_truncate(image: np.ndarray) -> np.ndarray:
    return np.floor(np.minimum(np.maximum(image, 0), 1) * 255).astype(np.uint8)


def restored_and_clean(shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An 8-bit clean image and a float 'restoration' with values that test the truncation."""
    rng = np.random.default_rng(seed)
    clean = rng.integers(0, 256, shape).astype(np.uint8)
    restored = clean / 255 + rng.normal(0, 8 / 255, shape)
    restored.flat[:6] = [-0.2, 1.3, 0.5, 0.99999, 254.999 / 255, 1.0]  # 0, 255, 127, 254, 254, 255
    return restored, clean


def test_quantise_truncates() -> None:
    values = np.array([-0.3, 0.0, 0.5, 0.99999, 254.9 / 255, 1.0, 1.7, 3.999 / 255])
    assert metrics.quantise(values).tolist() == [0, 0, 127, 254, 254, 255, 255, 3]
    assert metrics.quantise(values).dtype == np.uint8


def test_fixed_point_y_on_edge_values() -> None:
    levels = [0, 1, 2, 127, 128, 254, 255]
    grid = np.array(list(itertools.product(levels, repeat=3)), np.uint8).reshape(7, 49, 3)
    random = np.random.default_rng(0).integers(0, 256, (40, 50, 3)).astype(np.uint8)
    for image in (grid, random):
        np.testing.assert_array_equal(metrics.rgb_to_y(image), hand_y(image))
    pixels = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    assert metrics.rgb_to_y(pixels).tolist() == [[0, 255, 76, 150, 29]]


def test_fixed_point_y_rounds_half_up_and_differs_from_float_rounding() -> None:
    g, b = (v.ravel() for v in np.indices((256, 256)))
    half = []  # pixels whose weighted sum lies exactly half way between two levels
    for r in range(0, 256, 17):
        total = 4899 * r + 9617 * g + 1868 * b
        found = total % 16384 == 8192
        half += [(r, gg, bb, t // 16384) for gg, bb, t in zip(g[found], b[found], total[found], strict=True)]
    assert len(half) > 50
    image = np.array([p[:3] for p in half], np.uint8)[None]
    np.testing.assert_array_equal(metrics.rgb_to_y(image)[0], [p[3] + 1 for p in half])  # half up
    rgb = np.stack([np.full_like(g, 200), g, b], axis=1)
    fixed = metrics.rgb_to_y(rgb[None].astype(np.uint8))[0].astype(np.int64)
    naive = np.rint(rgb @ np.array([0.299, 0.587, 0.114])).astype(np.int64)
    assert (fixed != naive).any()  # fixed point is not the float formula rounded...
    assert np.abs(fixed - naive).max() == 1  # ...but never more than one level from it


@pytest.mark.parametrize("space", ["gray", "rgb", "y"])
def test_paper_psnr_ssim_equals_hand_computation(space: str) -> None:
    shape = (14, 15) if space == "gray" else (14, 15, 3)
    restored, clean = restored_and_clean(shape, seed=len(space))
    restored8 = hand_truncate(restored)
    assert restored8.flat[:6].tolist() == [0, 255, 127, 254, 254, 255]
    if space == "y":
        restored8, clean8 = hand_y(restored8), hand_y(clean)
    else:
        clean8 = clean
    psnr, ssim = metrics.paper_psnr_ssim(restored, clean, space)
    assert psnr == pytest.approx(hand_psnr(restored8, clean8, 255), abs=1e-10)
    assert ssim == pytest.approx(hand_ssim(restored8, clean8, 255), abs=1e-10)
    assert isinstance(psnr, float) and isinstance(ssim, float)


def test_truncation_not_rounding() -> None:
    clean = np.full((8, 8), 100, np.uint8)
    psnr, _ = metrics.paper_psnr_ssim(np.full((8, 8), 100.9 / 255), clean, "gray")
    assert psnr == np.inf  # 100.9 truncates to 100
    psnr, _ = metrics.paper_psnr_ssim(np.full((8, 8), 101.0001 / 255), clean, "gray")
    assert psnr == pytest.approx(20 * np.log10(255), abs=1e-9)  # 101: an error of one level


def test_float_clean_is_rounded_back_to_its_8_bits() -> None:
    restored, clean = restored_and_clean((16, 16, 3), seed=4)
    as_float = img_as_float(np.arange(256, dtype=np.uint8))
    assert ((as_float * 255).astype(np.uint8) != np.arange(256)).sum() > 0  # truncation would lose levels
    for space in ("rgb", "y"):
        assert metrics.paper_psnr_ssim(restored, img_as_float(clean), space) == metrics.paper_psnr_ssim(
            restored, clean, space
        )


def test_identical_images_without_warnings() -> None:
    _, clean = restored_and_clean((12, 12, 3), seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        psnr, ssim = metrics.paper_psnr_ssim(clean / 255, clean, "rgb")
    assert psnr == np.inf and ssim == pytest.approx(1.0)


@pytest.mark.parametrize("space", ["gray", "rgb"])
def test_float_variant_equals_hand_computation(space: str) -> None:
    shape = (13, 12) if space == "gray" else (13, 12, 3)
    restored, clean8 = restored_and_clean(shape, seed=7)
    clean = clean8 / 255
    clipped = np.clip(restored, 0, 1)
    psnr, ssim = metrics.float_psnr_ssim(restored, clean, space)
    assert psnr == pytest.approx(hand_psnr(clipped, clean, 1.0), abs=1e-10)
    assert ssim == pytest.approx(hand_ssim(clipped, clean, 1.0), abs=1e-10)
    # not quantised: differs from the 8-bit protocol
    assert psnr != pytest.approx(metrics.paper_psnr_ssim(restored, clean8, space)[0], abs=1e-3)


GRAY = np.random.default_rng(0).random((16, 16))
RGB = np.random.default_rng(0).random((16, 16, 3))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: metrics.paper_psnr_ssim(RGB, RGB, "ycbcr"), ValueError,
         r"space must be one of \('gray', 'rgb', 'y'\), got 'ycbcr'"),
        (lambda: metrics.paper_psnr_ssim(RGB, RGB[:8], "rgb"), ValueError,
         r"one shape, got \(16, 16, 3\) and \(8, 16, 3\)"),
        (lambda: metrics.paper_psnr_ssim(metrics.quantise(RGB), RGB, "rgb"), TypeError,
         "restored must be a float image .* got uint8"),
        (lambda: metrics.paper_psnr_ssim(RGB, RGB * 2, "rgb"), ValueError,
         r"float clean image must lie in \[0, 1\], got values in \[0.0\d+, 1.9\d+\]"),
        (lambda: metrics.paper_psnr_ssim(RGB, RGB.astype(np.int16), "rgb"), TypeError,
         "clean must be uint8 or a float image"),
        (lambda: metrics.paper_psnr_ssim(RGB, RGB, "gray"), ValueError,
         r"space 'gray' needs H x W images, got shape \(16, 16, 3\)"),
        (lambda: metrics.paper_psnr_ssim(GRAY, GRAY, "y"), ValueError,
         r"space 'y' needs H x W x 3 images, got shape \(16, 16\)"),
        (lambda: metrics.paper_psnr_ssim(np.zeros((16, 16, 4)), np.zeros((16, 16, 4)), "rgb"), ValueError,
         "needs H x W x 3"),
        (lambda: metrics.paper_psnr_ssim(torch.rand(16, 16), GRAY, "gray"), TypeError,
         "restored must be a NumPy array .* got Tensor"),
        (lambda: metrics.paper_psnr_ssim(np.full((16, 16), np.nan), GRAY, "gray"), ValueError, "NaN"),
        (lambda: metrics.float_psnr_ssim(RGB, RGB, "y"), ValueError, r"one of \('gray', 'rgb'\)"),
        (lambda: metrics.float_psnr_ssim(RGB, metrics.quantise(RGB)), TypeError, "clean must be a float"),
        (lambda: metrics.rgb_to_y(RGB), ValueError, "uint8 RGB image, got float64"),
    ],
)
def test_bad_input(call, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
