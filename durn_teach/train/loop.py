"""The training loop: devices, mixed precision, logs, plots, checkpoints, exact resume, DDP.

One function, :func:`fit`, runs a preset (``durn_teach.train.presets``) with the training step
of chapter 10 (``durn_teach.train.step``). The loop is a function of the seed alone: a run
stopped at any step and resumed from its checkpoint ends with the same weights, bit for bit
on a CPU, as one that never stopped; under ``torchrun`` each process trains on its share of
the batch, the logged loss is the mean over the processes, and rank 0 alone writes checkpoints
and logs. On GPUs BatchNorm is synchronised across the processes, so the run computes what one
process with the whole batch would; on CPUs (gloo) it is not: each process normalises by its
share's statistics, which differs from a one-process run for the networks with BatchNorm.
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Dataset

from durn_teach import pretrained
from durn_teach.checkpoints import non_finite, read_state_dict
from durn_teach.files import sha256_of
from durn_teach.inference import restore
from durn_teach.losses import get_loss
from durn_teach.machine import pick_device
from durn_teach.models import build_model, in_channels, load_pretrained, release_norm_init
from durn_teach.train.checkpoint import (
    FORMAT,
    ResumeError,
    check_compatible,
    load_checkpoint,
    payload_digest,
    remove_stale_temporaries,
    rng_state,
    save_atomic,
    set_rng_state,
)
from durn_teach.train.data import SeededSamples, epoch_batches, make_loader, training_data
from durn_teach.train.presets import Preset
from durn_teach.train.step import (
    NonFiniteLoss,
    add_gaussian_noise,
    make_optimizer,
    make_scheduler,
    train_step,
)

LOG_FIELDS = ("kind", "epoch", "step", "loss", "lr", "images_per_s", "psnr", "seconds")
LAST = "last.pt"
PREVIOUS = "last.prev.pt"  # the checkpoint before the last one
AMP_DTYPES = {"cuda": torch.float16, "cpu": torch.bfloat16}  # mixed precision per device type


class TrainLog:
    """Log records as JSON lines (``log.jsonl``) or CSV (``log.csv``), written as they come, and
    with ``tensorboard`` also as TensorBoard scalars (``tensorboard/``; an extra, off by default)."""

    def __init__(self, out: Path, fmt: str = "jsonl", tensorboard: bool = False) -> None:
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"log format must be 'jsonl' or 'csv', got {fmt!r}")
        self.path, self.fmt, self.board = out / f"log.{fmt}", fmt, None
        if tensorboard:  # the same records as TensorBoard scalars, in out/tensorboard
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise ValueError("--tensorboard needs the tensorboard package: "
                                 "pip install 'durn-teach[tensorboard]'") from None
            self.board = SummaryWriter(str(out / "tensorboard"))

    def read(self) -> list[dict[str, Any]]:
        """The records written so far (empty values of a CSV row left out). A last line torn by
        an interrupted write is dropped with a warning; any other unreadable line is an error."""
        if not self.path.exists():
            return []
        with open(self.path, newline="") as file:
            if self.fmt == "jsonl":
                lines = [line for line in file if line.strip()]
            else:
                lines = list(csv.DictReader(file))
        records = []
        for number, line in enumerate(lines, 1):
            try:
                records.append(json.loads(line) if self.fmt == "jsonl" else
                               {k: v if k == "kind" else float(v) for k, v in line.items() if v != ""})
            except (ValueError, TypeError):
                shown = str(line)[:60]
                if number < len(lines):
                    raise ValueError(f"{self.path}: record {number} cannot be read: {shown!r}") from None
                warnings.warn(f"{self.path}: dropped its last record, torn by an interrupted write: "
                              f"{shown!r}", stacklevel=2)
        return records

    def write(self, records: list[dict[str, Any]], mode: str = "a") -> None:
        if self.board is not None and mode == "a":
            for record in records:
                for key in ("loss", "lr", "psnr", "images_per_s"):
                    if key in record and math.isfinite(record[key]):
                        self.board.add_scalar(f"{record['kind']}/{key}", record[key], record["step"])
            self.board.flush()
        new = mode == "w" or not self.path.exists()
        with open(self.path, mode, newline="") as file:
            if self.fmt == "jsonl":
                file.writelines(json.dumps(record) + "\n" for record in records)
                return
            writer = csv.DictWriter(file, LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerows(records)

    def truncate(self, step: int) -> None:
        """Drop the records after ``step``: those of steps a resumed run will take again."""
        kept = [record for record in self.read() if record["step"] <= step]
        self.write(kept, mode="w")


def read_log(out: str | Path) -> list[dict[str, Any]]:
    """The records of the run in ``out`` (its ``log.jsonl`` or ``log.csv``)."""
    out = Path(out)
    for fmt in ("jsonl", "csv"):
        if (out / f"log.{fmt}").exists():
            return TrainLog(out, fmt).read()
    raise FileNotFoundError(f"no log.jsonl or log.csv in {out}")


def plot_curves(records: list[dict[str, Any]], title: str = "") -> Any:
    """A matplotlib Figure of the training loss per step and the validation PSNR per epoch."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    steps = [r for r in records if r["kind"] == "step"]
    validated = [r for r in records if r["kind"] == "epoch" and "psnr" in r]
    figure = Figure(figsize=(10, 3.4), layout="constrained")
    loss_axes, psnr_axes = figure.subplots(1, 2)
    if steps:
        x = np.array([r["step"] for r in steps])
        y = np.array([r["loss"] for r in steps])
        loss_axes.plot(x, y, lw=0.8, alpha=0.5, label="each step")
        window = max(1, len(y) // 20)
        if window > 1:
            smooth = np.convolve(y, np.ones(window) / window, mode="valid")
            loss_axes.plot(x[window - 1 :], smooth, lw=1.8, label=f"mean of {window}")
        loss_axes.legend()
    positive = all(r["loss"] > 0 for r in steps)  # the SSIM losses are negative: a linear axis
    loss_axes.set(xlabel="step", ylabel="training loss", title="loss", yscale="log" if positive else "linear")
    if validated:
        psnr_axes.plot([r["epoch"] for r in validated], [r["psnr"] for r in validated], "o-")
        psnr_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    psnr_axes.set(xlabel="epoch", ylabel="PSNR (dB)", title="validation PSNR")
    if title:
        figure.suptitle(title)
    return figure


@dataclass
class TrainResult:
    """What :func:`fit` returns: the trained network (evaluation mode), where it wrote, its log."""

    model: nn.Module
    preset: Preset
    out: Path
    step: int
    epoch: int
    records: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C after a whole step, with last.pt written

    def plot(self) -> Any:
        """The loss and validation-PSNR curves (a matplotlib Figure)."""
        return plot_curves(self.records, f"{self.preset.name}{' (quick)' if self.preset.quick else ''}")


class StopOnInterrupt:
    """While active, Ctrl-C (SIGINT) asks the loop to stop after the step it is in, instead of
    killing it mid-step; a second Ctrl-C interrupts at once. Only in the main thread of a
    single-process run (under torchrun every process must stop at the same step)."""

    def __init__(self, active: bool) -> None:
        self.active = active and threading.current_thread() is threading.main_thread()
        self.requested = False
        self.previous: Any = None

    def __enter__(self) -> StopOnInterrupt:
        if self.active:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:  # the second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True
        print("\ninterrupted: stopping after this step and writing last.pt (Ctrl-C again to stop at once)",
              flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self.previous)


def validate(model: nn.Module, data: Dataset, keep: int = 3) -> tuple[float, list[tuple[np.ndarray, ...]]]:
    """The mean PSNR (dB, data range 1, output clipped) of whole validation images, batch 1, and
    the (degraded, restored, clean) images of the first ``keep`` of them."""
    values, samples = [], []
    for index in range(len(data)):
        degraded, clean = data[index][:2]
        image = degraded.permute(1, 2, 0).numpy().squeeze(-1) if degraded.shape[0] == 1 else \
            degraded.permute(1, 2, 0).numpy()
        restored = np.clip(restore(model, image.astype(np.float32)), 0, 1)
        target = clean.permute(1, 2, 0).numpy().reshape(restored.shape)
        mse = float(np.mean((restored.astype(np.float64) - target) ** 2))
        values.append(10 * math.log10(1 / max(mse, 1e-12)))
        if index < keep:
            samples.append((np.clip(image, 0, 1), restored, target))
    return float(np.mean(values)), samples


def plot_samples(samples: list[tuple[np.ndarray, ...]], title: str = "") -> Any:
    """A matplotlib Figure of validation images: degraded, restored and clean, a row each."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3 * len(samples)), layout="constrained")
    axes = figure.subplots(len(samples), 3, squeeze=False)
    for row, images in zip(axes, samples, strict=True):
        for ax, image, label in zip(row, images, ("degraded", "restored", "clean"), strict=True):
            psnr = 10 * math.log10(1 / max(float(np.mean((image - images[2]) ** 2)), 1e-12))
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
            ax.set_title(label if label == "clean" else f"{label}, {psnr:.2f} dB", fontsize=9)
            ax.axis("off")
    if title:
        figure.suptitle(title)
    return figure


def _generator(device: torch.device, seed: int) -> torch.Generator:
    """The loop's own generator (the Gaussian setting's noise), on the device where it can be."""
    try:
        generator = torch.Generator(device=device)
    except RuntimeError:
        generator = torch.Generator()
    return generator.manual_seed(seed)


def _distributed() -> tuple[int, int]:
    """(world size, rank): (1, 0) unless a process group is running (``torchrun``)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def _precision(autocast: torch.dtype | None) -> str:
    return "float32" if autocast is None else str(autocast).removeprefix("torch.") + " autocast"


