"""Training: presets equal the paper's table, exact resume, DDP equals one process, faults."""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import Dataset

from durn_teach import build_model, load_pretrained
from durn_teach.train import (
    PRESETS,
    NonFiniteLoss,
    ResumeError,
    fit,
    get_preset,
    list_presets,
    load_checkpoint,
    loop,
    pick_device,
    plot_curves,
    read_log,
)
from durn_teach.train import checkpoint as checkpoint_module
from durn_teach.train.data import epoch_batches, epoch_order

# The paper's training table (reference: the release's training scripts), field by field.
PAPER = {
    "gaussian-gray": ("DuRN-P", "bsd-gray", 100, 1e-3, 3000, 64, "step", (500, 1000, 1500, 2500), 0.1, "l2"),
    "real-noise": ("DuRN-P-no-norm", "polyu", 30, 1e-4, 3500, 128, "step", (1000, 2000), 0.1, "ssim_l1"),
    "motion-blur": ("DuRN-U", "gopro", 10, 1e-4, 5000, 256, "step", (2000, 4000), 0.1, "ssim_l1"),
    "haze-its": ("DuRN-US", "reside", 40, 1e-4, 3000, 256, "step", (700, 1400), 0.1, "ssim_l1"),
    "haze-dcpdn": ("DuRN-US", "dcpdn", 20, 1e-4, 600, 256, "constant", (), 0.1, "ssim_l1"),
    "rain-streak": ("DuRN-S", "did-mdn", 40, 1e-4, 2000, 64, "cosine", (), 0.1, "ssim_l1"),
    "raindrop-stage1": ("DuRN-S-P", "raindrop", 24, 1e-4, 4000, 256, "step", (2000,), 0.5, "ssim_l1"),
    "raindrop-stage2": ("DuRN-S-P", "raindrop", 24, 1e-5, 100, 256, "constant", (), 0.1, "l1"),
}
FIELDS = ("network", "data", "batch", "lr", "epochs", "crop", "schedule", "milestones", "gamma", "loss")


@pytest.mark.parametrize("name", list(PAPER))
def test_presets_equal_the_papers_table(name):
    preset = get_preset(name)
    assert tuple(getattr(preset, f) for f in FIELDS) == PAPER[name]
    assert (preset.betas, preset.eps, preset.weight_decay) == ((0.9, 0.999), 1e-8, 0.0)
    assert preset.local_steps == (10 if name == "gaussian-gray" else 1)
    assert preset.sigmas == ((30.0, 50.0, 70.0) if name == "gaussian-gray" else ())
    assert preset.hflip == (name == "rain-streak")
    assert preset.resize == ((640, 360) if name == "motion-blur" else None)
    assert preset.init == ("raindrop-stage1" if name == "raindrop-stage2" else None)
    assert preset.checkpoint_every == 10 and not preset.quick and preset.epoch_size is None
    doc = PRESETS[name].__doc__
    assert "Reproduces:" in doc and "Quick:" in doc


@pytest.mark.parametrize("name", list(PAPER))
def test_quick_keeps_the_setting_and_scales_the_run(name):
    paper, quick = get_preset(name), get_preset(name, quick=True)
    for field in ("network", "data", "lr", "schedule", "gamma", "loss", "betas", "local_steps", "sigmas"):
        assert getattr(quick, field) == getattr(paper, field), field
    assert quick.quick and quick.batch < paper.batch and quick.crop < paper.crop and quick.epochs <= 10
    assert all(0 < m < quick.epochs for m in quick.milestones)
    assert len(quick.milestones) <= len(paper.milestones)


def test_unknown_preset_and_bad_changes_are_named():
    with pytest.raises(ValueError, match="unknown preset 'denoise'.*gaussian-gray"):
        get_preset("denoise")
    with pytest.raises(ValueError, match="no field \\['bacth'\\]"):
        get_preset("real-noise", bacth=3)
    with pytest.raises(ValueError, match="batch must be a positive integer, got 0"):
        get_preset("real-noise", batch=0)
    assert list_presets()[0] == "gaussian-gray" and len(list_presets()) == 20


