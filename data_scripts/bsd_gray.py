"""BSD gray: BSDS500's 300 train+val and 200 test images as gray PNGs (Gaussian noise).

Downloads BSR_bsds500.tgz from Berkeley, converts it to gray PNGs in BSD_gray/{train_and_val,test}/.

    python data_scripts/bsd_gray.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "bsd-gray", *sys.argv[1:]], prog="bsd_gray.py"))
