"""Speed without changing what the networks compute.

The switch to the release's hand-written computation, BatchNorm folding, channels-last memory
format, the cached inference copy that :func:`durn_teach.restore` runs, ``torch.compile``, and
the machine's own 3x3 convolution throughput. Harness code: chapter 17 (``notebooks/17_speed.md``)
and ``durn-teach bench`` (:mod:`durn_teach.bench`) measure what each of these buys.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from durn_teach.norms import InsNorm

# Channels-last memory format for the convolutions of the default (fast) path, except in networks
# with instance norm (see `prefers_channels_last`); measured in chapter 17 and
# benchmarks/results/cpu.json. Set it to False to keep every network in NCHW.
CHANNELS_LAST = True


def use_reference(model: nn.Module) -> nn.Module:
    """Make ``model`` compute the release's way, in place: hand-written instance norm, NCHW layout.

    This is ``build_model(name, reference=True)``: the eager network that mirrors the authors'
    code line by line, the baseline of every speed comparison.
    """
    for module in model.modules():
        if isinstance(module, InsNorm):
            module.fused = False
    return model.to(memory_format=torch.contiguous_format)


def prefers_channels_last(model: nn.Module) -> bool:
    """Whether the fast path stores ``model``'s weights channels-last (NHWC).

    Convolutions on CPU and GPU run faster on NHWC features, and a convolution with NHWC weights
    makes its output NHWC, so the format spreads through the network from its weights alone.
    Instance norm's kernel works on NCHW, though: in DuRN-U each of its 37 instance norms
    would convert the features there and back, which costs more than NHWC saves.
    """
    return CHANNELS_LAST and not any(isinstance(m, InsNorm) for m in model.modules())


def use_fast_path(model: nn.Module) -> nn.Module:
    """Give ``model`` the default path's training-safe optimisations, in place.

    Fused instance norm (``InsNorm``'s default) and, where :func:`prefers_channels_last`, the
    channels-last memory format for its weights. Neither changes a state-dict key nor, beyond
    rounding, an output.
    """
    for module in model.modules():
        if isinstance(module, InsNorm):
            module.fused = True
    if prefers_channels_last(model):
        model.to(memory_format=torch.channels_last)
    return model


class _SharedExclusiveLock:
    """Any number of threads in :meth:`shared` sections, or one in an :meth:`exclusive` one.

    A thread waiting for the exclusive section goes before threads that ask for a shared one
    after it, so that a trace is not starved by a stream of restores.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive: int | None = None  # the thread id of the holder
        self._waiting = 0
        self._local = threading.local()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        depth = getattr(self._local, "depth", 0)
        with self._condition:
            if not depth and self._exclusive != me:
                while self._exclusive is not None or self._waiting:
                    self._condition.wait()
            self._shared += 1
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            with self._condition:
                self._shared -= 1
                if not self._shared:
                    self._condition.notify_all()

    def check_can_trace(self) -> None:
        """Raise where this thread is in a shared section: waiting for the exclusive one would hang."""
        if getattr(self._local, "depth", 0):
            raise RuntimeError("cannot trace a network while this thread runs one under no_tracing()")

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        self.check_can_trace()
        me = threading.get_ident()
        with self._condition:
            if self._exclusive == me:
                raise RuntimeError("a torch.fx trace is already running in this thread")
            self._waiting += 1
            try:
                while self._exclusive is not None or self._shared:
                    self._condition.wait()
            finally:
                self._waiting -= 1
            self._exclusive = me
        try:
            yield
        finally:
            with self._condition:
                self._exclusive = None
                self._condition.notify_all()


# torch.fx's tracer replaces ``nn.Module.__call__`` and ``__getattr__`` for the whole process
# while it traces, so a network that runs in another thread meanwhile is traced instead of run.
_TRACING = _SharedExclusiveLock()


def no_tracing() -> contextlib.AbstractContextManager[None]:
    """Hold while running a network from several threads: no trace of this module starts meanwhile.

    :func:`fold_batchnorm` and :func:`inference_copy` trace with ``torch.fx``, which patches
    ``nn.Module.__call__`` process-wide while it runs; they wait until every thread inside
    ``no_tracing()`` has left it. :func:`durn_teach.restore` runs its networks inside it.
    """
    return _TRACING.shared()


def _conv_batchnorm_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """(convolution, BatchNorm) module names that can fold: each used once, the BN on the conv alone.

    In the traced graph the convolution must be called at one place only, with its output read by
    that BatchNorm alone, and the BatchNorm called there only; neither may be read otherwise (a
    ``get_attr`` of its weight, say). A convolution shared by two places would get the folded
    weights at both.
    """
    with _TRACING.exclusive():
        try:
            graph = torch.fx.symbolic_trace(model).graph
        except Exception as error:  # tracing errors come in many types
            raise ValueError(
                f"cannot fold the BatchNorm layers of {type(model).__name__}: "
                f"torch.fx cannot trace it ({error})"
            ) from error
    modules = dict(model.named_modules())
    calls = Counter(node.target for node in graph.nodes if node.op == "call_module")
    attributes = [node.target for node in graph.nodes if node.op == "get_attr"]

    def used_once(name: str) -> bool:
        return calls[name] == 1 and not any(a == name or a.startswith(name + ".") for a in attributes)

    pairs = []
    for node in graph.nodes:
        if node.op != "call_module" or type(modules[node.target]) is not nn.BatchNorm2d:
            continue
        source = node.args[0] if len(node.args) == 1 and not node.kwargs else None
        if (
            isinstance(source, torch.fx.Node)
            and source.op == "call_module"
            and type(modules[source.target]) is nn.Conv2d
            and len(source.users) == 1
            and used_once(source.target)
            and used_once(node.target)
            and modules[node.target].running_var is not None
        ):
            pairs.append((source.target, node.target))
    return pairs


def _refuse_training(module: nn.Module, args: Any) -> None:
    if module.training:
        raise RuntimeError(
            "this is an inference-only copy made by fold_batchnorm: its BatchNorm layers are folded "
            "into the convolutions, so it cannot compute training mode. Train the original network."
        )


def _fold(folded: nn.Module, pairs: list[tuple[str, str]]) -> nn.Module:
    """Fold each (convolution, BatchNorm) of ``pairs`` in ``folded`` (a copy, changed in place)."""
    for conv_name, norm_name in pairs:
        conv, norm = folded.get_submodule(conv_name), folded.get_submodule(norm_name)
        with torch.no_grad():
            variance = norm.running_var.double()
            scale = (norm.weight.double() if norm.affine else 1) / torch.sqrt(variance + norm.eps)
            shift = norm.bias.double() if norm.affine else 0
            bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(variance)
            weight = conv.weight.double() * scale.reshape(-1, 1, 1, 1)
            dtype = conv.weight.dtype
            # New tensors, not in-place: a weight tied to another module keeps its values there.
            conv.weight = nn.Parameter(weight.to(dtype), requires_grad=False)
            conv.bias = nn.Parameter(((bias - norm.running_mean.double()) * scale + shift).to(dtype))
        parent_name, _, child = norm_name.rpartition(".")
        setattr(folded.get_submodule(parent_name), child, nn.Identity())
    folded.requires_grad_(False)
    folded.register_forward_pre_hook(_refuse_training)
    return folded


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An inference-only copy of ``model`` with each BatchNorm folded into the convolution before it.

    In evaluation mode ``BN(conv(x)) = s * (W x + b - mean) + beta`` with
    ``s = gamma / sqrt(var + eps)``, which is one convolution with weights ``s W`` and bias
    ``s (b - mean) + beta``: one pass over the features fewer (Ioffe and Szegedy, 2015, Sec. 3.1).
    Only a BatchNorm that reads a convolution's output alone is folded; one after a sum (as in
    DuRB-P's ``norm2(conv2(x) + x_r)``) stays, and so does a pair whose convolution or BatchNorm
    is used at another place too. The copy computes the evaluation-mode outputs of ``model`` to
    rounding error and refuses to run in training mode; ``model`` itself is not changed.

    Keys: the copy keeps every module name, so the convolutions' keys are the release's, but they
    hold the folded values; a convolution that had no bias gains one (``...conv1.bias``), and the
    folded BatchNorms become ``nn.Identity`` with no keys. Its state dict is therefore not a
    checkpoint: save and load the original network.
    """
    folded = copy.deepcopy(model).eval()
    return _fold(folded, _conv_batchnorm_pairs(folded))


_SIMPLE = (bool, int, float, complex, str, type(None), torch.dtype, torch.device, torch.memory_format)


def _named_tensors(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    return [*model.named_parameters(), *model.named_buffers()]


def _settings(model: nn.Module) -> tuple:
    """Everything but tensor contents that a copy computes with.

    Each module's name, class, public settings of plain types (``eps``, ``fused``, ``stride``,
    ``momentum``...; not ``training``: the copy is in evaluation mode whatever the model's) and
    hooks; each parameter's and buffer's name, shape, dtype and device.
    """

    def plain(value: Any) -> bool:
        if isinstance(value, (tuple, list)):
            return all(isinstance(v, _SIMPLE) for v in value)
        return isinstance(value, _SIMPLE)

    modules = tuple(
        (
            name,
            type(module),
            tuple(
                (key, tuple(value) if isinstance(value, list) else value)
                for key, value in sorted(vars(module).items())
                if key != "training" and not key.startswith("_") and plain(value)
            ),
            tuple(module._forward_pre_hooks),
            tuple(module._forward_hooks),
        )
        for name, module in model.named_modules()
    )
    tensors = tuple((name, tuple(t.shape), t.dtype, t.device) for name, t in _named_tensors(model))
    return modules, tensors


_BITS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def _bits(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``'s bits as integers, so that a NaN equals itself and -0.0 differs from 0.0."""
    tensor = tensor.detach()
    if tensor.is_complex() or tensor.element_size() not in _BITS:
        return tensor
    return tensor.view(_BITS[tensor.element_size()])


def _same_contents(tensors: list[torch.Tensor], snapshot: list[torch.Tensor]) -> bool:
    """Whether every tensor holds, bit for bit, what its snapshot does."""
    return len(tensors) == len(snapshot) and all(
        torch.equal(_bits(t), _bits(s)) for t, s in zip(tensors, snapshot, strict=True)
    )


@dataclasses.dataclass
class _Cached:
    settings: tuple
    pairs: list[tuple[str, str]]
    snapshot: list[torch.Tensor]
    fast: nn.Module


_INFERENCE_COPIES: weakref.WeakKeyDictionary[nn.Module, _Cached] = weakref.WeakKeyDictionary()
# Lock order: _TRACE_TURN, then _TRACING.exclusive(), then _BUILDING. _BUILDING is never held
# while waiting for another lock, so a thread inside no_tracing() may take it.
_BUILDING = threading.Lock()
_TRACE_TURN = threading.Lock()


def inference_copy(model: nn.Module, channels_last: bool | None = None) -> nn.Module:
    """The fast inference version of ``model``: BatchNorm folded, channels-last, evaluation mode.

    Cached, so that restoring many images folds once, but always computed with ``model``'s
    current weights and settings: each call compares every parameter and buffer, bit for bit,
    with what the copy was made from, and the settings of every module (``eps``, the InsNorm
    switch, the device, the dtype...; see ``_settings``), and makes a new copy where anything
    differs, however it was changed (an optimiser step, fused or not, ``.data``, an EMA update,
    ``load_state_dict``). A check reads the weights twice: on a CPU about 3 ms for DuRN-P and
    13 ms for DuRN-S-P (41 MB of weights), about 1 % of restoring a 256x256 image. The snapshot
    is the copy's own tensors, except for the folded layers' originals, which are kept aside. A
    new copy of the same structure reuses the trace.

    Thread-safe: one thread traces and builds the copy while the others wait, and a copy once
    returned is never changed (a new one replaces it). A model that ``torch.fx`` cannot trace is
    copied without folding. ``channels_last=None`` decides by :func:`prefers_channels_last`.
    The model itself is never changed, not even its mode.
    """
    channels_last = prefers_channels_last(model) if channels_last is None else channels_last
    settings = (channels_last, _settings(model))
    with _BUILDING:
        fast = _cached_copy(model, settings)
    if fast is not None:
        return fast
    _TRACING.check_can_trace()
    with _TRACE_TURN:
        with _BUILDING:  # another thread may have traced it while this one waited
            fast = _cached_copy(model, settings)
        if fast is not None:
            return fast
        fast = copy.deepcopy(model).eval()
        try:
            pairs = _conv_batchnorm_pairs(fast)
        except ValueError:  # not traceable, so the pairs are unknown: fold nothing
            pairs = []
        with _BUILDING:
            return _new_copy(model, settings, pairs, fast)


def _cached_copy(model: nn.Module, settings: tuple) -> nn.Module | None:
    """The cached copy, or a new one where the weights changed; None where a trace is needed."""
    cached = _INFERENCE_COPIES.get(model)
    if cached is None or cached.settings != settings:
        return None
    if _same_contents([t for _, t in _named_tensors(model)], cached.snapshot):
        return cached.fast
    return _new_copy(model, settings, cached.pairs, copy.deepcopy(model).eval())


def _new_copy(model: nn.Module, settings: tuple, pairs: list[tuple[str, str]], fast: nn.Module) -> nn.Module:
    """Fold ``fast`` (an evaluation-mode copy of ``model``), cache it with its snapshot, return it."""
    names = [name for name, _ in _named_tensors(model)]
    # The snapshot: what the copy was made from. The tensors that folding replaces are cloned
    # first; every other one is the copy's own, which holds the same bits.
    folded = {name for pair in pairs for name in pair}
    clones = {
        name: _tensor(fast, name).detach().clone() for name in names if name.rpartition(".")[0] in folded
    }
    fast = _fold(fast, pairs)
    if settings[0]:  # channels-last
        fast.to(memory_format=torch.channels_last)
    snapshot = [clones[name] if name in clones else _tensor(fast, name) for name in names]
    _INFERENCE_COPIES[model] = _Cached(settings, pairs, snapshot, fast)
    return fast


def _tensor(model: nn.Module, name: str) -> torch.Tensor:
    """The parameter or buffer called ``name`` (as ``named_parameters`` and ``named_buffers`` say)."""
    owner, _, leaf = name.rpartition(".")
    module = model.get_submodule(owner)
    return module._parameters[leaf] if leaf in module._parameters else module._buffers[leaf]


def evaluation_view(model: nn.Module) -> nn.Module:
    """``model`` in evaluation mode without changing it, for running it from several threads.

    ``model`` itself where every module is in evaluation mode already; otherwise a copy of its
    modules, in evaluation mode, that shares its parameters and buffers (no tensor is copied), so
    it computes with ``model``'s current weights while ``model``'s ``training`` flags, and the
    BatchNorm running statistics that training mode would update, stay as they are.
    """
    if not any(module.training for module in model.modules()):
        return model
    shared = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return copy.deepcopy(model, shared).eval()


def compile_model(model: nn.Module, **options: Any) -> nn.Module:
    """``torch.compile(model, **options)``, with a clear error where this PyTorch has no compiler.

    Compilation happens at the first call (tens of seconds per network on a small CPU), and on a
    CPU needs a working C++ compiler; it pays back only over many calls of the same size.
    """
    if not hasattr(torch, "compile"):
        raise RuntimeError(f"torch.compile needs PyTorch 2.0 or newer, this is {torch.__version__}")
    return torch.compile(model, **options)


def adam(parameters: Iterable[nn.Parameter], lr: float, **options: Any) -> torch.optim.Adam:
    """Adam with its fused kernel where this PyTorch has one for the parameters' device.

    The fused step (CUDA; CPU since PyTorch 2.4) updates every tensor in one pass instead of a
    Python loop over them: the same update to rounding error. Elsewhere it falls back to the
    ``foreach`` implementation.
    """
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, lr=lr, fused=True, **options)
    except (RuntimeError, ValueError, TypeError):
        return torch.optim.Adam(parameters, lr=lr, foreach=True, **options)


