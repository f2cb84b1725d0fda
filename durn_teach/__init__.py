"""durn-teach: the Dual Residual Networks of Liu et al. (CVPR 2019), built in a course.

The layers, blocks and networks are collected from the book's chapters
(``notebooks/``); the functions below are the package's public entry points.
"""

from durn_teach.inference import restore
from durn_teach.models import build_model, list_models, load_pretrained, summary
from durn_teach.pretrained import list_pretrained

__all__ = ["build_model", "list_models", "list_pretrained", "load_pretrained", "restore", "summary"]
__version__ = "0.1.0"
