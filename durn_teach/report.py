"""Tables and figures of the task chapters, read from the committed registry and comparisons.

Harness code that the chapters use but do not teach: a shipped checkpoint's registry entry as a
table, a ``durn-teach compare`` result as a table (with the paper's row where there is one),
the per-image scatter, and rows of images with their PSNR. Every number shown comes from a
committed file written by a command (``durn_teach.pretrained``), never typed in.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from durn_teach import pretrained
from durn_teach.compare import level_label
from durn_teach.metrics import paper_psnr_ssim


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
        ["device, precision", f"{entry['device']}, {entry['precision']}"],
        ["file", f"<code>{entry['file']}</code>, {entry['bytes'] / 1e6:.1f} MB, in {where}"],
        ["SHA-256", f"<code>{entry['sha256']}</code>"],
    ]
    return html_table(["", name], rows)


def comparison_table(result: dict[str, Any], published: tuple[float, float] | None = None,
                     paper_label: str = "") -> Any:
    """A comparison's mean PSNR / SSIM per method (and the seconds each took), one column per level."""
    levels = list(result["results"])
    header = ["method"] + [f"{level_label(level)}: PSNR / SSIM" for level in levels] + ["seconds"]
    rows = []
    for method, described in result["methods"].items():
        scores = [result["results"][level][method] for level in levels]
        cells = [f"{score['psnr']:.2f} / {score['ssim']:.4f}" for score in scores]
        seconds = sum(score["seconds"] for score in scores)
        rows.append([escape(described["label"]), *cells, f"{seconds:.0f}"])
    if published is not None:
        paper = f"<i>{published[0]:.2f} / {published[1]:.4f}</i>"
        rows.append([f"<i>{escape(paper_label)}</i>", *[paper] * len(levels), ""])
    return html_table(header, rows)


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