def test_each_presets_docstring_states_where_it_departs_from_the_release():
    from durn_teach.train.presets import departures

    for name in list_presets():
        found = departures(get_preset(name))
        assert found and all(line in PRESETS[name].__doc__ for line in found), name
    names = ("gaussian-gray", "motion-blur", "haze-dcpdn", "raindrop-stage2", "rain-streak")
    doc = {name: PRESETS[name].__doc__ for name in names}
    assert "one epoch earlier" in doc["gaussian-gray"]
    assert "BatchNorm weights start at 1" in doc["gaussian-gray"]
    assert "BatchNorm" not in doc["motion-blur"].split("Departs")[1]  # DuRN-U has instance norm
    assert "256x256 crops, as the settings summary gives" in doc["haze-dcpdn"]
    assert "a new Adam" in doc["raindrop-stage2"] and "BatchNorm weights" not in doc["raindrop-stage2"]
    assert "never stepped it" in doc["rain-streak"]
    assert departures(get_preset("gaussian-gray", norm_init="release"))[-1].startswith("a new order")


def test_device_choice():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device(None).type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="unknown device 'gpu0'"):
        pick_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            pick_device("cuda")


def test_ranks_together_get_the_batches_of_one_process():
    one = epoch_batches(12, 4, epoch=3, seed=5)
    two = [epoch_batches(12, 4, epoch=3, seed=5, replicas=2, rank=r) for r in (0, 1)]
    for k, batch in enumerate(one):
        assert sorted(batch) == sorted(two[0][k] + two[1][k])
    assert epoch_batches(12, 4, epoch=3, seed=5, start=2) == one[2:]
    assert epoch_batches(12, 4, epoch=4, seed=5) != one
    with pytest.raises(ValueError, match="batch of 4 does not split evenly over 3"):
        epoch_batches(12, 4, 0, 0, replicas=3)


class Crops(Dataset):
    """Random crops of fixed random images, drawn from torch's global generator (as the datasets do)."""

    def __init__(self, count: int = 6, channels: int = 1, crop: int = 16) -> None:
        self.images = torch.rand(count, channels, 24, 24, generator=torch.Generator().manual_seed(0))
        self.crop = crop

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        top, left = torch.randint(0, 24 - self.crop + 1, (2,)).tolist()
        clean = self.images[index, :, top : top + self.crop, left : left + self.crop]
        return (clean + 0.1 * torch.randn_like(clean)).clamp(0, 1), clean, f"image{index}"


def tiny(**changes):
    """The Gaussian setting (DuRN-P, batch norm, fresh noise, steps per batch), shrunk to seconds."""
    base = dict(batch=2, crop=16, epochs=2, local_steps=2, milestones=(1,), epoch_size=None,
                checkpoint_every=2, model_options={"dim": 8})
    return get_preset("gaussian-gray", quick=True, **{**base, **changes})


def weights(path):
    return torch.load(path, weights_only=True)


def run(out, preset=None, **options):
    return fit(preset or tiny(), out, dataset=Crops(), device="cpu", progress=False, **options)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    result = run(out)
    assert result.step == 2 * 3 * 2 and result.epoch == 2  # 2 epochs x 3 batches x 2 steps
    return out


def test_a_killed_run_resumed_ends_with_identical_weights(uninterrupted, tmp_path, monkeypatch):
    kill_at = 5  # killed in step 5; the checkpoint of step 3 resumes within a batch
    calls = {"n": 0}
    step = loop.train_step

    def killed(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == kill_at:
            raise KeyboardInterrupt  # the process dies in the middle of this step
        return step(*args, **kwargs)

    monkeypatch.setattr(loop, "train_step", killed)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, save_every=3)
    saved = load_checkpoint(tmp_path / "last.pt")
    assert saved["step"] == (kill_at - 1) // 3 * 3
    monkeypatch.setattr(loop, "train_step", step)
    torch.manual_seed(123)  # the global generators' state must not matter
    result = run(tmp_path, resume=True)
    expected, got = weights(uninterrupted / "model.pt"), weights(tmp_path / "model.pt")
    assert list(expected) == list(got)
    assert all(torch.equal(expected[key], got[key]) for key in expected), "weights differ after resume"
    steps = [r["step"] for r in result.records if r["kind"] == "step"]
    assert steps == list(range(1, 13)), "the log has each step once"
    whole = [json.loads(line) for line in (uninterrupted / "log.jsonl").read_text().splitlines()]
    assert [r["loss"] for r in result.records if r["kind"] == "step"] == \
        [r["loss"] for r in whole if r["kind"] == "step"]


