"""Pipeline partitioner: split a model's layers into contiguous stages so the slowest stage is as fast as possible,
each stage within its memory limit, from profiled per-layer forward+backward times and activation sizes.

The pipeline's step is paced by its slowest stage (every micro-batch passes through every stage: the steady
state of 1F1B runs one micro-batch per slowest-stage time; Narayanan et al. 2021, 'Efficient Large-Scale
Language Model Training on GPU Clusters Using Megatron-LM', sec. 2.2), so the objective is min over splits of
max over stages of the stage's time. A dynamic program over contiguous splits finds it exactly in
O(stages x layers^2) (the linear-partition recurrence; PipeDream, Narayanan et al. 2019, sec. 3.1, solves the
same recurrence with communication terms).

Memory of a stage (an estimate, stated in the result): 2 x its parameter bytes (weights and gradients) + the state
its optimizer keeps, measured by one step of the bundle's optimizer on copies of each layer's parameters (AdamW,
the default: two moments in the weights' dtype, so 4 x in all; 1 x for a parameter that requires no gradient,
which has neither) + the
activations it holds: its layers' outputs for each micro-batch in flight, which is (stages - s) micro-batches at
stage s under 1F1B (Narayanan et al. 2021, sec. 2.2.1) and all micro-batches under GPipe (Huang et al. 2019,
sec. 2.2).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from typing import Any

from accelopt.distributed.model import (
    call_layer,
    on_tensors,
    pipeline_layers,
    sequential_calls,
    tensor_bytes,
    tied_spans,
)
from accelopt.distributed.types import LayerCost, Partition, StageBalance
from accelopt.errors import AcceloptError, InfeasibleError, InputError, MeasurementError
from accelopt.units import GiB
from accelopt.workload.userfile import as_tuple, batch_multiple_fix

STATE_COPIES = 4
"""Copies of a stage's parameter bytes its rank holds while training: the weights, their gradients and AdamW's two
moments (torch.optim.AdamW keeps exp_avg and exp_avg_sq per parameter, in the parameter's dtype; the pipeline
worker trains with AdamW unless the bundle brings its own optimizer): the accounting of Rajbhandari et al. 2020
(ZeRO), sec. 3.1, for one dtype."""



def _detached(obj: Any) -> Any:
    return on_tensors(obj, lambda t: t.detach().requires_grad_(t.is_floating_point()))


def _backward(out: Any, loss_fn: Any = None, targets: Any = None) -> None:
    import torch

    if loss_fn is not None:
        loss_fn(out, targets).backward()
        return
    outs = [o for o in as_tuple(out) if isinstance(o, torch.Tensor) and o.requires_grad]
    torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])


def layer_name(index: int, module: Any) -> str:
    """'3:Linear': how the result and its errors name a layer."""
    return f"{index}:{type(module).__name__}"


def profile_layers(bundle: Any, microbatch: int, *, repeats: int = 5, device: str = "cpu", stages: int | None = None,
                   schedule: str = "1f1b") -> list[LayerCost]:
    """Forward + backward time (median of `repeats`, after one warm-up) and output size of each layer on one
    micro-batch of `microbatch` samples, on `device` (the run's: a CUDA run's stages run on GPUs). The last layer
    is timed with the loss, as the last stage runs it. Off the CPU the model goes back to the CPU afterwards, so
    this process holds no GPU memory while the ranks run. `stages` and `schedule`: the run's, for the fix a failing
    layer's error gives (_larger_microbatch_fix)."""

    from accelopt.distributed.model import flat_spec, shard
    from accelopt.workload.batch import to_device

    layers = pipeline_layers(bundle.model)
    packed = sequential_calls(bundle.model)
    inputs, targets = next(iter(bundle.batches()))
    parts = bundle.batch_size // microbatch
    x: Any = shard(as_tuple(inputs), 0, parts)
    y = to_device(shard(targets, 0, parts), device)  # the last layer's loss takes them beside its outputs
    x = to_device(x, device)
    flat_spec(x, "the model's inputs")  # before the launch: every stage passes tensors only
    out: list[LayerCost] = []
    counted: set[int] = set()  # parameters already in an earlier layer's param_bytes (tied weights)
    for i, layer in enumerate(layers):
        layer.to(device)
        try:
            cost, x = _time_layer(layer, i, _detached(x), _checked_loss(bundle) if i == len(layers) - 1 else None,
                                  y, repeats, device, counted, bundle, packed)
        except AcceloptError:
            raise
        except Exception as e:  # the user's layer failed: name it and the micro-batch, not a traceback
            raise MeasurementError(
                f"layer {layer_name(i, layer)} failed while the partitioner timed it on one micro-batch of "
                f"{microbatch} sample{'s' if microbatch != 1 else ''}, called with "
                f"{_described((x,) if packed and i else x)}"
                f"{f' (the outputs of layer {layer_name(i - 1, layers[i - 1])})' if i else ''}: "
                f"{type(e).__name__}: {e}",
                "fix the layer, or " + _larger_microbatch_fix(bundle, bundle.batch_size // microbatch, stages,
                                                               schedule)
                + "; every stage would run it the same way. " + (
                    "Each layer of an nn.Sequential is called on the previous one's output as one argument, as its "
                    "forward calls it" if packed else
                    "Each layer is called on the previous one's outputs unpacked, layer(*outputs): a layer returning "
                    "extras (nn.LSTM's (output, (h, c))) needs a wrapper module returning only what the next layer "
                    "takes")) from e
        finally:
            if device != "cpu":
                layer.to("cpu")
        out.append(cost)
    if device.startswith("cuda"):
        import torch

        del x, y  # the last layer's outputs and the targets: nothing of the timing stays on the GPU
        torch.cuda.empty_cache()
    return out


