"""Fault injection: bad files, bad options and failing disks get a one-line error and lose nothing.

Each case is what a new user, a killed process or a full disk does; the test asserts the clear
message (``durn-teach ...: error: ...`` on stderr, exit 2, or a Python exception that names the
file and what to do) and that no file was lost or left half-written. The other fault classes
have their tests beside the code they guard: threads and the caller's model
(``test_inference_cache.py``, ``test_api.py``), 0-255 floats, NaN weights and impossible
network options (``test_api.py``), IN = OUT, existing outputs and atomic image writes
(``test_evaluate.py``), checkpoint bit flips, torn log lines, Ctrl-C and stale temporaries
(``test_train.py``).
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from durn_teach import build_model, cli, load_pretrained, restore
from durn_teach.checkpoints import CheckpointError
from durn_teach.data import download
from durn_teach.train import checkpoint as checkpoint_module
from durn_teach.train import fit, get_preset


def real_checkpoint(folder: Path) -> Path:
    path = folder / "good.pt"
    torch.save(build_model("DuRN-P").state_dict(), path)
    return path


BAD_CHECKPOINTS = {  # name: (bytes from a real checkpoint's, what the error says)
    "text": (lambda good: b"hello, I am not a checkpoint\n", "is not a PyTorch checkpoint: it starts with"),
    "random bytes": (lambda good: np.random.default_rng(0).bytes(5000), "is not a PyTorch checkpoint"),
    "empty": (lambda good: b"", "is not a PyTorch checkpoint"),
    "truncated archive": (lambda good: good[:3000], "truncated or damaged"),
    "zip header only": (lambda good: b"PK\x03\x04" + bytes(60), "truncated or damaged"),
    "damaged legacy pickle": (lambda good: b"\x80\x02garbage", "is damaged or not a checkpoint"),
}


@pytest.fixture(params=list(BAD_CHECKPOINTS), ids=list(BAD_CHECKPOINTS))
def bad_checkpoint(request, tmp_path) -> tuple[Path, str]:
    make, message = BAD_CHECKPOINTS[request.param]
    path = tmp_path / "bad.pt"
    path.write_bytes(make(real_checkpoint(tmp_path).read_bytes()))
    return path, message


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"durn-teach {command}: error: ") and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err


def test_a_bad_checkpoint_file_is_refused_by_name(bad_checkpoint):
    path, message = bad_checkpoint
    with pytest.raises(CheckpointError, match=message) as raised:
        load_pretrained("DuRN-P", path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_bad_weights_file_on_the_command_line_is_one_line(bad_checkpoint, tmp_path, capsys):
    path, message = bad_checkpoint
    image = tmp_path / "in.png"
    Image.fromarray(np.full((32, 32), 128, np.uint8)).save(image)
    assert cli.main(["restore", str(image), str(tmp_path / "out.png"), "--model", "DuRN-P",
                     "--weights", str(path)]) == 2
    assert message in one_line_error(capsys, "restore")
    assert not (tmp_path / "out.png").exists()


def test_a_bad_init_file_stops_training_before_it_starts(bad_checkpoint, tmp_path, capsys):
    path, message = bad_checkpoint
    out = tmp_path / "run"
    assert cli.main(["train", "gaussian-gray", "--quick", "--init", str(path), "--out", str(out),
                     "--no-progress"]) == 2
    assert message in one_line_error(capsys, "train")
    assert not (out / "last.pt").exists()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Kodak24/kodim01.png", np.random.default_rng(1).bytes(50_000))
    return buffer.getvalue()


def tgz_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        content = np.random.default_rng(2).bytes(50_000)
        member = tarfile.TarInfo("Kodak24/kodim01.png")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


BAD_ARCHIVES = {
    "text as .zip": ("data.zip", lambda: b"not an archive\n", "File is not a zip file"),
    "truncated .zip": ("data.zip", lambda: zip_bytes()[:20_000], "cannot unpack"),
    "truncated .tgz": ("data.tgz", lambda: tgz_bytes()[:20_000], "ended before the end-of-stream"),
    "random bytes as .tgz": ("data.tgz", lambda: np.random.default_rng(3).bytes(2000), "cannot unpack"),
}


@pytest.mark.parametrize("case", list(BAD_ARCHIVES))
def test_a_damaged_archive_is_one_line_and_leaves_nothing(case, tmp_path, capsys):
    name, make, message = BAD_ARCHIVES[case]
    archive = tmp_path / name
    archive.write_bytes(make())
    root = tmp_path / "data"
    assert download.main(["fetch", "kodak24", "--root", str(root), "--from-archive", str(archive)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("durn-teach data fetch: error: cannot unpack") and message in err, err
    assert len(err.splitlines()) == 1 and archive.is_file()  # the user's file stays
    assert not (root / ".staging").exists() and not (root / "Kodak24").exists()


def test_an_incomplete_dataset_exits_non_zero_on_stderr(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    assert download.main(["fetch", "rain100l", "--data-root", str(tmp_path / "data"),
                          "--from-archive", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "error: rain100l is incomplete (Rain100L train; Rain100L test)" in err


def test_a_checksum_for_a_folder_is_refused_not_ignored(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    assert download.main(["fetch", "kodak24", "--root", str(tmp_path / "data"),
                          "--from-archive", str(folder), "--sha256", "0" * 64]) == 1
    assert "--sha256 was given for" in capsys.readouterr().err


BAD_OPTIONS = {
    "--max-steps 0": (["train", "gaussian-gray", "--quick", "--max-steps", "0"], "at least 1, got '0'"),
    "--save-every 0": (["train", "gaussian-gray", "--quick", "--save-every", "0"], "at least 1"),
    "--epochs -3": (["train", "gaussian-gray", "--quick", "--epochs", "-3"], "at least 1, got '-3'"),
    "--workers -1": (["train", "gaussian-gray", "--quick", "--workers", "-1"], "at least 0"),
    "--limit -1": (["evaluate", "bsd68", "--sigma", "30", "--weights", "gaussian-gray", "--limit", "-1"],
                   "at least 1, got '-1'"),
    "--tile 0": (["restore", "a.png", "b.png", "--weights", "gaussian-gray", "--tile", "0"], "at least 1"),
    "--tile x": (["restore", "a.png", "b.png", "--weights", "gaussian-gray", "--tile", "x"],
                 "expected a whole number, got 'x'"),
    "--overlap -8": (["restore", "a.png", "b.png", "--weights", "gaussian-gray", "--overlap", "-8"],
                     "at least 0"),
    "compare --limit 0": (["compare", "bsd68", "--weights", "gaussian-gray", "--limit", "0"], "at least 1"),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_an_impossible_count_is_refused_by_the_parser(case, capsys):
    argv, message = BAD_OPTIONS[case]
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {case.split()[-2]}: expected a whole number" in err and message in err


def test_a_crop_the_network_cannot_take_is_refused_before_training(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "motion-blur", "--quick", "--crop", "30", "--out", str(out), "--no-progress"]
    assert cli.main(argv) == 2
    message = one_line_error(capsys, "train")
    assert "crop 30 does not fit DuRN-U, which takes sides that are multiples of 4" in message
    assert not (out / "last.pt").exists()


def test_an_out_that_is_a_file_is_refused_and_kept(tmp_path, capsys):
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    assert cli.main(["train", "gaussian-gray", "--quick", "--out", str(out), "--no-progress"]) == 2
    assert "is a file: give a folder" in one_line_error(capsys, "train")
    assert out.read_text() == "mine"


def test_a_full_disk_during_a_checkpoint_stops_with_the_previous_one_kept(tmp_path, monkeypatch):
    preset = get_preset("gaussian-gray", quick=True, batch=2, crop=16, epochs=2, epoch_size=4, local_steps=1,
                        milestones=(), model_options={"dim": 8})
    out = tmp_path / "run"
    fit(preset, out, device="cpu", max_steps=2, progress=False, dataset=ToyCrops())
    before = (out / "last.pt").read_bytes()
    real_save = checkpoint_module.torch.save

    def full_disk(obj, file, *args, **kwargs):  # what torch.save raises when the disk fills up
        real_save(obj, file, *args, **kwargs)
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(checkpoint_module.torch, "save", full_disk)
    with pytest.raises(OSError, match=r"could not write the checkpoint .*last.pt: PytorchStreamWriter failed "
                                      r"writing file data/0: file write failed; the previous checkpoint"):
        fit(preset, out, device="cpu", resume=True, progress=False, dataset=ToyCrops())
    assert (out / "last.pt").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_nan_loss_right_after_resume_blames_a_checkpoint_with_nan_weights(tmp_path):
    from durn_teach.train import NonFiniteLoss, load_checkpoint

    preset = get_preset("gaussian-gray", quick=True, batch=2, crop=16, epochs=2, epoch_size=4, local_steps=1,
                        milestones=(), model_options={"dim": 8})
    out = tmp_path / "run"
    fit(preset, out, device="cpu", max_steps=2, progress=False, dataset=ToyCrops())
    payload = load_checkpoint(out / "last.pt")
    payload["model"]["conv1.conv2d.weight"].fill_(float("nan"))  # saved whole, with a valid checksum
    payload["checksum"] = checkpoint_module.payload_digest(payload)
    checkpoint_module.save_atomic(payload, out / "last.pt")
    blame = (r"at the first step after resuming: the checkpoint it resumed from, .*last.pt, holds NaN or "
             r"infinite weights \(1 tensors, e.g. conv1.conv2d.weight\)")
    with pytest.raises(NonFiniteLoss, match=blame):
        fit(preset, out, device="cpu", resume=True, progress=False, dataset=ToyCrops())


class ToyCrops(torch.utils.data.Dataset):
    """Four 16x16 gray crops with noise: a run of seconds."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int):
        clean = torch.full((1, 16, 16), 0.2 * index + 0.1)
        return clean + 0.05 * torch.randn_like(clean), clean, f"toy{index}"