def _weights_record(init: str | Path) -> dict[str, str]:
    """Which weights a run started from: as given (a file or a shipped name) and their SHA-256."""
    path = Path(init) if Path(init).is_file() else pretrained.weights_path(str(init))
    return {"from": str(init), "sha256": sha256_of(path)}


def fit(
    preset: Preset,
    out: str | Path,
    *,
    dataset: Dataset | None = None,
    val_set: Dataset | None = None,
    data_root: str | Path | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
    resume: bool | str | Path = False,
    init: str | Path | None = None,
    amp: bool = False,
    num_workers: int = 0,
    max_steps: int | None = None,
    save_every: int | None = None,
    save_interval: float = 600.0,
    log_format: str = "jsonl",
    progress: bool = True,
    tensorboard: bool = False,
) -> TrainResult:
    """Train ``preset``'s network, writing checkpoints, logs and curves to ``out``.

    ``dataset`` (items ``(degraded, clean, ...)``, CxHxW in [0, 1]) replaces the preset's data;
    by default it is read from ``data_root`` (``durn_teach.data``), or, for a quick preset whose
    dataset is absent, made from the built-in images. ``device``: ``None`` picks CUDA, MPS, CPU;
    ``amp=True`` runs the forward pass in float16 on CUDA, bfloat16 on a CPU: several times
    faster on GPUs and on CPUs with bfloat16 matrix units, and the numbers change a little; off
    by default, so that a preset runs in float32 as the release did.
    ``resume=True`` continues ``out/last.pt`` (or the checkpoint path given) exactly where it
    stopped; ``init`` starts from a network's weights (the second raindrop stage). ``max_steps``
    stops early (with a checkpoint); ``last.pt`` is written every ``save_every`` steps if given,
    and at the end of an epoch every ``preset.checkpoint_every`` epochs or once
    ``save_interval`` seconds passed. ``tensorboard=True`` also writes the log's numbers as
    TensorBoard scalars to ``out/tensorboard`` (needs the ``tensorboard`` extra).
    """
    replicas, rank = _distributed()
    if replicas > 1 and (device is None or device == "auto") and torch.cuda.is_available():
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', rank))}"
    device = pick_device(device)
    if replicas > 1 and device.type == "cuda" and device.index is None:  # one GPU per process
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if amp and device.type not in AMP_DTYPES:
        raise ValueError(f"mixed precision (amp) is for CUDA (float16) and CPU (bfloat16), not {device}")
    autocast = AMP_DTYPES[device.type] if amp else None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"the run's folder {out} is a file: give a folder for the checkpoints and logs "
                         "(--out), new or a run's to resume")
    main = rank == 0
    if main:
        out.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(out):
            print(f"removed {stale.name}, a partial checkpoint left by a killed run")

    torch.manual_seed(seed)
    model = build_model(preset.network, block=preset.block, **preset.model_options)
    multiple, smallest = getattr(model, "size_multiple", 1), getattr(model, "min_size", 1)
    if preset.crop % multiple or preset.crop < smallest:
        raise ValueError(f"crop {preset.crop} does not fit {preset.network}, which takes sides that are "
                         f"multiples of {multiple} and at least {smallest} pixels (--crop)")
    if preset.norm_init == "release":
        release_norm_init(model)  # from torch's seeded generator; --init and --resume then overwrite it
    model = model.to(device)
    channels = in_channels(model)
    description = "the dataset given"
    if dataset is None:
        dataset, default_val, description = training_data(preset, channels, data_root, seed)
        val_set = default_val if val_set is None else val_set
    data = SeededSamples(dataset)
    optimizer = make_optimizer(model, preset.lr, preset.betas, preset.eps, preset.weight_decay)
    scheduler = make_scheduler(optimizer, preset.schedule, preset.epochs, preset.milestones, preset.gamma)
    scaler = torch.amp.GradScaler("cuda", enabled=autocast == torch.float16)
    generator = _generator(device, seed)
    loss_fn = get_loss(preset.loss)
    log = TrainLog(out, log_format, tensorboard=tensorboard and main)
    settings = {**preset.to_dict(), "seed": seed}

    step, position = 0, {"epoch": 0, "batch": 0, "repeat": 0}
    if resume:
        path = out / LAST if resume is True else Path(resume)
        payload, source = _resumable(path, fallback=resume is True)
        check_compatible(payload, settings, path)
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        scheduler.load_state_dict(payload["scheduler"])
        scaler.load_state_dict(payload["scaler"])
        set_rng_state(payload["rng"], generator)
        step, position = payload["step"], dict(payload["position"])
        resumed_from = (source, step, non_finite(payload["model"]))  # blamed if the first loss is not finite
        epoch_losses = list(payload.get("epoch_losses", []))  # the steps of this epoch before the stop
        if main:
            log.truncate(step)
    else:
        resumed_from = None
        epoch_losses = []
        if (out / LAST).exists():
            raise FileExistsError(
                f"{out} already holds a run ({out / LAST}); continue it with resume=True (--resume), "
                f"or train into another folder"
            )
        if init is None and preset.init is not None and not preset.quick:
            raise ValueError(
                f"the preset {preset.name!r} fine-tunes the weights of {preset.init!r}: pass init=PATH "
                f"(--init PATH) with its checkpoint"
            )
        if init is not None and not preset.model_options:
            model.load_state_dict(load_pretrained(preset.network, init).state_dict())
        elif init is not None:
            model.load_state_dict(read_state_dict(Path(init)))
        if main:
            log.write([], mode="w")
            started_from = {} if init is None else {"init_weights": _weights_record(init)}
            used = json.dumps({**settings, "data_used": description, "device": device.type,
                               "precision": _precision(autocast), **started_from}, indent=2)
            (out / "preset.json").write_text(used + "\n")

    if replicas > 1:
        if device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda"
                                                    else None)
    network = model.module if replicas > 1 else model

    def save(path: Path) -> None:
        payload = {
            "format": FORMAT, "preset": settings, "network": preset.network,
            "model": network.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(),
            "rng": rng_state(generator), "step": step, "position": _next_position(position, steps_per_batch),
            "epoch_losses": epoch_losses,
        }
        payload["checksum"] = payload_digest(payload)
        save_atomic(payload, path, previous=path.with_name(PREVIOUS))  # the one before, to fall back on

    steps_per_batch = preset.local_steps
    local_batch = preset.batch // replicas
    batches_per_epoch = len(epoch_batches(len(data), preset.batch, 0, seed, replicas, rank))
    total_steps = preset.epochs * batches_per_epoch * steps_per_batch
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
    bar = None
    if progress and main:
        bar = _progress_bar(total=total_steps, initial=min(step, total_steps), desc=preset.name)
    last_save = time.monotonic()
    records: list[dict[str, Any]] = []
    stopped = max_steps is not None and step >= max_steps
    model.train()
    interrupt = StopOnInterrupt(replicas == 1)
    try:
        interrupt.__enter__()
        while position["epoch"] < preset.epochs and not stopped:
            epoch, started = position["epoch"], time.monotonic()
            batches = epoch_batches(len(data), preset.batch, epoch, seed, replicas, rank, position["batch"])
            for degraded, clean in make_loader(data, batches, num_workers, pin=device.type == "cuda"):
                degraded = degraded.to(device, non_blocking=True)
                clean = clean.to(device, non_blocking=True)
                while position["repeat"] < steps_per_batch:
                    tick = time.monotonic()
                    if preset.sigmas:
                        degraded = add_gaussian_noise(clean, preset.sigmas, generator, replicas, rank)
                    try:
                        taken = train_step(model, loss_fn, optimizer, degraded, clean, scaler, autocast)
                        loss = _mean_over_ranks(taken, replicas)
                    except NonFiniteLoss as error:
                        if resumed_from is not None and step == resumed_from[1] and resumed_from[2]:
                            source, _, broken = resumed_from
                            raise NonFiniteLoss(
                                f"{error} at the first step after resuming: the checkpoint it resumed from, "
                                f"{source}, holds NaN or infinite weights ({len(broken)} tensors, "
                                f"e.g. {broken[0]}); resume from an earlier checkpoint or start again"
                            ) from None
                        saved = f"the last checkpoint, {out / LAST}, is intact" if (out / LAST).exists() \
                            else "no checkpoint was written yet"
                        raise NonFiniteLoss(
                            f"{error} at step {step + 1} (epoch {epoch + 1}); training stopped and "
                            f"{saved}: lower the learning rate or check the data"
                        ) from None
                    step += 1
                    position["repeat"] += 1
                    epoch_losses.append(loss)
                    if main:
                        speed = local_batch * replicas / max(time.monotonic() - tick, 1e-9)
                        record = {"kind": "step", "epoch": epoch + 1, "step": step, "loss": loss,
                                  "lr": optimizer.param_groups[0]["lr"], "images_per_s": speed}
                        log.write([record])
                        records.append(record)
                        if bar is not None:
                            bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.4g}", img_s=f"{speed:.1f}")
                            bar.update()
                    stopped = (max_steps is not None and step >= max_steps) or interrupt.requested
                    if main and (stopped or (save_every and step % save_every == 0)):
                        save(out / LAST)
                        last_save = time.monotonic()
                    if stopped:
                        break
                if stopped:
                    break
                position["batch"] += 1
                position["repeat"] = 0
            if stopped:
                break
            with warnings.catch_warnings():  # resumed at an epoch's end: no step taken since
                warnings.filterwarnings("ignore", r"Detected call of `lr_scheduler\.step\(\)`")
                scheduler.step()
            position = {"epoch": epoch + 1, "batch": 0, "repeat": 0}
            finished, epoch_losses = epoch_losses, []
            if main:
                record = {"kind": "epoch", "epoch": epoch + 1, "step": step,
                          "loss": float(np.mean(finished)) if finished else float("nan"),
                          "lr": optimizer.param_groups[0]["lr"], "seconds": time.monotonic() - started}
                periodic = (epoch + 1) % preset.checkpoint_every == 0 or epoch + 1 == preset.epochs
                samples = []
                if val_set is not None and periodic:
                    record["psnr"], samples = validate(network, val_set)
                    model.train()
                log.write([record])
                records.append(record)
                if periodic or time.monotonic() - last_save >= save_interval:
                    save(out / LAST)
                    last_save = time.monotonic()
                if periodic:
                    save_atomic(network.state_dict(), out / f"model_epoch_{epoch + 1:04d}.pt")
                    plot_curves(log.read(), preset.name).savefig(out / "curves.png", dpi=110)
                    if samples:  # beside the curves: what the network does to validation images now
                        plot_samples(samples, f"{preset.name}, epoch {epoch + 1}").savefig(
                            out / "samples.png", dpi=80)
                    psnr = f", validation PSNR {record['psnr']:.2f} dB" if "psnr" in record else ""
                    line = (f"{preset.name}: epoch {epoch + 1}/{preset.epochs}, step {step}, loss "
                            f"{record['loss']:.4f}{psnr}; checkpoint written")
                    (bar.write if bar is not None else print)(line)
    finally:
        interrupt.__exit__()
        if bar is not None:
            bar.close()
    if replicas > 1:
        dist.barrier()
    if main and position["epoch"] >= preset.epochs:
        save_atomic(network.state_dict(), out / "model.pt")
    network.eval()
    return TrainResult(network, preset, out, step, position["epoch"], log.read() if main else records,
                       interrupt.requested)