def _larger_microbatch_fix(bundle: Any, microbatches: int, stages: int | None, schedule: str) -> str:
    """Larger micro-batches for a layer that failed on `microbatches` of the batch (e.g. BatchNorm needs 2 or more
    samples in training): the most micro-batches below `microbatches` that divide the batch and, with 1F1B, are one
    per stage at least (torch's Schedule1F1B refuses fewer, run.check_1f1b). "Use fewer --microbatches" read alone
    led a batch of 7 on 2 stages from 7 micro-batches to 1, which 1F1B refuses: where no such count exists the fix
    names a batch that has one, and GPipe, which takes fewer micro-batches than stages."""
    from accelopt.workload.userfile import batch_multiple_fix

    batch = bundle.batch_size
    why = "larger micro-batches; e.g. BatchNorm needs 2 or more samples in training"
    fewer = [d for d in range(microbatches - 1, 0, -1) if batch % d == 0]  # most micro-batches first
    if stages is None:
        return f"use fewer --microbatches ({why})"
    if schedule != "1f1b":
        if fewer:
            return (f"pass --microbatches {fewer[0]} ({why}: {batch // fewer[0]} samples each, the most micro-batches "
                    f"below {microbatches} that divide the batch {batch})")
        return f"use a larger batch ({why}; one micro-batch is the whole batch of {batch}): " + batch_multiple_fix(
            bundle, 2 * batch)
    ok = [d for d in fewer if d >= stages]
    if ok:
        return (f"pass --microbatches {ok[0]} ({why}: {batch // ok[0]} samples each, the most micro-batches below "
                f"{microbatches} that divide the batch {batch} and give the 1F1B schedule one per stage or more, "
                f"{stages} stages)")
    gpipe = f", or --schedule gpipe --microbatches {fewer[0]} (GPipe takes fewer micro-batches than stages)" \
        if fewer else ""
    # one sample more a micro-batch than the one that failed, one micro-batch a stage: a batch of 6 in 3 micro-batches
    # of 2 was told 'a multiple of 6 (e.g. --batch-size 6) and --microbatches 3' (2 x stages), the run that failed
    larger = batch // microbatches + 1
    return (f"no count below {microbatches} divides the batch {batch} and gives the 1F1B schedule one micro-batch "
            f"per stage ({stages} stages; {why}): {batch_multiple_fix(bundle, larger * stages)} and --microbatches "
            f"{stages} ({stages} micro-batches of {larger} or more samples){gpipe}")


