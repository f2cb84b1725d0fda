"""Image files in and out through Pillow: 8-bit and 16-bit, gray and colour, alpha kept aside."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class ImageFile:
    """A decoded image: ``pixels`` float32 in [0, 1] (HxW or HxWx3), its alpha and bit depth."""

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    bits: int = 8


def read_image(path: str | Path, channels: int | None = None) -> ImageFile:
    """Read ``path`` as float32 in [0, 1]; ``channels`` 1 or 3 converts gray and colour as asked.

    8-bit gray, RGB, palette and RGBA images and 16-bit gray images are read; an alpha channel
    is kept aside (``alpha``) so that it can be written back unchanged. 16-bit colour images,
    which Pillow cannot decode without losing bits, are refused with a clear message.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image at {path}")
    if channels not in (None, 1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels!r}")
    try:
        image = Image.open(path)
        rawmode = image.tile[0][3] if image.tile and isinstance(image.tile[0][3], str) else ""
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"{path} is not an image file Pillow can read: {error}") from None
    if ";16" in rawmode and image.mode in ("RGB", "RGBA"):
        raise ValueError(
            f"{path} is a 16-bit colour image, which Pillow reads only at 8 bits; convert it to 8 bits "
            f"per channel first (16-bit gray images are read as they are)"
        )
    alpha, bits = None, 8
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        bits = 16
        pixels = np.clip(array / 65535.0, 0, 1).astype(np.float32)
    elif image.mode in ("1", "L", "P", "LA", "PA", "RGB", "RGBA", "CMYK", "YCbCr"):
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            alpha = np.asarray(image.convert("RGBA"))[..., 3]
        gray = image.mode in ("1", "L", "LA")
        pixels = np.asarray(image.convert("L" if gray else "RGB"), dtype=np.float32) / 255.0
    else:
        raise ValueError(f"{path} has the image mode {image.mode!r}, which durn-teach does not read")
    if channels == 1 and pixels.ndim == 3:
        pixels = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    elif channels == 3 and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return ImageFile(np.ascontiguousarray(pixels, dtype=np.float32), alpha, bits)


def write_image(path: str | Path, pixels: np.ndarray, alpha: np.ndarray | None = None, bits: int = 8) -> Path:
    """Write a float image in [0, 1] (clipped, rounded) as 8 bits, or 16 bits for gray PNG/TIFF."""
    from PIL import Image

    path = Path(path)
    pixels = np.clip(np.asarray(pixels, dtype=np.float64), 0, 1)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    suffix = path.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"):
        raise ValueError(f"cannot tell the format of {path}: use .png, .jpg, .tif, .bmp or .webp")
    path.parent.mkdir(parents=True, exist_ok=True)
    if bits == 16 and pixels.ndim == 2 and suffix in (".png", ".tif", ".tiff"):
        Image.fromarray(np.rint(pixels * 65535).astype(np.uint16)).save(path)
        return path
    array = np.rint(pixels * 255).astype(np.uint8)
    if alpha is not None and suffix in (".png", ".tif", ".tiff", ".webp"):
        rgb = array if array.ndim == 3 else np.repeat(array[..., None], 3, axis=2)
        array = np.concatenate([rgb, alpha[..., None]], axis=2)
    Image.fromarray(array).save(path)
    return path
