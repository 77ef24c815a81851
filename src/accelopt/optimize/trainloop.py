"""Training-loop techniques: activation checkpointing, gradient accumulation, fused/foreach optimizers and
the input pipeline (DataLoader worker, pinned memory, non-blocking copies).

Activation checkpointing keeps only each block's input and recomputes the block in backward (Chen et al.
2016, "Training Deep Nets with Sublinear Memory Cost"): activation memory down, about one extra forward
of time up. Gradient accumulation splits a batch into micro-batches whose gradients add up to the same
mean gradient: activation memory of one micro-batch. A fused optimizer updates all parameters in one
kernel (or a few multi-tensor `foreach` kernels) instead of a loop of small ops per parameter.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from accelopt.errors import InputError, UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, register
from accelopt.optimize.steps import (
    CHECKPOINT_SEGMENTS,
    baseline_autocast,
    bundle_optimizer,
    copy_model,
    first_batch_on,
    is_structural,
    make_train_step,
    mark_structural,
    plain_variant,
    state_dict_saver,
)
from accelopt.units import fmt_bytes
from accelopt.workload.batch import to_device
from accelopt.workload.userfile import ModelBundle, as_tuple


# ---------------------------------------------------------------- activation checkpointing
def _block_lists(model: Any) -> list[tuple[str, Any]]:
    """(name, container) of every ModuleList/Sequential with 2+ children; those inside no other first, then the
    longest first. Longest first alone left an encoder-decoder's 2-block decoder list out of the 8 tried, behind
    the 3-layer Sequential MLPs inside its blocks."""
    from torch import nn

    found = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.ModuleList | nn.Sequential) and len(m) >= 2]
    names = [n for n, _ in found]
    return sorted(found, key=lambda nm: (sum(_inside(nm[0], o) for o in names), -len(nm[1])))


def _inside(a: str, b: str) -> bool:
    """True if module path a is strictly inside b ('' is the model itself)."""
    return a != b and (not b or a.startswith(b + "."))


def _checkpoint_wrapper_class() -> type:
    from torch import nn

    class Checkpointed(nn.Module):
        """Runs `inner` under torch.utils.checkpoint (non-reentrant): its activations are recomputed in backward.
        Marked (CHECKPOINTED) so a saved variant drops it from the names (steps._user_modules)."""

        accelopt_checkpointed = True

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            """An attribute the wrapper lacks is the block's, as torch's own CheckpointWrapper forwards it
            (torch.distributed.algorithms._checkpoint.checkpoint_wrapper.ActivationWrapper.__getattr__): the code
            around a block reads its attributes, and nn.TransformerEncoder's forward (layers[0].self_attn) failed
            every step with "'Checkpointed' object has no attribute 'self_attn'"."""
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(super().__getattr__("inner"), name)

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            """Keyword arguments pass through (non-reentrant checkpoint takes them): a Hugging Face block is called
            as block(hidden, layer_past=..., attention_mask=..., use_cache=...), and every GPT-2 step failed with
            'unexpected keyword argument layer_past'."""
            import contextlib

            from torch.utils.checkpoint import checkpoint

            if not self.training or getattr(self, "accelopt_bypass", False):  # bypass: _largest_recompute_bytes
                return self.inner(*args, **kwargs)
            return checkpoint(self.inner, *args, use_reentrant=False,
                              context_fn=lambda: (contextlib.nullcontext(), _stats_frozen(self.inner)), **kwargs)

    return Checkpointed


@contextlib.contextmanager
def _stats_frozen(block: Any) -> Iterator[None]:
    """The block's batch-norm layers end with the running statistics they began with: used around the recomputed
    forward in backward, which (train mode) updated running_mean/var and num_batches_tracked a second time per step
    (2 batches counted per step; the running mean moved twice as far). The recomputation runs unchanged (the same
    tensors saved as the first forward's: turning track_running_stats off saved fewer and torch.utils.checkpoint
    refused it); the buffers are put back afterwards through .data, which leaves autograd's version counters of the
    saved running statistics as they were."""
    from torch.nn.modules.batchnorm import _BatchNorm

    kept = [(x, x.detach().clone()) for m in block.modules() if isinstance(m, _BatchNorm)
            for x in (m.running_mean, m.running_var, m.num_batches_tracked) if x is not None]
    try:
        yield
    finally:
        for x, before in kept:
            x.data.copy_(before)


def _saved_bytes(model: Any, bundle: ModelBundle, target: Target) -> float:
    """Bytes autograd saves for backward in one forward + loss of the first batch (weights excluded)."""

    from accelopt.measure.memory import SavedTensorMeter

    inputs, targets = first_batch_on(bundle, target)
    meter = SavedTensorMeter(exclude=model.parameters())
    with meter.track(), _stats_frozen(model):  # a count, not a step: the variant's BatchNorm statistics stay as given
        loss = bundle.loss_fn(model(*inputs), targets)
    del loss
    return meter.saved_bytes


@register
class ActivationCheckpointing(Technique):
    name = "activation-checkpointing"
    recorded_names = ("blocks", "saved_bytes_before", "saved_bytes_after")
    family = "training-loop"
    modes = ("train",)
    changes = ("the blocks of the model's block lists (of up to 8 tried; every list of blocks that lowers the "
               "activation bytes saved for backward, e.g. an encoder's and a decoder's) recomputed in backward")
    risks = "about one extra forward per step (slower); no change to the math"
    composable: ClassVar[bool] = True

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why is None and not _block_lists(bundle.model):
            return ("the model has no list of blocks (nn.ModuleList or nn.Sequential of 2+ modules) to checkpoint; "
                    "to use it, hold the repeated blocks in an nn.ModuleList that forward loops over")
        return why

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        before = _saved_bytes(copy_model(bundle, target), bundle, target)
        model, names, whats, after = _least_saved(bundle, target, before)
        lists = ", ".join(repr(n or "the model") for n in names)
        if after >= before:  # only the recomputation would be timed: a head's Linear, ReLU, Linear read 0.52x
            raise UnsupportedError(
                f"checkpointing {lists} leaves the activation bytes saved "
                f"for backward as they were ({fmt_bytes(before, binary=True)} -> {fmt_bytes(after, binary=True)}, "
                "counted with saved_tensors_hooks on the first batch): it would only add the recomputation",
                "hold the repeated blocks in an nn.ModuleList that forward loops over")
        if before - after < MIN_SAVED_SHARE * before:
            # a ResNet whose blocks are attributes, not a list: its 1x1 shortcut's Sequential(Conv, BN) was taken,
            # 4,561,924 -> 4,561,412 bytes (512 B, 0.01%), measured 0.79x and noted '4.35 MiB -> 4.35 MiB'
            raise UnsupportedError(
                f"checkpointing {lists}, the list saving most, saves only {fmt_bytes(before - after, binary=True)} of "
                f"the {fmt_bytes(before, binary=True)} of activations saved for backward "
                f"({(before - after) / before:.2%}, under {MIN_SAVED_SHARE:.0%}; counted with saved_tensors_hooks on "
                "the first batch): it would mostly add the recomputation",
                "hold the repeated blocks in an nn.ModuleList that forward loops over")
        notes = [f"checkpointed {' and '.join(whats)}" + _lists_text(whats),
                 # fmt_bytes: '0.00 MiB -> 0.00 MiB' said nothing of a small model's 9.4 KiB -> 7.1 KiB
                 f"activations saved for backward: {fmt_bytes(before, binary=True)} -> "
                 f"{fmt_bytes(after, binary=True)} (counted with saved_tensors_hooks on the first batch)"]
        recompute = _largest_recompute_bytes(model, bundle, target)
        if after + recompute > 0:
            # Chen et al. 2016 (arXiv:1604.06174), sec. 3: checkpointed training holds the checkpoints plus one
            # segment's activations, recomputed in backward; the checkpoints alone (`after`) read 279 for batch 8
            # of 2 LSTM segments, where the recomputed segment alone holds half the baseline's activations
            larger = int(bundle.batch_size * before / (after + recompute))
            # one block holding nearly all the activations leaves no room: 'batch 16 could grow to about 15'
            grows = (f"batch {bundle.batch_size} could grow to about {larger}" if larger > bundle.batch_size else
                     f"no batch larger than {bundle.batch_size} fits (the largest block's recomputation needs about "
                     f"what the baseline saved, {fmt_bytes(before, binary=True)})")
            notes.append(f"at the baseline's activation memory, {grows} (estimate: the "
                         f"{fmt_bytes(after, binary=True)} kept + the largest checkpointed "
                         f"block's {fmt_bytes(recompute, binary=True)} recomputed in backward (Chen et al. 2016, "
                         "sec. 3), scaling linearly with the batch)")
        params = {"blocks": ", ".join(names), "saved_bytes_before": before, "saved_bytes_after": after}
        return plain_variant(self.name, model, bundle, target, notes=notes, params=params)


def _largest_recompute_bytes(model: Any, bundle: ModelBundle, target: Target) -> float:
    """Bytes the largest checkpointed block of `model` saves for backward when run without its checkpoint, in one
    forward + loss of the first batch (weights excluded): what its recomputation holds at once in backward."""
    import torch

    from accelopt.measure.memory import counting_saved_tensors
    from accelopt.workload.storage import storage_key

    blocks = [m for m in model.modules() if getattr(m, "accelopt_checkpointed", False)]
    exclude = {storage_key(p) for p in model.parameters()}
    per_block: dict[int, float] = {}
    seen: set[tuple[int, int]] = set()
    running: list[int] = []

    def pack(t: Any) -> Any:
        key = storage_key(t)
        if running and key not in exclude and key not in seen and key[0] != 0:
            seen.add(key)
            per_block[running[-1]] = per_block.get(running[-1], 0.0) + key[1]
        return t

    def enter(i: int) -> Any:
        def hook(*_: Any) -> None:
            running.append(i)
        return hook

    def leave(*_: Any) -> None:  # returns None: a forward hook's value replaces the block's output
        running.pop()

    handles = [b.register_forward_pre_hook(enter(i)) for i, b in enumerate(blocks)]
    handles += [b.register_forward_hook(leave) for b in blocks]
    for b in blocks:
        object.__setattr__(b, "accelopt_bypass", True)
    inputs, targets = first_batch_on(bundle, target)
    try:
        cuda = [torch.device(target.device)] if str(target.device).startswith("cuda") else []
        with counting_saved_tensors(pack), _stats_frozen(model), \
                torch.random.fork_rng(devices=cuda):
            loss = bundle.loss_fn(model(*inputs), targets)
        del loss
    finally:
        for h in handles:
            h.remove()
        for b in blocks:
            object.__setattr__(b, "accelopt_bypass", False)
    return max(per_block.values(), default=0.0)


def _lists_text(whats: list[str]) -> str:
    """' (N block lists)' when more than one list was checkpointed, '' otherwise."""
    return f" ({len(whats)} block lists)" if len(whats) > 1 else ""


MIN_SAVED_SHARE = 0.01
"""Least share of the activation bytes saved for backward that checkpointing must remove to be measured: below it the
variant is the recomputation alone (0.01% saved read 0.79x)."""

MAX_BLOCK_LISTS = 8
"""Block lists tried (as _block_lists orders them), each on its own copy: one forward + loss of the first batch each."""


def _least_saved(bundle: ModelBundle, target: Target, before: float) -> tuple[Any, list[str], list[str], float]:
    """(model, block lists' names, what was checkpointed in each, bytes saved for backward) of the block lists whose
    checkpointing together leaves the fewest bytes saved, found by counting them. Each list is counted alone; the
    one leaving the fewest is taken, then each other list of blocks (_repeated) that lowered the count alone is
    added, the best first, if it is not inside (or around) one already taken and the count with it is lower still
    (a head's Sequential of Linear, BatchNorm, Linear is not added: not the blocks a user means). The longest list
    alone was taken first (a CNN's stem rather than its residual blocks: 0.01% saved), then the best list alone
    (a T5's decoder.block without its encoder.block, an nn.Transformer's decoder without its encoder: about half
    the saving)."""
    counted: list[tuple[float, int]] = []
    best: tuple[Any, list[str], list[str], float] | None = None
    first_error: Exception | None = None
    for i in range(min(MAX_BLOCK_LISTS, len(_block_lists(bundle.model)))):
        try:
            trial = _checkpointed(bundle, target, [i])
        except Exception as e:  # a list whose checkpointing breaks the forward (a Sequential fed several inputs)
            first_error = first_error or e
            continue
        counted.append((trial[3], i))
        if best is None or trial[3] < best[3]:
            best = trial
    if best is None:
        assert first_error is not None, "not_applicable refuses a model without block lists"
        raise first_error
    alone = sorted(counted)
    lists = _block_lists(bundle.model)
    chosen = [alone[0][1]]
    for saved, i in alone[1:]:
        if saved >= before or not _repeated(lists[i][1]) or any(_nested(n, lists[i][0]) for n in best[1]):
            continue  # saves nothing alone, not a list of like blocks (a head), or inside (around) a list taken
        try:
            trial = _checkpointed(bundle, target, [*chosen, i])
        except Exception:  # this list together with the others breaks the forward: leave it out
            continue
        if trial[3] < best[3]:
            best, chosen = trial, [*chosen, i]
    return best


def _checkpointed(bundle: ModelBundle, target: Target, picks: list[int]) -> tuple[Any, list[str], list[str], float]:
    """(model, names, what, bytes saved for backward) of a copy with the block lists at `picks` (indices into
    _block_lists) checkpointed; none is inside another, so wrapping one leaves the others' names as they were."""
    model = copy_model(bundle, target)
    lists = [_block_lists(model)[i] for i in picks]
    names, whats = [], []
    for name, blocks in lists:
        model, what = _checkpoint(model, name, blocks)
        names.append(name)
        whats.append(what)
    return model, names, whats, _saved_bytes(model, bundle, target)


def _repeated(blocks: Any) -> bool:
    """True for a list of blocks: an nn.ModuleList (its parent loops over it; a hybrid's Mamba and attention layers
    differ in class) or a Sequential whose children are of one class (a stage's residual blocks), not a head's
    Sequential of Linear, activation, Linear."""
    from torch import nn

    return isinstance(blocks, nn.ModuleList) or len({type(b) for b in blocks}) == 1


def _nested(a: str, b: str) -> bool:
    """True if module path a is b, inside b or around b ('' is the model itself, around everything)."""
    return a == b or _inside(a, b) or _inside(b, a)


def _checkpoint(model: Any, name: str, blocks: Any) -> tuple[Any, str]:
    """Wrap blocks in checkpoints: each element of a ModuleList (its parent loops over them), or ~sqrt(n)
    segments of a Sequential (Chen et al. 2016, sec. 3: sqrt(n) segments keep O(sqrt(n)) activations)."""
    import math

    from torch import nn

    wrap = _checkpoint_wrapper_class()
    label = repr(name or "the model")
    if isinstance(blocks, nn.ModuleList):
        for i in range(len(blocks)):
            blocks[i] = wrap(blocks[i])
        return model, f"each of the {len(blocks)} blocks of {label}"
    children = list(blocks)
    k = max(2, round(math.sqrt(len(children))))
    size = math.ceil(len(children) / k)
    segments = nn.Sequential(*(wrap(nn.Sequential(*children[i:i + size])) for i in range(0, len(children), size)))
    object.__setattr__(segments, CHECKPOINT_SEGMENTS, True)  # saved with the user's layer numbers (steps)
    if not name and is_structural(model):
        mark_structural(segments)  # the segments replace the model: keep its mark
    if not name:
        return segments, f"{len(segments)} segments of the model's {len(children)} layers"
    parent_name, _, attr = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attr, segments)
    return model, f"{len(segments)} segments of the {len(children)} layers of {label}"


# ---------------------------------------------------------------- gradient accumulation
def _split(x: Any, k: int) -> list[Any]:
    """x as k micro-batches: every tensor in it split along dim 0 (torch.tensor_split), its structure kept (torch's
    pytree: tuples, lists, dicts, namedtuples; a dict of targets was handed whole to every micro-batch, so the
    loss met k times its rows); anything else repeated."""
    import torch
    from torch.utils._pytree import tree_flatten, tree_unflatten

    leaves, spec = tree_flatten(x)
    parts = [list(torch.tensor_split(v, k)) if isinstance(v, torch.Tensor) else [v] * k for v in leaves]
    return [tree_unflatten([p[i] for p in parts], spec) for i in range(k)]


def _micro_batches(options: dict[str, Any], bundle: ModelBundle) -> int:
    """grad-accumulation's micro_batches option, checked against the bundle's batch size."""
    k = options.get("micro_batches", 2)
    if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= bundle.batch_size:
        raise InputError(f"grad-accumulation micro_batches = {k!r} must be an integer from 2 to the batch size "
                         f"({bundle.batch_size})", "fix micro_batches in the recipe")
    return k


@register
class GradientAccumulation(Technique):
    name = "grad-accumulation"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"micro_batches": OptionSpec(2, int, lo=2, hi=1024)}
    family = "training-loop"
    modes = ("train",)
    changes = "each batch split into micro-batches whose gradients are accumulated before one optimizer step"
    risks = "batch-dependent layers (BatchNorm) see smaller batches; more, smaller kernels (slower)"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why is None and bundle.batch_size < 2:
            return "batch size 1 cannot be split into micro-batches"
        return why

    def check_bundle(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> None:
        """A recipe's micro_batches over this model's batch size was refused when its turn came, after the baseline
        (and profile's bounds) had been measured."""
        if not self.not_applicable(bundle, target):
            _micro_batches(options, bundle)

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        k = _micro_batches(options, bundle)
        model = copy_model(bundle, target)
        opt = bundle_optimizer(bundle, model)

        backward_done: list[Callable[[], None]] = []  # the runner's memory meter, while it counts (runner)
        under_dtype = baseline_autocast(model, target)

        def step(inputs: Any, targets: Any) -> Any:
            opt.zero_grad(set_to_none=True)
            total = 0.0
            parts = list(zip(_split(as_tuple(inputs), k), _split(targets, k), strict=True))
            n = sum(int(_rows(t)) for _, t in parts)
            for x, t in parts:  # mean loss over the whole batch: each micro-batch weighted by its share
                with under_dtype():
                    loss = bundle.loss_fn(model(*x), t) * (_rows(t) / n)
                loss.backward()
                for done in backward_done:  # this micro-batch's activations are freed
                    done()
                total += float(loss.detach())
            opt.step()
            return total

        step.optimizer = opt  # type: ignore[attr-defined]  # its state, counted in the CPU train memory (runner)
        step.backward_done = backward_done  # type: ignore[attr-defined]
        return Variant(technique=self.name, model=model, forward=model, train_step=step, params={"micro_batches": k},
                       notes=[f"{k} micro-batches of {_micro_batch_sizes(bundle.batch_size, k)} samples per optimizer "
                              "step; same mean "
                              "gradient as the whole batch for a per-sample mean loss" + _batch_norm_text(model)],
                       save=state_dict_saver(model, self.name))


def _micro_batch_sizes(batch: int, k: int) -> str:
    """The sizes torch.tensor_split gives `batch` rows in `k` parts (the first batch % k one row longer): '4', or
    '1-2' for 3 rows in 2 (the note said '~1' of micro-batches of 2 and 1)."""
    small, extra = divmod(batch, k)
    return str(small) if extra == 0 else f"{small}-{small + 1}"


def _batch_norm_text(model: Any) -> str:
    """What BatchNorm changes under micro-batches ('' without it): the note said 'same mean gradient as the whole
    batch' of a BatchNorm CNN, whose layers normalize over each micro-batch (as profile --nproc's note says of
    DDP ranks), so its gradients and running statistics are not the whole batch's."""
    from torch.nn.modules.batchnorm import _BatchNorm

    names = [n for n, m in model.named_modules() if isinstance(m, _BatchNorm)]
    if not names:
        return ""
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    return (f", except here: {len(names)} BatchNorm layer(s) ({shown}) "
            "normalize over each micro-batch, not the whole batch, so the gradients and running statistics differ "
            "from the baseline's (the quality column shows by how much)")


def _rows(t: Any) -> int:
    """Samples in a micro-batch's targets: dim 0 of their first tensor (any structure), 1 without one."""
    import torch
    from torch.utils._pytree import tree_leaves

    first = next((v for v in tree_leaves(t) if isinstance(v, torch.Tensor)), None)
    return int(first.shape[0]) if first is not None and first.dim() else 1


# ---------------------------------------------------------------- fused / foreach optimizer
def _fused_kwargs(opt_cls: type, target: Target) -> dict[str, bool] | None:
    """{'fused': True} where the optimizer class takes it, else {'foreach': True}, else None."""
    params = inspect.signature(opt_cls).parameters
    if "fused" in params:
        return {"fused": True}
    if "foreach" in params:
        return {"foreach": True}
    return None


@register
class FusedOptimizer(Technique):
    name = "fused-optimizer"
    recorded_names = ("fused", "foreach")
    family = "training-loop"
    modes = ("train",)
    changes = ("the same optimizer rebuilt with fused=True (one kernel) or foreach=True (multi-tensor), "
               "zero_grad(set_to_none=True)")
    risks = "none for the math beyond float reassociation; fused kernels exist for Adam/AdamW/SGD"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why:
            return why
        opt = bundle.optimizer()
        if _fused_kwargs(type(opt), target) is None:
            return f"{type(opt).__name__} has no fused or foreach implementation"
        return None

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        model = copy_model(bundle, target)
        template = bundle.optimizer()
        cls = type(template)
        kw = _fused_kwargs(cls, target) or {}
        accepted = inspect.signature(cls).parameters  # defaults hold internal keys too (AdamW: decoupled_weight_decay)
        defaults = {k: v for k, v in template.defaults.items()
                    if k in accepted and k not in ("fused", "foreach", "differentiable")}
        try:
            opt = cls(model.parameters(), **defaults, **kw)
        except (RuntimeError, TypeError, ValueError) as e:  # e.g. fused not supported on this device/dtype
            kw = {"foreach": True}
            opt = cls(model.parameters(), **defaults, **kw)
            note = f"fused=True refused ({str(e)[:120]}); using foreach=True"
        else:
            note = f"{cls.__name__}({', '.join(f'{k}=True' for k in kw)})"
        step = make_train_step(model, bundle, target, optimizer=opt)
        return Variant(technique=self.name, model=model, forward=model, train_step=step, params=dict(kw),
                       notes=[note, "zero_grad(set_to_none=True) in every step (the baseline's step does the same)"],
                       save=state_dict_saver(model, self.name))


# ---------------------------------------------------------------- input pipeline
def _endless_dataset_class() -> type:
    from torch.utils.data import IterableDataset

    class Endless(IterableDataset):  # type: ignore[misc]
        """The bundle's batches, restarted whenever they run out (one worker: no duplicates)."""

        def __init__(self, make: Any) -> None:
            self.make = make

        def __iter__(self) -> Iterator[Any]:
            while True:
                n = 0
                for item in self.make():
                    n += 1
                    yield item
                if n == 0:
                    return

    return Endless


def pipelined_batches(bundle: ModelBundle, target: Target, workers: int) -> Any:
    """A batch stream from a DataLoader with `workers` processes (pinned memory on CUDA) whose batches are
    copied to the device with non_blocking=True."""
    from torch.utils.data import DataLoader

    loader = DataLoader(_endless_dataset_class()(bundle.batches), batch_size=None, num_workers=workers,
                        pin_memory=target.on_cuda, prefetch_factor=2 if workers else None,
                        persistent_workers=bool(workers))

    state: dict[str, Any] = {}

    def batches() -> Iterator[Any]:
        if "it" not in state:  # one endless iterator: workers start once
            state["it"] = iter(loader)
        it = state["it"]
        while True:
            yield to_device(next(it), target.device)  # non_blocking on CUDA, any structure

    return batches


@register
class InputPipeline(Technique):
    # workers: DataLoader processes, bounded (a huge count would fork them all after the baseline is measured)
    name = "input-pipeline"
    option_specs: ClassVar[dict[str, OptionSpec]] = {"workers": OptionSpec(1, int, lo=0, hi=256)}
    family = "training-loop"
    modes = ("train", "inference")
    changes = ("batches from a DataLoader worker process (prefetch 2), pinned host memory and non_blocking copies "
               "on CUDA, so loading overlaps compute")
    risks = "worker start-up time and memory; no change to the math"

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        workers = options.get("workers", 1)
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
            raise InputError(f"input-pipeline workers = {workers!r} is not a count", "use 0 or more workers")
        model = copy_model(bundle, target)
        return plain_variant(self.name, model, bundle, target, batches=pipelined_batches(bundle, target, workers),
                             params={"workers": workers},
                             notes=[f"DataLoader(num_workers={workers}, prefetch_factor=2, pin_memory="
                                    f"{target.on_cuda}); copies non_blocking=True"])
