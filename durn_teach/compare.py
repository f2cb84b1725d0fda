"""A network against classical denoisers, in one run, on the same noisy test images.

``durn-teach compare`` scores the noisy input, non-local means (Buades et al. 2005, with the
parameters of the authors' reference implementation, Buades et al. 2011), BM3D (Dabov et al.
2007; its colour version CBM3D on RGB images; the ``bm3d`` package:
``pip install "durn-teach[baselines]"``) and a network, on the same images, each scored by
:func:`durn_teach.evaluate.evaluate` with the paper's metric (Liu et al., CVPR 2019, Sec. 5).
Gaussian protocols (BSD68 at sigma 30, 50 and 70 by default) draw the noisy images once per
level (the protocol's fixed-seed noise) and tell the classical methods the true sigma. On the
real-noise protocols (PolyU) the camera's noise has no one sigma: each classical method gets
the level of a grid that scores best on the protocol's training pairs (never the test set),
as the network learnt from those; ``nlm-true`` and ``bm3d-true`` tell them instead each test
image's measured level (the standard deviation of noisy minus clean per channel), an extra
row for what it is. The result is a JSON-ready dict with the mean PSNR / SSIM per method and
level, every image's row, the tuning grid and its scores, the machine, the versions and the
time each method took.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from durn_teach import pretrained
from durn_teach.arguments import positive_int
from durn_teach.data import get_dataset
from durn_teach.data.base import to_tensor
from durn_teach.evaluate import (
    PROTOCOLS,
    REAL,
    Protocol,
    as_image,
    evaluate,
    get_protocol,
    level_label,
    test_set,
)
from durn_teach.export import record_evaluation
from durn_teach.files import sha256_of
from durn_teach.machine import DEVICE_HELP, machine, pick_device, versions
from durn_teach.models import in_channels, load_pretrained
from durn_teach.sampling import TEST_NOISE_SEED

METHODS = ("noisy", "nlm", "bm3d", "network")
TRUE_LEVEL = ("nlm-true", "bm3d-true")  # real noise only: told each test image's measured level
LABELS = {"gray": {"noisy": "noisy input", "nlm": "non-local means", "bm3d": "BM3D"},
          "rgb": {"noisy": "noisy input", "nlm": "non-local means (colour)", "bm3d": "CBM3D",
                  "nlm-true": "non-local means (colour), told the true level",
                  "bm3d-true": "CBM3D, told the true level"}}
# Real noise: the levels (0-255) a classical method may be set to, scored on the central
# TUNING_SIZE x TUNING_SIZE region of each training pair (a sixteenth of a 512x512 PolyU crop:
# CBM3D takes about 20 s a whole crop on two CPU cores, and seven levels of 73 crops add up).
# The grid reaches 24: on PolyU's training crops CBM3D still gained from 12 to 16.
TUNING_GRID = (3.0, 5.0, 8.0, 12.0, 16.0, 20.0, 24.0)
TUNING_SIZE = 128
# Non-local means, from the reference implementation of Buades, Coll and Morel (IPOL 2011):
# up to each sigma (0-255), the patch radius, the search radius and h / sigma.
NLM_TABLE = {
    "gray": ((15, 1, 10, 0.40), (30, 2, 10, 0.40), (45, 3, 17, 0.35), (75, 4, 17, 0.35), (100, 5, 17, 0.30)),
    "rgb": ((25, 1, 10, 0.55), (55, 2, 17, 0.40), (100, 3, 17, 0.35)),
}


def nlm_parameters(sigma: float, colour: bool = False) -> dict[str, float]:
    """scikit-image's ``denoise_nl_means`` arguments for noise of level ``sigma`` (0-255).

    The patch size, search window and filtering parameter ``h`` of the reference
    implementation (Buades et al., IPOL 2011) for gray or ``colour`` images, for images in
    [0, 1]: ``h`` and ``sigma`` / 255.
    """
    for limit, patch_radius, search_radius, factor in NLM_TABLE["rgb" if colour else "gray"]:
        if 0 < sigma <= limit:
            return {"patch_size": 2 * patch_radius + 1, "patch_distance": search_radius,
                    "h": factor * sigma / 255, "sigma": sigma / 255}
    raise ValueError(f"non-local means is set up for 0 < sigma <= 100 (0-255 scale), got {sigma}")


def non_local_means(noisy: np.ndarray, sigma: float | Sequence[float]) -> np.ndarray:
    """Non-local means (Buades et al. 2005) of a gray or RGB image, told the noise level (0-255).

    scikit-image's ``fast_mode`` weighs the pixels of a patch uniformly, as the reference
    implementation does, and subtracts the expected distance of two noisy patches, 2 sigma^2;
    an RGB image's patches span its three channels, and per-channel levels are averaged.
    """
    from skimage.restoration import denoise_nl_means

    colour = noisy.ndim == 3
    level = float(np.mean(sigma))
    options = {"channel_axis": -1} if colour else {}
    parameters = nlm_parameters(level, colour)
    return denoise_nl_means(noisy, fast_mode=True, **options, **parameters).astype(np.float32)


def bm3d_denoise(noisy: np.ndarray, sigma: float | Sequence[float]) -> np.ndarray:
    """BM3D (Dabov et al. 2007) of a gray image, or CBM3D of an RGB one, told the noise level (0-255).

    The ``bm3d`` package's both stages (hard thresholding, then Wiener filtering) with its
    default profile; CBM3D groups blocks by luminance in the opponent colour space and takes
    one level, or one per channel.
    """
    try:
        import bm3d
    except ImportError as error:
        raise ModuleNotFoundError(
            "BM3D needs the bm3d package: pip install 'durn-teach[baselines]' (or pip install bm3d), "
            "or leave it out with --methods noisy nlm network"
        ) from error
    level = np.asarray(sigma, dtype=np.float64) / 255
    if noisy.ndim == 3:
        levels = np.broadcast_to(level, 3).tolist()
        return np.asarray(bm3d.bm3d_rgb(noisy, sigma_psd=levels), dtype=np.float32)
    return np.asarray(bm3d.bm3d(noisy, sigma_psd=float(level)), dtype=np.float32)


def noise_level(noisy: np.ndarray, clean: np.ndarray) -> list[float]:
    """The true noise level of a pair: the standard deviation of noisy - clean per channel (0-255)."""
    residual = (noisy.astype(np.float64) - clean) * 255
    if residual.ndim == 2:
        return [float(residual.std())]
    return residual.reshape(-1, residual.shape[-1]).std(0).tolist()


def _classical(method: str, sigma: float | Sequence[float]) -> Callable[[np.ndarray], np.ndarray]:
    if method == "noisy":
        return lambda noisy: noisy
    if method == "nlm":
        return lambda noisy: non_local_means(noisy, sigma)
    return lambda noisy: bm3d_denoise(noisy, sigma)


def comparable_protocols() -> list[str]:
    """The protocols ``compare`` takes: the gray Gaussian ones and the real-noise ones."""
    return [name for name, p in PROTOCOLS.items()
            if (p.sigmas and p.space == "gray") or p.task == "real-world noise"]


def training_pairs(spec: Protocol, root: str | Path | None = None, size: int = TUNING_SIZE) -> list[tuple]:
    """The protocol's training pairs (its dataset's ``train`` split), each cut to its central
    ``size`` x ``size`` region, as ``(noisy, clean, name)`` like a test set's items."""

    data = get_dataset(spec.dataset, root=root, split="train")
    if not data.items:
        raise ValueError(f"{data.title} has no training pairs under {data.path} to choose the classical "
                         f"methods' level on")
    pairs = []
    for item in data.items:
        noisy, clean = data.read(item.degraded[0]), data.read(item.clean)
        pairs.append((to_tensor(centre(noisy, size)[0]), to_tensor(centre(clean, size)[0]), item.name))
    return pairs