def _resumable(path: Path, fallback: bool) -> tuple[dict[str, Any], Path]:
    """The checkpoint to resume from, and its file: ``path``, or, where it is missing or damaged
    and ``fallback``, the one written before it (``last.prev.pt``), with a note saying so."""
    previous = path.with_name(PREVIOUS)
    try:
        if not path.is_file():
            raise ResumeError(f"nothing to resume: no checkpoint at {path} (start without --resume)")
        return load_checkpoint(path), path
    except ResumeError as error:
        if not (fallback and previous.is_file()):
            raise
        payload = load_checkpoint(previous)
        print(f"{error}\nresuming from the checkpoint before it, {previous} (step {payload['step']})")
        return payload, previous


def _mean_over_ranks(loss: torch.Tensor, replicas: int) -> float:
    """The step's loss averaged over the processes (each computed it on its share of the batch)."""
    if replicas > 1:
        loss = loss.detach().clone()
        dist.all_reduce(loss)
        loss /= replicas
    return loss.item()


def _next_position(position: dict[str, int], steps_per_batch: int) -> dict[str, int]:
    """Where a resumed run starts: after a batch's last repeat, at the next batch's first."""
    if position["repeat"] >= steps_per_batch:
        return {**position, "batch": position["batch"] + 1, "repeat": 0}
    return dict(position)


def _progress_bar(**options: Any) -> Any:
    """tqdm's notebook bar where ipywidgets is installed, its text bar elsewhere."""
    try:
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(unit="step", dynamic_ncols=True, **options)
