"""The release's SSIM and training objectives, against independent evaluations of their formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import data
from skimage.metrics import structural_similarity
from skimage.util import img_as_float

from durn_teach import losses


def reference_ssim_map(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The release's formula, evaluated independently: NumPy, SciPy correlation, zero padding."""
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    window = np.outer(g, g) / g.sum() ** 2
    out = np.empty_like(x)
    for n, c in np.ndindex(x.shape[:2]):
        a, b = x[n, c], y[n, c]

        def mean(t: np.ndarray) -> np.ndarray:
            return ndimage.correlate(t, window, mode="constant", cval=0.0)

        mu_a, mu_b = mean(a), mean(b)
        var_a, var_b, cov = mean(a * a) - mu_a**2, mean(b * b) - mu_b**2, mean(a * b) - mu_a * mu_b
        c1, c2 = 1e-4, 9e-4
        numerator = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
        out[n, c] = numerator / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return out


def pair(shape: tuple[int, ...], seed: int, noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    clean = ndimage.gaussian_filter(rng.random(shape), (0, 0, 2, 2))  # some structure
    clean = (clean - clean.min()) / (clean.max() - clean.min())
    return clean + noise * rng.standard_normal(shape), clean


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("shape", [(1, 1, 20, 24), (2, 3, 17, 16)])
def test_ssim_equals_the_release_formula(shape: tuple[int, ...]) -> None:
    restored, clean = pair(shape, seed=sum(shape))
    expected = reference_ssim_map(restored, clean)
    got = losses.ssim_map(torch.from_numpy(restored), torch.from_numpy(clean))
    assert got.shape == shape and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-10)
    value = losses.ssim(torch.from_numpy(restored), torch.from_numpy(clean))
    assert value.ndim == 0 and value.item() == pytest.approx(expected.mean(), abs=1e-12)
    single = losses.ssim(torch.from_numpy(restored).float(), torch.from_numpy(clean).float())
    assert single.dtype == torch.float32 and single.item() == pytest.approx(expected.mean(), abs=1e-5)


def test_window_is_the_normalised_gaussian() -> None:
    window = losses.gaussian_window()
    assert window.shape == (11, 11) and window.sum().item() == pytest.approx(1, abs=1e-15)
    centre = window[5]
    assert (centre[6] / centre[5]).item() == pytest.approx(np.exp(-1 / (2 * 1.5**2)), rel=1e-12)
    torch.testing.assert_close(window, window.T)


@pytest.mark.parametrize("colour", [False, True])
def test_ssim_agrees_with_scikit_image_inside_the_border(colour: bool) -> None:
    image = img_as_float(data.astronaut()[100:164, 150:214] if colour else data.camera()[200:264, 100:164])
    noisy = image + np.random.default_rng(0).normal(0, 0.1, image.shape)
    batch = [torch.from_numpy(np.atleast_3d(t)).permute(2, 0, 1)[None] for t in (noisy, image)]
    full = losses.ssim_map(*batch)
    expected = structural_similarity(
        noisy, image, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1,
        channel_axis=-1 if colour else None,
    )
    assert full[..., 5:-5, 5:-5].mean().item() == pytest.approx(expected, abs=1e-10)
    # the whole map differs: zero padding (release) against reflection and cropping (scikit-image)
    assert abs(full.mean().item() - expected) > 1e-3


def test_ssim_of_an_image_with_itself_is_one_and_symmetric() -> None:
    x, y = (torch.from_numpy(t) for t in pair((2, 3, 16, 16), seed=3))
    torch.testing.assert_close(losses.ssim_map(y, y), torch.ones_like(y), rtol=0, atol=1e-12)
    torch.testing.assert_close(losses.ssim(x, y), losses.ssim(y, x), rtol=0, atol=1e-14)
    assert losses.ssim(x, y).item() < 0.9


def test_ssim_gradcheck_float64() -> None:
    x, y = (torch.from_numpy(t).requires_grad_() for t in pair((1, 2, 12, 12), seed=5, noise=0.05))
    assert torch.autograd.gradcheck(losses.ssim, (x, y))
    assert torch.autograd.gradcheck(losses.ssim_l1_loss, (x, y))


def test_ssim_follows_the_device_and_dtype_of_its_input() -> None:
    # On the meta device nothing is computed; a window built on the CPU would fail here.
    x = torch.empty(2, 3, 32, 32, device="meta", dtype=torch.float16)
    out = losses.ssim_map(x, x)
    assert out.device.type == "meta" and out.dtype == torch.float16 and out.shape == x.shape


def test_objectives_by_name() -> None:
    restored, clean = pair((2, 3, 16, 16), seed=11)
    r, c = torch.from_numpy(restored), torch.from_numpy(clean)
    assert set(losses.LOSSES) == {"l2", "ssim_l1", "l1"}
    ssim = reference_ssim_map(restored, clean).mean()
    l1 = np.abs(restored - clean).mean()
    expected = {"l2": ((restored - clean) ** 2).mean(), "ssim_l1": -1.1 * ssim + 0.75 * l1, "l1": 1.1 * l1}
    for name, value in expected.items():
        assert losses.get_loss(name) is losses.LOSSES[name]
        assert losses.get_loss(name)(r, c).item() == pytest.approx(value, abs=1e-10), name
    assert losses.ssim_l1_loss(c, c).item() == pytest.approx(-1.1, abs=1e-12)


def test_unknown_loss_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown loss 'ssim'; the losses are \['l1', 'l2', 'ssim_l1'\]"):
        losses.get_loss("ssim")


x4 = torch.rand(1, 3, 16, 16)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: losses.ssim(x4.numpy(), x4), TypeError, "restored must be a torch.Tensor, got ndarray"),
        (lambda: losses.ssim(x4, (x4 * 255).to(torch.uint8)), TypeError, "clean must be a floating-point"),
        (lambda: losses.ssim(x4[0], x4[0]), ValueError, r"N x C x H x W, got shape \(3, 16, 16\)"),
        (lambda: losses.ssim(x4, x4[:, :1]), ValueError, r"same shape and dtype, got \(1, 3, 16, 16\)"),
        (lambda: losses.ssim(x4, x4.double()), ValueError, "torch.float32 and .* torch.float64"),
        (lambda: losses.l2_loss(x4, x4[..., :8]), ValueError, "same shape"),
        (lambda: losses.l1_loss(x4, x4[0]), ValueError, "N x C x H x W"),
    ],
)
def test_bad_input(call, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()