def _checked_loss(bundle: Any) -> Any:
    """The bundle's loss_fn, refusing a loss that is not a scalar as every step does (ModelBundle.scalar_loss)."""
    return lambda out, targets: bundle.scalar_loss(bundle.loss_fn(out, targets))


def _described(args: Any) -> str:
    """'2 inputs: Tensor(2, 5, 24), tuple of 2': what a layer was called with (shapes, not values)."""
    import torch

    def one(a: Any) -> str:
        if isinstance(a, torch.Tensor):
            return f"Tensor{tuple(a.shape)}"
        return f"{type(a).__name__} of {len(a)}" if isinstance(a, tuple | list) else type(a).__name__

    parts = as_tuple(args)
    return f"{len(parts)} input{'s' if len(parts) != 1 else ''}: {', '.join(one(a) for a in parts)}"


def optimizer_state_bytes(bundle: Any, params: list[Any]) -> float | None:
    """Bytes of state the bundle's optimizer (AdamW(lr=1e-4) by default, as the pipeline worker's stage_optimizer)
    keeps for `params`: one step on detached copies with zero gradients (torch's optimizers create their state,
    AdamW's exp_avg and exp_avg_sq, SGD's momentum buffer, on the first step); None when the bundle's optimizer
    cannot be built or stepped so (AdamW's two moments are then assumed)."""
    import torch

    if not params:
        return 0.0
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    for c in copies:
        c.grad = torch.zeros_like(c)
    try:
        make = bundle.make_optimizer or (lambda ps: torch.optim.AdamW(ps, lr=1e-4))
        opt = make(copies)
        opt.step()
        state = list(opt.state.values())
    except Exception:  # the user's optimizer: the estimate falls back to AdamW's, said in the split line
        return None
    from torch.utils import _pytree as pytree

    return float(sum(t.numel() * t.element_size() for t in pytree.tree_leaves(state)
                     if isinstance(t, torch.Tensor) and t.dim() > 0))  # not the per-parameter scalar 'step'


def _time_layer(layer: Any, index: int, args: Any, loss_fn: Any, targets: Any, repeats: int,
                device: str, counted: set[int], bundle: Any, packed: bool = False) -> tuple[LayerCost, Any]:
    """One layer's LayerCost (median forward + backward of `repeats` after one warm-up) and its output. Its
    param_bytes leave out the parameters in `counted` (held by an earlier layer: tied weights, which the split keeps
    on that layer's stage, whose rank holds them once) and add its own to `counted`."""
    import torch

    times = []
    for _ in range(repeats + 1):
        layer.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        res = call_layer(layer, args, packed=packed, inputs=index == 0)
        _backward(res, loss_fn, targets)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    layer.zero_grad(set_to_none=True)
    with torch.no_grad():
        res = call_layer(layer, args, packed=packed, inputs=index == 0)
    own = [p for p in layer.parameters() if id(p) not in counted]
    counted.update(id(p) for p in own)
    params = tensor_bytes(own)
    frozen = tensor_bytes([p for p in own if not p.requires_grad])
    state = optimizer_state_bytes(bundle, [p for p in own if p.requires_grad])
    return LayerCost(name=layer_name(index, layer), fwd_bwd_s=statistics.median(times[1:]),
                     activation_bytes=tensor_bytes(res), param_bytes=params, frozen_param_bytes=frozen,
                     optimizer_state_bytes=state), res


def in_flight(stage: int, stages: int, microbatches: int, schedule: str) -> int:
    """Micro-batches whose activations stage `stage` holds at its peak."""
    return microbatches if schedule == "gpipe" else min(microbatches, stages - stage)


