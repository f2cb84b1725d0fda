import sys

from durn_teach.cli import main

sys.exit(main())
