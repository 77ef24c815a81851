"""What each rank runs under torchrun: `python -m accelopt.distributed.worker JOB.json`.

Every rank writes into the job's folder: `rank<R>.started` (its pid, first), `rank<R>.progress` (the last step it
finished; in a training run also the counts and peak memory so far, rewritten after each step: Tally),
`rank<R>.times<K>.json` (the timed steps' times, TIMES_CHUNK to a file), then `rank<R>.json` (its RankResult or
collective times) or `rank<R>.error.json` (what went wrong). The launcher (launch.py) reads them to name the rank
that crashed or hung, and, when the run is stopped (Ctrl-C, SIGTERM), to keep the steps every rank finished. Each
file is written to a temporary name and renamed, so none is ever read half written.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import json
import os
import re
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accelopt.distributed.limits import PROFILE_STEPS  # noqa: F401  (re-exported: run.py, tests)
from accelopt.distributed.model import (
    BatchStream,
    call_layer,
    check_divisible,
    flat_spec,
    fsdp_units,
    is_flat,
    load_bundle,
    pipeline_layers,
    sequential_calls,
    shard,
    split_output,
    stage_args,
    stage_module,
    take,
)
from accelopt.distributed.partition import layer_name
from accelopt.distributed.types import P2P_REPEATS, P2P_WARMUP, TIMES_CHUNK, CommTime, Job, RankResult
from accelopt.errors import AcceloptError, InputError, first_line, is_out_of_memory
from accelopt.measure.memory import host_memory_capped
from accelopt.workload.batch import to_device
from accelopt.workload.userfile import as_tuple

COMM_PREFIXES = ("gloo:", "nccl:")


class Rank:
    """This process's place in the run (from torchrun's environment) and its files in the job folder."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.rank = int(os.environ.get("RANK", "0"))
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.out = Path(job.out_dir)

    def write(self, suffix: str, data: Any) -> None:
        path = self.out / f"rank{self.rank}{suffix}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)  # atomic: the launcher never reads half a file

    def progress(self, step: int, **figures: Any) -> None:
        """Step `step` (0-based, warm-up included) is finished; `figures`: what the rank has measured so far."""
        self.write(".progress", {"step": step, "time": time.time(), **figures})


class Tally:
    """A training rank's figures so far, written with its progress after every step it finishes (warm-up, timed and
    profiled steps alike), so a run stopped by Ctrl-C or SIGTERM keeps every finished step
    (accelopt.distributed.types.PartialRank; launch.read_partial). The write comes after the step's clock stops."""

    def __init__(self, job: Job, me: Rank, device: str, trainer: Trainer) -> None:
        self.job, self.me, self.device, self.trainer = job, me, device, trainer
        self.step_times_s: list[float] = []
        self.host = socket.gethostname()
        self.losses: LossLog | None = None
        """Set by the run once its LossLog exists: the losses of the finished steps are kept with their times."""
        self.loss_values: list[float] = []
        """The losses of `losses` copied to the host so far (each once: _write_losses)."""

    def progress(self, step: int) -> None:
        import torch

        job = self.job
        n = len(self.step_times_s)
        if job.warmup <= step < job.warmup + job.steps:  # a timed step: its chunk of times first, then the count
            k = (n - 1) // TIMES_CHUNK
            self.me.write(f".times{k}.json", self.step_times_s[k * TIMES_CHUNK:n])
        losses_done = self._write_losses()
        peak, source = _peak_memory(self.device)
        self.me.progress(step, warmup_done=min(step + 1, job.warmup), timed_done=n, losses_done=losses_done,
                         profiled_done=max(0, step + 1 - job.warmup - job.steps), peak_memory_bytes=peak,
                         memory_source=source, threads=torch.get_num_threads(), stage=self.trainer.stage,
                         host=self.host)


    def _write_losses(self) -> int:
        """This rank's own loss of each step finished so far, into rank<R>.losses<K>.json chunks as the times are (a
        run stopped by a failed rank or Ctrl-C keeps them: launch.read_partial); the count written. Its own: of its
        slice of the global batch (ddp, fsdp); of the last pipeline stage only (the others hold no loss: 0). Read
        after the step's synchronisation, so the copy to the host waits for nothing."""
        log = self.losses
        holds = self.job.parallel != "pipeline" or self.trainer.stage == self.me.world - 1
        if log is None or not holds or not log.count:
            return 0
        n = log.count
        # the new steps' losses only, in one copy (.tolist()): a float() of each of the chunk's elements, every step,
        # ran 4 aten ops an element on the step's thread, which the profiled steps' trace counted as compute (~1,000
        # ops, 0.5 ms of a CPU step at 250 losses; rev3, 2026-12-06)
        self.loss_values += log.tensor()[len(self.loss_values):n].float().cpu().tolist()
        k = (n - 1) // TIMES_CHUNK
        self.me.write(f".losses{k}.json", self.loss_values[k * TIMES_CHUNK:n])
        return n


