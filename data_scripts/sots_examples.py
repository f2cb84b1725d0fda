"""SOTS examples: eight real hazy/clear pairs of RESIDE's test set SOTS (Li et al., TIP 2019),
for the course's haze chapter.

Downloads the 11 files, each checked against its recorded SHA-256: SOTS indoor image 1400 at
haze levels 1-5 and 10 with its clear image (620x460), saved by the evaluation of github
codesensei-tushar/dehazing-compression at commit 03ebfc8 (results/qualitative/1400_K/{hazy,gt}.png),
and SOTS outdoor images 0001 and 0002 (550x413) from github XLearning-SCU/2022-CVPR-AirNet at
commit bedea82 (test/dehaze/{input,target}/). They are arranged as
SOTS_examples/{indoor,outdoor}/{hazy,gt}/. Neither repository nor RESIDE states a licence here;
the full set (official page: https://sites.google.com/view/reside-dehaze-datasets) is fetched
by hand: data_scripts/reside.py. --from-archive takes the repositories (their zips or
checkouts) or a folder already in this layout.

    python data_scripts/sots_examples.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "sots-examples", *sys.argv[1:]], prog="sots_examples.py"))
