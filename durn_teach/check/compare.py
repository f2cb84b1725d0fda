"""Comparing a student's module with the reference: shared weights and inputs, tolerances, the
recorder that finds the first submodule that differs, and the comparison step by step."""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from durn_teach.check.report import FAIL, PASS, SKIP, Case, Step

SEED = 2019
# Two tensors agree when they differ by at most the tolerance times max(1, the reference's largest
# magnitude). Everything is compared in float64, whose rounding (2.2e-16) is far below 1e-7. A
# function that computes in float32 (rounding 1.2e-7) is judged with 1e-5, about 80 float32 ulps:
# SSIM's local variances E[x²] - μ² cancel about two digits on the check's images, so a float32
# SSIM map is good to about 1e-5, and the release's SSIM run in float32 (or with pytorch_ssim's
# float32 window) stays within 1e-6 of the float64 reference in value and gradient.
RELATIVE_TOLERANCE = 1e-7
FLOAT32_TOLERANCE = 1e-5


# --- shared weights and inputs ------------------------------------------------------------------


def shared_weights(model: nn.Module, seed: int = SEED) -> dict[str, Tensor]:
    """A float64 state dict for ``model`` in which every entry is random and informative.

    Unlike a fresh initialisation (biases and shifts at zero, batch-norm statistics at 0 and 1),
    every number is non-trivial, so that an unused, swapped or misread entry changes the output.
    Convolution and linear weights are scaled by their fan-in to keep activations moderate.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if not value.is_floating_point():
            state[key] = torch.zeros_like(value)
        elif key.endswith("running_var"):
            state[key] = 0.5 + torch.rand(value.shape, generator=generator, dtype=torch.float64)
        else:
            noise = torch.randn(value.shape, generator=generator, dtype=torch.float64)
            if value.dim() >= 2:
                state[key] = noise / math.sqrt(math.prod(value.shape[1:]))
            elif key.endswith(("weight", "scale")):
                state[key] = 1 + 0.1 * noise
            else:
                state[key] = 0.1 * noise
    return state


def shared_input(*shape: int, seed: int = SEED) -> Tensor:
    """A float64 standard-normal tensor, the same on every machine for a given seed."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# --- comparing tensors ----------------------------------------------------------------------------


def _tensors(value: Any) -> list[Tensor]:
    """The tensors in a (nested) output, in order."""
    if torch.is_tensor(value):
        return [value]
    if isinstance(value, Mapping):
        return [t for item in value.values() for t in _tensors(item)]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _tensors(item)]
    return []


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(map(str, t.shape)) + ")"


def _values(t: Tensor) -> str:
    """A few numbers as text: one, or a tuple."""
    numbers = [f"{v:.6g}" for v in t.flatten().tolist()]
    return numbers[0] if t.dim() == 0 else "(" + ", ".join(numbers) + ")"


def _tolerance(reference: Tensor, relative: float = RELATIVE_TOLERANCE) -> float:
    finite = reference.detach()[torch.isfinite(reference.detach())]
    scale = finite.abs().max().item() if finite.numel() else 0.0
    return relative * max(1.0, scale)


def _difference(student: Any, reference: Any, names: Sequence[str] = (),
                relative: float = RELATIVE_TOLERANCE) -> tuple[float, str] | None:
    """None if two (nested) values agree; else (largest error or inf, "differs ..." in words).

    ``names`` label the tensors (for example a forward's arguments); by default they are counted.
    ``relative`` is the tolerance, relative to max(1, the reference's largest magnitude).
    """
    ours, theirs = _tensors(student), _tensors(reference)
    if len(ours) != len(theirs):
        return math.inf, f"has {len(ours)} tensors where the reference's has {len(theirs)}"
    worst: tuple[float, str] | None = None
    for number, (mine, ref) in enumerate(zip(ours, theirs, strict=True)):
        where = ""
        if len(theirs) > 1:
            where = f" (in `{names[number]}`)" if number < len(names) else f" (in tensor {number + 1})"
        if mine.shape != ref.shape:
            return math.inf, f"has shape {_shape(mine)} where the reference's has {_shape(ref)}{where}"
        mine, ref = mine.detach().double(), ref.detach().double()
        error = torch.where(mine == ref, 0.0, (mine - ref).abs())  # equal infinities agree
        largest = error.max().item() if error.numel() else 0.0
        if (math.isnan(largest) or largest > _tolerance(ref, relative)) and (
            worst is None or math.isnan(largest) or largest > worst[0]
        ):
            by = f"by {largest:.3g} at most"
            if math.isinf(largest):
                by = "(infinite where the other is finite)"
            worst = (largest, f"differs from the reference's {by}{where}")
    return worst


