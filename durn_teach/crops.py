"""Small crops of real test images for the book's figures, written from a committed comparison.

The book shows at most three small crops (256 px or less) of a test set whose terms allow
teaching use, kept as files beside the dataset's own notice. ``durn-teach crops`` writes them
for a shipped checkpoint's committed ``durn-teach compare`` result: three test images, those
at the quartiles of the network's margin over the classical method (so that none is chosen
for looking good), and of each the central region of the noisy input, the classical method
at the level the comparison chose on training pairs, the network and the clean image, with
their PSNR / SSIM on the region (the paper's metric, Liu et al., CVPR 2019, Sec. 5).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from durn_teach import pretrained
from durn_teach.arguments import positive_int
from durn_teach.compare import bm3d_denoise, centre, non_local_means
from durn_teach.evaluate import as_image, get_protocol, test_set
from durn_teach.inference import restore
from durn_teach.metrics import paper_psnr_ssim
from durn_teach.models import load_pretrained

# The test sets whose terms allow their crops in a course, with the file of the dataset's
# notice that goes beside them and the credit the figures give.
CROPPABLE = {
    "polyu-crops": {"notice": "License.txt", "credit": "PolyU real-world noisy images (Xu et al. 2018), "
                    "The Hong Kong Polytechnic University; non-commercial use (teaching, research)"},
}
ROLES = ("noisy", "classical", "network", "clean")
QUARTILES = (0.25, 0.5, 0.75)
INDEX = "crops.json"


def pick(result: dict[str, Any], classical: str = "bm3d", level: str = "real") -> list[str]:
    """The test images at the quartiles of the network's PSNR margin over ``classical``, by name."""
    scores = result["results"][level]
    margins = [(ours["psnr"] - theirs["psnr"], ours["name"])
               for ours, theirs in zip(scores["network"]["rows"], scores[classical]["rows"], strict=True)]
    ranked = [name for _, name in sorted(margins)]
    if len(ranked) < len(QUARTILES):
        raise ValueError(f"the comparison has {len(ranked)} test image(s); the crops need {len(QUARTILES)}")
    return [ranked[round(q * (len(ranked) - 1))] for q in QUARTILES]


