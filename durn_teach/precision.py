"""What mixed precision costs in quality: each shipped checkpoint on its test images, exact and half.

The speed of autocast is ``durn-teach bench --amp``'s; its price is measured here, on the images
the course scores each checkpoint on (the committed comparisons' test sets, real pairs where
there are any): the same checkpoint restores every image twice, in float32 (the exact path) and
under ``torch.autocast`` (bfloat16 on a CPU; float16 and bfloat16 on CUDA), and the protocol's
own metric scores both. ``durn-teach bench --amp-quality`` runs it and writes it beside the
timings.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from durn_teach import pretrained
from durn_teach.evaluate import Protocol, evaluate, get_protocol, test_set
from durn_teach.models import load_pretrained

# The test set each shipped checkpoint is scored on for the precision check: the real pairs of its
# committed comparison where it has them (motion blur has none: held-out photographs, synthetic
# blur), and sigma 50 for the Gaussian network (the paper's middle level).
QUALITY_SETS: dict[str, tuple[str, float | None]] = {
    "gaussian-gray": ("bsd68", 50),
    "real-noise": ("polyu-crops", None),
    "motion-blur": ("blur-synthetic", None),
    "haze": ("sots-examples", None),
    "raindrop": ("raindrop-real", None),
    "rain-streak": ("rain100l", None),
}
HALF_DTYPES = {"cpu": ("bfloat16",), "cuda": ("float16", "bfloat16")}
GOAL_DB = 0.05  # the course's bound on the PSNR a half-precision path may cost


def _scored(model: torch.nn.Module, protocol: Protocol, items: list, amp: str | None) -> dict[str, Any]:
    """The mean PSNR / SSIM, per-image PSNRs and seconds of one pass over ``items``."""
    tick = time.perf_counter()
    result = evaluate(model, protocol, dataset=items, amp=amp, progress=False)
    return {"psnr": result["psnr"], "ssim": result["ssim"], "seconds": round(time.perf_counter() - tick, 2),
            "rows": [row["psnr"] for row in result["rows"]]}


def quality_set(name: str, root: str | Path | None = None, limit: int | None = None) -> tuple[Protocol, Any]:
    """The protocol and test set of shipped checkpoint ``name``'s precision check; raises at once
    (``FileNotFoundError``, saying how to fetch it) where the data are missing."""
    if name not in QUALITY_SETS:
        raise ValueError(f"no test set for the precision check of {name!r}; the checkpoints: "
                         f"{', '.join(QUALITY_SETS)}")
    protocol_name, sigma = QUALITY_SETS[name]
    protocol = get_protocol(protocol_name, sigma)
    return protocol, test_set(protocol, root, sigma, limit)


def amp_quality(name: str, device: torch.device, root: str | Path | None = None, limit: int | None = None,
                dataset: Any = None) -> dict[str, Any]:
    """Shipped checkpoint ``name`` on its test set in float32 and under each half precision of
    ``device``: each pass's scores and seconds, and each half precision's PSNR change (mean and
    the largest per image) against the float32 pass. ``dataset`` replaces the test set (items
    ``(degraded, clean, name)``, as ``evaluate`` takes)."""
    protocol, data = quality_set(name, root, limit) if dataset is None else (
        get_protocol(*QUALITY_SETS[name]), dataset)
    items = [data[index] for index in range(len(data) if limit is None else min(limit, len(data)))]
    model = load_pretrained(pretrained.entry(name)["network"], name, map_location=device)
    exact = _scored(model, protocol, items, None)
    passes = {"float32": exact}
    for dtype in HALF_DTYPES[device.type]:
        half = passes[dtype] = _scored(model, protocol, items, dtype)
        change = np.asarray(half["rows"]) - np.asarray(exact["rows"])
        half.update(psnr_change=half["psnr"] - exact["psnr"],
                    worst_image_change=float(change[np.argmax(np.abs(change))]),
                    speedup=exact["seconds"] / half["seconds"])
    return {"protocol": protocol.name, "sigma": QUALITY_SETS[name][1], "space": protocol.space,
            "images": len(items), "test_set": getattr(data, "title", protocol.name), "passes": passes}


def quality_table(results: dict[str, dict[str, Any]]) -> str:
    """The precision check as plain text: one row per checkpoint and half precision."""
    header = f"{'checkpoint':14} {'test set':15} {'images':>6} {'half':9} {'float32 dB':>10} " \
             f"{'change dB':>9} {'worst image':>11} {'speed-up':>8} within {GOAL_DB} dB"
    lines = [header, "-" * len(header)]
    for name, result in results.items():
        exact = result["passes"]["float32"]
        for dtype, row in result["passes"].items():
            if dtype == "float32":
                continue
            within = "yes" if abs(row["psnr_change"]) <= GOAL_DB else "no"
            lines.append(f"{name:14} {result['protocol']:15} {result['images']:6} {dtype:9} "
                         f"{exact['psnr']:10.2f} {row['psnr_change']:+9.3f} "
                         f"{row['worst_image_change']:+11.3f} {row['speedup']:7.2f}x {within}")
    return "\n".join(lines)
