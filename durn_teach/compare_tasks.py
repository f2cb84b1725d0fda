"""A network against the classical method of chapter 8 on the restoration tasks, in one run.

``durn-teach compare rain100l --weights rain-streak`` (and the raindrop protocols) scores the
degraded input, chapter 8's classical method for the task and the network on the same test
images with the paper's metric (Liu et al., CVPR 2019, Sec. 5: Y of YCrCb for rain). The
classical method's parameter is chosen on training data only, never on the test set: every
value of its grid is scored on pairs drawn with fixed seeds from the data the network trained
on, and the best mean PSNR wins; the grid, each value's score and the choice go into the JSON.
"""

from __future__ import annotations

import argparse
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from torch import nn
from tqdm import tqdm

from durn_teach.baselines import dehaze_dark_channel, median, opening, richardson_lucy, wiener
from durn_teach.compare import check_methods, check_weights, load_network, network_name, write_result
from durn_teach.compare import main as compare_noise
from durn_teach.data import get_dataset
from durn_teach.data.loader import sample_rng
from durn_teach.evaluate import PROTOCOLS, Protocol, as_image, evaluate, get_protocol, test_set
from durn_teach.machine import machine, versions
from durn_teach.metrics import paper_psnr_ssim


@dataclass(frozen=True)
class Baseline:
    """A classical method of chapter 8 with one parameter, and the training pairs that choose it.

    ``run(degraded, **{parameter: value}, **told)``: ``told`` names what the method is given
    about each image beyond the image itself (the true blur ``kernel``), from the dataset.
    """

    key: str
    label: str
    parameter: str
    grid: tuple[float, ...]
    run: Callable[..., np.ndarray]
    how: str
    choose_on: tuple[tuple[str, dict[str, Any]], ...]  # (dataset, options) of the training split
    told: tuple[str, ...] = ()
    choose_count: int = 24
    choose_crop: int = 256

    def restore(self, degraded: np.ndarray, value: float, known: dict[str, Any]) -> np.ndarray:
        """The method with its parameter at ``value``, told ``known[name]`` for each name in ``told``."""
        missing = [name for name in self.told if name not in known]
        if missing:
            raise ValueError(f"{self.label} must be told {', '.join(missing)}, which this test set "
                             "does not give")
        return self.run(degraded, **{self.parameter: value}, **{name: known[name] for name in self.told})


def dark_channel_prior(hazy: np.ndarray, omega: float) -> np.ndarray:
    """Chapter 8's dark-channel-prior dehazer, the dehazed image only (``omega``: haze kept is 1 - omega)."""
    return dehaze_dark_channel(hazy, omega=omega)[0]


RAIN_TRAINING = (("rain100l", {}), ("raintrainh", {}))
DROP_TRAINING = (("photos", {"degradation": "raindrops-real"}),)  # drops like the real pairs' ones
BLUR_TRAINING = (("photos", {"degradation": "motion-blur"}),)
HAZE_TRAINING = (("photos", {"degradation": "haze"}),)
# Each task's classical methods of chapter 8: the first is the method "classical", any other is
# scored under its own key.
BASELINES: dict[str, tuple[Baseline, ...]] = {
    "rain streaks": (Baseline(
        "opening", "opening (chapter 8)", "width", (3, 5, 7, 9), opening,
        "grey opening with a horizontal segment (scipy.ndimage.grey_opening), per channel", RAIN_TRAINING),),
    "raindrops": (Baseline(
        "median", "median filter (chapter 8)", "size", (3, 5, 7, 9), median,
        "median filter over a size x size window (scipy.ndimage.median_filter), per channel",
        DROP_TRAINING),),
    "motion blur": (
        Baseline("wiener", "Wiener, true kernel (chapter 8)", "balance", (0.003, 0.01, 0.03, 0.1), wiener,
                 "scikit-image's Wiener deconvolution of the mirrored image, per channel, given each "
                 "image's true kernel", BLUR_TRAINING, told=("kernel",)),
        Baseline("richardson-lucy", "Richardson-Lucy, true kernel (chapter 8)", "iterations", (5, 10, 20, 40),
                 richardson_lucy, "scikit-image's Richardson-Lucy deconvolution with a reflected margin, "
                 "per channel, given each image's true kernel", BLUR_TRAINING, told=("kernel",)),
    ),
    "haze": (Baseline(
        "dark-channel", "dark channel prior (chapter 8)", "omega", (0.75, 0.85, 0.95), dark_channel_prior,
        "He et al.'s dark channel prior, 15 px patches, refined by the guided filter (radius 20), "
        "transmission floor 0.1; omega sets the haze kept (1 - omega)", HAZE_TRAINING),),
}
DEGRADED_LABEL = {"rain streaks": "rainy input", "raindrops": "rainy input", "motion blur": "blurred input",
                  "haze": "hazy input"}
METHODS = ("degraded", "classical", "network")


def task_protocols() -> list[str]:
    """The protocols this comparison takes: those of a task with a classical method here."""
    return [name for name, protocol in PROTOCOLS.items() if protocol.task in BASELINES]


