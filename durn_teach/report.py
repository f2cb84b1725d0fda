"""Tables and figures of the task chapters, read from the committed registry and comparisons.

Harness code that the chapters use but do not teach: a shipped checkpoint's registry entry as a
table, a ``durn-teach compare`` result as a table (with the paper's row where there is one),
the per-image scatter, and rows of images with their PSNR. Every number shown comes from a
committed file written by a command (``durn_teach.pretrained``), never typed in.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from durn_teach import pretrained
from durn_teach.crops import ROLES, read_crops
from durn_teach.evaluate import level_label
from durn_teach.metrics import paper_psnr_ssim
from durn_teach.train.presets import PRESETS


def html_table(header: list[str], rows: list[list[str]]) -> Any:
    """A table as HTML, which the book, Jupyter and Colab all render."""
    from IPython.display import HTML

    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return HTML(f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def duration(seconds: float) -> str:
    """``42 min`` or ``2.5 h``."""
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def checkpoint_table(name: str) -> Any:
    """A shipped checkpoint's registry entry: network, data, each sitting's command, steps, time, file."""
    entry = pretrained.entry(name)
    settings = entry["settings"]
    stages = entry.get("stages", [entry])
    rows = [["network", entry["network"]], ["data", escape(entry["data"])]]
    for k, stage in enumerate(stages, 1):
        label = f"sitting {k} of {len(stages)}" if len(stages) > 1 else "command"
        rows.append([label, f"<code>{escape(stage['command'])}</code><br>{stage['steps']:,} steps, "
                     f"{duration(stage['training_seconds'])}, lr {stage['settings']['lr']:g} "
                     f"({stage['settings']['schedule']})"])
    where = "the repository's <code>weights/</code> folder, downloaded once by an installed package" \
        if entry.get("url") else "the package"
    steps = settings["local_steps"]
    repeats = f", {steps} steps per batch" if steps > 1 else ""
    unfinished = "" if entry["finished"] else " (an unfinished run: exported before its last epoch)"
    rows += [
        ["steps", f"{entry['steps']:,} in batches of {settings['batch']} ({settings['crop']}x"
                  f"{settings['crop']} crops{repeats}), {entry['epochs']} of the preset's "
                  f"{entry['preset_epochs']} epochs{unfinished}"],
        ["training time", f"{duration(entry['training_seconds'])} of training epochs "
                          "(validation not counted)"],
        ["device, precision", devices(stages)],
        ["file", f"<code>{entry['file']}</code>, {entry['bytes'] / 1e6:.1f} MB, in {where}"],
        ["SHA-256", f"<code>{entry['sha256']}</code>"],
    ]
    return html_table(["", name], rows)


def devices(stages: list[dict[str, Any]]) -> str:
    """Each sitting's device and precision, said once where all sittings agree."""
    each = [f"{stage['device']}, {stage['precision']}" for stage in stages]
    if len(set(each)) == 1:
        return each[0]
    return "; ".join(f"{where} (sitting {k})" for k, where in enumerate(each, 1))


def sittings(name: str, presets: tuple[str, ...] = ()) -> str:
    """What each sitting of a shipped checkpoint changed from the paper: the docstrings of the
    presets its registry entry lists (or of ``presets``), each under its name."""
    names = presets or tuple(dict.fromkeys(pretrained.sitting_presets(name)))
    return "\n".join(f"{preset}:\n    {(PRESETS[preset].__doc__ or '').strip()}\n" for preset in names)


def comparison_table(result: dict[str, Any], published: tuple[float, float] | None = None,
                     paper_label: str = "") -> Any:
    """A comparison's mean PSNR / SSIM per method (and the seconds each took), one column per level;
    ``published``: a row of the paper's, for every level or, as a dict, per level (``–`` elsewhere)."""
    levels = list(result["results"])
    header = ["method"] + [f"{level_label(level)}: PSNR / SSIM" for level in levels] + ["seconds"]
    rows = []
    for method, described in result["methods"].items():
        scores = [result["results"][level][method] for level in levels]
        cells = [f"{score['psnr']:.2f} / {score['ssim']:.4f}" for score in scores]
        seconds = sum(score["seconds"] for score in scores)
        rows.append([escape(described["label"]), *cells, f"{seconds:.0f}"])
    if published:
        per_level = published if isinstance(published, dict) else dict.fromkeys(levels, published)
        cells = [f"<i>{per_level[level][0]:.2f} / {per_level[level][1]:.4f}</i>" if level in per_level
                 else "–" for level in levels]
        rows.append([f"<i>{escape(paper_label)}</i>", *cells, ""])
    return html_table(header, rows)