def write_crops(model: Any, weights: str, protocol: str, out: str | Path, root: str | Path | None = None,
                size: int = 128, classical: str = "bm3d", folder: str | Path | None = None) -> dict[str, Any]:
    """Write the three crops of ``protocol``'s committed comparison of the shipped ``weights``.

    ``out`` gets ``<image>_<role>.png`` for each role (noisy, classical, network, clean), the
    dataset's notice and ``crops.json`` (what each file is, the level, the PSNR / SSIM); it is
    replaced only when every file is written. ``folder``: the shipped checkpoints' (default:
    the package's). Returns the index.
    """

    if protocol not in CROPPABLE:
        raise ValueError(f"crops are kept of test sets whose terms allow teaching use "
                         f"({', '.join(CROPPABLE)}), not {protocol!r}")
    if not 16 <= size <= 256:
        raise ValueError(f"--size is the crops' side in pixels, 16 to 256 (the book keeps small crops), "
                         f"got {size}")
    result = pretrained.evaluation(weights, protocol, folder)
    described = result["methods"].get(classical, {})
    if "tuning" not in described or "network" not in result["methods"]:
        raise ValueError(f"the committed comparison of {weights!r} on {protocol!r} has no {classical} with a "
                         f"level chosen on training pairs, or no network: run durn-teach compare {protocol} "
                         f"--weights {weights} --record first")
    level = described["tuning"]["chosen"]
    denoise = {"bm3d": bm3d_denoise, "nlm": non_local_means}[classical]
    spec = get_protocol(protocol)
    data = test_set(spec, root)
    names = pick(result, classical)
    by_name = {item.name: index for index, item in enumerate(data.items)}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} of the comparison not in {data.path}")
    index: dict[str, Any] = {
        "kind": "durn-teach crops", "protocol": protocol, "test_set": result["test_set"],
        "comparison": f"{weights}.{protocol}.json", "comparison_date": result["date"], "weights": weights,
        "sha256": result["methods"]["network"]["sha256"], "credit": CROPPABLE[protocol]["credit"],
        "classical": {"method": classical, "label": described["label"], "level": level},
        "network": result["methods"]["network"]["label"], "chosen": "the test images at the quartiles "
        f"({', '.join(f'{q:g}' for q in QUARTILES)}) of the network's PSNR margin over {described['label']}",
        "size": size, "images": [],
    }
    with tempfile.TemporaryDirectory(dir=Path(out).parent if Path(out).parent.is_dir() else None) as temp:
        for name in names:
            noisy, clean, _ = data[by_name[name]]
            noisy, clean = as_image(noisy), as_image(clean)
            outputs = {"noisy": noisy, "classical": denoise(noisy, level),
                       "network": restore(model, noisy), "clean": clean}
            stem = Path(name).stem.removesuffix("_mean")
            files, scores, region = {}, {}, []
            reference = centre(clean, size)[0]
            for role in ROLES:
                crop, region = centre(np.clip(outputs[role], 0, 1), size)
                files[role] = f"{stem}_{role}.png"
                Image.fromarray(np.round(crop * 255).astype(np.uint8)).save(Path(temp) / files[role])
                if role != "clean":
                    psnr, ssim = paper_psnr_ssim(crop, reference, spec.space)
                    scores[role] = {"psnr": round(psnr, 4), "ssim": round(ssim, 4)}
            index["images"].append({"name": name, "region": region, "files": files, "region_scores": scores})
        shutil.copyfile(data.path / CROPPABLE[protocol]["notice"], Path(temp) / "LICENSE.txt")
        (Path(temp) / INDEX).write_text(json.dumps(index, indent=1) + "\n")
        target = Path(out)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(temp, target)
    return index


def read_crops(protocol: str, folder: str | Path | None = None) -> tuple[dict[str, Any], dict[str, dict]]:
    """The committed crops of a test set: the index and, per image, each role's image in [0, 1]."""
    path = Path(folder) if folder is not None else pretrained.FOLDER / "crops" / protocol
    if not (path / INDEX).is_file():
        raise FileNotFoundError(f"no crops of {protocol!r} at {path}: write them with "
                                f"durn-teach crops {protocol}")
    index = json.loads((path / INDEX).read_text())
    images = {item["name"]: {role: np.asarray(Image.open(path / file), np.float32) / 255
                             for role, file in item["files"].items()} for item in index["images"]}
    return index, images


def add_crops_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``durn-teach crops`` options."""
    parser.add_argument("protocol", choices=list(CROPPABLE), metavar="PROTOCOL", help=", ".join(CROPPABLE))
    parser.add_argument("--weights", "--checkpoint", required=True,
                        help="the shipped checkpoint whose comparison is shown")
    parser.add_argument("--data-root", help="the datasets' folder (default $DURN_DATA or the user cache)")
    parser.add_argument("--out", help="the folder (default: durn_teach/pretrained/crops/PROTOCOL)")
    parser.add_argument("--size", type=positive_int, default=128,
                        help="the crops' side in pixels (default 128)")


def main(args: argparse.Namespace) -> None:
    """Run ``durn-teach crops``."""
    out = Path(args.out) if args.out else pretrained.FOLDER / "crops" / args.protocol
    model = load_pretrained(pretrained.entry(args.weights)["network"], args.weights)
    index = write_crops(model, args.weights, args.protocol, out, args.data_root, args.size)
    for item in index["images"]:
        scores = ", ".join(f"{role} {s['psnr']:.2f} dB" for role, s in item["region_scores"].items())
        print(f"{item['name']}: {scores}")
    print(f"wrote {len(index['images'])} crops of {args.protocol} to {out}")