Pair = tuple[np.ndarray, np.ndarray, dict[str, Any]]  # (degraded, clean, what a method may be told)


def known(data: Any, key: int | tuple[int, int]) -> dict[str, Any]:
    """What a non-blind method may be told about sample ``key`` of ``data`` (nothing, for most sets)."""
    return data.known(key) if hasattr(data, "known") else {}


def draw(data: Any, key: tuple[int, int]) -> Pair:
    """Sample ``key`` of ``data`` as arrays with what a method may be told about it, degraded once."""
    if hasattr(data, "sample"):  # the degraded photographs: image and kernel from one draw
        index, rng = sample_rng(key)
        degraded, clean, told = data.sample(data.items[index], rng)
        return np.ascontiguousarray(degraded), np.ascontiguousarray(clean), told
    degraded, clean = data[key][:2]
    return as_image(degraded), as_image(clean), {}


def drop_look(degraded: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    """How drops change a photograph (chapter 14), from the pair alone: ``covered``, the share of
    pixels whose mean absolute difference over the channels, averaged over 15x15 px, exceeds 0.15;
    ``brighter``, the mean signed difference there; ``sharpness``, the mean absolute Laplacian of
    the rainy image over the clean one's where that difference stays under 0.03 (the view
    through the glass, away from the drops; nan where there is no such detail)."""
    change = ndimage.uniform_filter(np.abs(degraded - clean).mean(-1), 15)
    covered, clear = change > 0.15, change < 0.03

    def detail(image: np.ndarray) -> float:
        return float(np.abs(ndimage.laplace(image.mean(-1)))[clear].mean()) if clear.any() else 0.0

    rainy, plain = detail(degraded), detail(clean)  # nan where the clean view has no detail to compare
    return {"covered": float(covered.mean()),
            "brighter": float((degraded - clean).mean(-1)[covered].mean()) if covered.any() else 0.0,
            "sharpness": rainy / plain if plain > 0 else float("nan")}


def training_sets(baseline: Baseline, photos: dict[str, Any] | None = None
                  ) -> list[tuple[str, dict[str, Any]]]:
    """The (dataset, options) whose training split chooses the parameter; ``photos``: the options
    of a protocol on degraded photographs, so that its method is chosen on the same degradation."""
    return [(name, {**options, **(photos or {})} if name == "photos" else options)
            for name, options in baseline.choose_on]


def choice_pairs(baseline: Baseline, root: str | Path | None, crop: int | None = None,
                 photos: dict[str, Any] | None = None) -> list[Pair]:
    """The training pairs that choose the parameter: ``choose_count`` crops (``crop``, default the
    baseline's ``choose_crop``) drawn with fixed seeds, of :func:`training_sets`."""
    crop = crop or baseline.choose_crop
    sets = [get_dataset(name, root=root, split="train", crop_size=crop, **options)
            for name, options in training_sets(baseline, photos)]
    pairs = []
    for index in range(baseline.choose_count):
        data = sets[index % len(sets)]
        pairs.append(draw(data, (index // len(sets) % len(data), 20190601 + index)))
    return pairs


def choose_parameter(baseline: Baseline, pairs: list[Pair], space: str) -> tuple[float, dict[str, float]]:
    """The grid value with the best mean PSNR on ``pairs`` (training data), and every value's score."""
    scores = {}
    for value in baseline.grid:
        psnrs = [paper_psnr_ssim(baseline.restore(degraded, value, told), clean, space)[0]
                 for degraded, clean, told in pairs]
        scores[str(value)] = round(float(np.mean(psnrs)), 4)
    best = max(baseline.grid, key=lambda value: scores[str(value)])
    return best, scores


def describe_choice(baseline: Baseline, best: float, scores: dict[str, float], pairs: list[Pair],
                    crop: int, photos: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON record of a classical method: what it is, its grid, the training pairs, the choice."""
    training = " and ".join(f"{name} ({options['degradation']})" if "degradation" in options else name
                            for name, options in training_sets(baseline, photos))
    return {
        "label": f"{baseline.label}, {baseline.parameter} {best}", "key": baseline.key,
        "how": baseline.how, "parameter": baseline.parameter, "grid": list(baseline.grid),
        "told": list(baseline.told), "chosen": best,
        "chosen_on": f"{len(pairs)} training pairs of {training} ({crop}x{crop} crops drawn with fixed "
                     "seeds), never the test set",
        "training_psnr": scores}


def score_classical(baseline: Baseline, value: float, items: list[tuple], told: list[dict[str, Any]],
                    spec: Protocol, progress: bool) -> dict[str, Any]:
    """A classical method on the test images, each told what ``baseline.told`` names about it
    (``told[i]``: what is known of ``items[i]``)."""
    if not baseline.told:
        return evaluate(lambda image: baseline.restore(image, value, {}), spec, dataset=items,
                        progress=progress)
    rows = []
    for item, known_here in zip(tqdm(items, desc=f"{spec.name} {baseline.key}", unit="image",
                                     disable=not progress), told, strict=True):
        restorer = lambda image, known_here=known_here: baseline.restore(image, value, known_here)  # noqa: E731
        rows += evaluate(restorer, spec, dataset=[item], progress=False)["rows"]
    means = {key: float(np.mean([row[key] for row in rows])) for key in ("psnr", "ssim")}
    return {**means, "rows": rows}


def compare_task(
    model: nn.Module | None,
    protocol: str,
    *,
    methods: tuple[str, ...] = METHODS,
    root: str | Path | None = None,
    limit: int | None = None,
    network: dict[str, Any] | None = None,
    tile: int | None = None,
    choice_crop: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score the degraded input, the task's classical methods and the network on ``protocol``.

    ``methods``: ``classical`` stands for all of the task's methods of chapter 8 (``BASELINES``);
    the first is scored as ``classical``, any other under its own key (``richardson-lucy``).
    ``choice_crop``: the side of the training crops that choose each classical method's
    parameter (default 256).
    Returns the JSON-ready dict of ``durn_teach.compare.compare`` (``results[level][method]``
    with mean ``psnr``, ``ssim``, ``seconds`` and ``rows``), one level: ``"real pairs"`` for real
    pairs, ``"synthetic"`` for a synthetic test set; ``methods`` records each classical
    method's grid, the training pairs that chose it, each value's score and the choice.
    """
    if protocol not in task_protocols():
        raise ValueError(f"unknown protocol {protocol!r} for a restoration task; valid: "
                         f"{', '.join(task_protocols())}")
    unknown = [method for method in methods if method not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown methods {unknown}; the methods are: {', '.join(METHODS)}")
    if "network" in methods and model is None:
        raise ValueError("the method 'network' needs a model")
    spec = get_protocol(protocol)
    started, clock = datetime.datetime.now(datetime.UTC), time.perf_counter()
    data = test_set(spec, root, None, limit)
    count = len(data) if limit is None else min(limit, len(data))
    items = [data[index] for index in range(count)]
    level = "synthetic" if spec.dataset == "photos" else "real pairs"
    described: dict[str, Any] = {}
    results: dict[str, Any] = {}
    told: list[dict[str, Any]] = []  # what is known of each test image, drawn once if a method needs it
    for method in methods:
        if method == "classical":
            for rank, baseline in enumerate(BASELINES[spec.task]):
                if baseline.told and not told:
                    told = [known(data, index) for index in range(count)]
                tick = time.perf_counter()
                photos = spec.options if spec.dataset == "photos" else None
                pairs = choice_pairs(baseline, root, choice_crop, photos)
                best, scores = choose_parameter(baseline, pairs, spec.space)
                key = "classical" if rank == 0 else baseline.key
                described[key] = describe_choice(baseline, best, scores, pairs,
                                                 choice_crop or baseline.choose_crop, photos)
                scored = score_classical(baseline, best, items, told, spec, progress)
                results[key] = {"psnr": scored["psnr"], "ssim": scored["ssim"],
                                "seconds": round(time.perf_counter() - tick, 2), "rows": scored["rows"]}
            continue
        tick = time.perf_counter()
        if method == "degraded":
            restorer: Any = lambda image: image  # noqa: E731
            described[method] = {"label": DEGRADED_LABEL[spec.task], "how": "the degraded input itself"}
        else:
            restorer = model
            described[method] = {"label": (network or {}).get("label", "network"), **(network or {})}
        scored = evaluate(restorer, spec, dataset=items, tile=tile if method == "network" else None,
                          progress=progress)
        results[method] = {"psnr": scored["psnr"], "ssim": scored["ssim"],
                           "seconds": round(time.perf_counter() - tick, 2), "rows": scored["rows"]}
        if method == "degraded" and spec.task == "raindrops":
            looks = [drop_look(as_image(item[0]), as_image(item[1])) for item in items]
            results[method]["look"] = {key: float(np.nanmean([look[key] for look in looks]))
                                       for key in looks[0]}
    title = getattr(data, "title", protocol)
    return {
        "kind": "durn-teach comparison",
        "protocol": protocol,
        "task": spec.task,
        "test_set": title,
        "note": spec.note,
        "images": len(items),
        "limit": limit,
        "sigmas": [],
        "metric": f"durn_teach.metrics.paper_psnr_ssim, {spec.space}: clipped to [0, 1], x255, "
                  f"truncated to 8 bits, scikit-image PSNR (data range 255) and SSIM",
        "colour_order": "bgr" if spec.bgr else "rgb",
        "methods": described,
        "results": {level: results},
        "date": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - clock, 1),
        "machine": machine(str(next(model.parameters()).device) if model is not None else "cpu"),
        "versions": versions(),
    }


def main(args: argparse.Namespace) -> None:
    """Run ``durn-teach compare``: a restoration task's protocol here, a noise protocol in ``compare``."""
    if args.protocol not in task_protocols():
        compare_noise(args)
        return
    shipped = check_weights(args)
    methods = check_methods(args, METHODS)
    name = network_name(args, shipped)
    model, network = load_network(args, name, shipped) if "network" in methods else (None, None)
    result = compare_task(model, args.protocol, methods=methods, root=args.data_root, limit=args.limit,
                          network=network, tile=args.tile, progress=not args.no_progress)
    write_result(args, result)