class LossLog:
    """Every step's loss, copied into one tensor on the step's device allocated before the steps. A list of the steps'
    own `loss.detach()` tensors (kept so as not to synchronise a GPU each step) held one small allocation a step
    among the step's large freed ones, and the process's resident set grew with --steps: gpt tiny on 2 CPU ranks,
    peak memory 342 MiB at 20 steps, 382 and 403 MiB at 4000 and 560 and 730 MiB at 18,419 (a plain training loop
    keeping them: 316 -> 457 MiB over 4000 steps; copying each into a tensor allocated before: 316 MiB flat), which
    the report printed as the model's peak memory. The copy is a device-side write: no synchronisation."""

    def __init__(self, steps: int, device: str) -> None:
        import torch

        self.values = torch.zeros(max(steps, 1), device=device)
        self.count = 0

    def append(self, loss: Any) -> None:
        if self.count == len(self.values):  # more steps than allocated for: double (not expected; a safe fallback)
            import torch

            self.values = torch.cat([self.values, torch.zeros_like(self.values)])
        self.values[self.count] = loss  # a copy into place: the step's own tensor is not kept
        self.count += 1

    def tensor(self) -> Any:
        """The losses so far, in step order (a view of the log)."""
        return self.values[:self.count]


def _sync(device: str) -> Callable[[], None]:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.synchronize
    return lambda: None


# ---- one step of each kind ----------------------------------------------------------------------------

class NothingToUpdate:
    """The optimizer of a pipeline stage without a trainable parameter (a stage of activations, a loss head): torch's
    optimizers refuse an empty parameter list, and the stage has nothing to update."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        del set_to_none

    def step(self) -> None:
        return None


def stage_optimizer(bundle: Any, stage_module: Any) -> Any:
    """The bundle's optimizer (AdamW(lr=1e-4) by default) over one pipeline stage's parameters; NothingToUpdate for a
    stage that has no trainable one (the balanced split may give a stage only parameter-free layers: its rank
    crashed with 'optimizer got an empty parameter list')."""
    import torch

    if not any(p.requires_grad for p in stage_module.parameters()):
        return NothingToUpdate()
    make = bundle.make_optimizer
    params = stage_module.parameters()
    return make(params) if make is not None else torch.optim.AdamW(params, lr=1e-4)


DDP_UNFINISHED = "Expected to have finished reduction in the prior iteration"
"""torch's DistributedDataParallel error (its forward) when a parameter got no gradient in the previous step."""
LATE_UNUSED_FIX = ("pass --find-unused-parameters (DDP's find_unused_parameters=True: it walks the autograd graph "
                   "each step to find them, and the step times include it), or make every trainable parameter take "
                   "part in every step's loss")


def late_unused_problem(message: str, names: list[str], step: int) -> str:
    """What went wrong when DDP, run without find_unused_parameters (the first batch gave every trainable parameter a
    gradient), found parameters without one in the step before step `step` (0-based, warm-up included: the one
    whose forward raised, so the step without their gradients is number `step` counted from 1). `names`: the
    reducer's parameters in its order; torch's message lists their indices ('Parameter indices which did not receive
    grad for rank 0: 2 3'), or their names under TORCH_DISTRIBUTED_DEBUG=INFO ('Parameters which did not ...: b.bias,
    b.weight')."""
    found = re.search(r"did not receive grad for rank \d+: ([^\n]*)", message)
    items = [x for x in re.split(r"[,\s]+", found.group(1)) if x] if found else []
    if items and all(x.isdigit() and int(x) < len(names) for x in items):
        items = [names[int(x)] for x in items]
    which = f" ({', '.join(items)})" if items else ""
    return (f"DDP: trainable parameters{which} got no gradient in step {step} (counted from 1, warm-up steps "
            "included), though every one had a gradient from the first batch, so DDP ran without "
            "find_unused_parameters and waited for them (torch: 'Expected to have finished reduction in the prior "
            "iteration'); the parameters a step uses change from step to step (a branch taken by the data or the "
            "step, layer drop, an MoE expert given no tokens)")


