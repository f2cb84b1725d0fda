"""CBSD68: the colour versions of the 68 BSD68 test images (Berkeley BSDS300 test set).

Downloads the 68 PNGs, each checked against its recorded SHA-256, from github cszn/IRCNN at
commit d9dcd53 (testsets/CBSD68) into CBSD68/ (official page:
https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/bsds/; non-commercial research and
education). Rain100L, Rain100H and RainTrainH reuse some of these photographs.

    python data_scripts/cbsd68.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "cbsd68", *sys.argv[1:]], prog="cbsd68.py"))
