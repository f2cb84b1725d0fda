"""Derive the course's train/test split of Rain100L, with no background on both sides.

The 100 Rain100L pairs are a test set in the literature; the course trains DuRN-S on part of
them and tests on the rest, so the split must hold out whole backgrounds: pairs whose clean
images are identical, or crops of the same CBSD68 photograph, go to the same side. The pairs
named ``test_*`` (the redistribution's own five) are on the test side; further background
groups are drawn with a fixed seed until the test side holds ``--test`` pairs:

    python tools/split_rain100l.py DATA/Rain100L DATA/CBSD68
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "durn_teach" / "splits" / "Rain100L"


def crop_source(target: np.ndarray, photos: dict[str, np.ndarray]) -> str | None:
    """The CBSD68 photograph ``target`` is an exact crop of (in any 90-degree rotation), if any."""
    h, w = target.shape[:2]
    for name, photo in photos.items():
        for view in (photo, np.rot90(photo, 1), np.rot90(photo, -1)):
            height, width = view.shape[:2]
            for dy in range(max(height - h + 1, 0)):
                for dx in range(max(width - w + 1, 0)):
                    if np.array_equal(view[dy : dy + h, dx : dx + w], target):
                        return name
    return None


def background_groups(rain100l: Path, cbsd68: Path) -> list[list[str]]:
    """The pair names grouped by background (identical clean image or the same CBSD68 source)."""
    photos = {p.name: np.asarray(Image.open(p).convert("RGB")) for p in sorted(cbsd68.glob("*.png"))}
    key_of: dict[str, str] = {}
    for path in sorted((rain100l / "target").glob("*.png")):
        target = np.asarray(Image.open(path).convert("RGB"))
        source = crop_source(target, photos)
        key_of[path.name] = f"cbsd68:{source}" if source else hashlib.sha256(target.tobytes()).hexdigest()
    groups: dict[str, list[str]] = {}
    for name, key in key_of.items():
        groups.setdefault(key, []).append(name)
    return sorted(groups.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rain100l", type=Path, help="Rain100L folder with input/ and target/")
    parser.add_argument("cbsd68", type=Path, help="CBSD68 folder (its 68 PNGs)")
    parser.add_argument("--test", type=int, default=20, help="pairs on the test side (default 20)")
    args = parser.parse_args(argv)
    groups = background_groups(args.rain100l, args.cbsd68)
    test = [g for g in groups if any(n.startswith("test_") for n in g)]
    rest = [g for g in groups if g not in test]
    for index in np.random.default_rng(0).permutation(len(rest)):
        if sum(map(len, test)) >= args.test:
            break
        test.append(rest[index])
    test_names = sorted(n for g in test for n in g)
    train_names = sorted(n for g in groups if g not in test for n in g)
    OUT.mkdir(parents=True, exist_ok=True)
    for split, chosen in (("train", train_names), ("test", test_names)):
        (OUT / f"{split}.txt").write_text("\n".join(chosen) + "\n")
        print(f"{split}: {len(chosen)} pairs")
    print(f"{len(groups)} backgrounds; none on both sides")
    return 0


if __name__ == "__main__":
    sys.exit(main())
