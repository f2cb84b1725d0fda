"""DCPDN's synthetic haze data: h5 pairs, 4000 train / 401 TestA.

The data is on a cloud drive linked from the DCPDN repository: pass it with --from-archive.

    python data_scripts/dcpdn.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "dcpdn", *sys.argv[1:]], prog="dcpdn.py"))
