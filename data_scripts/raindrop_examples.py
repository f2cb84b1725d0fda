"""RainDrop examples: four real pairs of the RainDrop dataset (Qian et al., CVPR 2018), for the
course's raindrop chapter.

Downloads the 8 files, each checked against its recorded SHA-256, of the four training-split pairs
(not test_a/test_b; 720x480) distributed in github MaybeShewill-CV/attentive-gan-derainnet at
commit 996e36b (data/training_data_example/{rain_image/N_rain.png,clean_image/N_clean.png},
N = 0..3) and arranges them as RainDrop_examples/data/N_rain.png (rainy) and
RainDrop_examples/gt/N_clean.png (clean), the release's naming. The repository is MIT-licensed;
the dataset's own terms are not stated. The full set (official page: https://github.com/rui1996/DeRaindrop)
is fetched by hand: data_scripts/raindrop.py. --from-archive takes the repository (its zip or a
checkout) or a folder already in this layout.

    python data_scripts/raindrop_examples.py [--data-root DIR] [--from-archive PATH ...] [--sha256 HEX ...]

The data root is --data-root (or --root), else $DURN_DATA, else durn-teach/data in your cache folder.
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["fetch", "raindrop-examples", *sys.argv[1:]], prog="raindrop_examples.py"))
