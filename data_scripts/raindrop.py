"""RainDrop (raindrop removal): train, test_a and test_b.

The zips are on a cloud drive linked from the DeRaindrop repository: pass them with --from-archive.

    python data_scripts/raindrop.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "raindrop", *sys.argv[1:]], prog="raindrop.py"))