def _border_note(student: Any, reference: Any) -> str:
    """A sentence when two images agree everywhere except in a frame at the border."""
    for mine, ref in zip(_tensors(student), _tensors(reference), strict=False):
        if mine.dim() != 4 or mine.shape != ref.shape or min(ref.shape[2:]) < 3:
            continue
        error = (mine.detach() - ref.detach()).abs().amax(dim=(0, 1))
        tolerance = _tolerance(ref)
        if error.max().item() <= tolerance:
            continue
        for width in range(1, min(ref.shape[2:]) // 2):
            if error[width:-width, width:-width].max().item() <= tolerance:
                return (f"The outputs agree everywhere except within {width} pixel(s) of the border: "
                        "compare how the two pad their inputs (reflection or zeros, and how much).")
        return ""
    return ""


# --- recording what every submodule receives and returns -----------------------------------------


class _Recorder:
    """Forward hooks that keep the inputs and outputs of every submodule call, in call order."""

    def __init__(self, model: nn.Module) -> None:
        self.order: list[tuple[str, int]] = []
        self.inputs: dict[tuple[str, int], list[Tensor]] = {}
        self.outputs: dict[tuple[str, int], list[Tensor]] = {}
        self.modules = dict(model.named_modules())
        self._open: dict[str, list[tuple[str, int]]] = {}
        self._counts: dict[str, int] = {}
        self._handles = []
        for name, module in model.named_modules():
            if name:
                self._handles.append(module.register_forward_pre_hook(self._before(name), with_kwargs=True))
                self._handles.append(module.register_forward_hook(self._after(name)))

    def _before(self, name: str) -> Callable:
        def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
            call = (name, self._counts.get(name, 0))
            self._counts[name] = call[1] + 1
            self.order.append(call)
            self.inputs[call] = [t.detach().clone() for t in _tensors((args, kwargs))]
            self._open.setdefault(name, []).append(call)

        return hook

    def _after(self, name: str) -> Callable:
        def hook(module: nn.Module, args: tuple, output: Any) -> None:
            call = self._open[name].pop()
            self.outputs[call] = [t.detach().clone() for t in _tensors(output)]

        return hook

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def _children(order: Iterable[tuple[str, int]], parent: str) -> list[tuple[str, int]]:
    depth = parent.count(".") + 1 if parent else 0
    prefix = f"{parent}." if parent else ""
    return [call for call in order if call[0].startswith(prefix) and call[0].count(".") == depth]


def _argument_names(module: nn.Module) -> list[str]:
    try:
        return [p for p in inspect.signature(module.forward).parameters if p not in ("args", "kwargs")]
    except (TypeError, ValueError):
        return []


def _locate(student: _Recorder, reference: _Recorder, noun: str) -> str:
    """Words for where two forward passes part: the first submodule whose output differs."""
    parent, culprit = "", None
    while True:
        found = None
        for call in _children(reference.order, parent):
            name, number = call
            if name not in student.modules:
                continue
            if call not in student.outputs:
                ordinal = "" if number == 0 else f" a {_ordinal(number + 1)} time"
                return (f"The reference calls `{name}`{ordinal} at this point; yours never does "
                        f"({student._counts.get(name, 0)} call(s) in all). Check your forward.")
            difference = _difference(student.outputs[call], reference.outputs[call])
            if difference is not None:
                found = call, difference
                break
        if found is None:
            break
        culprit = found
        call = found[0]
        name, number = call
        names = _argument_names(reference.modules[name])
        input_difference = _difference(student.inputs[call], reference.inputs[call], names)
        label = f"`{name}`" + ("" if number == 0 else f" (its {_ordinal(number + 1)} call)")
        if input_difference is not None:
            return (f"The first submodule whose output differs is {label}, and its input already "
                    f"{input_difference[1]}. The submodules before it agree, so your forward connects "
                    f"them differently on the way to {label} (the order of operations, a missing or extra "
                    "addition, a ReLU or a normalisation in another place).")
        parent = name
    if culprit is None:
        return (f"Every submodule of {noun} returns what the reference's does, so the difference is made "
                "in forward itself, where it combines their outputs (a sign, a residual addition, "
                "the final activation, or the order in which the submodules are called).")
    (name, number), (_, how) = culprit
    mine, ref = student.modules[name], reference.modules[name]
    text = (f"The first submodule whose output differs is `{name}`: it receives the same input as the "
            f"reference's but its output {how}, so `{name}` itself computes something else.")
    if _describe(mine) != _describe(ref):
        text += f"\n  yours:         {_describe(mine)}\n  the reference: {_describe(ref)}"
    return text


def _describe(module: nn.Module) -> str:
    head = repr(module).splitlines()[0]
    return head if len(head) <= 160 else head[:157] + "..."


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


# --- the module comparison ------------------------------------------------------------------------


def _layout_difference(student: Mapping[str, Tensor], reference: Mapping[str, Tensor]) -> tuple[str, int]:
    """The first difference between two state-dict layouts in words, and how many there are."""
    mine = {key: tuple(value.shape) for key, value in student.items()}
    theirs = {key: tuple(value.shape) for key, value in reference.items()}
    problems: list[tuple[int, str]] = []
    unexpected = [key for key in mine if key not in theirs]
    for position, (key, shape) in enumerate(theirs.items()):
        if key not in mine:
            text = f"The reference's state dict has `{key}` of shape {shape}; yours has no such entry."
            leaf = key.rsplit(".", 1)[-1]
            renamed = [k for k in unexpected if mine[k] == shape and k.rsplit(".", 1)[-1] == leaf]
            if renamed:
                text += (f" Yours has `{renamed[0]}` of the same shape: the reference's name is `{key}` "
                         "(weights and checkpoints load by name, so the names must agree).")
            elif key.endswith("shift"):
                text += (" The release's instance norm creates a `shift` that it never uses; it is still "
                         "a parameter, counted and saved in every checkpoint, so keep it.")
            problems.append((position, text))
        elif mine[key] != shape:
            text = f"`{key}` has shape {mine[key]} in yours and {shape} in the reference."
            problems.append((position, text))
    for position, key in enumerate(mine):
        if key not in theirs:
            problems.append((position, f"Your state dict has `{key}` of shape {mine[key]}, "
                                       "which the reference does not have."))
    if problems:
        problems.sort(key=lambda item: item[0])
        return problems[0][1], len(problems)
    return "", 0


def _order_note(student: Mapping[str, Tensor], reference: Mapping[str, Tensor]) -> str:
    """A note when two state dicts have the same keys in another order ("" when the order agrees)."""
    for position, (a, b) in enumerate(zip(student, reference, strict=True)):
        if a != b:
            return (f"The keys and shapes agree, but not their order: entry {position + 1} is `{a}` in yours "
                    f"and `{b}` in the reference. This is not a failure: weights and checkpoints load by "
                    "name, and the check compares by name. The order is that in which __init__ assigns "
                    "submodules and parameters; it matters only where parameters are matched by position, "
                    "as in an optimiser's saved state.")
    return ""


def _parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _parameter_or_buffer(student: nn.Module, reference: nn.Module) -> str:
    """Words for the first state-dict entry that is learnable in one module and not in the other."""
    mine, theirs = dict(student.named_parameters()), dict(reference.named_parameters())
    for key in reference.state_dict():
        if (key in mine) != (key in theirs):
            what = ("a learnable parameter", "not (a buffer or a plain tensor)")
            which = what if key in theirs else what[::-1]
            return (f"The state dicts have the same entries, but `{key}` is {which[0]} in the reference "
                    f"and {which[1]} in yours.")
    return ""


def _state_difference(student: nn.Module, reference: nn.Module, inputs: Sequence[Tensor], noun: str,
                      output_names: Sequence[str]) -> tuple[str, str] | None:
    """After a training-mode forward with agreeing outputs: the first state-dict entry (a running
    statistic, usually) that now differs, as (summary, explanation); None when all agree."""
    mine, theirs = student.state_dict(), reference.state_dict()
    parameters = dict(reference.named_parameters())
    for key, ref in theirs.items():
        difference = _difference(mine[key], ref)
        if difference is None:
            continue
        if ref.numel() == 1:
            how = f"is {_values(mine[key].double())} in yours and {_values(ref.double())} in the reference"
        else:
            how = difference[1]
        what = "parameter" if key in parameters else "buffer"
        text = (f"In train mode the outputs agree, but the forward updates the state differently: both "
                f"started from the same state dict, and after one training-mode forward the {what} `{key}` "
                f"{how}.")
        owner = key.rpartition(".")[0]
        ref_module = dict(reference.named_modules()).get(owner)
        my_module = dict(student.named_modules()).get(owner)
        settings = [f"{attribute}={getattr(my_module, attribute)!r} in yours and "
                    f"{getattr(ref_module, attribute)!r} in the reference"
                    for attribute in ("momentum", "track_running_stats", "eps")
                    if hasattr(ref_module, attribute) and hasattr(my_module, attribute)
                    and getattr(my_module, attribute) != getattr(ref_module, attribute)]
        if settings:
            text += f" `{owner}` has {'; '.join(settings)}."
        elif key not in parameters:
            text += (" Compare how yours updates it: a batch norm's running mean and variance move by "
                     "`momentum` (0.1 in PyTorch) towards the batch's mean and its unbiased variance, "
                     "and `num_batches_tracked` counts the training-mode calls.")
        else:
            text += " A forward must not change the parameters: look for an in-place operation on one."
        student.eval()
        reference.eval()
        with torch.no_grad():
            after, error = _run(student, [x.detach().clone() for x in inputs], noun)
            reference_after, _ = _run(reference, [x.detach().clone() for x in inputs], "the reference")
        consequence = None if error else _difference(after, reference_after, output_names)
        if consequence is not None:
            text += (f"\nSo a trained model evaluates differently: after this one step, in eval mode "
                     f"{noun}'s output {consequence[1]}.")
        return f"`{key}` {difference[1]} after the forward", text
    return None


def _run(model: nn.Module, inputs: Sequence[Tensor], noun: str) -> tuple[Any, str]:
    try:
        return model(*inputs), ""
    except Exception as error:  # a student's forward may raise anything: report it, do not crash
        hint = ""
        if any(word in str(error).lower() for word in ("double", "dtype", "scalar type")):
            hint = (" The check runs in float64: create new tensors with the input's dtype and device "
                    "(torch.zeros_like, x.new_zeros).")
        return None, f"Running {noun} raised {type(error).__name__}: {error}.{hint}"


def _compare_modules(
    student: nn.Module, reference: nn.Module, inputs: Sequence[Tensor], noun: str, output_names: Sequence[str]
) -> list[Step]:
    steps = []
    ours, theirs = _parameter_count(student), _parameter_count(reference)
    layout_text, layout_count = _layout_difference(student.state_dict(), reference.state_dict())
    if ours == theirs:
        steps.append(Step("parameters", PASS, f"{ours:,} (reference {theirs:,})"))
    else:
        more = "more" if ours > theirs else "fewer"
        text = (f"{noun.capitalize()} has {ours:,} parameters, the reference {theirs:,} "
                f"({abs(ours - theirs):,} {more}).")
        if layout_text:
            text += "\n" + layout_text
        else:
            text += "\n" + _parameter_or_buffer(student, reference)
        steps.append(Step("parameters", FAIL, f"{ours:,} (reference {theirs:,})", text))
    entries = len(reference.state_dict())
    if layout_count == 0:
        note = _order_note(student.state_dict(), reference.state_dict())
        summary = f"{entries} entries: same keys and shapes, " + ("in another order (a note)" if note else
                                                                  "and order")
        steps.append(Step("state dict", PASS, summary, note=note))
    else:
        summary = f"{layout_count} difference(s) in {entries} entries"
        steps.append(Step("state dict", FAIL, summary, layout_text))
        why = "not compared: the reference's weights do not fit your state dict"
        return steps + [Step(name, SKIP, why) for name in ("output (eval)", "output (train)", "gradient")]

    weights = shared_weights(reference)
    student, reference = student.double(), reference.double()
    student.load_state_dict(weights)
    reference.load_state_dict(weights)
    outputs = {}
    for mode in ("eval", "train"):
        name = f"output ({mode})"
        student.train(mode == "train")
        reference.train(mode == "train")
        inputs_mode = [x.detach().clone().requires_grad_(mode == "train") for x in inputs]
        reference_inputs = [x.detach().clone().requires_grad_(mode == "train") for x in inputs]
        recorders = _Recorder(student), _Recorder(reference)
        with torch.set_grad_enabled(mode == "train"):
            mine, error = _run(student, inputs_mode, noun)
            theirs, _ = _run(reference, reference_inputs, "the reference")
        for recorder in recorders:
            recorder.remove()
        if error:
            steps.append(Step(name, FAIL, "your forward raised an error", error))
            continue
        difference = _difference(mine, theirs, output_names)
        if difference is None:
            largest = max(((a.detach() - b.detach()).abs().max().item() for a, b in
                           zip(_tensors(mine), _tensors(theirs), strict=True)), default=0.0)
            summary = f"agrees (largest difference {largest:.1e})"
            outputs[mode] = (mine, theirs, inputs_mode, reference_inputs)
            parameters = dict(reference.named_parameters())
            buffers = [key for key in reference.state_dict() if key not in parameters]
            if mode == "train" and buffers:
                state = _state_difference(student, reference, inputs, noun, output_names)
                if state is not None:
                    steps.append(Step(name, FAIL, state[0], state[1]))
                    continue
                summary += f"; its {len(buffers)} buffers agree after it"
            steps.append(Step(name, PASS, summary))
            continue
        text = (f"In {mode} mode, on the same weights and input, {noun}'s output {difference[1]}.")
        border = _border_note(mine, theirs)
        if border:
            text += "\n" + border
        text += "\n" + _locate(recorders[0], recorders[1], noun)
        if mode == "train" and "eval" in outputs:
            text += ("\nIn evaluation mode the outputs agree: look at what differs in training mode "
                     "(batch statistics, dropout, a module's train/eval switch).")
        steps.append(Step(name, FAIL, difference[1], text))

    if "train" not in outputs or "eval" not in outputs:
        return steps + [Step("gradient", SKIP, "not compared: the outputs already differ")]
    mine, theirs, mine_inputs, their_inputs = outputs["train"]
    generator = torch.Generator().manual_seed(SEED + 1)
    probes = [torch.randn(t.shape, generator=generator, dtype=torch.float64) for t in _tensors(theirs)]
    theirs_total = sum((t * p).sum() for t, p in zip(_tensors(theirs), probes, strict=True))
    theirs_total.backward()
    try:
        sum((t * p).sum() for t, p in zip(_tensors(mine), probes, strict=True)).backward()
    except RuntimeError as error:
        text = (f"The outputs agree, but {noun}'s output carries no gradient ({error}). Something in its "
                "forward stops the gradient: torch.no_grad(), .detach(), .data or NumPy.")
        return steps + [Step("gradient", FAIL, "no gradient", text)]
    steps.append(_compare_gradients(student, reference, mine_inputs, their_inputs, noun))
    return steps


def _compare_gradients(student: nn.Module, reference: nn.Module, mine_inputs: Sequence[Tensor],
                       their_inputs: Sequence[Tensor], noun: str) -> Step:
    names = _argument_names(reference)
    pairs: list[tuple[str, Tensor | None, Tensor | None]] = []
    for number, (a, b) in enumerate(zip(mine_inputs, their_inputs, strict=True)):
        label = f"the input `{names[number]}`" if number < len(names) else f"input {number + 1}"
        pairs.append((label, a.grad, b.grad))
    student_parameters = dict(student.named_parameters())
    for key, parameter in reference.named_parameters():
        if key not in student_parameters:
            return Step("gradient", FAIL, f"`{key}` is not a parameter in yours",
                        f"`{key}` is a learnable parameter in the reference but not in {noun}: "
                        "wrap it in nn.Parameter, or the optimiser will never train it.")
        pairs.append((f"`{key}`", student_parameters[key].grad, parameter.grad))
    largest = 0.0
    for label, a, b in pairs:
        a = torch.zeros(()) if a is None else a
        b = torch.zeros(()) if b is None else b
        difference = _difference(a.expand_as(b) if a.dim() == 0 else a, b.expand_as(a) if b.dim() == 0 else b)
        if difference is not None:
            text = (f"The outputs agree, but the gradient with respect to {label} {difference[1]}. Something "
                    f"in {noun}'s forward stops or changes the gradient: a .detach(), torch.no_grad(), "
                    ".data, an in-place operation, or a custom autograd function.")
            return Step("gradient", FAIL, f"{label}: {difference[1]}", text)
        largest = max(largest, (a - b).abs().max().item())
    return Step("gradient", PASS, f"input and {len(pairs) - len(mine_inputs)} parameters agree "
                                  f"(largest difference {largest:.1e})")


def _build(student: Any, options: Mapping[str, Any], label: str, noun: str) -> tuple[nn.Module | None, str]:
    """The student's module: a copy of a module, or a class or builder called with ``options``."""
    if isinstance(student, nn.Module):
        return copy.deepcopy(student), ""
    if not callable(student):
        raise TypeError(f"expected an nn.Module, a class or a builder function, got {type(student).__name__}")
    try:
        with torch.random.fork_rng():
            module = student(**options)
    except Exception as error:  # the student's constructor may raise anything: report it
        return None, (f"Building {noun} as {label} raised {type(error).__name__}: {error}. The check builds "
                      "yours with the reference's arguments, so give it the same constructor parameters.")
    if not isinstance(module, nn.Module):
        return None, f"Building {noun} as {label} gave a {type(module).__name__}, not an nn.Module."
    return module, ""


def _call_label(name: str, options: Mapping[str, Any]) -> str:
    return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ")"


def _module_case(student: Any, reference: nn.Module, options: Mapping[str, Any], inputs: Sequence[Tensor],
                 label: str, noun: str, output_names: Sequence[str] = ()) -> Case:
    module, error = _build(student, options, label, noun)
    if module is None:
        skipped = [Step(name, SKIP, "not compared: nothing was built") for name in
                   ("parameters", "state dict", "output (eval)", "output (train)", "gradient")]
        return Case(label, [Step("build", FAIL, "your constructor failed", error), *skipped])
    return Case(label, _compare_modules(module, reference, inputs, noun, output_names))

