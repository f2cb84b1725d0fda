"""``durn-teach bench``: the release-mirroring networks against the package's fast path.

For each network, at one size and batch, on the CPU and on CUDA where present: inference and
training-step times, images per second, peak memory, and GFLOP/s (from torchinfo's mult-adds) as
a fraction of the machine's own 3x3 convolution throughput, measured in the same run. The
baseline is ``build_model(name, reference=True)`` run eagerly under ``torch.no_grad`` (the
release's way); the fast path is what ``build_model(name)`` and ``restore`` do by default. Both
hold the same weights and see the same inputs, variants are timed in interleaved rounds (the
best round counts, which is robust to other work on a shared machine), and every variant's
outputs are checked against the baseline's.

With ``presets``, the training throughput of each named preset as ``durn-teach train`` runs it
(its network, batch, crop, loss and Adam, in float32 and, with ``amp``, under autocast): seconds
per step and images per second, so that a sitting can be planned from the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import ctypes
import datetime
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import torchinfo
from torch import nn

from durn_teach.arguments import positive_int, whole_number
from durn_teach.inference import restore
from durn_teach.machine import bfloat16_units, cpu_name
from durn_teach.models import build_model, in_channels, list_models
from durn_teach.precision import QUALITY_SETS, amp_quality, quality_set, quality_table
from durn_teach.speed import adam, compile_model, conv_throughput, inference_copy, synchronize

TOLERANCE = 1e-3  # float32 outputs in [0, 1] must agree with the baseline's within this
AMP_DTYPES = {"cuda": ("bfloat16", "float16"), "cpu": ("bfloat16",)}


def machine(device: torch.device) -> dict[str, Any]:
    """What the figures were measured on."""
    description = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu": cpu_name(),
        "bfloat16_units": bfloat16_units(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": _load_average(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    if device.type == "cuda":
        properties = torch.cuda.get_device_properties(device)
        description["gpu"] = properties.name
        description["gpu_memory_gib"] = round(properties.total_memory / 2**30, 1)
        description["cuda"] = torch.version.cuda
    return description


def _load_average() -> list[float] | None:
    with contextlib.suppress(OSError, AttributeError):
        return [round(value, 2) for value in os.getloadavg()]
    return None


def cpu_idle_fraction(window: float = 1.0) -> float | None:
    """The fraction of the machine's CPU time that was idle over ``window`` seconds (Linux only)."""

    def read() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    try:
        idle_start, total_start = read()
        time.sleep(window)
        idle_end, total_end = read()
    except (OSError, ValueError, IndexError):
        return None
    return (idle_end - idle_start) / max(total_end - total_start, 1)


def wait_for_idle(max_seconds: float, threshold: float = 0.9) -> float | None:
    """On a shared machine: wait up to ``max_seconds`` for three idle seconds in a row.

    Returns the idle fraction of the last second; ``None`` where the system does not tell.
    """
    deadline = time.monotonic() + max_seconds
    quiet, idle = 0, cpu_idle_fraction()
    while idle is not None and time.monotonic() < deadline:
        quiet = quiet + 1 if idle > threshold else 0
        if quiet >= 3:
            break
        idle = cpu_idle_fraction()
    return idle


# --- peak memory -------------------------------------------------------------------------------


def _release_freed_memory() -> None:
    """Give freed heap back to the system (glibc only), so that peaks start from the live set."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _proc_status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


@contextlib.contextmanager
def peak_memory(device: torch.device) -> Iterator[dict[str, float | None]]:
    """Measure the peak memory used inside the block, above what was live at its start (MiB).

    CUDA: the caching allocator's peak. CPU (Linux): the resident set's high-water mark, reset
    through ``/proc/self/clear_refs``; ``None`` where the system offers no such counter.
    """
    result: dict[str, float | None] = {"peak_mib": None}
    if device.type == "cuda":
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        start = torch.cuda.memory_allocated(device)
        yield result
        synchronize(device)
        result["peak_mib"] = (torch.cuda.max_memory_allocated(device) - start) / 2**20
        return
    try:
        _release_freed_memory()
        Path("/proc/self/clear_refs").write_text("5")
        start = _proc_status_kib("VmRSS")
    except OSError:
        yield result
        return
    yield result
    result["peak_mib"] = (_proc_status_kib("VmHWM") - start) / 1024


# --- timing ------------------------------------------------------------------------------------


def time_interleaved(
    functions: dict[str, Callable[[], Any]], rounds: int, device: torch.device
) -> dict[str, list[float]]:
    """Seconds per call of each function, in ``rounds`` rounds that run every function once."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            synchronize(device)
            start = time.perf_counter()
            function()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return times


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = (a.double() - b.double()).square().mean().item()
    return math.inf if mse == 0 else 10 * math.log10(1 / mse)


