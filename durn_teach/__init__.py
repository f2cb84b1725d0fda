"""durn-teach: the Dual Residual Networks of Liu et al. (CVPR 2019), built in a course.

The layers, blocks and networks are collected from the book's chapters
(``notebooks/``); the functions below are the package's public entry points. They are imported
on first use, so that ``durn-teach --version`` and the package's metadata need no torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_model", "list_models", "list_pretrained", "load_pretrained", "restore", "summary"]
__version__ = "0.1.0"

_HOMES = {"restore": "durn_teach.inference", "build_model": "durn_teach.models",
          "list_models": "durn_teach.models", "load_pretrained": "durn_teach.models",
          "summary": "durn_teach.models", "list_pretrained": "durn_teach.pretrained"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'durn_teach' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