def notes(result: dict[str, Any], name: str) -> list[str]:
    """What a committed comparison of a shipped checkpoint must say of itself: a partial run
    (``--limit``), or numbers of other weights than those that ship."""
    found = []
    if result.get("limit") is not None:
        found.append(f"**Partial run**: the first {result['images']} test images only (`--limit "
                     f"{result['limit']}`); the full run replaces it.")
    if result["methods"].get("network", {}).get("sha256") != pretrained.entry(name)["sha256"]:
        found.append("**Stale**: these numbers are of other weights than the shipped ones.")
    return found


def machine_line(result: dict[str, Any]) -> str:
    """When, how long and on what a comparison ran, with the versions that matter."""
    machine = result["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in result["versions"].items())
    return (f"measured {result['date']} in {result['seconds'] / 60:.0f} min on {machine['processor']} "
            f"({machine['cpu_count']} cores, {machine['device']}); {versions}")


def tuning_table(result: dict[str, Any], method: str) -> Any:
    """A classical method's levels scored on the training pairs, the chosen one in bold."""
    tuning = result["methods"][method]["tuning"]
    rows = []
    for level in tuning["grid"]:
        score = tuning["scores"][f"{level:g}"]
        cells = [f"{level:g}", f"{score['psnr']:.2f}", f"{score['ssim']:.4f}"]
        rows.append([f"<b>{cell}</b>" for cell in cells] if level == tuning["chosen"] else cells)
    label = escape(result["methods"][method]["label"])
    header = [f"{label}: level (0–255)", f"PSNR on {tuning['training_pairs']} training pairs", "SSIM"]
    return html_table(header, rows)


def show_crops(protocol: str, space: str = "rgb") -> Any:
    """The committed crops of a test set (``durn-teach crops``), a row per image: noisy, the
    classical method, the network and the clean image, titled with their PSNR on the crop."""
    import matplotlib.pyplot as plt

    index, images = read_crops(protocol)
    labels = {"noisy": "noisy", "classical": f"{index['classical']['label']} (level "
              f"{index['classical']['level']:g})", "network": index["network"], "clean": "clean"}
    figure, axes = plt.subplots(len(images), len(ROLES), figsize=(3 * len(ROLES), 3.2 * len(images)),
                                squeeze=False)
    for row, item in zip(axes, index["images"], strict=True):
        shown = {labels[role]: images[item["name"]][role] for role in ROLES}
        show_images(row, shown, images[item["name"]]["clean"], space)
        scene = Path(item["name"]).stem.removesuffix("_mean")
        row[0].set_title(f"{scene}\n{row[0].get_title()}", fontsize=8)
    figure.suptitle(f"{index['test_set']}: the central {index['size']}x{index['size']} pixels of three test "
                    f"images. Images: {index['credit']}", fontsize=8)
    figure.tight_layout()
    return figure


def scatter(result: dict[str, Any], ax: Any, level: str | None = None, over: str = "degraded") -> None:
    """Every test image: the PSNR of each method against that of the degraded input."""
    level = level or next(iter(result["results"]))
    methods = result["results"][level]
    base = np.array([row["psnr"] for row in methods[over]["rows"]])
    for method, marker in zip([m for m in methods if m != over], "os^", strict=False):
        ax.scatter(base, [row["psnr"] for row in methods[method]["rows"]], marker=marker, s=22,
                   label=result["methods"][method]["label"])
    top = max(row["psnr"] for scores in methods.values() for row in scores["rows"])
    low, high = base.min() - 1, top + 1
    ax.plot([low, high], [low, high], "k--", lw=0.8, label="no change")
    ax.set(xlabel=f"PSNR of the {result['methods'][over]['label']} (dB)", ylabel="PSNR after (dB)",
           title=f"{result['test_set']}: {result['images']} images, one point each")
    ax.legend(fontsize=8)


def show_images(axes: Any, images: dict[str, np.ndarray], clean: np.ndarray | None = None,
                space: str = "y") -> None:
    """Images in a row of axes, titled with their PSNR (``space``) against ``clean`` where it is given
    (and the image has its shape: a mask is shown without one)."""
    for ax, (label, image) in zip(axes, images.items(), strict=True):
        shown = np.clip(image, 0, 1)
        ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1)
        if clean is not None and image is not clean and image.shape == clean.shape:
            label = f"{label}\n{paper_psnr_ssim(image, clean, space)[0]:.2f} dB"
        ax.set_title(label, fontsize=9)
        ax.axis("off")