def _randomise_batchnorm(model: nn.Module, generator: torch.Generator) -> None:
    """Non-trivial running statistics and affine parameters, as a trained network has."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                shape = module.running_mean.shape
                module.running_mean.copy_(0.2 * torch.rand(shape, generator=generator) - 0.1)
                module.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                module.weight.copy_(0.5 + torch.rand(shape, generator=generator))
                module.bias.copy_(0.2 * torch.rand(shape, generator=generator) - 0.1)


def _train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, target: torch.Tensor):
    optimizer.zero_grad(set_to_none=True)
    loss = F.l1_loss(model(x), target)
    loss.backward()
    optimizer.step()
    return loss


def _summarise(times: list[float], batch: int, flops: float, limit: float, peak: float | None) -> dict:
    best = min(times)
    gflops = flops / best / 1e9
    return {
        "seconds": best,
        "seconds_median": statistics.median(times),
        "images_per_s": batch / best,
        "peak_mib": peak,
        "gflops": gflops,
        "fraction_of_conv": gflops / limit,
    }


def bench_network(
    name: str,
    size: int,
    batch: int,
    device: torch.device,
    rounds: int,
    conv_gflops: float,
    compile: bool = False,
    amp: bool = False,
    train: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """Benchmark one network: inference and training step, baseline against fast path."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    reference = build_model(name, reference=True)
    multiple, smallest = getattr(reference, "size_multiple", 1), getattr(reference, "min_size", 1)
    if size % multiple or size < smallest:
        raise ValueError(
            f"{name} takes sides that are multiples of {multiple} from {smallest} up; size {size} is not one"
        )
    _randomise_batchnorm(reference, generator)
    state = reference.state_dict()
    fast = build_model(name)
    fast.load_state_dict(state)
    reference.to(device)
    fast.to(device)
    channels = in_channels(reference)
    x = torch.rand(batch, channels, size, size, generator=generator).to(device)
    target = torch.rand(batch, channels, size, size, generator=generator).to(device)
    stats = torchinfo.summary(reference, input_size=tuple(x.shape), device=device, verbose=0)
    mult_adds = stats.total_mult_adds
    result: dict[str, Any] = {
        "parameters": stats.total_params,
        "mult_adds": mult_adds,
        "inference": {},
        "training": {},
        "notes": [],
    }

    # Inference: the baseline, the fast path of restore, then the opt-in variants.
    reference.eval()
    fast_copy = inference_copy(fast.eval())
    variants: dict[str, Callable[[], torch.Tensor]] = {
        "reference": lambda: _no_grad(reference, x),
        "fast": lambda: _inference(fast_copy, x),
    }
    if compile:
        compiled = compile_model(fast_copy, options={"freezing": True})
        variants["fast+compile"] = lambda: _inference(compiled, x)
    if amp:
        for dtype_name in AMP_DTYPES.get(device.type, ()):
            dtype = getattr(torch, dtype_name)
            variants[f"fast+{dtype_name}"] = _amp_inference(fast_copy, x, device, dtype)
    _run_variants(result, "inference", variants, rounds, batch, 2 * mult_adds, conv_gflops, device)

    if train:
        models = {"reference": reference, "fast": fast}
        if compile:
            models["fast+compile"] = compile_model(copy.deepcopy(fast))
        for model in models.values():
            model.train()
        optimizers = {
            key: torch.optim.Adam(model.parameters(), lr=1e-4) if key == "reference"
            else adam(model.parameters(), lr=1e-4)
            for key, model in models.items()
        }

        def step(key: str) -> Callable[[], torch.Tensor]:
            return lambda: _train_step(models[key], optimizers[key], x, target)

        # Agreement in training mode: the forward pass from identical weights, before any step.
        outputs = {}
        for key, model in models.items():
            try:
                outputs[key] = model(x).detach()
            except Exception as error:  # e.g. torch.compile without a working compiler
                result["notes"].append(f"training {key}: unavailable ({_first_line(error)})")
        for key in list(models):
            if key not in outputs:
                del models[key]
        steps = {key: step(key) for key in models}
        _run_variants(
            result, "training", steps, rounds, batch, 3 * 2 * mult_adds, conv_gflops, device,
            outputs=outputs,
        )
    return result