def test_stopping_after_max_steps_and_resuming_is_exact(uninterrupted, tmp_path):
    first = run(tmp_path, max_steps=6, log_format="csv")  # stops at the end of the first epoch
    assert first.step == 6 and not (tmp_path / "model.pt").exists()
    assert load_checkpoint(tmp_path / "last.pt")["position"] == {"epoch": 0, "batch": 3, "repeat": 0}
    run(tmp_path, resume=True, log_format="csv")
    expected, got = weights(uninterrupted / "model.pt"), weights(tmp_path / "model.pt")
    assert all(torch.equal(expected[key], got[key]) for key in expected)
    assert (tmp_path / "log.csv").read_text().startswith("kind,epoch,step,loss")


def epoch_means(out: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "log.jsonl").read_text().splitlines()
            if json.loads(line)["kind"] == "epoch"]


@pytest.mark.parametrize("stop", [4, 6])  # within the first epoch; exactly at its end
def test_an_epochs_logged_loss_is_the_mean_of_all_its_steps_across_a_resume(uninterrupted, tmp_path, stop):
    run(tmp_path, max_steps=stop)
    run(tmp_path, resume=True)
    whole = epoch_means(uninterrupted)
    assert epoch_means(tmp_path) == whole and not any(np.isnan(whole))
    steps = [json.loads(line) for line in (uninterrupted / "log.jsonl").read_text().splitlines()]
    first = [r["loss"] for r in steps if r["kind"] == "step" and r["epoch"] == 1]
    assert whole[0] == pytest.approx(float(np.mean(first)))


@pytest.mark.parametrize("fmt, torn", [("jsonl", '{"kind": "step", "epoch": 1, "st'), ("csv", "step,1,")])
def test_a_torn_last_log_line_does_not_block_resume(tmp_path, fmt, torn):
    run(tmp_path, max_steps=4, log_format=fmt)
    with open(tmp_path / f"log.{fmt}", "a") as log:
        log.write(torn)  # killed in the middle of writing a record
    with pytest.warns(UserWarning, match="dropped its last record, torn by an interrupted write"):
        result = run(tmp_path, resume=True, log_format=fmt)
    assert [r["step"] for r in result.records if r["kind"] == "step"] == list(range(1, 13))


def test_no_two_seed_and_epoch_pairs_share_a_data_order():
    orders = {tuple(epoch_order(50, epoch, seed)) for seed in range(4) for epoch in range(4)}
    assert len(orders) == 16  # seed 1, epoch 0 is not seed 0, epoch 1
    assert sorted(epoch_order(50, 2, 3)) == list(range(50))


def test_checkpoint_holds_everything_and_loads_safely(uninterrupted):
    payload = load_checkpoint(uninterrupted / "last.pt")
    assert {"model", "optimizer", "scheduler", "scaler", "rng", "step", "position", "preset"} <= set(payload)
    assert set(payload["rng"]) == {"python", "numpy", "torch", "cuda", "generator"}
    assert payload["position"] == {"epoch": 2, "batch": 0, "repeat": 0} and payload["step"] == 12
    assert payload["scheduler"]["last_epoch"] == 2
    assert (uninterrupted / "curves.png").stat().st_size > 0


def test_a_training_checkpoint_loads_as_the_network_and_as_init(tmp_path):
    preset = tiny(model_options={}, epochs=1)
    run(tmp_path / "a", preset, max_steps=1)
    payload = load_checkpoint(tmp_path / "a" / "last.pt")
    model = load_pretrained("DuRN-P", tmp_path / "a" / "last.pt")  # its "model" entry is a state dict
    assert torch.equal(model.state_dict()["conv1.conv2d.weight"], payload["model"]["conv1.conv2d.weight"])
    with pytest.raises(ValueError, match="fine-tunes the weights of 'raindrop-stage1': pass init=PATH"):
        fit(get_preset("raindrop-stage2"), tmp_path / "b", dataset=Crops(channels=3), device="cpu")
    second = run(tmp_path / "c", preset, max_steps=0, init=tmp_path / "a" / "last.pt")
    weight = payload["model"]["conv1.conv2d.weight"]
    assert torch.equal(second.model.state_dict()["conv1.conv2d.weight"], weight)


