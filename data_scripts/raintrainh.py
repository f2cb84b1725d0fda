"""RainTrainH: heavy-rain training pairs (Yang et al., CVPR 2017), PReNet's naming rain-N / norain-N.

Downloads 12 training pairs, each file checked against its recorded SHA-256, from github
simonsLiang/PReNet_paddle at commit 1c9cd98 (RainTrainH_min/) into RainTrainH/input/ and
RainTrainH/target/. The whole set is PReNet's RainTrainH.zip (github csdwren/PReNet; official page
http://www.icst.pku.edu.cn/struct/Projects/joint_rain_removal.html): pass it with --from-archive.
Six of the 12 clean images are CBSD68 test images: do not train on them and test on CBSD68.

    python data_scripts/raintrainh.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "raintrainh", *sys.argv[1:]], prog="raintrainh.py"))
