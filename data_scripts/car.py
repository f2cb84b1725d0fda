"""The Car dataset (motion blur): 1151 blurred/sharp test pairs.

No official download location is known to this project: pass the folders with --from-archive.

    python data_scripts/car.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "car", *sys.argv[1:]], prog="car.py"))
