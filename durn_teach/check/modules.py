"""The checks of modules: any module, the ConvLayer, each DuRB and each DuRN (chapters 2-5)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from durn_teach.blocks import DuRB_P, DuRB_S, DuRB_U, DuRB_US
from durn_teach.check.compare import SEED, _call_label, _module_case, shared_input
from durn_teach.check.report import CheckResult
from durn_teach.layers import ConvLayer
from durn_teach.models import build_model, in_channels

# The configurations each reference is checked in: small widths, the kernels, dilations,
# paddings and normalisations the networks use, and (x, res) inputs of matching shapes.
CONV_LAYER_CONFIGS: list[dict[str, Any]] = [
    dict(in_dim=3, out_dim=4, kernel_size=3),
    dict(in_dim=4, out_dim=4, kernel_size=7, dilation=2),
    dict(in_dim=4, out_dim=4, kernel_size=3, dilation=3, dilated_padding="zeros"),
    dict(in_dim=4, out_dim=6, kernel_size=3, stride=2),
    dict(in_dim=4, out_dim=2, kernel_size=1),
]
BLOCKS: dict[str, tuple[type[nn.Module], list[dict[str, Any]]]] = {
    "DuRB-P": (DuRB_P, [
        dict(dim=8, k1_size=5, k2_size=3, dilation=1),
        dict(dim=8, k1_size=7, k2_size=5, dilation=2, norm_type=None),
        dict(dim=8, k1_size=3, k2_size=5, dilation=3, dilated_padding="zeros"),
    ]),
    "DuRB-U": (DuRB_U, [
        dict(in_dim=16, res_dim=8, f_size=3, dilation=3),
        dict(in_dim=16, res_dim=8, f_size=7, dilation=1),
    ]),
    "DuRB-US": (DuRB_US, [
        dict(dim=8, f_size=5, se_hidden=4),
        dict(dim=8, f_size=3, dilation=2, se_hidden=2),
    ]),
    "DuRB-S": (DuRB_S, [
        dict(dim=8, k1_size=5, k2_size=3, dilation=1, se_hidden=4),
        dict(dim=8, k1_size=3, k2_size=3, dilation=4, se_hidden=4, dilated_padding="zeros"),
    ]),
}
BLOCK_SIZE = (12, 14)  # height and width of a block's x; DuRB-U's and DuRB-US's res is twice that


# --- the public checks ----------------------------------------------------------------------------


def module(student: nn.Module, reference: nn.Module, *inputs: Tensor, subject: str = "module") -> CheckResult:
    """Compare any two modules on the given inputs (they are made float64 and kept unchanged)."""
    if not isinstance(reference, nn.Module):
        raise TypeError(f"reference must be an nn.Module, got {type(reference).__name__}")
    if not inputs or not all(torch.is_tensor(x) for x in inputs):
        raise TypeError("pass at least one input tensor after the two modules: check.module(yours, ref, x)")
    reference = copy.deepcopy(reference)
    inputs = tuple(x.detach().double() for x in inputs)
    return CheckResult(subject, [_module_case(student, reference, {}, inputs, subject, "your module")])


def conv_layer(student: Any, configs: Sequence[Mapping[str, Any]] | None = None) -> CheckResult:
    """Check a ConvLayer (chapter 2) against ``durn_teach.layers.ConvLayer`` in several configurations.

    ``student`` is a class (or builder) taking ConvLayer's arguments: ``in_dim, out_dim,
    kernel_size, stride, dilation, dilated_padding``.
    """
    cases = []
    for options in configs or CONV_LAYER_CONFIGS:
        label = _call_label("ConvLayer", options)
        with torch.random.fork_rng():
            reference = ConvLayer(**options)
        x = shared_input(2, options["in_dim"], 13, 16)
        cases.append(_module_case(student, reference, options, (x,), label, "your layer"))
    return CheckResult("ConvLayer", cases)


def block(kind: str, student: Any, configs: Sequence[Mapping[str, Any]] | None = None) -> CheckResult:
    """Check a dual residual block (chapter 4): ``kind`` is "DuRB-P", "DuRB-U", "DuRB-US" or "DuRB-S".

    ``student`` is a class (or builder) with the reference's constructor arguments, whose
    ``forward(x, res)`` returns ``(x, res)``.
    """
    if kind not in BLOCKS:
        raise ValueError(f"unknown block {kind!r}; the blocks are: {', '.join(BLOCKS)}")
    reference_class, default_configs = BLOCKS[kind]
    cases = []
    height, width = BLOCK_SIZE
    for options in configs or default_configs:
        label = _call_label(reference_class.__name__, options)
        with torch.random.fork_rng():
            reference = reference_class(**options)
        channels = options.get("dim", options.get("in_dim"))
        res_channels = options.get("res_dim", channels)
        scale = 2 if kind in ("DuRB-U", "DuRB-US") else 1
        x = shared_input(2, channels, height, width, seed=SEED)
        res = shared_input(2, res_channels, scale * height, scale * width, seed=SEED + 1)
        cases.append(_module_case(student, reference, options, (x, res), label, "your block", ("x", "res")))
    return CheckResult(kind, cases)


def network(name: str, student: Any, size: tuple[int, int] = (24, 28), **options: Any) -> CheckResult:
    """Check a whole network (chapter 5) against ``durn_teach.build_model(name, **options)``.

    ``student`` is a class or builder called with ``options``, or a module. The input is a
    batch of two ``size`` images with the network's number of channels.
    """
    with torch.random.fork_rng():
        reference = build_model(name, **options)
    label = _call_label(name, options)
    x = shared_input(2, in_channels(reference), *size).sigmoid()
    return CheckResult(name, [_module_case(student, reference, options, (x,), label, "your network")])

