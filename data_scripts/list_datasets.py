"""List the datasets (the paper's and the course's): images, size, how each is fetched, licence, status.

    python data_scripts/list_datasets.py [--data-root DIR]
"""

import sys

from durn_teach.data.download import main

if __name__ == "__main__":
    sys.exit(main(["list", *sys.argv[1:]], prog="list_datasets.py"))
