"""Building blocks of the compression techniques (quantization, pruning, distillation): a copy of the model
on the target device, its size as a file, its parameter and FLOP counts, a bounded fine-tune loop on the
bundle's batches, and held-out quality.

No technique is registered here.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from accelopt.errors import InputError
from accelopt.optimize.base import Target, Variant
from accelopt.optimize.steps import (  # one size for all
    bundle_optimizer,
    make_train_step,
    state_dict_bytes,
    state_dict_saver,
)
from accelopt.workload.batch import to_device
from accelopt.workload.usercode import user_call
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = ["TrainRun", "already_quantized", "batch_quality", "batch_stream", "copy_model", "evaluate", "first_tensor",
           "forward_flops", "fp32_output", "model_variant", "output_tensors", "param_count", "quality_text",
           "scores_note", "scores_place", "state_dict_bytes", "state_dict_saver", "tied_groups", "train_for",
           "train_step_for", "untied_notes"]


def first_tensor(out: Any) -> Any:
    """The scores in a model's output: the Tensor itself, the first Tensor of a tuple/list (a model returning
    (logits, aux)), `.logits` (Hugging Face's ModelOutput) or a dict's "logits" key, else the dict's first value,
    or the first field holding a Tensor of a dataclass (`Out(pred=..., aux=...)`; fields left None skipped); None
    when there is none. A plain dict's "logits" key was passed over for its first value: {"embedding": e, "logits":
    l} had its accuracy scored on the embedding's argmax (and its logits layer pruned), without a word."""
    import dataclasses

    import torch

    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "logits") and isinstance(out.logits, torch.Tensor):
        return out.logits
    if isinstance(out, tuple | list) and out:
        return first_tensor(out[0])
    if isinstance(out, dict) and isinstance(out.get("logits"), torch.Tensor):
        return out["logits"]
    if isinstance(out, dict) and out:
        return first_tensor(next(iter(out.values())))
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        found = (first_tensor(getattr(out, f.name)) for f in dataclasses.fields(out))
        return next((t for t in found if t is not None), None)
    return None


def scores_place(out: Any) -> str:
    """Where in a model's output first_tensor found the scores, for messages: 'the output', "the output's first
    item (of the tuple it returns)", "output['logits']", ... (a message naming 'the output' of a model returning
    (aux, logits) sent its user to look at the logits)."""
    import torch

    if out is None or isinstance(out, torch.Tensor):
        return "the output"
    if hasattr(out, "logits") and isinstance(out.logits, torch.Tensor):
        return "the output's .logits"
    if isinstance(out, tuple | list):
        return f"the output's first item (of the {type(out).__name__} it returns)"
    if isinstance(out, dict) and out:
        key = "logits" if isinstance(out.get("logits"), torch.Tensor) else next(iter(out))
        return f"output[{key!r}]" + ("" if key == "logits" else " (the first value of the dict it returns)")
    return "the output's first Tensor field"


def scores_note(out: Any) -> str | None:
    """A note naming the Tensor first_tensor takes as the scores of a dict output that has several Tensors and no
    "logits" key (its first value, which may not be the scores: {"hidden": h, "pred": p} read h); None otherwise."""
    import torch

    if not isinstance(out, dict) or isinstance(out.get("logits"), torch.Tensor) or \
            (hasattr(out, "logits") and isinstance(out.logits, torch.Tensor)):
        return None
    keys = [k for k, x in out.items() if output_tensors(x)]
    if len(keys) < 2:
        return None
    first = next(iter(out))
    return (f"the model returns a dict of {', '.join(repr(k) for k in keys)} and none is 'logits': its first value, "
            f"output[{first!r}], is taken as the scores (accuracy, max |diff| and top-1 agreement, distill's soft "
            "targets, the output layer prune-structured keeps whole); if it is not, return the scores under the key "
            "'logits' or first")


