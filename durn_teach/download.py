"""The old name of :mod:`durn_teach.data.download`, kept for scripts and coursework written against it.

Fetching the datasets moved beside reading them (``durn_teach/data/``); ``import
durn_teach.download`` gives that very module, so settings and patches made through either name
are the same.
"""

import sys

from durn_teach.data import download as _moved

sys.modules[__name__] = _moved
