"""Derive the package's split files from the authors' release lists.

The release of Liu et al. (MIT licence) ships one list of image names per dataset split in
``lists/<dataset>/``. This script copies them, in their order (the release trained without
shuffling), one name per line, into ``durn_teach/splits/<dataset>/<split>.txt`` under the split
names the loaders use, with the release's licence beside them:

    python tools/derive_splits.py PATH/TO/DualResidualNetworks/lists
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ROOT / "durn_teach" / "splits"

# (release folder, release list) -> (package folder, split name)
DERIVATION = {
    ("BSD_gray", "train_list.txt"): ("BSD_gray", "train"),
    ("BSD_gray", "testlist.txt"): ("BSD_gray", "test"),
    ("RealNoiseHKPoly", "train_list.txt"): ("RealNoiseHKPoly", "train"),
    ("RealNoiseHKPoly", "test_list.txt"): ("RealNoiseHKPoly", "test"),
    ("RealNoiseHKPoly", "test1_list.txt"): ("RealNoiseHKPoly", "test1"),
    ("GoPro", "train_list.txt"): ("GoPro", "train"),
    ("GoPro", "test_list.txt"): ("GoPro", "test"),
    ("CarDataset", "test_list.txt"): ("CarDataset", "test"),
    ("RESIDE_indoor", "train_list.txt"): ("RESIDE", "train"),
    ("RESIDE_indoor", "sots_test_list.txt"): ("RESIDE", "test"),
    ("DCPDNData", "train_list.txt"): ("DCPDNData", "train"),
    ("DCPDNData", "testA_list.txt"): ("DCPDNData", "test"),
    ("RainDrop", "train_list.txt"): ("RainDrop", "train"),
    ("RainDrop", "test_a_list.txt"): ("RainDrop", "test_a"),
    ("RainDrop", "test_b_list.txt"): ("RainDrop", "test_b"),
    ("DIDMDN_Data", "trainlist.txt"): ("DIDMDN_Data", "train"),
    ("DIDMDN_Data", "testlist.txt"): ("DIDMDN_Data", "test"),
    ("DDN_Data", "trainlist.txt"): ("DDN_Data", "train"),
    ("DDN_Data", "testlist.txt"): ("DDN_Data", "test"),
    ("DDN_Data_b", "trainlist.txt"): ("DDN_Data", "train_b"),
    ("DDN_Data_b", "testlist.txt"): ("DDN_Data", "test_b"),
}


def names(path: Path) -> list[str]:
    """The image names of a release list: first field of each non-empty line."""
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lists", type=Path, help="the release's lists/ folder")
    args = parser.parse_args(argv)
    for (folder, listname), (target, split) in DERIVATION.items():
        source = args.lists / folder / listname
        out = SPLITS / target / f"{split}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(names(source)) + "\n")
        print(f"{out.relative_to(ROOT)}: {len(names(source))} names from {folder}/{listname}")
    shutil.copyfile(args.lists / "LICENSE", SPLITS / "LICENSE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
