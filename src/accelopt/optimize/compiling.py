"""Compilation with torch.compile (TorchDynamo graph capture + TorchInductor code generation).

Inductor fuses elementwise chains into generated C++/OpenMP (CPU) or Triton (GPU) kernels and removes
Python dispatch per op (PyTorch 2 paper: Ansel et al. 2024, "PyTorch 2: Faster Machine Learning
Through Dynamic Python Bytecode Transformation and Graph Compilation", ASPLOS, sec. 4-5). The first
calls compile; that time is reported as setup, apart from the step time. mode="max-autotune" also
benchmarks kernel choices (longer compile); mode="reduce-overhead" replays CUDA graphs (GPU only).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from accelopt.errors import UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, register
from accelopt.optimize.steps import copy_model, first_batch_on, make_train_step, state_dict_saver
from accelopt.workload.userfile import ModelBundle, as_tuple

_CXX_FIX = ("install a C++ compiler (Debian/Ubuntu: apt-get install g++; macOS: xcode-select --install) "
            "or point CXX at one")


def cxx_compiler() -> str | None:
    """The C++ compiler Inductor's CPU backend would call ($CXX, else g++, c++, clang++ on PATH)."""
    env = os.environ.get("CXX")
    if env:
        return shutil.which(env)
    return next((p for p in map(shutil.which, ("g++", "c++", "clang++")) if p), None)


def _toolchain_missing(target: Target) -> str | None:
    if target.on_cuda:
        if importlib.util.find_spec("triton") is None:
            return "torch.compile on CUDA needs Triton, which is not installed here: pip install triton"
        return None
    if cxx_compiler() is None:
        return f"torch.compile on CPU generates C++ and no C++ compiler was found; {_CXX_FIX}"
    return None


def warm_compile(model: Any, bundle: ModelBundle, target: Target, prepare: Any = None) -> float:
    """Seconds spent on the first calls (where compilation happens): a forward (inference) or forward +
    backward (train; grads then cleared, no optimizer step, so the weights are unchanged). The calls leave the
    model as they found it (_state_kept): in train mode two forwards moved BatchNorm's running statistics and drew
    dropout masks, so the compiled variant was scored after two extra updates (a CNN read 18.75% held-out accuracy
    against the baseline's 6.25%, a change compile does not make)."""
    with _state_kept(model):
        return _warm(model, bundle, target, prepare)


@contextlib.contextmanager
def _state_kept(model: Any) -> Iterator[None]:
    """The model's buffers (BatchNorm statistics, counters) put back after the block through .data (the tensors the
    compiled graph holds keep their identity), and the random state (CPU and CUDA) as it was before."""
    import torch

    kept = [(b, b.detach().clone()) for b in model.buffers()]
    with torch.random.fork_rng(devices=range(torch.cuda.device_count()) if torch.cuda.is_available() else []):
        try:
            yield
        finally:
            with torch.no_grad():
                for b, before in kept:
                    b.data.copy_(before)


def _warm(model: Any, bundle: ModelBundle, target: Target, prepare: Any) -> float:
    import torch

    inputs, targets = first_batch_on(bundle, target)  # a dict of labels too: left on the host, the loss failed
    if prepare is not None:
        inputs = prepare(inputs)
    t0 = time.perf_counter()
    try:
        if target.mode == "train":
            for _ in range(2):  # the second call settles guards/recompiles
                bundle.loss_fn(model(*as_tuple(inputs)), targets).backward()
            for p in model.parameters():
                p.grad = None
        else:
            with torch.inference_mode():
                for _ in range(2):
                    model(*as_tuple(inputs))
    except Exception as e:  # Dynamo/Inductor failures surface here, at the first call
        if "compiler" in str(e).lower() and ("c++" in str(e).lower() or "cxx" in str(e).lower()):
            raise UnsupportedError(f"torch.compile could not build its C++ kernels: {str(e)[:200]}", _CXX_FIX) from e
        raise UnsupportedError(f"torch.compile failed on this model: {type(e).__name__}: {str(e)[:300]}",
                               "skip it (--skip compile) or make the model traceable (see torch._dynamo.explain)"
                               ) from e
    if target.on_cuda:
        torch.cuda.synchronize(target.device)
    return time.perf_counter() - t0


_BREAK_COUNTERS = ("graph_break", "unimplemented")
"""torch._dynamo.utils.counters' groups whose keys are the reasons Dynamo stopped a graph (torch 2.13: a
Tensor.item() call under 'graph_break', data-dependent branching under 'unimplemented')."""


def _dynamo_counts() -> dict[str, dict[str, int]]:
    """A copy of TorchDynamo's process-wide counters (torch._dynamo.utils.counters): the graphs captured
    (stats/unique_graphs) and the graph-break reasons; {} where the module is not there."""
    try:
        from torch._dynamo.utils import counters
    except ImportError:
        return {}
    return {group: dict(counters.get(group, {})) for group in ("stats", *_BREAK_COUNTERS)}