class Trainer:
    """Builds the parallel model for job.parallel; `step(i)` runs one training step and returns its local loss."""

    def __init__(self, job: Job, me: Rank, device: str) -> None:
        import torch

        torch.manual_seed(job.seed)  # every rank (and the baseline) starts from the same weights
        self.job, self.me, self.device = job, me, device
        self.bundle = load_bundle(job.bundle_ref, job.bundle_kwargs)
        self.stream = BatchStream(self.bundle)
        self.model = self.bundle.model.to(device)
        self.model.train()
        self.stage: int | None = None
        self.unused_parameters: list[str] = []
        self.find_unused = False
        """DDP: whether it was wrapped with find_unused_parameters=True (the first batch, or the user, asked)."""
        self.targets: Any = None
        """The last pipeline stage's targets of the step being run (its micro-batches' losses take theirs)."""
        build = {"none": self._plain, "ddp": self._ddp, "fsdp": self._fsdp, "pipeline": self._pipeline}
        build[job.parallel]()

    def _plain(self) -> None:
        self.optimizer = self.bundle.optimizer()
        self.step_fn = self._data_parallel_step

    def _ddp(self) -> None:
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        check_divisible(self.bundle.batch_size, self.me.world, "data-parallel shards")
        ids = [self.me.local_rank] if self.device.startswith("cuda") else None
        self.unused_parameters = self._unused_parameters()
        # DDP waits for every parameter's gradient unless told that some get none; telling it costs a walk of the
        # autograd graph each step, so only when some rank has such a parameter (the flag must agree on all ranks)
        flag = torch.tensor([float(bool(self.unused_parameters) or self.job.find_unused_parameters)],
                            device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        self.find_unused = bool(flag.item())
        self.model = DistributedDataParallel(self.model, device_ids=ids, find_unused_parameters=self.find_unused)
        self.optimizer = self.bundle.optimizer()
        self.step_fn = self._ddp_step

    def _ddp_step(self, i: int) -> Any:
        """One DDP step; a parameter that had a gradient from the first batch (so DDP was not told to look for
        unused ones) but got none in a later step is named with the fix, not as torch's advice to pass an argument
        the user cannot reach ('Expected to have finished reduction in the prior iteration')."""
        try:
            return self._data_parallel_step(i)
        except RuntimeError as e:
            if self.find_unused or DDP_UNFINISHED not in str(e):
                raise
            raise InputError(late_unused_problem(str(e), self._trainable_names(), i), LATE_UNUSED_FIX) from e

    def _trainable_names(self) -> list[str]:
        """The names of the parameters DDP's reducer indexes: the trainable ones, each once, in module order
        (DistributedDataParallel._build_params_for_reducer; named_parameters walks the same order)."""
        return [n.removeprefix("module.") for n, p in self.model.named_parameters() if p.requires_grad]

    def _unused_parameters(self) -> list[str]:
        """Trainable parameters with no gradient after a forward and backward of this rank's share of the first
        batch. The batch is peeked, not consumed, and the buffers (BatchNorm statistics) and random state are put
        back, so the measured steps see what they would have seen without this check."""
        import torch

        inputs, targets = self.stream.peek()
        inputs = to_device(shard(inputs, self.me.rank, self.me.world), self.device)
        targets = to_device(shard(targets, self.me.rank, self.me.world), self.device)
        saved = [b.detach().clone() for b in self.model.buffers()]
        cuda = [torch.device(self.device)] if self.device.startswith("cuda") else []
        with torch.random.fork_rng(devices=cuda):
            self.bundle.scalar_loss(self.bundle.loss_fn(self.model(*inputs), targets)).backward()
        with torch.no_grad():
            for b, before in zip(self.model.buffers(), saved, strict=True):
                b.copy_(before)
        unused = [n for n, p in self.model.named_parameters() if p.requires_grad and p.grad is None]
        self.model.zero_grad(set_to_none=True)
        return unused

    def _fsdp(self) -> None:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        check_divisible(self.bundle.batch_size, self.me.world, "data-parallel shards")
        mesh = init_device_mesh(self.device.split(":")[0], (self.me.world,))
        for unit in fsdp_units(self.model):
            fully_shard(unit, mesh=mesh)
        fully_shard(self.model, mesh=mesh)
        self.optimizer = self.bundle.optimizer()  # over the sharded (DTensor) parameters
        self.step_fn = self._data_parallel_step

    def _pipeline(self) -> None:
        import torch
        from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe

        job, me = self.job, self.me
        check_divisible(self.bundle.batch_size, job.microbatches, "micro-batches")
        layers = pipeline_layers(self.bundle.model)
        bounds = job.stage_bounds
        self.stage = me.rank
        self.in_spec, flatten_out, rebuild = self._stage_io(layers, bounds)
        self.stage_module = stage_module(layers[bounds[me.rank]:bounds[me.rank + 1]], self.in_spec,
                                         flatten_out, split_last=rebuild is not None,
                                         packed=sequential_calls(self.bundle.model), first=me.rank == 0
                                         ).to(self.device)
        stage = PipelineStage(self.stage_module, me.rank, me.world, torch.device(self.device))
        schedule_cls = Schedule1F1B if job.schedule == "1f1b" else ScheduleGPipe
        loss_fn = self.bundle.loss_fn
        # torch's schedules split the target with tensor_split, which takes one tensor: the schedule is given the
        # samples' indices instead, and each micro-batch's loss takes its targets at them (any structure: a
        # tensor, a tuple, a dict of labels and weights)
        def loss(out: Any, index: Any) -> Any:  # the last stage's output, rebuilt as the model returned it
            return self.bundle.scalar_loss(loss_fn(rebuild(iter(as_tuple(out))) if rebuild else out,
                                                   take(self.targets, index)))

        self.schedule = schedule_cls(stage, job.microbatches, loss_fn=loss)
        self.optimizer = stage_optimizer(self.bundle, self.stage_module)
        self.step_fn = self._pipeline_step

    def _stage_io(self, layers: list[Any], bounds: list[int]) -> tuple[Any, bool, Any]:
        """(the pytree spec this stage rebuilds its flat inputs with, or None; whether it flattens its outputs; on the
        last stage, when the model's output is not flat, the function rebuilding it from its tensors for the loss,
        else None): a dict or nested inputs, or a dict passed between layers, cross stages flat (stage_module), and
        the model's output (a dataclass, a dict) leaves the last stage as its tensors. The structure at
        the stage's edges comes from one forward of the layers before them on one micro-batch, in eval mode under
        no_grad, with the random state put back (BatchNorm statistics and dropout draws untouched)."""
        import torch
        from torch.utils import _pytree as pytree

        me, last = self.me.rank, self.me.rank == self.me.world - 1
        packed = sequential_calls(self.bundle.model)
        inputs = to_device(self.stream.peek()[0], self.device)
        x: Any = take(inputs, torch.arange(self.bundle.batch_size // self.job.microbatches))
        in_spec = flat_spec(x, "the model's inputs") if me == 0 else None
        upto = len(layers) if last else bounds[me + 1]
        cuda = [torch.device(self.device)] if self.device.startswith("cuda") else []
        edges: dict[int, Any] = {}
        self.model.eval()
        try:
            with torch.random.fork_rng(devices=cuda), torch.no_grad():
                for i, layer in enumerate(layers[:upto]):
                    x = call_layer(layer, x, packed=packed, inputs=i == 0)
                    edges[i + 1] = x
        finally:
            self.model.train()
        if me > 0:
            before = bounds[me] - 1
            in_spec = flat_spec(edges[bounds[me]], f"the outputs of layer {layer_name(before, layers[before])}")
            if packed:  # the edge rebuilt as it left, a tensor or a tuple (stage_module)
                in_spec = pytree.tree_flatten(edges[bounds[me]])[1]
        if last:
            return in_spec, False, None if is_flat(edges[len(layers)]) else split_output(edges[len(layers)])[1]
        return in_spec, not is_flat(edges[bounds[me + 1]]), None

    def _data_parallel_step(self, i: int) -> Any:
        inputs, targets = self.stream.next()
        if self.job.parallel != "none":
            inputs, targets = shard(inputs, self.me.rank, self.me.world), shard(targets, self.me.rank, self.me.world)
        inputs, targets = to_device(inputs, self.device), to_device(targets, self.device)
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.bundle.scalar_loss(self.bundle.loss_fn(self.model(*inputs), targets))
        loss.backward()
        if i == 0 and self.job.dump_grads and self.me.rank == 0:
            self._dump_grads()
        self.optimizer.step()
        return loss.detach()

    def _pipeline_step(self, i: int) -> Any:
        import torch

        inputs, targets = self.stream.next()
        inputs, targets = to_device(inputs, self.device), to_device(targets, self.device)
        self.optimizer.zero_grad(set_to_none=True)
        first, last = self.me.rank == 0, self.me.rank == self.me.world - 1
        losses: list[Any] = []
        if first:
            self.schedule.step(*stage_args(inputs, self.in_spec))
        elif last:
            self.targets = targets
            self.schedule.step(target=torch.arange(self.bundle.batch_size, device=self.device), losses=losses)
        else:
            self.schedule.step()
        self.optimizer.step()
        # the micro-batch losses live on the last stage; their mean is the global batch's mean loss
        return torch.stack(losses).mean().detach() if last else torch.zeros((), device=self.device)

    def _dump_grads(self) -> None:
        import torch

        grads = {n.removeprefix("module."): p.grad.detach().cpu().clone() for n, p in self.model.named_parameters()
                 if p.grad is not None}
        torch.save(grads, self.me.out / "grads_rank0.pt")

    def global_losses(self, local: LossLog) -> list[float]:
        """Every step's loss over the global batch, the same on every rank."""
        import torch.distributed as dist

        t = local.tensor().float().clone()
        if self.job.parallel in ("ddp", "fsdp"):
            dist.all_reduce(t)
            t /= self.me.world
        elif self.job.parallel == "pipeline":
            dist.broadcast(t, src=self.me.world - 1)
        return [float(x) for x in t.cpu()]


# ---- the profiler trace: collective time and how much of it overlaps compute ---------------------------

def _union(iv: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(iv):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _length(iv: list[tuple[float, float]]) -> float:
    return sum(b - a for a, b in iv)


def _intersect(x: list[tuple[float, float]], y: list[tuple[float, float]]) -> float:
    """Total length of the overlap of two sorted, disjoint interval lists."""
    i = j = 0
    total = 0.0
    while i < len(x) and j < len(y):
        lo, hi = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        total += max(0.0, hi - lo)
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return total


def is_comm(name: str) -> bool:
    """A collective or point-to-point transfer: gloo's worker-thread events, NCCL kernels."""
    return name.startswith(COMM_PREFIXES) or ("nccl" in name.lower() and "Kernel" in name)


def comm_overlap(events: list[Any], step_thread: int | None, steps: int) -> CommTime:
    """Collective time per step and its overlap with compute, from torch.profiler FunctionEvents.

    CPU: compute = aten ops on the thread that runs the step; collectives = gloo:* events (gloo's own threads).
    CUDA: compute = non-NCCL kernels; collectives = NCCL kernels. Intervals are merged before measuring."""
    comm: list[tuple[float, float]] = []
    compute: list[tuple[float, float]] = []
    kernels = [e for e in events if str(getattr(e, "device_type", "")).endswith("CUDA")]
    for e in events:
        iv = (e.time_range.start * 1e-6, e.time_range.end * 1e-6)  # us -> s
        if is_comm(e.name):
            comm.append(iv)
        elif kernels:
            if e in kernels:
                compute.append(iv)
        elif e.name.startswith("aten::") and e.thread == step_thread:
            compute.append(iv)
    c, k = _union(comm), _union(compute)
    n = max(steps, 1)
    starts = sorted(e.time_range.start * 1e-6 for e in events if e.name == "accelopt.step")
    per_comm, per_compute = _per_step(c, starts), _per_step(k, starts)
    return CommTime(comm_s=_length(c) / n, overlapped_s=_intersect(c, k) / n, compute_s=_length(k) / n,
                    comm_steps_s=per_comm if len(per_comm) == steps else [],
                    compute_steps_s=per_compute if len(per_compute) == steps else [])


def _per_step(iv: list[tuple[float, float]], starts: list[float]) -> list[float]:
    """The length of the sorted, disjoint intervals `iv` in each step's window: from one step's start (its
    accelopt.step mark) to the next one's, the last open-ended. Each step ends synchronized (worker._profile), so a
    step's GPU kernels end before the next step's mark; an interval before the first mark is the first step's."""
    if not starts:
        return []
    from itertools import pairwise

    edges = [float("-inf"), *starts[1:], float("inf")]
    return [_intersect(iv, [(lo, hi)]) for lo, hi in pairwise(edges)]


PROFILER_WARMUP_STEPS = 1
"""Steps run under torch.profiler before the profiled ones, their events and wall time dropped: the profiler's
first step carries its start-up (seen on 2 CPU ranks of a pipeline: 45 ms against 17 ms for the next nine), which
a mean over 2 profiled steps would spread over the whole frame (torch.profiler.schedule's `warmup` exists for it)."""


def _profile(trainer: Trainer, first_step: int, n: int, me: Rank | Tally, losses: LossLog) -> CommTime:
    """The trace figures of steps first_step + PROFILER_WARMUP_STEPS .. + n (the warm-up steps' trace and wall are
    dropped); the loss of every step run under the profiler goes to `losses`."""
    from torch.profiler import ProfilerActivity, profile, record_function, schedule

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if trainer.device.startswith("cuda") else [])
    sync = _sync(trainer.device)
    walls: list[float] = []
    warm = PROFILER_WARMUP_STEPS
    with profile(activities=acts, schedule=schedule(wait=0, warmup=warm, active=n, repeat=1)) as prof:
        for i in range(first_step, first_step + warm + n):
            t0 = time.perf_counter()
            with record_function("accelopt.step"):
                losses.append(trainer.step_fn(i))
            sync()
            if i >= first_step + warm:
                walls.append(time.perf_counter() - t0)
            prof.step()
            me.progress(i)
    events = list(prof.events())
    marks = [e for e in events if e.name == "accelopt.step"]
    thread = marks[0].thread if marks else None
    return dataclasses.replace(comm_overlap(events, thread, n), profiled_step_s=sum(walls) / max(n, 1),
                               profiled_steps_s=walls)


# ---- the run ---------------------------------------------------------------------------------------------

def _peak_memory(device: str) -> tuple[float, str]:
    import resource

    import torch

    if device.startswith("cuda"):
        return float(torch.cuda.max_memory_allocated(device)), "torch.cuda.max_memory_allocated"
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024, "process peak resident set (getrusage)"


def p2p_latency_s(rank: int, world: int, device: str) -> float | None:
    """This rank's point-to-point latency to the next rank (rank + 1), measured: half the median round trip of a
    4-byte tensor sent to it and sent back (dist.send / dist.recv, what a pipeline stage's boundary uses), each pair
    (k, k + 1) in turn while the others wait at a barrier; None on the last rank. The pipeline prediction's sends pay
    it per transfer (predict_check.py), in place of the link's assumed or all-reduce-derived step latency."""
    import statistics

    import torch
    import torch.distributed as dist

    sync = _sync(device)
    buf = torch.zeros(1, device=device)
    mine = None
    for k in range(world - 1):
        if rank in (k, k + 1):
            times = []
            for i in range(P2P_WARMUP + P2P_REPEATS):
                sync()
                t0 = time.perf_counter()
                if rank == k:
                    dist.send(buf, k + 1)
                    dist.recv(buf, k + 1)
                else:
                    dist.recv(buf, k)
                    dist.send(buf, k)
                sync()
                if i >= P2P_WARMUP:
                    times.append(time.perf_counter() - t0)
            if rank == k:
                mine = statistics.median(times) / 2
        dist.barrier()
    return mine


def run_train(job: Job, me: Rank, device: str) -> RankResult:
    import torch
    import torch.distributed as dist

    from accelopt.measure.op_cost import measure_op_cost

    trainer = Trainer(job, me, device)
    # the figures plan's prediction takes from this machine (predict_check.py): before the steps, outside their clock
    op_cost = measure_op_cost(device)
    p2p = p2p_latency_s(me.rank, me.world, device) if job.parallel == "pipeline" and dist.is_initialized() else None
    sync = _sync(device)
    distributed = dist.is_initialized()
    losses = LossLog(job.warmup + job.steps + PROFILER_WARMUP_STEPS + job.profile_steps, device)
    tally = Tally(job, me, device, trainer)
    tally.losses = losses
    times = tally.step_times_s
    for i in range(job.warmup + job.steps):
        if distributed:
            dist.barrier()  # every rank starts the step together; the wait is outside the clock
        sync()
        t0 = time.perf_counter()
        losses.append(trainer.step_fn(i))
        sync()
        if i >= job.warmup:
            times.append(time.perf_counter() - t0)
        tally.progress(i)
    comm = _profile(trainer, job.warmup + job.steps, job.profile_steps, tally, losses)
    peak, source = _peak_memory(device)
    return RankResult(rank=me.rank, world_size=me.world, host=socket.gethostname(), step_times_s=times,
                      losses=trainer.global_losses(losses), comm=comm, peak_memory_bytes=peak, memory_source=source,
                      threads=torch.get_num_threads(), stage=trainer.stage,
                      unused_parameters=trainer.unused_parameters, op_overhead_s=op_cost.per_op_s,
                      op_overhead_ops=op_cost.ops_per_call, p2p_latency_s=p2p)


OOM_FIX = ("use a smaller --batch-size (or --seq-len), fewer --nproc ranks on one machine (each holds its own "
           "copy), or --parallel fsdp or pipeline (each rank holds a share of the model)")


def _unwrapped(e: BaseException) -> BaseException:
    """The exception a stage's module raised, not torch.distributed.pipelining's wrapper of it: PipelineStage
    re-raises any error of the forward as RuntimeError('[Stage k] failed to run forward: args: ...') from it, which
    named torch's stage.py as where a user's model failed and hid an out-of-memory or accelopt's own input error."""
    while e.__cause__ is not None:
        frames = traceback.extract_tb(e.__traceback__)
        if not frames or "torch/distributed/pipelining/" not in frames[-1].filename.replace("\\", "/"):
            break
        e = e.__cause__
    return e


def _error_record(e: BaseException) -> dict[str, Any]:
    e = _unwrapped(e)
    if isinstance(e, AcceloptError):
        return {"type": type(e).__name__, "problem": e.problem, "fix": e.fix, "input": True, "time": time.time()}
    if is_out_of_memory(e):  # not a fault of the model: the run's size (it said 'fix the error in the model')
        return {"type": "InfeasibleError", "problem": f"the step does not fit in memory: the allocator said "
                f"{first_line(e)!r}", "fix": OOM_FIX, "input": True, "time": time.time()}
    frames = traceback.extract_tb(e.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return {"type": type(e).__name__, "problem": f"{type(e).__name__}: {e} (at {where})", "fix": "", "input": False,
            "time": time.time(), "traceback": "".join(traceback.format_exception(e))[-4000:]}


def main(argv: list[str]) -> int:
    job = Job.from_dict(json.loads(Path(argv[0]).read_text()))
    me = Rank(job)
    # on SIGUSR1 (sent by the launcher when the run hangs) write this rank's Python stack, to name where it hangs
    stack_file = (me.out / f"rank{me.rank}.stack").open("w")
    faulthandler.register(signal.SIGUSR1, file=stack_file, all_threads=False)
    me.write(".started", {"pid": os.getpid()})
    import torch
    import torch.distributed as dist

    try:
        device = job.device
        if device.startswith("cuda"):
            torch.cuda.set_device(me.local_rank)
            device = f"cuda:{me.local_rank}"
        if me.world > 1 or job.parallel != "none":
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        # the ranks on this machine share its memory: each is capped at its share, as `profile` is at the whole,
        # so a batch outgrowing the host fails at the allocation (named with --batch-size), not by the OOM killer
        with host_memory_capped(device, ranks_here=int(os.environ.get("LOCAL_WORLD_SIZE", "1"))):
            if job.kind == "collectives":
                from accelopt.distributed.collectives import run_collectives

                result = run_collectives(job, me.rank, me.world, device, me.progress)
            else:
                result = run_train(job, me, device).to_dict()
        me.write(".json", result)
        if dist.is_initialized():
            gathered: list[Any] = [None] * me.world
            dist.all_gather_object(gathered, result)  # every node's ranks, for each node's launcher
            if me.local_rank == 0:
                (me.out / "all.json.tmp").write_text(json.dumps(gathered))
                (me.out / "all.json.tmp").replace(me.out / "all.json")
            dist.barrier()
            dist.destroy_process_group()
        return 0
    except BaseException as e:  # every failure, KeyboardInterrupt included, leaves its record for the launcher
        me.write(".error.json", _error_record(e))
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # skip the interpreter's teardown: torch's background threads (gloo, pipelining) can abort it ("terminate
    # called without an active exception") after every result is written
    os._exit(code)
