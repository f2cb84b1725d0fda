"""torch.hub entry points: one per network of Liu et al. (CVPR 2019), by its snake_case name.

    model = torch.hub.load("durn-teach/durn-teach", "durn_p", weights="gaussian-gray")
    model = torch.hub.load("durn-teach/durn-teach", "durn_us", weights="DuRN_US_model.pt")
    model = torch.hub.load("durn-teach/durn-teach", "durn_u")          # untrained

``weights``: a shipped checkpoint's name (``durn-teach pretrained`` lists them), ``authors:KEY``
for the authors' release fetched with ``durn-teach weights fetch authors`` (``durn-teach weights
list``), or a checkpoint file (the authors' ``.pt`` format or ``.safetensors``); None builds the
network untrained. Other keyword arguments go to
``durn_teach.build_model`` (for instance ``reference=True`` for the line-by-line release code).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from durn_teach import build_model, load_pretrained
from durn_teach.authors import resolve

dependencies = ["torch", "numpy", "scipy", "skimage", "torchinfo"]


def _network(name: str, weights: str | None, **options: Any) -> nn.Module:
    if weights is None:
        return build_model(name, **options)
    if set(options) - {"reference"}:
        raise ValueError(f"{name} with weights takes only reference=...; got {sorted(options)}")
    return load_pretrained(name, resolve(weights)[1], **options)


def durn_p(weights: str | None = None, **options: Any) -> nn.Module:
    """DuRN-P (Sec. 4.1): Gaussian noise on gray images, with batch norm; shipped: ``gaussian-gray``."""
    return _network("DuRN-P", weights, **options)


def durn_p_no_norm(weights: str | None = None, **options: Any) -> nn.Module:
    """DuRN-P without normalisation (Sec. 4.1): real-world noise on colour images; shipped: ``real-noise``."""
    return _network("DuRN-P-no-norm", weights, **options)


def durn_u(weights: str | None = None, **options: Any) -> nn.Module:
    """DuRN-U (Sec. 4.2): motion blur, up- and down-sampling paired in DuRB-U; shipped: ``motion-blur``."""
    return _network("DuRN-U", weights, **options)


def durn_us(weights: str | None = None, **options: Any) -> nn.Module:
    """DuRN-US (Sec. 4.3): haze, DuRB-US with squeeze-and-excitation; shipped: ``haze``."""
    return _network("DuRN-US", weights, **options)


def durn_s_p(weights: str | None = None, **options: Any) -> nn.Module:
    """DuRN-S-P (Sec. 4.4): raindrops, DuRB-S then DuRB-P; takes BGR as released; shipped: ``raindrop``."""
    return _network("DuRN-S-P", weights, **options)


def durn_s(weights: str | None = None, **options: Any) -> nn.Module:
    """DuRN-S (Sec. 4.5): rain streaks, DuRB-S with squeeze-and-excitation; shipped: ``rain-streak``."""
    return _network("DuRN-S", weights, **options)