def stage_memory_bytes(layers: list[LayerCost], lo: int, hi: int, stage: int, stages: int, microbatches: int,
                       schedule: str) -> float:
    frozen = sum(x.frozen_param_bytes for x in layers[lo:hi])  # weights only: no gradient, no optimizer state
    trained = sum(x.param_bytes for x in layers[lo:hi]) - frozen
    state = sum((STATE_COPIES - 2) * (x.param_bytes - x.frozen_param_bytes) if x.optimizer_state_bytes is None
                else x.optimizer_state_bytes for x in layers[lo:hi])  # unmeasured: AdamW's two moments
    acts = sum(x.activation_bytes for x in layers[lo:hi])
    return 2 * trained + state + frozen + in_flight(stage, stages, microbatches, schedule) * acts


def evaluate_split(layers: list[LayerCost], bounds: list[int], microbatches: int, schedule: str) -> StageBalance:
    s = len(bounds) - 1
    return StageBalance(bounds=list(bounds),
                        stage_times_s=[sum(x.fwd_bwd_s for x in layers[bounds[k]:bounds[k + 1]]) for k in range(s)],
                        stage_memory_bytes=[stage_memory_bytes(layers, bounds[k], bounds[k + 1], k, s, microbatches,
                                                               schedule) for k in range(s)])


def naive_bounds(n_layers: int, stages: int) -> list[int]:
    """The equal-layer split: stage k gets layers [round(k L / S), round((k+1) L / S))."""
    return [round(k * n_layers / stages) for k in range(stages + 1)]


def check_stages(n_layers: int, stages: int) -> None:
    """A stage holds one layer or more: refuse more stages than layers, with a fix that can be taken (a
    one-layer model has no pipeline split at all: '--nproc 2 .. 1' would be no fix)."""
    if 1 <= stages <= n_layers:
        return
    fix = (f"pass --nproc 2 .. {n_layers} (one stage per rank), or use --parallel ddp or fsdp" if n_layers >= 2 else
           "use --parallel ddp or fsdp, or split the model into 2 or more layers (an nn.Sequential, or a "
           "pipeline_layers() method)")
    raise InputError(f"{stages} pipeline stages for a model of {n_layers} layer{'s' if n_layers != 1 else ''}: "
                     "each stage needs one layer or more", fix)


def uncut(tied: Sequence[tuple[int, int]]) -> set[int]:
    """Layer indices no stage may start at: a stage starting at k with lo < k <= hi would put the tied layers lo and
    hi on two stages, each training its own copy of their shared weight (torch.distributed.pipelining keeps no
    tied weights in sync across stages)."""
    return {k for lo, hi in tied for k in range(lo + 1, hi + 1)}


def cut_ties(names: list[str], bounds: list[int], tied: Sequence[tuple[int, int]]) -> list[str]:
    """'lo and hi' for each span of tied layers that the split `bounds` puts on two stages."""
    starts = set(bounds[1:-1])
    return [f"{names[lo]} and {names[hi]}" for lo, hi in tied if starts & set(range(lo + 1, hi + 1))]


def check_ties(names: list[str], stages: int, tied: Sequence[tuple[int, int]]) -> None:
    """Refuse a pipeline whose every split into `stages` would cut tied layers apart."""
    cuts = [k for k in range(1, len(names)) if k not in uncut(tied)]
    if len(cuts) >= stages - 1:
        return
    pairs = "; ".join(f"{names[lo]} and {names[hi]}" for lo, hi in tied)
    raise InputError(f"layers {pairs} share a parameter (tied weights), so no split into {stages} pipeline stages "
                     "keeps them on one stage: each stage would train its own copy of it",
                     "use --parallel ddp or fsdp, or give those layers their own weights (untie them)")


