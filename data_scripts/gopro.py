"""GoPro (motion blur): GOPRO_Large, 2103 train / 1111 test pairs.

The archive is on a cloud drive: the script prints the page; pass the zip with --from-archive.

    python data_scripts/gopro.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "gopro", *sys.argv[1:]], prog="gopro.py"))
