# Collected by tools/collect.py from notebooks/06_degradations.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""Synthetic degradations for the paper's five tasks (Liu et al., CVPR 2019, Sec. 5).

Every function takes a clean float image in [0, 1], H x W or H x W x C (C = 1 or 3), and
returns a degraded image of the same shape and dtype. Each follows a published image formation
model, cited in its docstring, and every random draw comes from ``seed`` (an int or a NumPy
``Generator``), so the same seed gives the same image. They stand in for the paper's data sets:
their output is synthetic, and the book labels it so.
"""

import numpy as np
from scipy import ndimage

Seed = int | np.random.Generator | None


def check_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Return ``image`` if it is a float H x W or H x W x C (C = 1 or 3) array in [0, 1]."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(image).__name__}")
    if not np.issubdtype(image.dtype, np.floating):
        raise TypeError(
            f"{name} must be a float image in [0, 1], got dtype {image.dtype}; "
            "convert 8-bit images with skimage.util.img_as_float(image)"
        )
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
        raise ValueError(f"{name} must be H x W or H x W x C with C = 1 or 3, got shape {image.shape}")
    low, high = float(np.min(image)), float(np.max(image))
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got values in [{low:.4g}, {high:.4g}]")
    return image


def check_positive(value: float, name: str, allow_zero: bool = True) -> None:
    """Raise a ValueError unless ``value`` is positive (or zero, where allowed)."""
    if not (value >= 0 if allow_zero else value > 0):
        expected = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def gaussian_noise(image: np.ndarray, sigma: float, seed: Seed = None) -> np.ndarray:
    """Additive white Gaussian noise, ``y = x + n`` with ``n ~ N(0, (sigma / 255)^2)`` (Sec. 5.1).

    ``sigma`` is on the 0-255 scale, as in the paper (30, 50, 70). The result is not clipped,
    as in the release's training and test data.
    """
    check_image(image)
    check_positive(sigma, "sigma")
    rng = np.random.default_rng(seed)
    return (image + rng.normal(0.0, sigma / 255, image.shape)).astype(image.dtype)


def camera_noise(
    image: np.ndarray,
    photons: float = 300.0,
    read_noise: float = 2.0,
    gamma: float = 2.2,
    seed: Seed = None,
) -> np.ndarray:
    """Signal-dependent, camera-like noise: Poisson-Gaussian noise on linear intensities.

    The image is linearised (``x ** gamma``); a pixel of linear intensity ``u`` counts
    ``Poisson(photons * u) / photons`` plus Gaussian read noise of standard deviation
    ``read_noise / 255``; the sensor clips to [0, 1] and the result is gamma-encoded again
    (the Poisson-Gaussian model of Foi et al. 2008; the camera pipeline of Brooks et al. 2019).
    Fewer ``photons`` (a higher ISO) give stronger noise. A stand-in for the paper's real noise,
    which also went through demosaicking and JPEG compression.
    """
    check_image(image)
    check_positive(photons, "photons", allow_zero=False)
    check_positive(read_noise, "read_noise")
    check_positive(gamma, "gamma", allow_zero=False)
    rng = np.random.default_rng(seed)
    linear = image.astype(np.float64) ** gamma
    counted = rng.poisson(linear * photons) / photons + rng.normal(0.0, read_noise / 255, image.shape)
    return (np.clip(counted, 0.0, 1.0) ** (1 / gamma)).astype(image.dtype)


def rasterise_path(points: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """A kernel from sub-pixel points ``(x, y)`` around its centre, splatted bilinearly, summing to 1.

    ``y`` points up. The kernel is the smallest odd square that holds every point.
    """
    radius = int(np.ceil(np.abs(points).max()))
    size = 2 * radius + 1
    weights = np.ones(len(points)) if weights is None else weights
    cols, rows = points[:, 0] + radius, radius - points[:, 1]
    c0, r0 = np.floor(cols).astype(int), np.floor(rows).astype(int)
    fc, fr = cols - c0, rows - r0
    kernel = np.zeros((size + 1, size + 1))  # the extra row and column only ever get zero weight
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            np.add.at(kernel, (r0 + dr, c0 + dc), weights * wr * wc)
    kernel = kernel[:size, :size]
    return kernel / kernel.sum()


def linear_motion_kernel(length: float, angle: float = 0.0) -> np.ndarray:
    """The blur of a steady straight motion of ``length`` pixels at ``angle`` degrees.

    The angle is counted counter-clockwise from the x axis. ``length`` 0 is the identity.
    """
    check_positive(length, "length")
    t = np.linspace(-length / 2, length / 2, max(2, int(np.ceil(4 * length)) + 1))
    theta = np.deg2rad(angle)
    return rasterise_path(np.stack([t * np.cos(theta), t * np.sin(theta)], axis=1))


def random_motion_kernel(length: float = 15.0, curvature: float = 0.3, seed: Seed = None) -> np.ndarray:
    """The blur of a random camera-shake trajectory (after Boracchi and Foi 2012).

    A point moves ``length`` pixels in all; its direction starts at random and turns by
    Gaussian steps (``curvature`` radians per square root of a pixel travelled), and its speed
    drifts at random, so the kernel is brighter where the camera moved slowly. ``curvature`` 0
    gives a straight line.
    """
    check_positive(length, "length")
    check_positive(curvature, "curvature")
    rng = np.random.default_rng(seed)
    steps = max(2, int(np.ceil(4 * length)))
    step = length / steps
    theta = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0.0, curvature * np.sqrt(step), steps))
    dwell = np.exp(np.cumsum(rng.normal(0.0, 0.1, steps)))
    path = np.cumsum(step * np.stack([np.cos(theta), np.sin(theta)], axis=1), axis=0)
    path -= (path.max(axis=0) + path.min(axis=0)) / 2
    return rasterise_path(path, dwell)


def check_kernel(kernel: np.ndarray) -> None:
    """Raise unless ``kernel`` is a 2-D, non-negative kernel with odd sides that sums to 1."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be a 2-D array with odd sides, got shape {kernel.shape}")
    if kernel.min() < 0 or not np.isclose(kernel.sum(), 1.0):
        raise ValueError(
            f"kernel must be non-negative and sum to 1, got min {kernel.min():.3g}, sum {kernel.sum():.6g}"
        )