def _min_max_split(n: int, stages: int, cost: Any, fits: Any, no_start: set[int]) -> tuple[float, list[int]]:
    """The contiguous split of n layers into `stages` minimizing the largest cost(i, j, s) of a stage s = layers[i:j],
    every stage with fits(i, j, s) and none starting in `no_start`: (that least largest cost, the bounds), inf and []
    when no split qualifies.

    best[s][j]: the least largest cost of layers[:j] on stages 0..s-1; best[s][j] = min over i of
    max(best[s-1][i], cost(i, j, s-1)) where stage s-1 = layers[i:j] fits. Exact, O(stages x layers^2)."""
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(stages + 1)]
    cut = [[-1] * (n + 1) for _ in range(stages + 1)]
    best[0][0] = 0.0
    for s in range(1, stages + 1):
        for j in range(s, n - (stages - s) + 1):  # leave at least one layer for each later stage
            for i in range(s - 1, j):
                if best[s - 1][i] == inf or i in no_start or not fits(i, j, s - 1):
                    continue
                cand = max(best[s - 1][i], cost(i, j, s - 1))
                if cand < best[s][j]:
                    best[s][j], cut[s][j] = cand, i
    if best[stages][n] == inf:
        return inf, []
    bounds = [n]
    j = n
    for s in range(stages, 0, -1):
        j = cut[s][j]
        bounds.append(j)
    return best[stages][n], bounds[::-1]


def _round_up(x: float, digits: int = 4) -> float:
    """x rounded up to `digits` significant digits (x > 0)."""
    scale = 10.0 ** (math.floor(math.log10(x)) - digits + 1)
    return math.ceil(x / scale - 1e-9) * scale


