"""DDN data (rain streaks): 1000 clean images with 14 rainy versions each.

The data is linked from the DDN project page: pass it with --from-archive.

    python data_scripts/ddn.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "ddn", *sys.argv[1:]], prog="ddn.py"))
