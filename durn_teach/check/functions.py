"""The checks of functions: any function, SSIM and the losses, and the paper's metric protocol
(chapter 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.overrides import TorchFunctionMode

from durn_teach.check.compare import (
    FLOAT32_TOLERANCE,
    RELATIVE_TOLERANCE,
    SEED,
    _difference,
    _tensors,
    _values,
    shared_input,
)
from durn_teach.check.report import FAIL, PASS, SKIP, Case, CheckResult, Step
from durn_teach.losses import LOSSES
from durn_teach.losses import ssim as release_ssim
from durn_teach.metrics import SPACES, paper_psnr_ssim


def function(
    student: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Mapping[str, Sequence[Any]],
    subject: str = "function",
    gradient: bool = True,
) -> CheckResult:
    """Check a function (a loss, a metric) against a reference on named argument tuples.

    Tensor arguments are made float64 and, with ``gradient=True``, the gradients of the
    (summed) results with respect to them are compared too. A function that returns or computes
    in float32 (or less) is judged with ``FLOAT32_TOLERANCE``, and its summaries say so.
    """
    if not callable(student) or not callable(reference):
        raise TypeError(f"student and reference must be callable, got {type(student).__name__} "
                        f"and {type(reference).__name__}")
    results = []
    for label, arguments in cases.items():
        steps = []
        prepared = []
        for _ in range(2):
            prepared.append([a.detach().double().requires_grad_(gradient) if torch.is_tensor(a)
                             else a.copy() if isinstance(a, np.ndarray) else a for a in arguments])
        watch = _DtypeWatch()
        try:
            with watch:
                ours = student(*prepared[0])
        except Exception as error:  # a student's function may raise anything: report it
            steps.append(Step("value", FAIL, "your function raised an error",
                              f"Calling your function raised {type(error).__name__}: {error}."))
            if gradient:
                steps.append(Step("gradient", SKIP, "not compared"))
            results.append(Case(label, steps))
            continue
        theirs = reference(*prepared[1])
        low = _low_precision(watch.dtypes | _value_dtypes(ours))
        relative, precision, note = RELATIVE_TOLERANCE, "", ""
        if low is not None:
            relative, precision = FLOAT32_TOLERANCE, f" (float32 tolerance {FLOAT32_TOLERANCE:g})"
            note = (f"Your function computes in {_dtype_name(low)} (at least in part), so its values and "
                    f"gradients are judged with float32's tolerance: a relative {FLOAT32_TOLERANCE:g}, "
                    f"where a float64 function is held to {RELATIVE_TOLERANCE:g}.")
            if low != torch.float32:
                note += f" {_dtype_name(low)} rounds more coarsely than that: compute in float32 or float64."
        ours_t, theirs_t = _as_tensor(ours), _as_tensor(theirs)
        difference = _difference(ours_t, theirs_t, relative=relative)
        if difference is not None:
            if ours_t.numel() <= 4 and theirs_t.numel() <= 4:
                shown = f"{_values(ours_t)}, the reference {_values(theirs_t)}"
            else:
                shown = f"a value that {difference[1]}"
            text = f"On {label}, your function returns {shown}."
            if low is not None:
                text += (f" It computes in {_dtype_name(low)}, and is judged with float32's tolerance "
                         f"(a relative {FLOAT32_TOLERANCE:g}): the difference is more than float32's "
                         "rounding explains.")
            steps.append(Step("value", FAIL, difference[1] + precision, text, note=note))
            if gradient:
                steps.append(Step("gradient", SKIP, "not compared: the values already differ"))
            results.append(Case(label, steps))
            continue
        shown = f"agrees: {_values(theirs_t)}" if theirs_t.numel() <= 4 else "agrees"
        steps.append(Step("value", PASS, shown + precision, note=note))
        if gradient:
            steps.append(_function_gradient(ours, theirs, prepared, label, relative, precision))
        results.append(Case(label, steps))
    return CheckResult(subject, results)


class _DtypeWatch(TorchFunctionMode):
    """Records the floating-point dtypes of the tensors that torch operations take and return."""

    def __init__(self) -> None:
        super().__init__()
        self.dtypes: set[torch.dtype] = set()

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        for t in _tensors((args, kwargs, result)):
            if t.is_floating_point():
                self.dtypes.add(t.dtype)
        return result


def _value_dtypes(value: Any) -> set[torch.dtype]:
    """The floating-point dtypes of a returned value: tensors, NumPy arrays and scalars, nested."""
    if torch.is_tensor(value):
        return {value.dtype} if value.is_floating_point() else set()
    if isinstance(value, np.ndarray | np.generic):
        low = {np.dtype(np.float32): torch.float32, np.dtype(np.float16): torch.float16}
        return {low[value.dtype]} if value.dtype in low else set()
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return set().union(*(_value_dtypes(item) for item in value))
    return set()


def _low_precision(dtypes: Iterable[torch.dtype]) -> torch.dtype | None:
    """The coarsest floating-point dtype below float64 among ``dtypes``; None if there is none."""
    low = [d for d in dtypes if torch.finfo(d).eps > torch.finfo(torch.float64).eps]
    return max(low, key=lambda d: torch.finfo(d).eps, default=None)


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _as_tensor(value: Any) -> Tensor:
    if torch.is_tensor(value):
        return value.detach().double()
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


def _function_gradient(ours: Any, theirs: Any, prepared: list[list[Any]], label: str,
                       relative: float = RELATIVE_TOLERANCE, precision: str = "") -> Step:
    if not (torch.is_tensor(theirs) and theirs.requires_grad):
        return Step("gradient", SKIP, "not compared: the reference's value has no gradient")
    if not (torch.is_tensor(ours) and ours.requires_grad):
        return Step("gradient", FAIL, "your value has no gradient",
                    f"On {label}, your function's value carries no gradient (it is a "
                    f"{type(ours).__name__}{'' if not torch.is_tensor(ours) else ' without grad_fn'}): "
                    "compute it with torch operations on the input tensors, without .item(), NumPy "
                    "or .detach().")
    ours.sum().backward()
    theirs.sum().backward()
    mine = [a for a in prepared[0] if torch.is_tensor(a)]
    ref = [a for a in prepared[1] if torch.is_tensor(a)]
    for number, (a, b) in enumerate(zip(mine, ref, strict=True)):
        grad_a = torch.zeros_like(a) if a.grad is None else a.grad
        grad_b = torch.zeros_like(b) if b.grad is None else b.grad
        difference = _difference(grad_a, grad_b, relative=relative)
        if difference is not None:
            return Step("gradient", FAIL, f"argument {number + 1}: {difference[1]}{precision}",
                        f"On {label}, the values agree but the gradient with respect to argument "
                        f"{number + 1} {difference[1]}.")
    return Step("gradient", PASS, "agrees" + precision)


# --- losses and the metric protocol (chapter 7) ----------------------------------------------------


def _image_pair(channels: int, seed: int) -> tuple[Tensor, Tensor]:
    """A smooth synthetic image batch in [0, 1] and a noisy, slightly darker version of it."""
    clean = torch.nn.functional.avg_pool2d(shared_input(2, channels, 28, 32, seed=seed), 5, 1, 2)
    clean = (2 * clean).sigmoid()
    restored = (0.95 * clean + 0.08 * shared_input(2, channels, 28, 32, seed=seed + 1)).clamp(0, 1)
    return restored, clean


def loss_cases() -> dict[str, tuple[Tensor, Tensor]]:
    """The (restored, clean) batches a loss is checked on: gray, colour, and a perfect restoration."""
    gray, colour = _image_pair(1, SEED), _image_pair(3, SEED + 2)
    return {"a gray batch": gray, "a colour batch": colour, "a perfect restoration": (colour[1], colour[1])}


def ssim(student: Callable[[Tensor, Tensor], Tensor]) -> CheckResult:
    """Check an SSIM function ``ssim(restored, clean)`` against the release's (``durn_teach.losses.ssim``).

    Values and gradients with respect to both images are compared on synthetic batches, with
    float32's tolerance (``FLOAT32_TOLERANCE``) when your function computes in float32.
    """
    return function(student, release_ssim, loss_cases(), subject="SSIM (durn_teach.losses.ssim)")


def loss(name: str, student: Callable[[Tensor, Tensor], Tensor]) -> CheckResult:
    """Check a training objective ``loss(restored, clean)`` against ``durn_teach.losses.LOSSES[name]``."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; the losses are: {', '.join(LOSSES)}")
    return function(student, LOSSES[name], loss_cases(), subject=f"loss {name!r}")


