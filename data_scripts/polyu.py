"""PolyU real-world noise: the 40 full-size scenes (30 train / 10 test) and the 100 crops.

Downloads the dataset's GitHub repository (the crops); the full-size scenes come from the
dataset's Google Drive link, by hand, with --from-archive.

    python data_scripts/polyu.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "polyu", *sys.argv[1:]], prog="polyu.py"))