def graph_break_note(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> str | None:
    """A note where compiling the model's first calls captured more than one graph: how many, and Dynamo's reason for
    each break (the first line of its message), counted from the counters' change over the calls. A forward whose
    `if h.mean() > 0.2` and `.item()` loop count broke it into 3 graphs ran 0.63x, and only Dynamo's log lines on
    stderr (not the variant's notes, JSON or page) said why."""
    def grew(group: str) -> dict[str, int]:
        was = before.get(group, {})
        return {k: n - was.get(k, 0) for k, n in after.get(group, {}).items() if n > was.get(k, 0)}

    graphs = grew("stats").get("unique_graphs", 0)
    reasons = {k.strip().splitlines()[0]: n for group in _BREAK_COUNTERS for k, n in grew(group).items() if k.strip()}
    if not reasons:  # more graphs without a break reason are recompiles (a guard failed), not breaks
        return None
    said = "; ".join(f"{r} (x{n})" if n > 1 else r for r, n in list(reasons.items())[:3])
    return (f"GRAPH BREAKS: TorchDynamo captured {graphs} graph{'s' if graphs != 1 else ''} over the first two calls"
            + f", breaking at: {said}; the Python between the graphs runs eagerly, each break "
            "costs a return to the interpreter (torch._dynamo.explain(model)(*inputs) lists them with their lines)")


def _untraced_rnn_note(model: Any) -> str | None:
    """A note naming the model's recurrent layers when TorchDynamo will not trace them
    (torch._dynamo.config.allow_rnn, False by default): a forward calling nn.LSTM runs eagerly around a graph break,
    and one that starts with it was not compiled at all (an LSTM language model: 0 graphs captured, the
    'compile-max-autotune' variant's compilation '0.0 s'), so the variant measured eager code without a word."""
    import torch
    from torch import nn

    kinds = sorted({type(m).__name__ for m in model.modules() if isinstance(m, nn.RNNBase)})
    if not kinds or getattr(torch._dynamo.config, "allow_rnn", False):
        return None
    return (f"the model's {', '.join(kinds)} layers are not compiled: TorchDynamo does not trace recurrent modules "
            "(torch._dynamo.config.allow_rnn is False), so they run eagerly, with a graph break at each call, and a "
            "forward that starts with one may be left out of compilation entirely: this variant's time is then "
            "mostly eager PyTorch")


class _CompileBase(Technique):
    family = "compilation"
    modes = ("train", "inference")
    wraps_model: ClassVar[bool] = True  # torch.compile's OptimizedModule around a copy of the user's module
    mode_arg: ClassVar[str] = "default"
    option_specs: ClassVar[dict[str, OptionSpec]] = {  # torch.compile's modes (torch/__init__.py, compile())
        "mode": OptionSpec("default", str,
                           choices=("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"))}
    risks = ("graph breaks fall back to eager; recompiles on new input shapes; a compiler bug can change "
             "numerics slightly")

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        return super().not_applicable(bundle, target) or _toolchain_missing(target)

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        mode = self.opt({"mode": self.mode_arg, **options}, "mode")
        model = torch.compile(copy_model(bundle, target), mode=mode)
        before = _dynamo_counts()
        setup_s = warm_compile(model, bundle, target)
        breaks = graph_break_note(before, _dynamo_counts())
        step = make_train_step(model, bundle, target) if target.mode == "train" else None
        notes = [f"torch.compile(mode={mode!r}); first two calls (compilation) took {setup_s:.1f} s, reported as setup"]
        rnn = _untraced_rnn_note(bundle.model)
        return Variant(technique=self.name, model=model, forward=model, train_step=step, setup_s=setup_s,
                       params={"mode": mode}, notes=notes + [n for n in (breaks, rnn) if n],
                       save=state_dict_saver(model, self.name))


@register
class Compile(_CompileBase):
    name = "compile"
    changes = "torch.compile(model): TorchDynamo graph capture, Inductor-fused kernels, no per-op Python dispatch"


@register
class CompileMaxAutotune(_CompileBase):
    name = "compile-max-autotune"
    mode_arg = "max-autotune"
    changes = "torch.compile(mode='max-autotune'): as compile, and benchmarks kernel/tile choices (longer compile)"


@register
class CudaGraphs(_CompileBase):
    name = "cuda-graphs"
    mode_arg = "reduce-overhead"
    changes = "torch.compile(mode='reduce-overhead'): compiled graph replayed as a CUDA graph (one launch per step)"
    risks = "static input shapes and addresses; memory held by the graph pool; outputs overwritten by the next replay"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        if not target.on_cuda:
            return "CUDA graphs (mode='reduce-overhead') exist only on NVIDIA GPUs; this run is on CPU"
        return super().not_applicable(bundle, target)
