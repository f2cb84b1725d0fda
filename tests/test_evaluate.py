"""Evaluation with the paper's protocol, image files, and the CLI end to end on built-in data."""

from __future__ import annotations

import csv
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from durn_teach import build_model
from durn_teach.cli import main
from durn_teach.evaluate import PROTOCOLS, BuiltinTestSet, evaluate, format_table, get_protocol, write_csv
from durn_teach.images import read_image, write_image


class Identity(nn.Module):
    """A network that returns its input (a 1x1 convolution with identity weights)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1, bias=False)
        nn.init.eye_(self.conv.weight[:, :, 0, 0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def constant_pairs(channels: int, offsets: tuple[float, ...]):
    """Constant images of level 100 whose degraded version is brighter by ``offset`` (0-255)."""
    pairs = []
    for k, offset in enumerate(offsets):
        clean = torch.full((channels, 20, 24), 100 / 255)
        pairs.append((clean + offset / 255, clean, f"pair{k}"))
    return pairs


def by_hand(offset: int) -> tuple[float, float]:
    """PSNR of a constant error, and SSIM of constant images (only the luminance term is left)."""
    c1 = (0.01 * 255) ** 2
    mu, nu = 100.0, 100.0 + offset
    return 10 * np.log10(255**2 / offset**2), (2 * mu * nu + c1) / (mu**2 + nu**2 + c1)


@pytest.mark.parametrize(("protocol", "channels"), [("bsd-gray", 1), ("sots-indoor", 3), ("did-mdn", 3)])
def test_a_known_pair_gives_the_hand_computed_numbers(protocol, channels):
    # Offsets 10.5 and 5.5 truncate to 10 and 5 levels: the protocol casts by truncation.
    sigma = 50 if protocol == "bsd-gray" else None
    pairs = constant_pairs(channels, (10.5, 5.5))
    result = evaluate(Identity(channels), protocol, sigma=sigma, dataset=pairs, progress=False)
    (psnr10, ssim10), (psnr5, ssim5) = by_hand(10), by_hand(5)
    assert [r["name"] for r in result["rows"]] == ["pair0", "pair1"]
    assert result["rows"][0]["psnr"] == pytest.approx(psnr10, abs=1e-9)  # 28.1308 dB
    assert result["rows"][1]["psnr"] == pytest.approx(psnr5, abs=1e-9)  # 34.1514 dB
    assert result["rows"][0]["ssim"] == pytest.approx(ssim10, abs=1e-9)
    assert result["psnr"] == pytest.approx((psnr10 + psnr5) / 2, abs=1e-9), "every variant counts once"
    assert result["ssim"] == pytest.approx((ssim10 + ssim5) / 2, abs=1e-9)
    assert result["published"] == PROTOCOLS[protocol].published[sigma]


def test_dcpdn_compares_floats_with_data_range_one():
    result = evaluate(Identity(3), "dcpdn-testa", dataset=constant_pairs(3, (10.5,)), progress=False)
    assert result["rows"][0]["psnr"] == pytest.approx(10 * np.log10(255**2 / 10.5**2), abs=1e-4)


def test_raindrop_scores_in_rgb_what_the_network_saw_in_bgr():
    clean = torch.zeros(3, 16, 16)
    clean[0] = 0.8  # stored as BGR: this is the blue channel (204 levels)
    degraded = clean.clone()
    degraded[2] += 0.1  # and this the red one: 25.5 levels, truncated to 25
    result = evaluate(Identity(3), "raindrop-a", dataset=[(degraded, clean, "drop")], progress=False)

    def y(r, g, b):  # OpenCV's fixed-point Y
        return (4899 * r + 9617 * g + 1868 * b + 8192) >> 14

    error = y(25, 0, 204) - y(0, 0, 204)  # 31 - 23 = 8 levels; read as RGB it would be 2
    assert error == 8
    assert result["rows"][0]["psnr"] == pytest.approx(10 * np.log10(255**2 / error**2), abs=1e-9)


def test_table_csv_and_saved_images(tmp_path):
    torch.manual_seed(0)
    model = build_model("DuRN-P").eval()
    data = BuiltinTestSet(get_protocol("bsd-gray", 30), sigma=30, names=("camera", "coins"), size=32)
    result = evaluate(model, "bsd-gray", sigma=30, dataset=data, save_dir=tmp_path / "out", progress=False)
    assert result["images"] == 2 and result["published"] == (28.49, 0.8158)
    table = format_table(result)
    assert "camera (synthetic)" in table and "published (paper)     28.49  0.8158" in table
    with open(write_csv(result, tmp_path / "r.csv")) as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["protocol", "sigma", "image", "psnr", "ssim"] and rows[3][2] == "mean"
    assert float(rows[3][3]) == pytest.approx(result["psnr"], abs=1e-4)
    saved = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert saved == ["camera_(synthetic).png", "coins_(synthetic).png"]
    assert np.asarray(Image.open(tmp_path / "out" / saved[0])).shape == (32, 32)


def test_bad_protocol_and_sigma_are_named():
    with pytest.raises(ValueError, match="unknown test protocol 'sots'.*sots-indoor"):
        get_protocol("sots")
    with pytest.raises(ValueError, match="needs a noise level.*30, 50, 70"):
        get_protocol("bsd-gray")
    with pytest.raises(ValueError, match="no noise level to choose"):
        get_protocol("gopro", 50)


def png16_rgb(path) -> None:
    """A 16-bit RGB PNG written by hand (Pillow cannot write one)."""
    raw = b"".join(b"\x00" + bytes(12) for _ in range(2))  # 2x2 pixels, 6 bytes each
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 2, 2, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))


def test_image_files_16_bit_and_alpha(tmp_path):
    gray = (np.arange(20 * 24).reshape(20, 24) * 130).astype(np.uint16)
    Image.fromarray(gray).save(tmp_path / "g16.png")
    image = read_image(tmp_path / "g16.png")
    assert image.bits == 16 and image.pixels.dtype == np.float32
    np.testing.assert_allclose(image.pixels, gray / 65535, atol=1e-7)
    write_image(tmp_path / "back.png", image.pixels, bits=16)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "back.png")), gray)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 77
    Image.fromarray(rgba).save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.pixels.shape == (8, 8, 3) and (image.alpha == 77).all()
    png16_rgb(tmp_path / "c16.png")
    with pytest.raises(ValueError, match="16-bit colour image"):
        read_image(tmp_path / "c16.png")
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(ValueError, match="not an image file"):
        read_image(tmp_path / "bad.png")


def test_cli_train_evaluate_restore_on_builtin_data(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "gaussian-gray", "--quick", "--epochs", "1", "--max-steps", "2", "--out", str(out),
                 "--device", "cpu", "--no-progress"]) == 0
    assert "2 steps, 0 epochs, stopped (continue with --resume)" in capsys.readouterr().out
    assert main(["train", "gaussian-gray", "--quick", "--out", str(out), "--device", "cpu"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["evaluate", "bsd-gray", "--sigma", "50", "--builtin", "--weights", str(out / "last.pt"),
                 "--limit", "1", "--csv", str(tmp_path / "e.csv"), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "synthetic degradation" in printed and "published (paper)" in printed
    assert (tmp_path / "e.csv").exists()
    camera = (np.random.default_rng(0).random((40, 44)) * 255).astype(np.uint8)
    Image.fromarray(camera).save(tmp_path / "noisy.png")
    assert main(["restore", str(tmp_path / "noisy.png"), str(tmp_path / "clean.png"), "--model", "DuRN-P",
                 "--weights", str(out / "last.pt"), "--device", "cpu"]) == 0
    assert np.asarray(Image.open(tmp_path / "clean.png")).shape == (40, 44)
    assert main(["restore", str(tmp_path / "noisy.png"), str(tmp_path / "c.png"), "--model", "DuRN-U",
                 "--weights", str(out / "last.pt")]) == 2
    assert "does not fit DuRN-U" in capsys.readouterr().err
    assert main(["eval", "gopro", "--weights", str(tmp_path / "none.pt")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_restore_by_shipped_name_alone_refuses_to_overwrite_and_says_when_it_converts(tmp_path, capsys):
    colour = (np.random.default_rng(1).random((24, 28, 3)) * 255).astype(np.uint8)
    Image.fromarray(colour).save(tmp_path / "photo.png")
    out = tmp_path / "clean.png"
    # a shipped name needs no --model: the registry knows the network (DuRN-P, gray)
    assert main(["restore", str(tmp_path / "photo.png"), str(out), "--weights", "gaussian-gray",
                 "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "is a colour image and DuRN-P takes gray ones: converted it to gray" in printed
    assert np.asarray(Image.open(out)).shape == (24, 28)
    before = out.read_bytes()
    assert main(["restore", str(tmp_path / "photo.png"), str(out), "--weights", "gaussian-gray"]) == 2
    assert "exists; pass --force to overwrite it" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["restore", str(tmp_path / "photo.png"), str(out), "--weights", "gaussian-gray",
                 "--force", "--amp", "auto", "--device", "cpu"]) == 0
    from durn_teach.machine import auto_amp  # the precision auto took is printed with the result

    assert f"DuRN-P, {auto_amp(torch.device('cpu')) or 'float32'})" in capsys.readouterr().out
    photo = (tmp_path / "photo.png").read_bytes()
    for same in (tmp_path / "photo.png", tmp_path / "." / "photo.png"):
        assert main(["restore", str(tmp_path / "photo.png"), str(same), "--weights", "gaussian-gray",
                     "--force"]) == 2
        assert "IN and OUT are the same file" in capsys.readouterr().err
    assert (tmp_path / "photo.png").read_bytes() == photo  # the input is intact
    assert main(["restore", str(tmp_path / "photo.png"), str(tmp_path / "x.png"), "--weights", "w.pt"]) == 2
    assert "is not a shipped checkpoint's name" in capsys.readouterr().err
    assert not list(tmp_path.glob(".restoring-*")) and not (tmp_path / "x.png").exists()


def test_load_pretrained_takes_a_shipped_name_alone():
    from durn_teach import load_pretrained

    model = load_pretrained("gaussian-gray")
    assert type(model).__name__ == "DuRN_P" and not model.training
    with pytest.raises(ValueError, match=r"load_pretrained\('DuRN-P'\) needs weights: a shipped"):
        load_pretrained("DuRN-P")