def test_resume_refuses_another_network_setting_or_format(uninterrupted, tmp_path):
    with pytest.raises(ResumeError, match="nothing to resume"):
        run(tmp_path, resume=True)
    other = tiny(network="DuRN-P-no-norm")
    with pytest.raises(ResumeError, match="is a DuRN-P checkpoint"):
        fit(other, tmp_path, dataset=Crops(channels=3), device="cpu", progress=False,
            resume=uninterrupted / "last.pt")
    with pytest.raises(ResumeError, match="lr: 0.001 in the checkpoint, 0.01 now"):
        run(tmp_path, tiny(lr=1e-2), resume=uninterrupted / "last.pt")
    old = load_checkpoint(uninterrupted / "last.pt")
    old["format"] = "durn-teach-train/0"
    torch.save(old, tmp_path / "old.pt")
    with pytest.raises(ResumeError, match="format 'durn-teach-train/0'"):
        run(tmp_path, resume=tmp_path / "old.pt")
    torch.save(old["model"], tmp_path / "plain.pt")
    with pytest.raises(ResumeError, match="not a durn-teach training checkpoint.*--init"):
        run(tmp_path, resume=tmp_path / "plain.pt")
    with pytest.raises(FileExistsError, match="already holds a run"):
        run(uninterrupted)


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = checkpoint_module.save_atomic({"step": 1}, tmp_path / "last.pt")

    def full_disk(obj, file, *args, **kwargs):
        file.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left on device; the previous checkpoint .* is unchanged"):
        checkpoint_module.save_atomic({"step": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"step": 1}
    assert os.listdir(tmp_path) == ["last.pt"], "no temporary file is left behind"


def test_nan_loss_stops_with_the_step(tmp_path, monkeypatch):
    from durn_teach.losses import get_loss

    l2 = get_loss("l2")
    calls = {"n": 0}

    def poisoned(restored, clean):
        calls["n"] += 1
        return l2(restored, clean) * (float("nan") if calls["n"] == 3 else 1.0)

    monkeypatch.setattr("durn_teach.train.loop.get_loss", lambda name: poisoned)  # as the loop looks it up
    with pytest.raises(NonFiniteLoss, match="the loss is nan at step 3 \\(epoch 1\\).*last checkpoint"):
        run(tmp_path, save_every=1)
    assert load_checkpoint(tmp_path / "last.pt")["step"] == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp_worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        fit(ddp_preset(), out, dataset=Crops(count=12, channels=3), device="cpu", progress=False)
    finally:
        dist.destroy_process_group()


def ddp_preset():
    """No batch norm (per-process statistics would differ), the Gaussian setting's noise, 3 steps."""
    return tiny(network="DuRN-P-no-norm", batch=4, epochs=1, milestones=(), local_steps=1, lr=1e-3)


def test_two_processes_with_gloo_equal_one_with_the_same_global_batch(tmp_path):
    mp.spawn(ddp_worker, args=(2, free_port(), str(tmp_path / "two")), nprocs=2, join=True)
    fit(ddp_preset(), tmp_path / "one", dataset=Crops(count=12, channels=3), device="cpu", progress=False)
    one, two = weights(tmp_path / "one" / "model.pt"), weights(tmp_path / "two" / "model.pt")
    assert list(one) == list(two)
    torch.manual_seed(0)
    start = build_model("DuRN-P-no-norm", dim=8).state_dict()
    moved = max((one[k] - start[k]).abs().max().item() for k in one)
    assert moved > 0
    for key in one:  # two half-batch gradients averaged vs one whole-batch gradient: float32 rounding
        torch.testing.assert_close(two[key], one[key], rtol=1e-5, atol=1e-5)
    log = [json.loads(line) for line in (tmp_path / "two" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["kind"] == "step"] == [1, 2, 3], "rank 0 alone writes the log"
    alone = [json.loads(line) for line in (tmp_path / "one" / "log.jsonl").read_text().splitlines()]
    # the logged loss is the mean over both processes: the loss of the whole batch, not rank 0's half
    assert [r["loss"] for r in log if r["kind"] == "step"] == pytest.approx(
        [r["loss"] for r in alone if r["kind"] == "step"], rel=1e-5)


@pytest.mark.parametrize("name", list(PAPER))
def test_quick_presets_fall_back_to_builtin_images(name, tmp_path):
    from durn_teach.train.data import SeededSamples, training_data

    preset = get_preset(name, quick=True)
    channels = 1 if preset.network == "DuRN-P" else 3
    train, val, description = training_data(preset, channels, root=tmp_path)  # no dataset here
    assert "synthetic" in description and len(train) == preset.epoch_size
    degraded, clean = SeededSamples(train)[(3, 7)]
    assert degraded.shape == clean.shape == (channels, preset.crop, preset.crop)
    assert torch.equal(SeededSamples(train)[(3, 7)][0], degraded), "a sample is fixed by its seed"
    assert not torch.equal(degraded, clean)
    val_degraded, val_clean = val[0]
    assert val_clean.shape[0] == channels and min(val_clean.shape[1:]) >= 64
    with pytest.raises(FileNotFoundError, match="add --quick"):
        training_data(get_preset(name), channels, root=tmp_path)


def test_the_train400_preset_changes_only_what_it_says():
    paper, derived = get_preset("gaussian-gray"), get_preset("gaussian-gray-train400")
    changed = {f for f in paper.to_dict() if paper.to_dict()[f] != derived.to_dict()[f]}
    assert changed == {"name", "data", "batch", "epochs", "milestones", "checkpoint_every"}
    assert (derived.data, derived.batch, derived.epochs, derived.milestones) == ("train400", 16, 24, (16, 21))


def test_train400_trains_on_its_folder_and_validates_on_set12(tmp_path):
    from PIL import Image

    from durn_teach.train.data import SeededSamples, training_data

    rng = np.random.default_rng(0)
    for folder, count, side in (("Train400", 3, 80), ("Set12", 5, 96)):
        (tmp_path / folder).mkdir()
        for i in range(count):
            pixels = rng.integers(0, 256, (side, side), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / folder / f"{i:02d}.png")
    train, val, description = training_data(get_preset("gaussian-gray-train400"), 1, root=tmp_path)
    assert description == "train400 (3 training images)" and len(val) == 4  # Set12's first four
    degraded, clean = SeededSamples(train)[(0, 1)]
    assert clean.shape == (1, 64, 64) and not torch.equal(degraded, clean)
    assert val[0][1].shape == (1, 96, 96)


def test_cpu_mixed_precision_is_bfloat16_and_recorded(tmp_path):
    result = run(tmp_path, amp=True, max_steps=2)
    assert result.step == 2
    used = json.loads((tmp_path / "preset.json").read_text())
    assert (used["device"], used["precision"]) == ("cpu", "bfloat16 autocast")
    mixed = weights(tmp_path / "last.pt")["model"]
    run(tmp_path / "fp32", max_steps=2)
    assert json.loads((tmp_path / "fp32" / "preset.json").read_text())["precision"] == "float32"
    full = weights(tmp_path / "fp32" / "last.pt")["model"]
    assert all(mixed[k].dtype == full[k].dtype for k in full), "the weights stay float32"
    gap = max((mixed[k].float() - full[k].float()).abs().max().item() for k in full)
    assert 0 < gap < 0.05, "bfloat16 changes the numbers a little, not a lot"


def test_curves_take_the_negative_ssim_losses_on_a_linear_axis():
    records = [{"kind": "step", "step": k, "loss": -0.9 - k / 100} for k in range(1, 5)]
    assert plot_curves(records).axes[0].get_yscale() == "linear"
    records = [{**r, "loss": -r["loss"]} for r in records]
    assert plot_curves(records).axes[0].get_yscale() == "log"


def test_the_shipped_checkpoints_settings_derive_from_the_papers():
    def changed(name: str, base: str) -> set[str]:
        derived, paper = get_preset(name).to_dict(), get_preset(base).to_dict()
        return {key for key in paper if derived[key] != paper[key]}

    assert changed("gaussian-gray-train400", "gaussian-gray") == {
        "name", "data", "batch", "epochs", "milestones", "checkpoint_every"}
    assert changed("gaussian-gray-train400-stage2", "gaussian-gray-train400") == {
        "name", "lr", "epochs", "schedule", "milestones", "init"}
    assert changed("real-noise-crops", "real-noise") == {
        "name", "data", "batch", "crop", "epochs", "milestones", "checkpoint_every"}
    assert changed("real-noise-crops-stage2", "real-noise-crops") == {
        "name", "epochs", "epoch_size", "schedule", "milestones", "dihedral", "init"}
    stage2 = get_preset("real-noise-crops-stage2")  # 80 crops an epoch: 5 batches of 16
    assert stage2.epochs * stage2.epoch_size // stage2.batch == 1200
    departs = PRESETS["real-noise-crops-stage2"].__doc__.split("Departs")[1]
    assert "eight flips and 90-degree rotations" in departs
    assert changed("raindrop-photos-stage2", "raindrop-photos") == {"name", "init", "data_options"}
    assert get_preset("raindrop-photos-stage2").data_options == {"degradation": "raindrops-real", "bgr": True}
    assert changed("raindrop-photos-stage3", "raindrop-photos") == {
        "name", "init", "lr", "epochs", "data_options"}
    third = get_preset("raindrop-photos-stage3")
    assert third.data_options == {"degradation": "raindrops-mixed", "bgr": True}
    assert third.epochs * third.epoch_size // third.batch == 1000
    assert changed("motion-blur-photos-stage2", "motion-blur-photos") == {"name", "init", "epochs"}
    blur = get_preset("motion-blur-photos-stage2")
    assert blur.epochs * blur.epoch_size // blur.batch == 600 and blur.schedule == "cosine"
    real = get_preset("real-noise-crops")  # 73 training crops: 5 batches of 16 an epoch
    assert real.epochs * -(-73 // real.batch) == 1225
    assert [m / real.epochs for m in real.milestones] == pytest.approx([1000 / 3500, 2000 / 3500], abs=1e-3)


class _Ramp(Dataset):
    """One pair whose pixels are all different, so each of the square's symmetries is told apart."""

    def __init__(self, pair: bool = True) -> None:
        self.pair = pair

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int):
        image = torch.arange(2 * 4 * 4.0).reshape(2, 4, 4)
        return (image + 100, image, "name") if self.pair else image


def test_dihedral_turns_both_images_of_a_pair_alike_through_all_eight_symmetries():
    from durn_teach.train.data import SeededSamples, _Dihedral

    image = torch.arange(2 * 4 * 4.0).reshape(2, 4, 4)
    symmetries = {tuple(turned.flatten().tolist()) for k in range(4) for turned in
                  (image.rot90(k, dims=(-2, -1)), image.rot90(k, dims=(-2, -1)).flip(-1))}
    assert len(symmetries) == 8
    seen = set()
    for seed in range(64):
        degraded, clean, name = _Dihedral(_Ramp())[0]
        assert torch.equal(degraded, clean + 100) and name == "name"  # what follows the pair is kept
        degraded, clean = SeededSamples(_Dihedral(_Ramp()))[(0, seed)]
        assert torch.equal(degraded, clean + 100)
        seen.add(tuple(clean.flatten().tolist()))
    assert seen == symmetries
    first, again = (SeededSamples(_Dihedral(_Ramp()))[(0, 7)][1] for _ in range(2))
    assert torch.equal(first, again)  # the draw is the sample's seed's
    alone = SeededSamples(_Dihedral(_Ramp(pair=False)))[(0, 3)]  # clean images only (Gaussian)
    assert alone[0].shape == (2, 4, 4) and tuple(alone[0].flatten().tolist()) in symmetries


def test_a_dihedral_preset_turns_its_training_crops_and_not_its_validation(tmp_path, monkeypatch):
    from durn_teach.train.data import _Dihedral, training_data

    preset = get_preset("real-noise-crops", quick=True).replace(dihedral=True)
    train, _, _ = training_data(preset, 3, root=tmp_path)  # no PolyU here: built-in images
    assert isinstance(train.dataset, _Dihedral)
    plain, _, _ = training_data(preset.replace(dihedral=False), 3, root=tmp_path)
    assert not isinstance(plain.dataset, _Dihedral)
    monkeypatch.setattr("durn_teach.train.data.paper_data", lambda *args, **extra: _Ramp())
    train, val, _ = training_data(get_preset("real-noise-crops-stage2"), 3, root=tmp_path)  # a dataset's path
    assert isinstance(train, _Dihedral) and isinstance(val, _Ramp) and len(train) == 80  # 80 crops an epoch


def batchnorm_weights(model):
    return torch.cat([m.weight.detach() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)])


def test_the_release_norm_init_draws_batchnorm_weights_uniform_in_0_1():
    from durn_teach.models import release_norm_init

    model = release_norm_init(build_model("DuRN-P"), torch.Generator().manual_seed(0))
    weights = batchnorm_weights(model)
    assert len(weights) > 300 and weights.min() >= 0 and weights.max() < 1 and weights.std() > 0.2
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(torch.count_nonzero(m.bias) == 0 for m in norms)
    again = release_norm_init(build_model("DuRN-P"), torch.Generator().manual_seed(0))
    assert torch.equal(batchnorm_weights(again), weights)  # the generator fixes the draw
    plain, touched = build_model("DuRN-U"), build_model("DuRN-U")
    touched.load_state_dict(plain.state_dict())
    release_norm_init(touched)  # instance norm only: nothing to change
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), touched.state_dict().values(),
                                                  strict=True))