def output_tensors(out: Any) -> list[Any]:
    """Every Tensor in a model's output, in order, through tuples/lists, dicts (Hugging Face's ModelOutput) and
    dataclasses. torch-pruning traces the graph back from each output Tensor, and its own walk (flatten_as_list,
    1.6) stops at a dataclass: a model returning one failed prune-structured with "'Out' object is not iterable".
    A 0-dim Tensor (a scalar aux loss, as in (logits, aux_loss)) is left out: torch-pruning 1.6's output node of a
    shape-[] Tensor raises IndexError in prune_out_channels (`layer.shape[1]`), which made every group feeding it
    "break the forward" and the model "nothing could be pruned"; a scalar has no channels to keep in step."""
    import dataclasses

    import torch

    if isinstance(out, torch.Tensor):
        return [out] if out.dim() > 0 else []
    if isinstance(out, tuple | list):
        return [t for x in out for t in output_tensors(x)]
    if isinstance(out, dict):
        return [t for x in out.values() for t in output_tensors(x)]
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        return [t for f in dataclasses.fields(out) for t in output_tensors(getattr(out, f.name))]
    return []


def non_finite_other_output(out: Any) -> tuple[str, Any] | None:
    """(its name, the Tensor) of the first floating Tensor of a model's output, other than its scores (first_tensor),
    that holds NaN/inf: 'output item 1' of a tuple, "output 'aux'" of a dict or ModelOutput, 'output item 1.0' nested,
    "output field 'var'" of a dataclass; None when every one is finite. A (logits, regression) model scored by a
    callable metric on the logits had a variant whose regression head gave NaN rated as keeping the quality: only the
    scores were checked."""
    import dataclasses

    import torch

    scores = first_tensor(out)

    def walk(x: Any, name: str) -> tuple[str, Any] | None:
        if isinstance(x, torch.Tensor):
            bad = x is not scores and x.is_floating_point() and not bool(torch.isfinite(x).all())
            return (name, x) if bad else None
        items: list[tuple[str, Any]] = []
        if isinstance(x, tuple | list):
            items = [(f"{name}.{i}" if name.endswith(tuple("0123456789")) else f"{name} item {i}", v)
                     for i, v in enumerate(x)]
        elif isinstance(x, dict):
            items = [(f"{name} {k!r}", v) for k, v in x.items()]
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            items = [(f"{name} field {f.name!r}", getattr(x, f.name)) for f in dataclasses.fields(x)]
        return next((found for n, v in items if (found := walk(v, n)) is not None), None)

    return walk(out, "output")


def fp32_output(out: Any) -> Any:
    """A model's output with every floating Tensor in it as float32, the structure kept (a Tensor, tuple/list or
    named tuple, dict or Hugging Face ModelOutput, dataclass): quality is scored in fp32 against the fp32 baseline.
    A bf16 variant's {"logits": ...} was handed to loss_fn as it came, so its loss was computed in bf16 (rounded
    to 3 significant digits) while a plain Tensor output was cast first."""
    import dataclasses

    import torch

    if isinstance(out, torch.Tensor):
        return out.float() if out.is_floating_point() else out
    if isinstance(out, tuple) and hasattr(out, "_fields"):  # a named tuple: rebuilt field by field
        return type(out)(*(fp32_output(x) for x in out))
    if isinstance(out, tuple | list):
        return type(out)(fp32_output(x) for x in out)
    if isinstance(out, dict):  # dict, OrderedDict, ModelOutput (whose item assignment keeps its attributes in step)
        new = copy.copy(out)
        for k, x in out.items():
            new[k] = fp32_output(x)
        return new
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        dc: Any = copy.copy(out)
        for f in dataclasses.fields(out):
            object.__setattr__(dc, f.name, fp32_output(getattr(out, f.name)))  # frozen dataclasses too
        return dc
    return out


