# Collected by tools/collect.py from notebooks/07_measuring_restoration.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The paper's test metrics, computed as the release computed its published numbers.

(Liu et al., CVPR 2019, Sec. 5.) The restored image is clipped to [0, 1], scaled by 255 and
truncated to 8 bits; scikit-image's PSNR (data range 255) and SSIM with the defaults of its
time (a 7 x 7 uniform window, the sample covariance, channels averaged) compare it with the
8-bit ground truth, in gray, RGB, or the Y channel of OpenCV's YCrCb.
"""

from typing import Literal

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

Space = Literal["gray", "rgb", "y"]
SPACES = ("gray", "rgb", "y")


def quantise(image: np.ndarray) -> np.ndarray:
    """Clip to [0, 1], scale by 255 and cast to uint8, truncating as the release does."""
    return (np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """The Y of OpenCV's 8-bit YCrCb: ``(4899 R + 9617 G + 1868 B + 8192) >> 14`` (BT.601)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 uint8 RGB image, got {image.dtype} of shape {image.shape}")
    r, g, b = (image[..., c].astype(np.int32) for c in range(3))
    return ((4899 * r + 9617 * g + 1868 * b + 8192) >> 14).astype(np.uint8)


def check_pair(restored: np.ndarray, clean: np.ndarray, space: str, spaces: tuple[str, ...]) -> None:
    """Raise unless ``space`` is known and the images are NumPy arrays of one shape that fits it."""
    if space not in spaces:
        raise ValueError(f"space must be one of {spaces}, got {space!r}")
    for name, image in (("restored", restored), ("clean", clean)):
        if not isinstance(image, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array (H x W or H x W x 3), got {type(image).__name__}")
    if not np.issubdtype(restored.dtype, np.floating):
        raise TypeError(f"restored must be a float image (it is clipped to [0, 1]), got {restored.dtype}")
    if np.isnan(restored).any():
        raise ValueError("restored contains NaN")
    if restored.shape != clean.shape:
        raise ValueError(f"restored and clean must have one shape, got {restored.shape} and {clean.shape}")
    expected = (2,) if space == "gray" else (3,)
    if restored.ndim not in expected or (restored.ndim == 3 and restored.shape[2] != 3):
        layout = "H x W" if space == "gray" else "H x W x 3"
        raise ValueError(f"space {space!r} needs {layout} images, got shape {restored.shape}")


def clean_to_uint8(clean: np.ndarray) -> np.ndarray:
    """The 8-bit ground truth: uint8 as it is, a float image in [0, 1] rounded back to 8 bits."""
    if clean.dtype == np.uint8:
        return clean
    if not np.issubdtype(clean.dtype, np.floating):
        raise TypeError(f"clean must be uint8 or a float image in [0, 1], got dtype {clean.dtype}")
    low, high = float(clean.min()), float(clean.max())
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"a float clean image must lie in [0, 1], got values in [{low:.4g}, {high:.4g}]")
    return np.rint(clean * 255).astype(np.uint8)


def psnr_ssim(restored: np.ndarray, clean: np.ndarray, data_range: float) -> tuple[float, float]:
    """scikit-image's PSNR and SSIM (7 x 7 uniform window, sample covariance, channels averaged)."""
    channel_axis = -1 if restored.ndim == 3 else None
    with np.errstate(divide="ignore"):  # identical images: PSNR is inf
        psnr = peak_signal_noise_ratio(clean, restored, data_range=data_range)
    ssim = structural_similarity(
        clean, restored, win_size=7, gaussian_weights=False, use_sample_covariance=True,
        data_range=data_range, channel_axis=channel_axis,
    )
    return float(psnr), float(ssim)


def paper_psnr_ssim(restored: np.ndarray, clean: np.ndarray, space: Space) -> tuple[float, float]:
    """PSNR (dB) and SSIM exactly as the paper's tables: 8-bit, truncated, in ``space``.

    ``restored`` is a float image (H x W for ``"gray"``, H x W x 3 RGB for ``"rgb"`` and
    ``"y"``); ``clean`` is the uint8 ground truth, or a float one in [0, 1] (rounded to 8 bits).
    """
    check_pair(restored, clean, space, SPACES)
    restored, clean = quantise(restored), clean_to_uint8(clean)
    if space == "y":
        restored, clean = rgb_to_y(restored), rgb_to_y(clean)
    return psnr_ssim(restored, clean, data_range=255)


def float_psnr_ssim(restored: np.ndarray, clean: np.ndarray, space: Space = "rgb") -> tuple[float, float]:
    """PSNR and SSIM of float images with data range 1, not quantised: the DCPDN haze test.

    ``restored`` is clipped to [0, 1]; ``clean`` must be a float image in [0, 1]; ``space`` is
    ``"rgb"`` (as DCPDN) or ``"gray"``.
    """
    check_pair(restored, clean, space, ("gray", "rgb"))
    if not np.issubdtype(clean.dtype, np.floating):
        raise TypeError(f"clean must be a float image in [0, 1], got dtype {clean.dtype}")
    clean_to_uint8(clean)  # checks the range
    restored = np.clip(restored, 0.0, 1.0).astype(np.float64)
    return psnr_ssim(restored, clean.astype(np.float64), data_range=1.0)