def motion_blur(
    image: np.ndarray, kernel: np.ndarray, noise_sigma: float = 0.0, seed: Seed = None
) -> np.ndarray:
    """Uniform blur, ``y = k * x + n``: every channel convolved with ``kernel`` (Sec. 5.2).

    The image is extended by reflection at its borders; ``noise_sigma`` (0-255 scale) adds
    Gaussian noise after the blur, and the result is clipped to [0, 1] like a saved photograph.
    A uniform kernel is the classical model of camera shake; the paper's GoPro data average
    consecutive video frames instead (Nah et al. 2017), which also blurs moving objects.
    """
    check_image(image)
    check_kernel(kernel)
    check_positive(noise_sigma, "noise_sigma")
    rng = np.random.default_rng(seed)
    weights = kernel[..., None] if image.ndim == 3 else kernel
    blurred = ndimage.convolve(image.astype(np.float64), weights, mode="reflect")
    blurred = blurred + rng.normal(0.0, noise_sigma / 255, image.shape)
    return np.clip(blurred, 0.0, 1.0).astype(image.dtype)


def ramp_depth(shape: tuple[int, ...], near: float = 0.2, far: float = 1.0) -> np.ndarray:
    """A synthetic depth map: the scene recedes from ``near`` at the bottom row to ``far`` at the top."""
    return np.broadcast_to(np.linspace(far, near, shape[0])[:, None], shape[:2]).copy()


def transmission(depth: np.ndarray, beta: float) -> np.ndarray:
    """The fraction of scene light that reaches the camera, ``t = exp(-beta * depth)``."""
    check_positive(beta, "beta")
    return np.exp(-beta * depth)


def haze(
    image: np.ndarray, beta: float = 1.0, airlight: float = 0.9, depth: np.ndarray | None = None
) -> np.ndarray:
    """The atmospheric scattering model, ``y = x t + A (1 - t)`` with ``t = exp(-beta d)`` (Sec. 5.3).

    ``beta`` is the scattering coefficient, ``airlight`` the atmospheric light ``A`` (a grey
    level in [0, 1]) and ``depth`` the scene depth ``d`` (H x W, default :func:`ramp_depth`).
    RESIDE renders its hazy images this way from measured depth, with ``A`` in [0.7, 1] and
    ``beta`` in [0.6, 1.8] (Narasimhan and Nayar 2002; Li et al. 2019).
    """
    check_image(image)
    if not 0.0 <= airlight <= 1.0:
        raise ValueError(f"airlight must lie in [0, 1], got {airlight!r}")
    depth = ramp_depth(image.shape) if depth is None else np.asarray(depth, dtype=np.float64)
    if depth.shape != image.shape[:2] or depth.min() < 0:
        raise ValueError(
            f"depth must be a non-negative map of shape {image.shape[:2]}, got shape {depth.shape} "
            f"with minimum {depth.min():.3g}"
        )
    t = transmission(depth, beta)
    t = t[..., None] if image.ndim == 3 else t
    return (image * t + airlight * (1 - t)).astype(image.dtype)


