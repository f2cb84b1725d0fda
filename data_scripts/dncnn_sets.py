"""BSD68, Set12 and Train400: the gray test and training sets of DnCNN (Gaussian noise).

Downloads the DnCNN repository archive from GitHub and copies BSD68/, Set12/, Train400/.

    python data_scripts/dncnn_sets.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "dncnn-sets", *sys.argv[1:]], prog="dncnn_sets.py"))
