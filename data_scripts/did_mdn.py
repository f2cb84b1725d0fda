"""DID-MDN (rain streaks): three rain densities for training, 1200 test pairs.

The data is on a cloud drive linked from the DID-MDN repository: pass it with --from-archive.

    python data_scripts/did_mdn.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "did-mdn", *sys.argv[1:]], prog="did_mdn.py"))