def bench_preset(
    name: str, device: torch.device, rounds: int, amp: bool = False, seed: int = 0, **changes: Any
) -> dict[str, Any]:
    """Training throughput of a preset (``changes`` as ``get_preset`` takes them) as ``fit`` runs it:
    the same network, batch, crop, loss and optimiser, on random crops; float32 and autocast."""
    from durn_teach.losses import get_loss
    from durn_teach.train import get_preset
    from durn_teach.train.step import make_optimizer, train_step

    preset = get_preset(name, **changes)
    torch.manual_seed(seed)
    model = build_model(preset.network, block=preset.block, **preset.model_options).to(device).train()
    generator = torch.Generator().manual_seed(seed)
    shape = (preset.batch, in_channels(model), preset.crop, preset.crop)
    clean = torch.rand(shape, generator=generator)
    degraded = (clean + 0.1 * torch.randn(shape, generator=generator)).clamp(0, 1)
    clean, degraded = clean.to(device), degraded.to(device)
    optimizer = make_optimizer(model, preset.lr, preset.betas, preset.eps, preset.weight_decay)
    loss_fn = get_loss(preset.loss)
    precisions: dict[str, torch.dtype | None] = {"float32": None}
    if amp:
        precisions |= {dtype: getattr(torch, dtype) for dtype in AMP_DTYPES.get(device.type, ())}
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")

    def step(dtype: torch.dtype | None) -> Callable[[], torch.Tensor]:
        return lambda: train_step(model, loss_fn, optimizer, degraded, clean,
                                  scaler if dtype == torch.float16 else None, dtype)

    steps = {precision: step(dtype) for precision, dtype in precisions.items()}
    for function in steps.values():  # one untimed step each: allocation and kernel selection
        function()
    times = time_interleaved(steps, rounds, device)
    rows = {precision: {"seconds_per_step": min(spent), "seconds_per_step_median": statistics.median(spent),
                        "images_per_s": preset.batch / min(spent), "steps_per_hour": 3600 / min(spent)}
            for precision, spent in times.items()}
    return {"network": preset.network, "batch": preset.batch, "crop": preset.crop, "loss": preset.loss,
            "block": preset.block, "precisions": rows}


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def _no_grad(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


def _inference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(x)


def _amp_inference(model: nn.Module, x: torch.Tensor, device: torch.device, dtype: torch.dtype):
    def run() -> torch.Tensor:
        with torch.inference_mode(), torch.autocast(device.type, dtype=dtype):
            return model(x).float()

    return run


def _run_variants(
    result: dict,
    mode: str,
    variants: dict[str, Callable[[], torch.Tensor]],
    rounds: int,
    batch: int,
    flops: float,
    conv_gflops: float,
    device: torch.device,
    outputs: dict[str, torch.Tensor] | None = None,
) -> None:
    """Warm up (compiling where asked), check agreement, measure peak memory, then time."""
    outputs = dict(outputs or {})
    peaks = {}
    for key in list(variants):
        try:
            with peak_memory(device) as peak:
                out = variants[key]()  # the first call: compiles, allocates, and is checked
        except Exception as error:  # torch.compile without a compiler, AMP without support
            result["notes"].append(f"{mode} {key}: unavailable ({_first_line(error)})")
            del variants[key]
            continue
        peaks[key] = peak["peak_mib"]
        if key not in outputs and mode == "inference":
            outputs[key] = out.detach()
    times = time_interleaved(variants, rounds, device)
    baseline = outputs["reference"].float()
    for key in variants:
        entry = _summarise(times[key], batch, flops, conv_gflops, peaks[key])
        entry["speedup"] = min(times["reference"]) / min(times[key])
        difference = (outputs[key].float() - baseline).abs().max().item()
        entry["max_abs_difference"] = difference
        entry["psnr_vs_reference"] = _psnr(outputs[key].float(), baseline)
        if "+bfloat16" in key or "+float16" in key:
            entry["agrees"] = None  # an option that changes numerics: its cost is reported instead
        else:
            entry["agrees"] = difference <= TOLERANCE
        result[mode][key] = entry


def bench_restore(
    name: str, megapixels: float, tile: int, overlap: int, device: torch.device, seed: int = 0
) -> dict[str, Any]:
    """Tiled ``restore`` of a synthetic photo of ``megapixels``: seconds and peak memory."""
    model = build_model(name).to(device).eval()
    width = int(round(math.sqrt(megapixels * 1e6 * 4 / 3)))
    height = int(round(megapixels * 1e6 / width))
    channels = in_channels(model)
    shape = (height, width) if channels == 1 else (height, width, channels)
    image = np.random.default_rng(seed).random(shape, dtype=np.float32)
    with peak_memory(device) as peak:
        start = time.perf_counter()
        restore(model, image, tile=tile, overlap=overlap)
        synchronize(device)
        seconds = time.perf_counter() - start
    return {
        "network": name, "height": height, "width": width, "tile": tile, "overlap": overlap,
        "seconds": seconds, "peak_mib": peak["peak_mib"],
    }


def _idle(wait_idle: float) -> float | None:
    """The CPU's idle fraction now, after waiting up to ``wait_idle`` seconds for it to be idle."""
    return wait_for_idle(wait_idle) if wait_idle > 0 else cpu_idle_fraction(0.2)


def run(
    names: list[str] | None = None,
    size: int = 128,
    batch: int = 1,
    devices: list[str] | None = None,
    rounds: int = 5,
    compile: bool = False,
    amp: bool = False,
    train: bool = True,
    conv_side: int = 128,
    restore_megapixels: float = 0.0,
    restore_network: str = "DuRN-P",
    tile: int = 384,
    overlap: int = 64,
    wait_idle: float = 0.0,
    presets: list[str] | None = None,
    quality: list[str] | None = None,
    data_root: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the benchmark; returns the JSON-ready results (see the module docstring).

    ``names=[]`` times no network (with ``presets``, only the presets' training throughput).
    ``quality`` names shipped checkpoints (``[]``: all) whose PSNR in float32 and under
    autocast is measured on their test sets under ``data_root`` (``durn_teach.precision``).
    """
    names = list_models() if names is None else names
    unknown = [name for name in names if name not in list_models()]
    if unknown:
        raise ValueError(f"unknown networks {unknown}; the networks are: {', '.join(list_models())}")
    unknown = [name for name in quality or [] if name not in QUALITY_SETS]
    if unknown:
        raise ValueError(f"no precision check for {unknown}; the checkpoints: {', '.join(QUALITY_SETS)}")
    checked = [] if quality is None else (quality or list(QUALITY_SETS))
    test_sets = {name: quality_set(name, data_root)[1] for name in checked}  # missing data: fail at once
    if size < 1 or batch < 1 or rounds < 1:
        raise ValueError(f"size, batch and rounds must be positive, got {size}, {batch}, {rounds}")
    if devices is None:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    results: dict[str, Any] = {
        "settings": {
            "size": size, "batch": batch, "rounds": rounds, "compile": compile, "amp": amp,
            "dtype": "float32", "tolerance": TOLERANCE, "timing": "best of interleaved rounds",
            "training_flops": "3 x forward (forward + backward)",
        },
        "devices": {},
    }
    say = progress or (lambda message: None)
    for device_name in devices:
        device = torch.device(device_name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but this PyTorch sees no CUDA device")
        say(f"[{device}] 3x3 convolution throughput")
        idle_before = _idle(wait_idle)
        limit = conv_throughput(device, side=conv_side, rounds=max(rounds, 3))
        limit["cpu_idle_before"] = idle_before
        entry: dict[str, Any] = {"machine": machine(device), "conv_throughput": limit, "networks": {}}
        for name in names:
            say(f"[{device}] {name}")
            idle_before = _idle(wait_idle)
            entry["networks"][name] = bench_network(
                name, size, batch, device, rounds, limit["gflops"], compile=compile, amp=amp, train=train
            )
            entry["networks"][name]["cpu_idle_before"] = idle_before
        # Measure the limit once more at the end, keep the better, and rescale every fraction by it:
        # the machine's limit is the best it showed in this run.
        say(f"[{device}] 3x3 convolution throughput, again")
        _idle(wait_idle)
        again = conv_throughput(device, side=conv_side, rounds=max(rounds, 3))
        if again["gflops"] > limit["gflops"]:
            limit.update(gflops=again["gflops"], runs=again["runs"])
        for network in entry["networks"].values():
            for mode in ("inference", "training"):
                for row in network[mode].values():
                    row["fraction_of_conv"] = row["gflops"] / limit["gflops"]
        for preset in presets or []:
            say(f"[{device}] preset {preset}: training throughput")
            _idle(wait_idle)
            entry.setdefault("presets", {})[preset] = bench_preset(preset, device, rounds, amp=amp)
        for name, data in test_sets.items():
            say(f"[{device}] {name}: float32 against half precision on its test set")
            entry.setdefault("amp_quality", {})[name] = amp_quality(name, device, dataset=data)
        if restore_megapixels > 0:
            say(f"[{device}] tiled restore of {restore_megapixels} megapixels with {restore_network}")
            entry["restore"] = bench_restore(restore_network, restore_megapixels, tile, overlap, device)
        entry["machine"]["load_average_after"] = _load_average()
        results["devices"][str(device)] = entry
    return results


def table(results: dict[str, Any]) -> str:
    """The results as a plain-text table, one row per device, network, mode and variant."""
    header = (
        f"{'device':6} {'network':15} {'mode':9} {'variant':16} {'ms':>9} {'img/s':>8} "
        f"{'peak MiB':>9} {'GFLOP/s':>8} {'of conv':>7} {'speedup':>7} {'max |diff|':>10} agrees"
    )
    lines = [header, "-" * len(header)]
    for device, entry in results["devices"].items():
        limit = entry["conv_throughput"]["gflops"]
        for name, network in entry["networks"].items():
            for mode in ("inference", "training"):
                for variant, row in network[mode].items():
                    peak = "-" if row["peak_mib"] is None else f"{row['peak_mib']:.0f}"
                    agrees = {True: "yes", False: "NO", None: "(option)"}[row["agrees"]]
                    lines.append(
                        f"{device:6} {name:15} {mode:9} {variant:16} {1000 * row['seconds']:9.1f} "
                        f"{row['images_per_s']:8.2f} {peak:>9} {row['gflops']:8.1f} "
                        f"{row['fraction_of_conv']:7.0%} {row['speedup']:6.2f}x "
                        f"{row['max_abs_difference']:10.1e} {agrees}"
                    )
            for note in network["notes"]:
                lines.append(f"{device:6} {name:15} note: {note}")
        lines.append(f"{device:6} 3x3 convolution throughput: {limit:.1f} GFLOP/s")
        for preset, row in entry.get("presets", {}).items():
            for precision, speed in row["precisions"].items():
                lines.append(
                    f"{device:6} train {preset} ({row['network']}, {row['batch']} x {row['crop']}^2, "
                    f"{precision}): {speed['seconds_per_step']:.2f} s/step, "
                    f"{speed['images_per_s']:.2f} img/s, {speed['steps_per_hour']:.0f} steps/h"
                )
        if "restore" in entry:
            r = entry["restore"]
            peak = "-" if r["peak_mib"] is None else f"{r['peak_mib']:.0f} MiB"
            lines.append(
                f"{device:6} restore {r['network']} {r['width']}x{r['height']}, tile {r['tile']}: "
                f"{r['seconds']:.1f} s, peak {peak}"
            )
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: str | Path) -> Path:
    """Write the results as indented JSON (infinite PSNRs as null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def finite(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {key: finite(item) for key, item in value.items()}
        if isinstance(value, list):
            return [finite(item) for item in value]
        return value

    path.write_text(json.dumps(finite(results), indent=1) + "\n")
    return path


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``durn-teach bench``."""
    from durn_teach.train.presets import PRESETS

    parser.add_argument("--networks", nargs="*", choices=list_models(), metavar="NAME",
                        help="networks to run (default: all six; none with an empty list)")
    parser.add_argument("--presets", nargs="+", choices=list(PRESETS), metavar="PRESET",
                        help="also time a training step of these presets, as `durn-teach train` runs them")
    parser.add_argument("--size", type=positive_int, default=128,
                        help="side of the square input (default 128)")
    parser.add_argument("--batch", type=positive_int, default=1, help="images per batch (default 1)")
    parser.add_argument("--rounds", type=positive_int, default=5, help="timed rounds per variant (default 5)")
    parser.add_argument("--device", nargs="+", choices=["cpu", "cuda"], dest="devices",
                        help="devices (default: cpu, and cuda where present)")
    parser.add_argument("--compile", action="store_true",
                        help="also time torch.compile (slow to compile: minutes on a small CPU)")
    parser.add_argument("--amp", action="store_true",
                        help="also time autocast inference (bfloat16, and float16 on CUDA) and its error")
    parser.add_argument("--no-train", dest="train", action="store_false", help="inference only")
    parser.add_argument("--conv-side", type=positive_int, default=128,
                        help="side of the 3x3 convolutions that measure the machine (default 128)")
    parser.add_argument("--restore-megapixels", type=float, default=0.0,
                        help="also time a tiled restore of a photo this large (e.g. 12)")
    parser.add_argument("--restore-network", choices=list_models(), default="DuRN-P", metavar="NAME",
                        help="network for the tiled restore (default DuRN-P)")
    parser.add_argument("--tile", type=positive_int, default=384,
                        help="tile side for the tiled restore (default 384)")
    parser.add_argument("--overlap", type=whole_number, default=64,
                        help="tile overlap for the tiled restore (default 64)")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="on a shared machine, wait up to this long for an idle CPU before each network")
    parser.add_argument("--threads", type=positive_int,
                        help="CPU threads for PyTorch (default: its own choice)")
    parser.add_argument("--amp-quality", nargs="*", choices=list(QUALITY_SETS), metavar="NAME",
                        help="also score these shipped checkpoints (none named: all) on their test sets "
                             "in float32 and under autocast: the PSNR that half precision costs")
    parser.add_argument("--data-root", help="the datasets' folder for --amp-quality (default $DURN_DATA "
                                            "or the user cache)")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")


def main(args: argparse.Namespace) -> int:
    """Run ``durn-teach bench`` with parsed arguments: print the table, write the JSON."""
    if args.threads is not None:
        if args.threads < 1:
            raise SystemExit(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    try:
        results = run(
            names=args.networks, size=args.size, batch=args.batch, devices=args.devices,
            rounds=args.rounds, compile=args.compile, amp=args.amp, train=args.train,
            conv_side=args.conv_side, restore_megapixels=args.restore_megapixels,
            restore_network=args.restore_network, tile=args.tile, overlap=args.overlap,
            wait_idle=args.wait_idle, presets=args.presets, quality=args.amp_quality,
            data_root=args.data_root, progress=lambda message: print(message, file=sys.stderr, flush=True),
        )
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(f"durn-teach bench: {error}") from None
    print(table(results))
    for device, entry in results["devices"].items():
        if "amp_quality" in entry:
            print(f"\n{device}: mixed precision's cost in quality\n{quality_table(entry['amp_quality'])}")
    if args.json:
        print(f"wrote {write_json(results, args.json)}")
    return 0
