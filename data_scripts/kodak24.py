"""Kodak24: the 24 photographs of the Kodak Lossless True Color Image Suite, full size.

Downloads kodim01-24.png, each checked against its recorded SHA-256, from github cszn/IRCNN at
commit d9dcd53 (testsets/Set24) into Kodak24/ (official page: http://r0k.us/graphics/kodak/).
The course's degraded photographs hold out kodim17-24 for testing.

    python data_scripts/kodak24.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "kodak24", *sys.argv[1:]], prog="kodak24.py"))