def more_stages_fix(stages: int, n_layers: int, room: tuple[int, int, str] | None) -> tuple[str, str]:
    """(the 'more stages' choice of an infeasible memory limit's fix, or '', and an aside saying why it is left
    out, or ''), bounded by what the run can hold: `room` = (most ranks per node, nodes, what sets that: 'this
    machine's 2 logical CPUs'), None where unknown. Stages are ranks (one stage each) and at most one per layer;
    where --nproc is already the most, more stages are no fix."""
    if room is None:
        return "use more stages (--nproc)", ""
    per_node, nodes, why = room
    most = min(per_node, n_layers // nodes)  # --nproc is per node; every stage needs a layer
    if most * nodes <= stages:
        return "", (f" (more stages cannot help: --nproc {stages // nodes} is already the most {why} and the "
                    f"model's {n_layers} layers allow, one stage per rank)")
    return f"use more stages (--nproc up to {most}: {why}, {n_layers} layers)", ""


def balanced_bounds(layers: list[LayerCost], stages: int, *, microbatches: int = 1, schedule: str = "1f1b",
                    memory_limit_bytes: float | None = None, tied: Sequence[tuple[int, int]] = (),
                    room: tuple[int, int, str] | None = None) -> list[int]:
    """The contiguous split minimizing the slowest stage's time with every stage within the memory limit and
    every span of `tied` layers (tied_spans) on one stage (_min_max_split). `room`: what the run's machines hold,
    for the fix of a limit no split fits (more_stages_fix)."""
    n = len(layers)
    check_stages(n, stages)
    check_ties([x.name for x in layers], stages, tied)
    no_start = uncut(tied)
    prefix = [0.0]
    for x in layers:
        prefix.append(prefix[-1] + x.fwd_bwd_s)

    def memory(i: int, j: int, s: int) -> float:
        return stage_memory_bytes(layers, i, j, s, stages, microbatches, schedule)

    def fits(i: int, j: int, s: int) -> bool:
        return memory_limit_bytes is None or memory(i, j, s) <= memory_limit_bytes

    _, bounds = _min_max_split(n, stages, lambda i, j, s: prefix[j] - prefix[i], fits, no_start)
    if not bounds:
        assert memory_limit_bytes is not None  # without a limit every split with a layer per stage qualifies
        least, _ = _min_max_split(n, stages, memory, lambda i, j, s: True, no_start)
        least_gib = _round_up(least / GiB)  # rounded up: passing the printed figure fits
        more, aside = more_stages_fix(stages, n, room)
        raise InfeasibleError(
            f"--stage-memory-gib {memory_limit_bytes / GiB:.4g}: no split of {n} layers into {stages} pipeline "
            "stages fits it (stage memory, an estimate: weights, gradients and optimizer state + the activations "
            "of the "
            f"micro-batches in flight, {schedule}, {microbatches} micro-batch{'es' if microbatches != 1 else ''}); "
            f"the least limit any split fits is {least_gib:.4g} GiB",
            f"pass --stage-memory-gib {least_gib:.4g} or more, " + (f"{more}, " if more else "") + "or "
            + ("--schedule 1f1b (GPipe holds the activations of every micro-batch)" if schedule == "gpipe" else
               "more --microbatches (smaller ones: 1F1B holds one per stage from this one on)") + aside)
    return bounds


def partition(layers: list[LayerCost], stages: int, *, microbatches: int = 1, schedule: str = "1f1b",
              memory_limit_bytes: float | None = None, tied: Sequence[tuple[int, int]] = (),
              room: tuple[int, int, str] | None = None) -> Partition:
    """The balanced split beside the equal-layer split and, where a memory limit is given, the split the partitioner
    would pick without it (so the output shows what the limit changed)."""
    bounds = balanced_bounds(layers, stages, microbatches=microbatches, schedule=schedule,
                             memory_limit_bytes=memory_limit_bytes, tied=tied, room=room)
    unlimited = None
    if memory_limit_bytes is not None:
        free = balanced_bounds(layers, stages, microbatches=microbatches, schedule=schedule, tied=tied)
        unlimited = evaluate_split(layers, free, microbatches, schedule)
    naive = naive_bounds(len(layers), stages)
    return Partition(layers=layers, stages=stages, memory_limit_bytes=memory_limit_bytes,
                     balanced=evaluate_split(layers, bounds, microbatches, schedule),
                     naive=evaluate_split(layers, naive, microbatches, schedule), unlimited=unlimited,
                     naive_cut_ties=cut_ties([x.name for x in layers], naive, tied))


def check_microbatch_split(bundle: Any, microbatches: int) -> None:
    """An InputError where the global batch does not split into `microbatches` equal micro-batches, naming both
    fixes. Checked before the layers are timed: `profile --nproc 2 --parallel pipeline --microbatches 7` of a batch of
    2 said 'timing each layer on one micro-batch of 0' before refusing it (ut3dist, 2026-12-06)."""
    if bundle.batch_size % microbatches:
        raise InputError(f"global batch {bundle.batch_size} does not split into {microbatches} equal micro-batches",
                         f"pass --microbatches dividing {bundle.batch_size} ({divisors_text(bundle.batch_size)}), or "
                         + batch_multiple_fix(bundle, microbatches))


def divisors_text(n: int, most: int = 10) -> str:
    """'1, 2, 4 or 8': the micro-batch counts a global batch of `n` splits into; past `most` of them, the smallest and
    the largest few with '...' between."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    divs = small + [n // d for d in reversed(small) if d * d != n]
    if len(divs) == 1:
        return "1"
    if len(divs) > most:
        return ", ".join(map(str, divs[:most // 2])) + ", ... " + ", ".join(map(str, divs[-(most // 2):-1])) + \
            f" or {divs[-1]}"
    return ", ".join(map(str, divs[:-1])) + f" or {divs[-1]}"


def partition_model(bundle: Any, stages: int, *, microbatches: int, schedule: str = "1f1b",
                    memory_limit_bytes: float | None = None, device: str = "cpu",
                    room: tuple[int, int, str] | None = None) -> Partition:
    """Profile the bundle's layers on one micro-batch and split them into `stages` balanced stages (`room`: what the
    run's machines hold, balanced_bounds)."""
    check_microbatch_split(bundle, microbatches)
    from torch import nn

    from accelopt.distributed.model import check_composition, shard

    modules = pipeline_layers(bundle.model)
    tied = tied_spans(modules)
    check_stages(len(modules), stages)  # before timing every layer of a large model
    check_ties([layer_name(i, m) for i, m in enumerate(modules)], stages, tied)
    if type(bundle.model).forward is not nn.Sequential.forward:  # a Sequential's children compose its forward
        check_composition(bundle.model, modules, shard(as_tuple(next(iter(bundle.batches()))[0]), 0, microbatches))
    layers = profile_layers(bundle, bundle.batch_size // microbatches, device=device, stages=stages,
                            schedule=schedule)
    return partition(layers, stages, microbatches=microbatches, schedule=schedule,
                     memory_limit_bytes=memory_limit_bytes, tied=tied, room=room)
