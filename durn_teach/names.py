"""The release's file names: its split lists and the names of PolyU's official crops.

The split lists are the image names of each split in the authors' release, in its order
(``durn_teach/splits/<folder>/<split>.txt``; the course's own Rain100L split from
``tools/split_rain100l.py``). This module imports nothing else of the package, so the datasets
(``durn_teach.data``) and the fetching (``durn_teach.data.download``) can both read it.
"""

from __future__ import annotations

import re
from importlib import resources


def split_names(folder: str, split: str) -> list[str]:
    """The image names of one split, in the release's order (``durn_teach/splits/<folder>/<split>.txt``)."""
    splits = resources.files("durn_teach").joinpath("splits")
    if not splits.joinpath(folder).is_dir():
        valid = sorted(p.name for p in splits.iterdir() if p.is_dir())
        raise ValueError(f"no split files for {folder!r}; valid: {', '.join(valid)}")
    path = splits.joinpath(folder, f"{split}.txt")
    if not path.is_file():
        valid = sorted(p.name.removesuffix(".txt") for p in splits.joinpath(folder).iterdir())
        raise ValueError(f"unknown split {split!r} for {folder}; valid: {', '.join(valid)}")
    return path.read_text().split()


POLYU_CAMERAS = {"Canon5D2": "Canon5D2", "Canon80D": "Canon80D", "Canon600D": "Canon600",
                 "NikonD800": "Nikon800", "Sony": "SonyA7II"}
POLYU_SCENES = {"planandsofa": "plaso"}
POLYU_CROP = re.compile(r"^([A-Za-z0-9]+)_[^_]+_[^_]+_[^_]+_([A-Za-z]+)_+(\d+)_(real|mean)\.JPG$")
POLYU_FULL = re.compile(r"^(.+)_(Real|mean)\.JPG$")


def polyu_scene(crop_name: str) -> str:
    """The release's scene name (``Nikon800_plant``) of an official 512x512 crop's file name."""
    match = POLYU_CROP.match(crop_name)
    if match is None or match.group(1) not in POLYU_CAMERAS:
        raise ValueError(
            f"{crop_name!r} is not a PolyU crop name such as 'NikonD800_6-3_125_5000_plant_10_real.JPG' "
            "(camera_aperture_shutter_iso_scene_k_real|mean.JPG)"
        )
    scene = match.group(2)
    return f"{POLYU_CAMERAS[match.group(1)]}_{POLYU_SCENES.get(scene, scene[:5])}"