def rain_streaks(
    image: np.ndarray,
    density: float = 0.004,
    length: float = 20.0,
    angle: float = 75.0,
    brightness: float = 0.6,
    seed: Seed = None,
) -> np.ndarray:
    """Rain streaks as an additive layer, ``y = clip(x + r)`` (Li et al. 2016; Fu et al. 2017).

    A fraction ``density`` of the pixels start a drop of random intensity; each drop is smeared
    into a streak of ``length`` pixels at ``angle`` degrees (90 is vertical) by a linear motion
    kernel and softened across by half a pixel; the layer, scaled by ``brightness``, is added to
    every channel. A larger ``density`` keeps the drops of a smaller one and adds more.
    """
    check_image(image)
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density must lie in [0, 1], got {density!r}")
    check_positive(brightness, "brightness")
    rng = np.random.default_rng(seed)
    drops = (rng.random(image.shape[:2]) < density) * rng.uniform(0.5, 1.0, image.shape[:2])
    kernel = linear_motion_kernel(length, angle)
    layer = ndimage.gaussian_filter(ndimage.convolve(drops, kernel * max(length, 1.0)), 0.5)
    layer = np.clip(brightness * layer, 0.0, 1.0)
    layer = layer[..., None] if image.ndim == 3 else layer
    return np.clip(image + layer, 0.0, 1.0).astype(image.dtype)


def raindrops(
    image: np.ndarray,
    count: int = 30,
    radius: tuple[float, float] = (5.0, 15.0),
    blur: float = 2.0,
    glow: float = 0.0,
    seed: Seed = None,
) -> np.ndarray:
    """Raindrops on the lens, ``y = (1 - M) x + R`` (Qian et al. 2018), drawn drop by drop.

    Each drop is an ellipse with a radius drawn from ``radius`` (pixels); it acts as a small
    lens and shows an out-of-focus (Gaussian blur ``blur``), upside-down view of a region three
    times its size, darker towards its rim and moved towards white by ``glow`` (a drop gathers
    light from the bright sky above it); its soft edge is the mask ``M``. Drops are drawn one
    after the other from ``seed``, so a larger ``count`` adds drops to the same ones.
    """
    check_image(image)
    if count < 0 or int(count) != count:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    low, high = radius
    if not 0 < low <= high:
        raise ValueError(f"radius must be a range (low, high) with 0 < low <= high, got {radius!r}")
    if not 0 <= glow <= 1:
        raise ValueError(f"glow must be in [0, 1], got {glow!r}")
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    colour = image.astype(np.float64).reshape(height, width, -1)
    defocused = ndimage.gaussian_filter(colour, (blur, blur, 0))
    result = colour.copy()
    for _ in range(int(count)):
        cy, cx, ry = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(low, high)
        rx = ry * rng.uniform(0.8, 1.25)
        top, bottom = max(int(cy - ry) - 1, 0), min(int(cy + ry) + 2, height)
        left, right = max(int(cx - rx) - 1, 0), min(int(cx + rx) + 2, width)
        yy, xx = np.mgrid[top:bottom, left:right]
        dy, dx = (yy - cy) / ry, (xx - cx) / rx
        rho = np.sqrt(dy**2 + dx**2)
        mask = np.clip((1 - rho) * ry / 1.5, 0.0, 1.0)[..., None]
        source = np.stack([cy - 3 * ry * dy, cx - 3 * rx * dx])
        view = np.stack([
            ndimage.map_coordinates(defocused[..., c], source, order=1, mode="nearest")
            for c in range(colour.shape[2])
        ], axis=-1)
        view = np.clip(view * (0.75 + 0.3 * (1 - np.minimum(rho, 1) ** 2))[..., None], 0.0, 1.0)
        view = view + glow * (1 - view)
        result[top:bottom, left:right] = (1 - mask) * result[top:bottom, left:right] + mask * view
    return result.reshape(image.shape).astype(image.dtype)
