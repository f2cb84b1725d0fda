"""Rain100H: heavy-rain test pairs (Yang et al., CVPR 2017), PReNet's naming rain-N / norain-N.

Downloads the first 10 of the 100 test pairs, each file checked against its recorded SHA-256,
from github simonsLiang/PReNet_paddle at commit 1c9cd98 (Rain10H/rainy/rain-NNN.png,
Rain10H/norain-NNN.png) into Rain100H/input/ and Rain100H/target/. The whole set is PReNet's
Rain100H.zip (github csdwren/PReNet; official page
http://www.icst.pku.edu.cn/struct/Projects/joint_rain_removal.html): pass it with --from-archive.

    python data_scripts/rain100h.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "rain100h", *sys.argv[1:]], prog="rain100h.py"))