def copy_model(bundle: ModelBundle, target: Target, *, fp32: bool = False) -> Any:
    """A deep copy of the bundle's model on the target device (eval mode); fp32 weights when `fp32`."""
    model = copy.deepcopy(bundle.model).to(target.device)
    if fp32:
        model = model.float()
    return model.eval()


def tied_groups(model: Any) -> list[list[str]]:
    """Names of the parameters that are one tensor (e.g. ['emb.weight', 'head.weight'] for a tied output layer),
    one list per tensor held under two or more names."""
    by_id: dict[int, list[str]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        by_id.setdefault(id(p), []).append(name)
    return [names for names in by_id.values() if len(names) > 1]


def untied_notes(before: list[list[str]], model: Any, why: str) -> list[str]:
    """A note for each group of `before` (tied_groups of the model given) that `model` no longer holds as one
    tensor, saying `why` (a technique that replaced one holder's weight)."""
    now = {n: id(p) for n, p in model.named_parameters(remove_duplicate=False)}
    return [f"tied weights {' = '.join(g)} are no longer one tensor: {why}; the size counts each copy"
            for g in before if len({now.get(n) for n in g}) > 1]


def param_count(model: Any) -> int:
    return sum(int(p.numel()) for p in model.parameters())


def forward_flops(model: Any, inputs: tuple[Any, ...]) -> int:
    """FLOPs of one forward pass on `inputs`, counted by torch.utils.flop_counter.FlopCounterMode
    (2 FLOPs per multiply-accumulate of matmuls, convolutions and attention).

    Two gaps of FlopCounterMode closed: nn.MultiheadAttention / TransformerEncoderLayer's inference fast path
    (one fused op, `_transformer_encoder_layer_fwd`, that FlopCounterMode counts as 0: a 2-layer encoder read
    2,048 FLOPs, its classifier alone) is turned off while counting, so its matmuls are seen; CPU flash
    attention, which it also counts as 0, gets the same formula as capture (workload.opcount.sdpa_cpu_flops)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

    from accelopt.workload.opcount import SDPA_CPU

    def cpu_flash(q: Any, k: Any, v: Any, *args: Any, **kw: Any) -> int:  # shapes (FlopCounterMode's wrapper)
        return int(sdpa_flop_count(q, k, v))

    counter = FlopCounterMode(display=False, custom_mapping={getattr(torch.ops.aten, SDPA_CPU): cpu_flash})
    fastpath = torch.backends.mha.get_fastpath_enabled()
    try:
        torch.backends.mha.set_fastpath_enabled(False)
        with torch.no_grad(), counter:
            model(*inputs)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return int(counter.get_total_flops())


def batch_stream(bundle: ModelBundle, device: str) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """The bundle's training batches on `device`, restarting the iterator when it runs out (endless)."""
    for _ in itertools.count():
        empty = True
        for inputs, targets in bundle.batches():
            empty = False
            yield to_device(as_tuple(inputs), device), to_device(targets, device)
        if empty:
            raise InputError(f"model {bundle.name!r}: batches() yielded nothing",
                             "make batches() return an iterator with at least one (inputs, targets)")


def train_step_for(model: Any, bundle: ModelBundle, *, optimizer: Any = None,
                   loss: Callable[[Any, Any, tuple[Any, ...]], Any] | None = None) -> Callable[[Any, Any], Any]:
    """One whole training step (zero_grad(set_to_none=True), forward, loss, backward, optimizer step) with the
    bundle's optimizer (AdamW lr 1e-4 when it has none). `loss(outputs, targets, inputs)` replaces
    bundle.loss_fn (distillation adds the teacher's soft targets)."""
    opt = optimizer if optimizer is not None else bundle_optimizer(bundle, model)

    def step(inputs: Any, targets: Any) -> Any:
        inputs = as_tuple(inputs)
        opt.zero_grad(set_to_none=True)
        out = model(*inputs)
        value = loss(out, targets, inputs) if loss is not None else bundle.loss_fn(out, targets)
        value.backward()
        opt.step()
        return value.detach()

    return step


@dataclass(frozen=True, kw_only=True)
class TrainRun:
    """What a bounded training loop did."""

    steps: int
    time_s: float
    stopped_by_budget: bool
    final_loss: float
    fp32_from: str | None = None
    """The model's own reduced precision ("float16", "bfloat16") when its weights were trained in fp32 and cast
    back; None when they trained in their own dtype."""
    unfrozen: bool = False
    """Every parameter of the model was frozen (requires_grad False, as an inference-only model often is): all
    were trained for this run, then frozen again."""

    def how(self) -> str:
        """What the run did beyond its steps, for a technique's note: ', in fp32 (...)', ', every parameter
        unfrozen for it (...)', or ''."""
        return ((f", in fp32 (the model's {self.fp32_from} weights upcast for it and cast back)"
                 if self.fp32_from else "")
                + (", every parameter trained though the model's are all frozen (requires_grad False; frozen "
                   "again after)" if self.unfrozen else ""))


def _low_precision(model: Any) -> list[tuple[Any, Any]]:
    """(tensor, dtype) of every float16/bfloat16 parameter and buffer of `model`."""
    import torch

    low = (torch.float16, torch.bfloat16)
    return [(t, t.dtype) for t in (*model.parameters(), *model.buffers()) if t.dtype in low]


def _as_fp32(x: Any) -> Any:
    """Floating tensors in x as float32, its structure kept (torch's pytree: tuples, lists, dicts, namedtuples)."""
    import torch
    from torch.utils._pytree import tree_map_only

    return tree_map_only(torch.Tensor, lambda t: t.float() if t.is_floating_point() else t, x)


TRAIN_SEED = 0
"""The random seed every train_for run starts from (dropout masks, batches() shuffled from torch's RNG)."""


@contextlib.contextmanager
def seeded(seed: int, target: Target) -> Iterator[None]:
    """torch's (CPU and the target's CUDA device), Python's `random` and numpy's global generators seeded with
    `seed`, and each put back as the caller had it on leaving, exceptions included. torch alone was seeded: a
    batches() drawing from `random` or numpy (random.shuffle of the batch order, np.random augmentations) gave the
    baseline and each variant other batches, and two runs other figures, a difference no technique made."""
    import random

    import numpy as np
    import torch

    cuda = [torch.device(target.device)] if target.on_cuda else []
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def train_for(model: Any, bundle: ModelBundle, target: Target, *, what: str, max_steps: int, budget_s: float,
              step: Callable[[Any, Any], Any] | None = None) -> TrainRun:
    """_train_for from TRAIN_SEED, the run's own random state put back after. A technique's fine-tune (prune-*,
    distill) ran on wherever the run's random state stood while the same-budget baseline it is compared with
    (runner's same_budget_baseline) was seeded: with dropout, or batches() shuffled from torch's RNG, the two saw
    other masks and another batch order, a difference the technique does not make (review s31 rvfair). Python's
    `random` and numpy's generators likewise (seeded)."""
    with seeded(TRAIN_SEED, target):
        return _train_for(model, bundle, target, what=what, max_steps=max_steps, budget_s=budget_s, step=step)


def _train_for(model: Any, bundle: ModelBundle, target: Target, *, what: str, max_steps: int, budget_s: float,
               step: Callable[[Any, Any], Any] | None = None) -> TrainRun:
    """Train `model` (train mode) on the bundle's batches for `max_steps` steps or `budget_s` seconds,
    whichever comes first; back in eval mode afterwards.

    `what` names the training for an error of the model's own code ("in prune-structured's fine-tune"): each step
    runs through user_call, so a model raising in training mode (an inference-only model refusing it) is that
    variant's ModelCodeError naming the model and where, not a bare 'RuntimeError: ...' read as the technique's bug.

    A model whose weights are float16/bfloat16 (the model as given) trains in fp32, its inputs cast alike, and is
    cast back after: AdamW's update in float16 (eps 1e-8 rounds to 0) turned a half-precision CNN's weights to NaN
    within the 200 fine-tune steps of prune-structured, and a distilled student's within its 300. The tensors keep
    their identity (cast through .data), so masks and hooks (prune-unstructured) and an optimizer `step` built
    beforehand (its state is made at its first update, in fp32) still hold them."""
    low = _low_precision(model)
    for t, _ in low:
        t.data = t.data.float()
    # a model frozen whole (an inference-only model): its loss had no grad_fn, and prune-structured's fine-tune and
    # distill's training failed with 'element 0 of tensors does not require grad'
    trainable = [p for p in model.parameters() if p.is_floating_point() or p.is_complex()]
    frozen = [p for p in trainable if not p.requires_grad]
    unfrozen = bool(frozen) and len(frozen) == len(trainable)
    if unfrozen:
        for p in frozen:
            p.requires_grad_(True)
    try:
        step = step or train_step_for(model, bundle)
        model.train()
        t0 = time.perf_counter()
        done, last = 0, float("nan")
        by_budget = False
        for inputs, targets in batch_stream(bundle, target.device):
            if done >= max_steps:
                break
            if time.perf_counter() - t0 >= budget_s:
                by_budget = True
                break
            if low:
                inputs, targets = _as_fp32(inputs), _as_fp32(targets)
            last = float(user_call(bundle, f"{what}, training step {done + 1} (model.train())", step, inputs,
                                   targets))
            done += 1
        model.eval()
    finally:
        for t, dtype in low:
            t.data = t.data.to(dtype)
            t.grad = None  # an fp32 gradient would not fit the restored tensor
        if unfrozen:
            for p in frozen:
                p.requires_grad_(False)
                p.grad = None
    return TrainRun(steps=done, time_s=time.perf_counter() - t0, stopped_by_budget=by_budget, final_loss=last,
                    fp32_from=str(low[0][1]).removeprefix("torch.") if low else None, unfrozen=unfrozen)


def class_dim(scores: Any, targets: Any) -> int:
    """Where `scores` hold their classes: 1 for a (N, C, d1, ...) output with (N, d1, ...) class-index targets, the
    layout F.cross_entropy reads (https://docs.pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html:
    input (N, C, d1, ...), target (N, d1, ...)), a segmenter's (B, classes, H, W) map; else -1, the last dimension
    ((B, C), a language model's (B, T, C)), also where the targets fit both layouts."""
    shape = tuple(getattr(scores, "shape", ()))
    got = tuple(getattr(targets, "shape", ()))
    integer = hasattr(targets, "is_floating_point") and not targets.is_floating_point()
    if len(shape) >= 3 and integer and got == shape[:1] + shape[2:] and got != shape[:-1]:
        return 1
    return -1


def _check_accuracy_targets(out: Any, targets: Any, raw: Any = None, kept: Any = None) -> None:
    """Accuracy compares the argmax over the classes' dim (class_dim: the last, or dim 1 of a segmenter's
    (N, C, d1, ...) map) with class indices: targets of another shape (one-hot (B, C)) failed deep in the comparison,
    or, with as many rows as classes, broadcast to (B, B) and gave a wrong accuracy without a word. Targets outside
    0..C-1 (other than the loss's padding: `kept`, counted_targets) can match no argmax: every variant scored 0% like
    the baseline, 'within tolerance', and the quality guard was void."""
    import torch

    want = tuple(out.shape[:-1])
    if not isinstance(targets, torch.Tensor):  # (labels, boxes): read as 'the targets, shape ()', which it is not
        kind = type(targets).__name__
        parts = list(targets.values()) if isinstance(targets, dict) else \
            list(targets) if isinstance(targets, tuple | list) else []
        shapes = ", ".join(str(tuple(t.shape)) if isinstance(t, torch.Tensor) else type(t).__name__ for t in parts)
        held = f"a {kind} of {len(parts)} ({shapes})" if parts else f"a {kind}"
        raise InputError(f"metric 'accuracy' compares the argmax over the classes of {scores_place(raw)}, shape "
                         f"{tuple(out.shape)}, with one Tensor of class indices of shape {want}, but the held-out "
                         f"targets are {held}",
                         "pass a callable metric that picks the class targets, e.g. metric=lambda out, y: "
                         "float((out[0].argmax(-1) == y[0]).float().mean()) with higher_is_better=True, or "
                         "metric='loss'")
    dim = class_dim(out, targets)
    got = tuple(getattr(targets, "shape", ()))
    if got != want and dim != 1:
        raise InputError(f"metric 'accuracy' compares the argmax over the classes of {scores_place(raw)}, shape "
                         f"{tuple(out.shape)}, with the targets, shape {got}: they must be class indices of shape "
                         f"{want} (scores (B, ..., C)) or, for a segmenter's (N, C, d1, ...) map as F.cross_entropy "
                         "reads it, (N, d1, ...)",
                         "yield class indices from eval_batches (one-hot targets: y.argmax(-1)), or use "
                         "metric='loss' or a callable metric")
    labels = targets if kept is None else targets[kept]
    classes = int(out.shape[dim])
    where = "dim 1" if dim == 1 else "its last dim"
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise InputError(f"metric 'accuracy': the held-out targets range {int(labels.min())}..{int(labels.max())}, "
                         f"but {scores_place(raw)} has {classes} classes along {where} (indices "
                         f"0..{classes - 1}): no argmax can match a target outside them",
                         "yield class indices 0..C-1 from eval_batches (labels numbered from 1: y - 1), or use "
                         "metric='loss' or a callable metric")


def batch_quality(bundle: ModelBundle, out: Any, targets: Any, raw: Any = None) -> tuple[float, float]:
    """(the bundle's metric summed over one held-out batch, its weight): the one scoring rule of `optimize` (the
    runner's quality and the compression techniques' before/after figures), so the mean over batches is
    total / weight.

    accuracy: hits and target elements. loss: loss_fn x the target elements it averages over, so batches of
    different sizes or sequence lengths weigh as torch's mean reduction over all of them would (per row, a batch of
    1 x 4 tokens weighed as one of 1 x 1): every element, less those equal to the loss's ignore_index where the
    loss says it (_ignored_target: padding adds no weight, as torch's mean leaves it out). A callable metric: its
    value on the model's output as returned (`raw`, else `out`) x rows (the ModelBundle contract).

    `out` is the scores (first_tensor of the output, in fp32); `raw` the model's output as it returned it. The loss
    is loss_fn(raw, targets) when raw is a tuple, dict or ModelOutput: loss_fn's contract is the model's output (a
    loss_fn reading out["logits"] or out[0] raised, or scored the first row alone, when handed the scores)."""
    rows = float(targets.shape[0]) if getattr(targets, "shape", None) else 1.0  # (B, ...); a 0-dim target is 1
    if not hasattr(targets, "shape") and (held := output_tensors(targets) or output_tensors(out)):
        # (labels, boxes) or a dict of targets: their first Tensor's rows (B, ...); a callable metric over batches of
        # 6 and 2 samples was the plain mean of the two, each batch weighing 1 (the contract: weighted by batch size)
        rows = float(held[0].shape[0])
    elements = float(targets.numel()) if hasattr(targets, "numel") else rows
    if bundle.metric == "accuracy":  # targets equal to the loss's ignore_index (padding) left out, as its mean does
        kept = counted_targets(bundle.loss_fn, targets)
        _check_accuracy_targets(out, targets, raw, kept)
        hits = out.argmax(class_dim(out, targets)) == targets  # per pixel over the classes for a segmenter's map
        if kept is not None:
            return float(hits[kept].sum()), float(kept.sum())
        return float(hits.sum()), elements
    if bundle.metric == "loss":
        # class-index targets only: torch ignores ignore_index for class probabilities
        kept = (counted_targets(bundle.loss_fn, targets) if hasattr(targets, "is_floating_point")
                and not targets.is_floating_point() else None)
        if kept is not None:
            elements = float(kept.sum())
            if not elements:  # every target is padding: torch's mean is 0/0, the batch adds nothing
                return 0.0, 0.0
        structured = raw is not None and not isinstance(raw, type(out))
        # a per-sample loss (reduction='none') is refused by name, as profile refuses it (float() of it raised
        # 'only one element tensors can be converted to Python scalars', blamed on the model)
        return float(bundle.scalar_loss(bundle.loss_fn(raw if structured else out, targets))) * elements, elements
    # the model's output as it returned it (a metric reading out[0] of a (logits, aux) tuple scored the first row)
    metric = bundle.metric
    assert callable(metric)  # "accuracy" and "loss" returned above; ModelBundle refuses any other string
    value = user_call(bundle, f"in its metric {bundle.metric_name}(outputs, targets)", metric,
                      out if raw is None else raw, targets)
    return bundle.scalar_metric(value) * rows, rows


def counted_targets(loss_fn: Any, targets: Any) -> Any:
    """The mask of the class-index `targets` that `loss_fn` averages over: those not at its ignore_index
    (_ignored_target, padding); None where it names none (every element counts). The one filter of optimize's
    scoring: batch_quality's accuracy and loss weights, and the runner's per-target cross-entropy terms."""
    ignored = _ignored_target(loss_fn)
    return None if ignored is None else targets != ignored


def _ignored_target(loss_fn: Any) -> int | None:
    """The target value `loss_fn` leaves out of its mean, where it says one: nn.CrossEntropyLoss / nn.NLLLoss carry
    `ignore_index`; F.cross_entropy / F.nll_loss (or a function of the user's) name it as a parameter, whose default
    a functools.partial's keywords replace in its signature. None when it names none."""
    import inspect

    value = getattr(loss_fn, "ignore_index", None)
    if value is None:
        try:
            param = inspect.signature(loss_fn).parameters.get("ignore_index")
        except (TypeError, ValueError):  # a builtin without a signature
            param = None
        value = None if param is None else param.default
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def quality_text(value: float | None, metric: str) -> str:
    """A held-out quality figure in a technique's notes, as the results table shows it: accuracy in percent (the
    notes said 0.2778 beside the table's 27.78%), other metrics to 4 significant digits."""
    if value is None:
        return "n/a (no eval batches)"
    if not math.isfinite(value):
        return "NON-FINITE (NaN/inf outputs)"
    return f"{100 * value:.4g}%" if metric == "accuracy" else f"{value:.4g}"


def evaluate(forward: Callable[..., Any], bundle: ModelBundle, device: str) -> float | None:
    """The bundle's metric over its held-out batches for `forward(*inputs)` (batch_quality's weights); None
    without eval_batches or when the output holds no tensor; NaN when an output holds NaN/inf (argmax of NaN
    scores counted as hits: a NaN student read 28% accuracy)."""
    import torch

    if bundle.eval_batches is None:
        return None
    total = weight = 0.0
    with torch.inference_mode():
        for inputs, targets in bundle.eval_batches():
            raw = fp32_output(forward(*to_device(as_tuple(inputs), device)))
            out = first_tensor(raw)
            if out is None:
                return None
            if not bool(torch.isfinite(out).all()):
                return math.nan
            t, w = batch_quality(bundle, out.float(), to_device(targets, device), raw)
            total += t
            weight += w
    return total / weight if weight else None


def model_variant(technique: str, model: Any, bundle: ModelBundle, target: Target, **kw: Any) -> Variant:
    """A Variant whose forward is `model` itself, with the standard train step in train mode and a state-dict
    saver and size unless given."""
    # make_train_step: under the baseline's --dtype autocast like every other variant's step (train_step_for ran a
    # pruned or distilled model's --dtype bf16 step in fp32)
    train_step = make_train_step(model, bundle, target) if target.mode == "train" else None
    if train_step is not None:
        model.train()
    kw.setdefault("save", state_dict_saver(model, technique))
    kw.setdefault("size_bytes", state_dict_bytes(model))
    return Variant(technique=technique, model=model, forward=model, train_step=train_step, **kw)


def linear_count(model: Any) -> int:
    from torch import nn

    return sum(1 for m in model.modules() if isinstance(m, nn.Linear))


def raw_matrix_count(model: Any) -> int:
    """2-dim parameters a module holds itself outside nn.Linear, nn.Embedding and the convolutions, e.g.
    `self.w = nn.Parameter(torch.randn(64, 128))` used as `x @ self.w`: exported to ONNX as a MatMul with a
    constant weight, which onnxruntime's quantize_dynamic quantizes as it does a Linear's (recurrent layers' weights
    are their own kind, left out)."""
    from torch import nn

    kinds = (nn.Linear, nn.Embedding, nn.EmbeddingBag, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.RNNBase)
    return sum(1 for m in model.modules() if not isinstance(m, kinds)
               for p in m.parameters(recurse=False) if p.dim() == 2)


def dynamic_int8_count(model: Any) -> int:
    """Layers whose weights onnxruntime's quantize_dynamic makes int8 (MatMul/Gemm, Gather, LSTM): nn.Linear,
    2-dim parameters used in a matmul (raw_matrix_count), nn.Embedding and nn.LSTM (a GRU it leaves in float)."""
    from torch import nn

    return (linear_count(model) + raw_matrix_count(model)
            + sum(1 for m in model.modules() if isinstance(m, (nn.Embedding, nn.LSTM))))


_QUANTIZED_NAMESPACES = ("torch.ao.nn.quantized", "torch.nn.quantized", "torch.ao.nn.intrinsic.quantized")


def quantized_layers(model: Any) -> list[str]:
    """'name (Class)' of each layer already quantized: a torch.ao quantized module (quantize_dynamic's
    DynamicQuantizedLinear, convert's QuantizedConv2d: int8 packed weights, not an nn.Linear/Conv), or a layer whose
    weight is a torchao tensor subclass (quantize_'s)."""
    out: list[str] = []
    for name, m in model.named_modules():
        if any(name.startswith(f"{seen.partition(' ')[0]}.") for seen in out):
            continue  # a quantized layer's own parts (its LinearPackedParams)
        weight = m.__dict__.get("_parameters", {}).get("weight")
        where = type(m).__module__.partition(".modules")[0]  # the public path: torch.ao.nn.quantized.dynamic
        torchao = type(weight).__module__.startswith("torchao")
        if where.startswith(_QUANTIZED_NAMESPACES) or torchao:
            out.append(f"{name or type(m).__name__} ({where}.{type(m).__name__}"
                       + (f", torchao {type(weight).__name__} weight)" if torchao else ")"))
    return out


def already_quantized(bundle: ModelBundle, technique: str) -> str | None:
    """Why `technique`, which needs float weights, does not apply to a model already quantized; None otherwise. Each
    technique's own check misread such a model ('has no nn.Linear layer', 'every group is an output layer') and
    pointed at another that did not apply either."""
    layers = quantized_layers(bundle.model)
    if not layers:
        return None
    return (f"{bundle.name} is already quantized ({len(layers)} quantized layers: {', '.join(layers[:3])}"
            f"{', ...' if len(layers) > 3 else ''}), and {technique} starts from float weights — give optimize the "
            "float model (before quantize_dynamic / convert / quantize_): it measures int8 against it")


def conv_count(model: Any) -> int:
    from torch import nn

    return sum(1 for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)))