def test_a_big_endian_array_restores_as_the_native_one():
    model = load_pretrained("gaussian-gray")
    image = np.random.default_rng(4).random((24, 24)).astype(np.float32)
    swapped = image.astype(">f4")
    assert np.array_equal(restore(model, swapped), restore(model, image))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_map_location_cuda_without_cuda_says_so():
    with pytest.raises(ValueError, match="no CUDA GPU \\(use cpu\\)"):
        load_pretrained("gaussian-gray", map_location="cuda")


def test_options_mean_the_same_in_every_command():
    """One name per concept: --data-root, --weights (alias --checkpoint), --device with one help,
    --no-progress wherever a command shows progress bars."""
    import argparse

    from durn_teach.machine import DEVICE_HELP

    subcommands = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parsers = dict(subcommands.choices)
    fetch = next(a for a in download.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parsers.update({f"data {name}": parser for name, parser in fetch.choices.items()})
    seen = {"data_root": 0, "weights": 0, "device": 0}
    for name, parser in parsers.items():
        options = {action.dest: action for action in parser._actions if action.option_strings}
        if "data_root" in options or "root" in options:
            action = options.get("data_root") or options["root"]
            assert "--data-root" in action.option_strings, name
            seen["data_root"] += 1
        if "weights" in options:
            assert options["weights"].option_strings == ["--weights", "--checkpoint"], name
            seen["weights"] += 1
        if "device" in options:
            assert options["device"].help == DEVICE_HELP, name
            seen["device"] += 1
        if name in ("train", "evaluate", "compare"):
            assert "no_progress" in options, name
    assert seen["data_root"] >= 6 and seen["weights"] >= 4 and seen["device"] >= 4, seen


def test_command_line_messages_name_options_not_python_arguments(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "gaussian-gray", "--quick", "--out", str(out), "--max-steps", "1",
                     "--no-progress"]) == 0
    assert cli.main(["train", "gaussian-gray", "--quick", "--out", str(out), "--no-progress"]) == 2
    message = one_line_error(capsys, "train")
    assert "continue it with --resume" in message and "resume=True" not in message
    assert cli.options_only("at least 16 pixels (--crop)") == "at least 16 pixels (--crop)"  # not a name
