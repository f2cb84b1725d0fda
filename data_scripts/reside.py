"""RESIDE ITS (training) and SOTS indoor (test), for haze removal.

The archives are behind the RESIDE page: pass both (ITS and SOTS) with --from-archive.

    python data_scripts/reside.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "reside", *sys.argv[1:]], prog="reside.py"))