def centre(image: np.ndarray, size: int) -> tuple[np.ndarray, list[int]]:
    """The central ``size`` x ``size`` region of an image (all of a side shorter than ``size``),
    and where it is: ``[top, left, size]``."""
    top, left = max(0, (image.shape[0] - size) // 2), max(0, (image.shape[1] - size) // 2)
    return image[top:top + size, left:left + size], [top, left, size]


def tune_level(method: str, pairs: list[tuple], spec: Protocol, grid: Sequence[float] = TUNING_GRID,
               progress: bool = False) -> dict[str, Any]:
    """The level of ``grid`` at which a classical method scores the best mean PSNR on ``pairs``
    (training pairs): ``chosen``, with the ``grid``'s mean PSNR / SSIM in ``scores``."""
    from tqdm import tqdm

    scores = {}
    for sigma in tqdm(grid, desc=f"{method}: choosing the level on training pairs", unit="level",
                      disable=not progress):
        scored = evaluate(_classical(method, sigma), spec, dataset=pairs, progress=False)
        scores[f"{sigma:g}"] = {"psnr": scored["psnr"], "ssim": scored["ssim"]}
    chosen = max(grid, key=lambda sigma: scores[f"{sigma:g}"]["psnr"])
    return {"grid": [float(sigma) for sigma in grid], "chosen": float(chosen), "scores": scores,
            "training_pairs": len(pairs), "by": "mean PSNR"}


def _score_per_image(method: str, items: list[tuple], spec: Protocol, progress: bool) -> dict[str, Any]:
    """A classical method on real noise: each image restored told its own true noise level."""
    from tqdm import tqdm

    rows = []
    for item in tqdm(items, desc=f"{spec.name} {method}", unit="image", disable=not progress):
        level = noise_level(as_image(item[0]), as_image(item[1]))
        row = evaluate(_classical(method, level), spec, dataset=[item], progress=False)["rows"][0]
        rows.append({**row, "noise_level": [round(value, 4) for value in level]})
    means = {key: float(np.mean([row[key] for row in rows])) for key in ("psnr", "ssim")}
    return {**means, "rows": rows}


def compare(
    model: nn.Module | None,
    protocol: str = "bsd68",
    sigmas: Sequence[float] | None = None,
    *,
    methods: Sequence[str] = METHODS,
    root: str | Path | None = None,
    limit: int | None = None,
    network: dict[str, Any] | None = None,
    tile: int | None = None,
    grid: Sequence[float] = TUNING_GRID,
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``methods`` on a protocol's test set, every method on the same noisy images.

    ``protocol``: a gray Gaussian one, scored at each of ``sigmas`` (default: its levels) with
    the noisy images drawn once per level (the protocol's fixed-seed noise); or a real-noise
    one (``polyu-crops``, ``polyu``), the camera's own noise, where the classical methods are
    set to the level of ``grid`` that scores best on the training pairs (``nlm-true`` and
    ``bm3d-true``: told each test image's measured level). ``model`` is the network (needed
    where ``methods`` has ``"network"``), ``network`` what the JSON says about it (name,
    weights, SHA-256). Returns ``results[level][method]`` (``level``: ``str(sigma)``, or
    ``"real"``): mean ``psnr``, ``ssim``, ``seconds`` and per-image ``rows``, with the run's
    particulars.
    """

    unknown = [method for method in methods if method not in (*METHODS, *TRUE_LEVEL)]
    if unknown or not methods:
        raise ValueError(f"unknown methods {unknown}; the methods are: {', '.join((*METHODS, *TRUE_LEVEL))}")
    if "network" in methods and model is None:
        raise ValueError("the method 'network' needs a model")
    if protocol not in comparable_protocols():
        raise ValueError(f"the comparison takes a gray Gaussian or a real-noise protocol "
                         f"({', '.join(comparable_protocols())}), not {protocol!r}")
    first = PROTOCOLS[protocol]
    gaussian = bool(first.sigmas)
    if sigmas and not gaussian:
        raise ValueError(f"the protocol {protocol!r} has the camera's own noise: leave sigmas (--sigmas) out")
    levels: tuple[float | None, ...] = tuple(sigmas or first.sigmas) if gaussian else (None,)
    if gaussian and set(methods) & set(TRUE_LEVEL):
        raise ValueError(f"{' and '.join(TRUE_LEVEL)} are for real noise; on {protocol!r} nlm and bm3d are "
                         f"told the true sigma already")
    if {"bm3d", "bm3d-true"} & set(methods):
        ramp = np.linspace(0, 1, 16 * 16 * 3, dtype=np.float32).reshape(16, 16, 3)
        bm3d_denoise(ramp[..., 0] if gaussian else ramp, 30)  # fail early where bm3d is missing
    if model is not None:

        channels = 1 if first.space == "gray" else 3
        if in_channels(model) != channels:
            raise ValueError(f"the protocol {protocol!r} has {first.space} images, but the network takes "
                             f"{in_channels(model)} channel(s): score a {first.network} trained for "
                             f"{first.task} (for instance the shipped checkpoints: durn-teach pretrained)")
    labels = LABELS[first.space]
    started, clock = datetime.datetime.now(datetime.UTC), time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    tuned: dict[str, dict[str, Any]] = {}
    pairs = training_pairs(first, root) if not gaussian and {"nlm", "bm3d"} & set(methods) else []
    title, images = protocol, 0
    for sigma in levels:
        spec = get_protocol(protocol, sigma)
        data = test_set(spec, root, sigma, limit)
        title = getattr(data, "title", protocol)
        count = len(data) if limit is None else min(limit, len(data))
        items = [data[index] for index in range(count)]  # the noisy images, drawn once for all methods
        images = len(items)
        key = f"{sigma:g}" if gaussian else REAL
        results[key] = {}
        for method in methods:
            tick = time.perf_counter()
            if method in TRUE_LEVEL:
                scored = _score_per_image(method.removesuffix("-true"), items, spec, progress)
            elif method in ("nlm", "bm3d") and not gaussian:
                tuned[method] = {**tune_level(method, pairs, spec, grid, progress), "region": TUNING_SIZE}
                scored = evaluate(_classical(method, tuned[method]["chosen"]), spec, dataset=items,
                                  progress=progress)
            else:
                restorer = model if method == "network" else _classical(method, sigma)
                scored = evaluate(restorer, spec, sigma=sigma, dataset=items, tile=tile if method == "network"
                                  else None, progress=progress)
            seconds = time.perf_counter() - tick
            results[key][method] = {"psnr": scored["psnr"], "ssim": scored["ssim"],
                                    "seconds": round(seconds, 2), "rows": scored["rows"]}
            if progress:
                print(f"{level_label(key)}, {labels.get(method, 'network')}: {scored['psnr']:.2f} dB, "
                      f"SSIM {scored['ssim']:.4f} ({seconds:.1f} s)", file=sys.stderr)
    described = describe(methods, labels, levels, gaussian, grid, len(pairs), network)
    for method, tuning in tuned.items():
        described[method]["tuning"] = tuning
    noise = {"seed": TEST_NOISE_SEED, "how": "the release's fixed-seed test noise: the same draw for every "
             "image, added without clipping (durn_teach.sampling.fixed_seed_noise)"} if gaussian else \
        {"seed": None, "how": "the camera's own noise: each scene shot many times, the mean of the shots "
         "is the clean image (Xu et al. 2018)"}
    return {
        "kind": "durn-teach comparison",
        "protocol": protocol,
        "test_set": title,
        "images": images,
        "limit": limit,
        "sigmas": [float(s) for s in levels] if gaussian else [],
        "metric": f"durn_teach.metrics.paper_psnr_ssim, {first.space}: clipped to [0, 1], x255, "
                  f"truncated to 8 bits, scikit-image PSNR (data range 255) and SSIM",
        "noise": noise,
        "methods": described,
        "results": results,
        "date": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - clock, 1),
        "machine": machine(str(next(model.parameters()).device) if model is not None else "cpu"),
        "versions": versions(),
    }


def describe(methods: Sequence[str], labels: dict[str, str], levels: Sequence[float | None], gaussian: bool,
             grid: Sequence[float], pairs: int, network: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """What the comparison JSON says of each method: its label, how it ran and what it was told."""
    true = "told each image's true noise level (the standard deviation of noisy - clean, per channel, 0-255)"
    chosen = (f"set to the level of the grid {', '.join(f'{s:g}' for s in grid)} (0-255) with the best mean "
              f"PSNR on the central {TUNING_SIZE}x{TUNING_SIZE} region of each of the {pairs} training "
              f"pairs, never on the test set")
    told = "told the true sigma" if gaussian else chosen
    nlm = "scikit-image denoise_nl_means, fast_mode, {}; patch size, search window and h of the reference " \
        "implementation (IPOL 2011)" + ("" if gaussian else ", for colour images")
    cbm3d = "bm3d.bm3d_rgb(noisy, sigma_psd={} / 255), the opponent colour space: both stages, " \
        "default profile, {}"
    bm3d = f"bm3d.bm3d(noisy, sigma_psd=sigma / 255): both stages, default profile, {told}"
    described = {
        "noisy": {"label": labels["noisy"],
                  "how": "the noisy input itself, scored as the protocol scores outputs"},
        "nlm": {"label": labels["nlm"], "how": nlm.format(told),
                "parameters": {f"{s:g}": nlm_parameters(s) for s in levels if s is not None} if gaussian
                else "nlm_parameters(level, colour=True) at the chosen level"},
        "bm3d": {"label": labels["bm3d"], "how": bm3d if gaussian else cbm3d.format("level", told)},
        "nlm-true": {"label": labels.get("nlm-true"),
                     "how": nlm.format(true) + ", the mean of the channels' levels",
                     "parameters": "by each image's level (nlm_parameters(level, colour=True))"},
        "bm3d-true": {"label": labels.get("bm3d-true"), "how": cbm3d.format("levels", true)},
        "network": {"label": (network or {}).get("label", "network"), **(network or {})},
    }
    return {method: described[method] for method in methods}


def format_comparison(result: dict[str, Any]) -> str:
    """The mean PSNR / SSIM of each method at each level, as a text table."""
    methods = list(result["methods"])
    labels = [result["methods"][m]["label"] for m in methods]
    width = max(len(label) for label in labels)
    header = f"{'':{width}s}" + "".join(f"  {level_label(key):<18s}" for key in result["results"])
    lines = [f"{result['test_set']}, {result['images']} images, {result['metric'].split(':')[0]}", header]
    for method, label in zip(methods, labels, strict=True):
        cells = [f"{r[method]['psnr']:6.2f} / {r[method]['ssim']:.4f}" for r in result["results"].values()]
        lines.append(f"{label:{width}s}" + "".join(f"  {cell:18s}" for cell in cells))
    return "\n".join(lines)


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``durn-teach compare`` options."""
    parser.add_argument("protocol", nargs="?", default="bsd68", metavar="PROTOCOL",
                        help="a gray Gaussian protocol: bsd68 (default), set12, bsd-gray; real noise: "
                        "polyu-crops, polyu; rain streaks: rain100l, rain100h; raindrops: raindrop-real, "
                        "raindrop-synthetic; motion blur: blur-synthetic; haze: sots-examples, "
                        "haze-synthetic")
    parser.add_argument("--weights", "--checkpoint", required=True,
                        help="a shipped checkpoint's name (durn-teach pretrained) or a checkpoint file")
    parser.add_argument("--model",
                        help="the network (default: the shipped checkpoint's, else the protocol's)")
    parser.add_argument("--sigmas", type=float, nargs="+",
                        help="noise levels of a Gaussian protocol (default 30 50 70, the paper's)")
    parser.add_argument("--methods", nargs="+", choices=(*METHODS, *TRUE_LEVEL, "degraded", "classical"),
                        help="what to score (default: noisy nlm bm3d network for noise, degraded classical "
                        "network for the other tasks); real noise also has nlm-true and bm3d-true, told "
                        "each test image's measured level")
    parser.add_argument("--data-root", help="the datasets' folder (default $DURN_DATA or the user cache)")
    parser.add_argument("--limit", type=positive_int, help="only the first N test images (a quick check)")
    parser.add_argument("--json", help="write the result, with every image's row, to this JSON file")
    parser.add_argument("--record", action="store_true",
                        help="store the result beside the shipped checkpoint named by --weights and put "
                        "the network's numbers into the registry (the whole test set only)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument("--tile", type=positive_int, help="restore in tiles of this size (pixels)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args: argparse.Namespace) -> None:
    """Run ``durn-teach compare`` on a noise protocol."""
    shipped = check_weights(args)
    gaussian = args.protocol in PROTOCOLS and bool(PROTOCOLS[args.protocol].sigmas)
    methods = check_methods(args, METHODS if gaussian else (*METHODS, *TRUE_LEVEL), METHODS)
    sigmas = args.sigmas or ([30.0, 50.0, 70.0] if gaussian else None)
    name = network_name(args, shipped)
    model, network = load_network(args, name, shipped) if "network" in methods else (None, None)
    result = compare(model, args.protocol, sigmas, methods=methods, root=args.data_root,
                     limit=args.limit, network=network, tile=args.tile, progress=not args.no_progress)
    write_result(args, result)


def check_weights(args: argparse.Namespace) -> bool:
    """Whether ``--weights`` names a shipped checkpoint; refuses ``--record`` where it cannot hold."""

    shipped = not Path(args.weights).is_file() and args.weights in pretrained.list_pretrained()
    if args.record and not shipped:
        raise ValueError(f"--record needs --weights to name a shipped checkpoint "
                         f"({', '.join(pretrained.list_pretrained()) or 'none'}), not {args.weights!r}")
    if args.record and args.limit is not None:
        raise ValueError("--record stores numbers of the whole test set: leave --limit out")
    return shipped


def check_methods(args: argparse.Namespace, valid: Sequence[str],
                  default: Sequence[str] | None = None) -> tuple[str, ...]:
    """``--methods`` (default: ``default``, else all of ``valid``), refusing those the protocol lacks."""
    methods = tuple(args.methods or default or valid)
    wrong = [method for method in methods if method not in valid]
    if wrong:
        raise ValueError(f"the protocol {args.protocol!r} has no method {', '.join(wrong)}; "
                         f"its methods: {', '.join(valid)}")
    return methods


def network_name(args: argparse.Namespace, shipped: bool) -> str:
    """``--model``, else the shipped checkpoint's network, else the protocol's."""

    if args.model is not None:
        return args.model
    if shipped:
        return pretrained.entry(args.weights)["network"]
    return PROTOCOLS[args.protocol].network if args.protocol in PROTOCOLS else "DuRN-P"


def load_network(args: argparse.Namespace, name: str, shipped: bool) -> tuple[nn.Module, dict[str, Any]]:
    """The network of ``--weights`` on ``--device``, and what the JSON says of it (name, weights, hash)."""

    device = pick_device(args.device)
    model = load_pretrained(name, args.weights, map_location=device)
    path = pretrained.weights_path(args.weights, name) if shipped else Path(args.weights)
    network = {"label": f"{name} ({args.weights})", "name": name, "weights": args.weights,
               "shipped": shipped, "sha256": sha256_of(path)}
    return model, network


def write_result(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Print a comparison, write its JSON (``--json``) and record it in the registry (``--record``)."""

    print(format_comparison(result))
    print(f"{result['seconds']:.0f} s in all")
    target = args.json
    if args.record and target is None:
        target = pretrained.FOLDER / f"{args.weights}.{args.protocol}.json"
    if target is not None:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {target}")
    if args.record:
        record_evaluation(args.weights, target)
        print(f"recorded the numbers of {args.weights!r} in {pretrained.FOLDER / pretrained.REGISTRY}")