def test_a_run_may_start_batchnorm_as_the_release_did(uninterrupted, tmp_path):
    result = run(tmp_path / "release", tiny(norm_init="release", lr=1e-12))  # the rate keeps the start
    weights = batchnorm_weights(result.model)
    assert weights.min() >= 0 and weights.max() < 1 and weights.std() > 0.2  # not today's ones
    assert json.loads((tmp_path / "release" / "preset.json").read_text())["norm_init"] == "release"
    with pytest.raises(ResumeError, match="norm_init: 'pytorch' in the checkpoint, 'release' now"):
        run(tmp_path / "other", tiny(norm_init="release"), resume=uninterrupted / "last.pt")
    with pytest.raises(ValueError, match="norm_init must be 'pytorch' or 'release', got 'keras'"):
        tiny(norm_init="keras")


def test_a_checkpoint_from_before_a_setting_existed_resumes_with_its_default(uninterrupted, tmp_path):
    old = load_checkpoint(uninterrupted / "last.pt")
    del old["preset"]["norm_init"], old["checksum"]  # written before the setting and the checksum existed
    torch.save(old, tmp_path / "older.pt")
    result = run(tmp_path / "out", resume=tmp_path / "older.pt")  # not refused: the default holds
    assert result.step == 12 and result.epoch == 2


