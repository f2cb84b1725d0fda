"""Argument types for the command lines: counts that must be positive say so when they are not.

argparse turns the ``ArgumentTypeError`` into its one-line usage error (exit 2), naming the option.
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number of at least 1 (steps, epochs, images, pixels)."""
    return _at_least(text, 1)


def positive_float(text: str) -> float:
    """A finite number above 0 (a learning rate)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


def whole_number(text: str) -> int:
    """A whole number of at least 0 (workers, overlap, depth)."""
    return _at_least(text, 0)


def _at_least(text: str, smallest: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < smallest:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least {smallest}, got {text!r}")
    return value