def metric_cases(space: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(restored float, clean uint8) pairs; the first three each probe one step of the protocol."""
    rng = np.random.default_rng(SEED)
    shape = (30, 34) if space == "gray" else (30, 34, 3)
    smooth = np.cumsum(np.cumsum(rng.random(shape), axis=0), axis=1)
    clean = np.rint(255 * smooth / smooth.max()).astype(np.uint8)
    base = clean / 255 + rng.normal(0, 0.04, shape)
    return {
        "values between 8-bit levels (the protocol truncates to 8 bits, it does not round)":
            (np.clip((clean + 0.7) / 255, 0, 1), clean),
        "values outside [0, 1] (the protocol clips)": (base * 1.2 - 0.1, clean),
        "a perfect restoration (PSNR is infinite)": (clean / 255, clean),
        "an ordinary restoration": (np.clip(base, 0, 1), clean),
    }


def metric(student: Callable[[np.ndarray, np.ndarray], Any], space: str = "gray") -> CheckResult:
    """Check a metric ``student(restored, clean) -> (psnr, ssim)`` against the paper's protocol.

    The reference is ``durn_teach.metrics.paper_psnr_ssim(restored, clean, space)``; ``restored``
    is a float image, ``clean`` the 8-bit ground truth. Each case's name says what it probes.
    """
    if space not in SPACES:
        raise ValueError(f"unknown space {space!r}; the spaces are: {', '.join(SPACES)}")

    def reference(restored: np.ndarray, clean: np.ndarray) -> tuple[float, float]:
        return paper_psnr_ssim(restored, clean, space)

    return function(student, reference, metric_cases(space), subject=f"metric protocol ({space})",
                    gradient=False)