def test_ctrl_c_stops_after_the_step_saves_and_prints_the_resume_command(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    command = [sys.executable, "-m", "durn_teach", "train", "gaussian-gray", "--quick", "--out", str(out),
               "--device", "cpu", "--no-progress"]
    env = {**os.environ, "DURN_DATA": str(tmp_path / "no-data"), "OMP_NUM_THREADS": "1"}  # built-in images
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = out / "log.jsonl"
    deadline = time.monotonic() + 120
    def steps() -> int:
        return log.read_text().count('"kind": "step"') if log.is_file() else 0

    while steps() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "stopping after this step" in stdout
    done = steps()
    assert load_checkpoint(out / "last.pt")["step"] == done < 160  # every logged step is in it
    resume = stderr.strip().split("Continue with: ")[1]
    assert resume == f"durn-teach train gaussian-gray --quick --out {out} --device cpu --resume"
    from durn_teach.cli import main

    assert main([*resume.split()[1:], "--max-steps", str(done + 1), "--no-progress"]) == 0
    assert load_checkpoint(out / "last.pt")["step"] == done + 1  # it continued where it stopped


def test_the_command_line_changes_batch_lr_and_crop_and_the_run_records_them(tmp_path, monkeypatch, capsys):
    from durn_teach.cli import main, resume_command

    monkeypatch.setenv("DURN_DATA", str(tmp_path / "no-data"))  # built-in images
    out = tmp_path / "run"
    argv = ["train", "gaussian-gray", "--quick", "--out", str(out), "--device", "cpu", "--batch", "2",
            "--lr", "5e-5", "--crop", "24", "--max-steps", "1", "--no-progress"]
    assert main(argv) == 0
    settings = json.loads((out / "preset.json").read_text())
    assert (settings["batch"], settings["lr"], settings["crop"]) == (2, 5e-5, 24)
    from durn_teach.cli import build_parser

    assert resume_command(build_parser().parse_args(argv), str(out)) == (
        f"durn-teach train gaussian-gray --quick --out {out} --batch 2 --lr 5e-05 --crop 24 --max-steps 1 "
        "--device cpu --resume")
    with pytest.raises(SystemExit):
        main(["train", "gaussian-gray", "--quick", "--lr", "0"])
    assert "argument --lr: expected a number above 0, got '0'" in capsys.readouterr().err


def test_each_checkpoint_prints_its_validation_and_saves_samples_beside_the_curves(tmp_path, capsys):
    out = tmp_path / "run"
    fit(tiny(), out, device="cpu", dataset=Crops(), val_set=Crops(count=2), progress=False)
    lines = [line for line in capsys.readouterr().out.splitlines() if "checkpoint written" in line]
    assert len(lines) == 1 and lines[0].startswith("gaussian-gray: epoch 2/2, step ")
    assert "validation PSNR" in lines[0] and "loss " in lines[0]
    assert (out / "samples.png").is_file() and (out / "curves.png").is_file()
    from PIL import Image

    with Image.open(out / "samples.png") as image:
        assert image.size[1] > image.size[0] / 2  # two rows of degraded, restored, clean


def test_tensorboard_gets_the_logs_numbers_when_asked(tmp_path, monkeypatch):
    import sys

    out = tmp_path / "run"
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if the extra were absent
    missing = r"needs the tensorboard package: pip install 'durn-teach\[tensorboard\]'"
    with pytest.raises(ValueError, match=missing):
        fit(tiny(), out, device="cpu", dataset=Crops(), max_steps=1, progress=False, tensorboard=True)
    monkeypatch.undo()
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    fit(tiny(), out, device="cpu", dataset=Crops(), val_set=Crops(count=2), progress=False, tensorboard=True)
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    steps = [event.step for event in events.Scalars("step/loss")]
    assert steps == [r["step"] for r in read_log(out) if r["kind"] == "step"]
    psnr = [event.value for event in events.Scalars("epoch/psnr")]
    assert psnr[-1] == pytest.approx(read_log(out)[-1]["psnr"])


def test_a_killed_writers_temporary_files_are_removed_at_the_next_start(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a process that has ended
    out = tmp_path / "run"
    out.mkdir()
    (out / f".last.pt.{dead}.tmp").write_bytes(b"partial")
    (out / f".last.pt.{os.getpid()}.tmp").write_bytes(b"ours")  # a live writer's file is left alone
    (out / "notes.tmp").write_text("not ours")
    removed = checkpoint_module.remove_stale_temporaries(out)
    assert [path.name for path in removed] == [f".last.pt.{dead}.tmp"]
    assert sorted(p.name for p in out.iterdir()) == sorted([f".last.pt.{os.getpid()}.tmp", "notes.tmp"])


def test_a_damaged_checkpoint_is_refused_and_the_one_before_it_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    run(out, max_steps=4, save_every=2)
    previous = load_checkpoint(out / "last.prev.pt")
    assert previous["step"] == 2 and load_checkpoint(out / "last.pt")["step"] == 4
    damaged = load_checkpoint(out / "last.pt")
    damaged["model"]["conv1.conv2d.weight"].view(-1)[0] += 1e-3  # a bit flipped on disk
    torch.save(damaged, out / "last.pt")
    with pytest.raises(ResumeError, match="last.pt is corrupt: its contents do not match the checksum"):
        load_checkpoint(out / "last.pt")
    with pytest.raises(ResumeError, match="is corrupt"):
        run(tmp_path / "elsewhere", resume=out / "last.pt")  # a file named explicitly: no fallback
    result = run(out, resume=True, max_steps=5)
    assert "resuming from the checkpoint before it" in capsys.readouterr().out
    assert result.step == 5 and [r["step"] for r in read_log(out) if r["kind"] == "step"] == [1, 2, 3, 4, 5]