def synchronize(device: torch.device) -> None:
    """Wait for queued work on ``device`` (CUDA runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def conv_throughput(
    device: str | torch.device = "cpu",
    side: int = 128,
    channels: tuple[int, ...] = (64, 128, 256),
    rounds: int = 5,
) -> dict[str, Any]:
    """The machine's own limit: GFLOP/s of 3x3 convolutions (``c`` to ``c`` channels, ``side`` pixels).

    Each width runs in both memory formats, in float32 under ``torch.inference_mode``; a
    multiply-add counts two FLOPs. Returns every configuration's best time and the best GFLOP/s.
    """
    device = torch.device(device)
    runs = []
    generator = torch.Generator().manual_seed(0)
    for width in channels:
        x = torch.randn(1, width, side, side, generator=generator).to(device)
        weight = torch.randn(width, width, 3, 3, generator=generator).to(device) / (3 * width**0.5)
        bias = torch.zeros(width, device=device)
        flops = 2 * width * width * 9 * side * side
        for memory_format in ("contiguous", "channels_last"):
            fmt = torch.channels_last if memory_format == "channels_last" else torch.contiguous_format
            xf, wf = x.contiguous(memory_format=fmt), weight.contiguous(memory_format=fmt)
            with torch.inference_mode():
                F.conv2d(xf, wf, bias, padding=1)
                times = []
                for _ in range(rounds):
                    synchronize(device)
                    start = time.perf_counter()
                    F.conv2d(xf, wf, bias, padding=1)
                    synchronize(device)
                    times.append(time.perf_counter() - start)
            best = min(times)
            runs.append(
                {"channels": width, "side": side, "memory_format": memory_format,
                 "seconds": best, "gflops": flops / best / 1e9}
            )
    return {"gflops": max(run["gflops"] for run in runs), "runs": runs}
