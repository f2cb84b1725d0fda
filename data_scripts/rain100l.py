"""Rain100L: the 100 light-rain pairs (Yang et al., CVPR 2017), for the course's rain-streak chapter.

Downloads the 200 files, each checked against its recorded SHA-256, of the redistribution in
github Nealgo/DerainSys at commit d332525 (ai_engine/dataset/{test,train}/{rain,gt}/N.png: 480x320
crops, portrait images turned to landscape) and arranges them as Rain100L/input/<split>_N.png
(rainy) and Rain100L/target/<split>_N.png (clean), the names of the course's split. The official
page (http://www.icst.pku.edu.cn/struct/Projects/joint_rain_removal.html) has the 481x321
originals under other names, which cannot be arranged into these; --from-archive takes the
repository (its zip or a checkout) or a folder already in this layout.

    python data_scripts/rain100l.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "rain100l", *sys.argv[1:]], prog="rain100l.py"))
