"""`profile --nproc N --parallel ddp|fsdp|pipeline`: a measured N-rank run beside the one-process run.

Both runs start from the same seed (the same initial weights) and read the same global batches; DDP and FSDP
give each rank an equal slice of the global batch, the pipeline splits it into micro-batches. The one-process
baseline runs the same global batch with the same threads per process as one rank (one device vs N devices),
so scaling efficiency T_1 / (N x T_N) compares like with like.
"""

from __future__ import annotations

import dataclasses
import math
import platform
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accelopt.distributed.launch import (
    Launch,
    RankOutOfMemory,
    RunFailed,
    RunInterrupted,
    launch_job,
    threads_per_rank,
    watchdog_text,
)
from accelopt.distributed.model import (
    batchnorm_note,
    check_batch,
    dropout_note,
    fsdp_units,
    load_bundle,
    pipeline_layers,
    tensor_bytes,
)
from accelopt.distributed.types import (
    PARALLEL,
    PREDICTION_NO_SPEC,
    SCHEDULES,
    DistributedResult,
    Job,
    PartialDistributedResult,
    PartialRank,
    Partition,
    RankResult,
    nonfinite_loss_text,
)
from accelopt.distributed.worker import PROFILE_STEPS, PROFILER_WARMUP_STEPS
from accelopt.errors import AcceloptError, InputError, MeasurementError, is_out_of_memory, of_kind
from accelopt.interrupts import stopped_by
from accelopt.measure.collective_figures import link_fit_warning
from accelopt.measure.contention import (
    ContentionReport,
    Watch,
    check_samples,
    check_setup,
    link_warning,
    spec_warning_text,
)
from accelopt.measure.profiler import MAX_STEPS, check_trainable
from accelopt.units import GiB
from accelopt.workload.userfile import batch_multiple_fix

RANK_FIGURES = "step time of every rank"
TRACE_FIGURES = "collectives and compute of every rank"
BASELINE_FIGURES = "one-process step time"
SCALING_FIGURES = "speedup and scaling efficiency"
PREDICTION_FIGURES = "plan's prediction"
"""How the contention warnings name what a busy machine disturbs."""


@dataclass(kw_only=True)
class DistConfig:
    bundle_ref: str
    """'path/file.py:factory' or 'package.module:function' returning a ModelBundle."""
    bundle_kwargs: dict[str, Any] = field(default_factory=dict)
    parallel: str = "ddp"
    schedule: str = "1f1b"
    microbatches: int | None = None
    """Pipeline micro-batches per step (default: the largest divisor of the batch up to 2 x stages)."""
    steps: int = 5
    warmup: int = 1
    profile_steps: int = PROFILE_STEPS
    """Steps whose torch.profiler trace gives the collectives, overlap and compute figures (after its warm-up step)."""
    device: str = "cpu"
    seed: int = 0
    stage_memory_limit_bytes: float | None = None
    """Pipeline: the most memory the partitioner lets one stage hold (its estimate; None: no limit)."""
    baseline: bool = True
    find_unused_parameters: bool = False
    """DDP: wrap the model with find_unused_parameters=True whatever the first batch shows (a model whose parameters'
    use changes from step to step needs it; by default it is on only when the first batch leaves one without a
    gradient)."""

    def __post_init__(self) -> None:
        if self.parallel not in PARALLEL:
            raise InputError(f"--parallel {self.parallel!r} is not one of {', '.join(PARALLEL)}",
                             "use --parallel ddp, fsdp or pipeline")
        if self.schedule not in SCHEDULES:
            raise InputError(f"--schedule {self.schedule!r} is not one of {', '.join(SCHEDULES)}",
                             "use --schedule 1f1b or gpipe")
        if self.steps < 3:
            raise InputError(f"--steps {self.steps} is too few for a median", "use --steps 3 or more")
        if self.warmup < 0:
            raise InputError(f"--warmup {self.warmup} is negative", "use 0 or more warm-up steps")
        if self.profile_steps < 1:  # the trace's figures are means over them: none would be 0 / 0
            raise InputError(f"--profile-steps {self.profile_steps} (profile_steps) must be 1 or more",
                             f"leave it out (default {PROFILE_STEPS}) or give a positive count")
        if self.steps > MAX_STEPS or self.warmup > MAX_STEPS:  # a typo (1e20) would keep every rank busy for ever
            raise InputError(f"--steps {self.steps:,} / --warmup {self.warmup:,}: at most {MAX_STEPS:,} each",
                             f"use --steps and --warmup up to {MAX_STEPS:,}")
        if self.microbatches is not None and self.microbatches < 1:
            raise InputError(f"--microbatches {self.microbatches} must be 1 or more", "pass a positive count")
        _check_stage_memory(self.stage_memory_limit_bytes)
        pipeline_only = [f for f, given in (("--schedule", self.schedule != SCHEDULES[0]),
                                            ("--microbatches", self.microbatches is not None),
                                            ("--stage-memory-gib", self.stage_memory_limit_bytes is not None))
                         if given]
        if self.find_unused_parameters and self.parallel != "ddp":  # would be silently ignored
            raise InputError(f"--find-unused-parameters applies to --parallel ddp only, not {self.parallel} (FSDP and "
                             "the pipeline do not wait for a gradient of each parameter)",
                             "add --parallel ddp, or leave out --find-unused-parameters")
        if self.parallel != "pipeline" and pipeline_only:  # would be silently ignored
            raise InputError(f"{' and '.join(pipeline_only)} appl{'y' if len(pipeline_only) > 1 else 'ies'} to "
                             f"--parallel pipeline only, not {self.parallel}",
                             f"add --parallel pipeline, or leave out {' and '.join(pipeline_only)}")
        if not (self.device == "cpu" or self.device.startswith("cuda")):
            raise InputError(f"--device {self.device!r} for a distributed run", "use cpu (gloo) or cuda (NCCL)")


MAX_STAGE_MEMORY_GIB = 2.0**20
"""--stage-memory-gib at most 1 PiB (2**20 GiB): a stage runs on one rank of one machine, and no machine holds that
much memory; a larger value is a typo (1e308 GiB overflowed to an infinite number of bytes)."""


def stage_memory_limit_bytes(gib: float | None) -> float | None:
    """--stage-memory-gib in bytes (GiB = 2**30 bytes), checked as typed: positive, finite, at most
    MAX_STAGE_MEMORY_GIB. None: no limit."""
    if gib is None:
        return None
    if not (math.isfinite(gib) and 0 < gib <= MAX_STAGE_MEMORY_GIB):
        raise InputError(f"--stage-memory-gib {gib:g} is not a memory size: it must be positive and at most "
                         f"{MAX_STAGE_MEMORY_GIB:,.0f} GiB (1 PiB, more than any machine a stage runs on)",
                         "pass the memory one pipeline stage may use in GiB (2**30 bytes), e.g. --stage-memory-gib "
                         "0.5, or leave it out for no limit")
    return gib * GiB


def _check_stage_memory(limit_bytes: float | None) -> None:
    """The partitioner's memory limit per stage in bytes: the same bounds as --stage-memory-gib."""
    if limit_bytes is not None:
        stage_memory_limit_bytes(limit_bytes / GiB)


def default_microbatches(batch_size: int, stages: int) -> int:
    """The largest divisor of the batch up to 2 x stages (enough micro-batches to fill the pipeline twice)."""
    return max(d for d in range(1, min(batch_size, 2 * stages) + 1) if batch_size % d == 0)


def check_1f1b(cfg: DistConfig, microbatches: int, stages: int, bundle: Any) -> None:
    """torch's Schedule1F1B needs a micro-batch per stage at least (it refuses fewer inside every rank)."""
    if cfg.schedule != "1f1b" or microbatches >= stages:
        return
    batch_size = bundle.batch_size
    given = "--microbatches" if cfg.microbatches is not None else "the default micro-batches (the largest divisor of " \
        f"the batch {batch_size} up to 2 x stages)"
    fits = [d for d in range(stages, batch_size + 1) if batch_size % d == 0]
    ways = [f"pass --microbatches {fits[0]} (the least divisor of the batch {batch_size} from {stages} up)"] if fits \
        else []
    if cfg.microbatches is None or not fits:  # the default picked 1, or no micro-batch count of this batch fits
        ways.append(batch_multiple_fix(bundle, stages))
    raise InputError(f"{given}: {microbatches} micro-batch{'es' if microbatches != 1 else ''} for {stages} stages; "
                     "the 1F1B schedule needs one or more per stage",
                     f"{', '.join(ways)}, or use --schedule gpipe")


def microbatch_note(cfg: DistConfig, microbatches: int, stages: int, bundle: Any) -> list[str]:
    """The default micro-batch count (the largest divisor of the batch up to 2 x stages) is fewer than the stages
    when the batch has no divisor from `stages` to 2 x stages (a prime batch gets 1): GPipe then runs, without a
    word, with stages idle for most of the step (bubble (p - 1) / (m + p - 1) of it; Huang et al. 2019, sec. 2.2).
    1F1B refuses such a count (check_1f1b); a --microbatches the batch does not divide is refused too."""
    if cfg.microbatches is not None or microbatches >= stages:
        return []
    batch_size, target = bundle.batch_size, 2 * stages
    fits = [d for d in range(stages, batch_size + 1) if batch_size % d == 0]
    ways = ([f"pass --microbatches {fits[0]} (the least divisor of the batch from {stages} up)"] if fits else [])
    ways.append(batch_multiple_fix(bundle, target))
    bubble = (stages - 1) / (microbatches + stages - 1)
    ran = f"{microbatches} micro-batch{'es' if microbatches != 1 else ''}"
    return [f"the batch {batch_size} has no divisor from {stages} to {target} (2 x {stages} stages), so the pipeline "
            f"ran {ran} (the default: its largest divisor up to {target}), fewer than its {stages} stages: each "
            f"stage idles for {bubble:.0%} of the step (bubble "
            f"(p - 1) / (m + p - 1)); to pipeline it, {' or '.join(ways)}"]


def _job(cfg: DistConfig, parallel: str, microbatches: int, bounds: list[int], *, dump_grads: bool = False) -> Job:
    return Job(bundle_ref=cfg.bundle_ref, bundle_kwargs=cfg.bundle_kwargs, parallel=parallel, schedule=cfg.schedule,
               microbatches=microbatches, stage_bounds=bounds, steps=cfg.steps, warmup=cfg.warmup,
               profile_steps=cfg.profile_steps, device=cfg.device.split(":")[0], seed=cfg.seed, dump_grads=dump_grads,
               find_unused_parameters=cfg.find_unused_parameters)


def _rank_room(device: str, nodes: int) -> tuple[int, int, str]:
    """(most ranks per node, nodes, what sets the first) for the partitioner's fix (partition.more_stages_fix)."""
    from accelopt.distributed.launch import local_rank_room

    per_node, why = local_rank_room(device)
    return per_node, nodes, why


def _check_device(cfg: DistConfig, launch: Launch) -> None:
    from accelopt.distributed.launch import check_local_ranks

    # a one-node pipeline needs a stage per rank; on several nodes one rank per node is enough
    check_local_ranks(launch.nproc, cfg.device, least=2 if cfg.parallel == "pipeline" and launch.nnodes == 1 else 1)


def profile_distributed(cfg: DistConfig, launch: Launch, *, spec: Any = None, dump_grads: bool = False,
                        on_pass: Callable[[str], None] | None = None) -> DistributedResult:
    """Measure `cfg` on `launch.nproc` ranks (and the one-process baseline); predict it on `spec` when given.
    `on_pass` is told each stage as it starts (the CLI prints it on stderr: a 2-rank run of a small model on a busy
    2-core machine took 90 s, silent until its table)."""
    import torch

    say = on_pass or (lambda text: None)

    _check_device(cfg, launch)
    world = launch.world_size
    if cfg.parallel == "pipeline" and world < 2:
        raise InputError("--parallel pipeline needs 2 or more ranks (one per stage)", "pass --nproc 2 or more")
    threads = launch.threads_per_rank or threads_per_rank(launch.nproc)
    launch = dataclasses.replace(launch, threads_per_rank=threads)
    torch.manual_seed(cfg.seed)
    bundle = load_bundle(cfg.bundle_ref, cfg.bundle_kwargs)
    check_batch(bundle)
    # before torchrun: DDP, FSDP and the pipeline's optimizer each refuse such a model inside every rank
    check_trainable(bundle, "train", fix="profile it without --nproc, with --mode inference (a distributed run "
                                         "measures training steps)")
    from accelopt.workload.usercode import user_call

    # before torchrun too: an optimizer whose step() needs a closure (LBFGS) is refused naming the fix, not by ranks
    user_call(bundle, "building its optimizer", bundle.optimizer)
    partition: Partition | None = None
    bounds: list[int] = []
    m = 1
    m_note: list[str] = []
    if cfg.parallel == "pipeline":
        from accelopt.distributed.partition import check_microbatch_split, partition_model

        m = cfg.microbatches or default_microbatches(bundle.batch_size, world)
        check_microbatch_split(bundle, m)  # before its micro-batch size is said: 2 // 7 read 'a micro-batch of 0'
        check_1f1b(cfg, m, world, bundle)
        m_note = microbatch_note(cfg, m, world, bundle)
        pipeline_layers(bundle.model)  # a model that does not split is refused before its layers are said timed
        say(f"timing each layer on one micro-batch of {bundle.batch_size // m} for the split into {world} stages")
        before = torch.get_num_threads()
        torch.set_num_threads(threads)  # the layers are timed with the threads one stage will have
        try:  # and on the run's device: a CUDA run's stages run on GPUs, whose layer times differ from the CPU's
            partition = partition_model(bundle, world, microbatches=m, schedule=cfg.schedule,
                                        memory_limit_bytes=cfg.stage_memory_limit_bytes,
                                        device=cfg.device, room=_rank_room(cfg.device, launch.nnodes))
        finally:
            torch.set_num_threads(before)
        bounds = partition.balanced.bounds
    elif bundle.batch_size % world:
        raise InputError(f"global batch {bundle.batch_size} does not split into {world} equal data-parallel shards",
                         batch_multiple_fix(bundle, world))
    contention = ContentionReport()
    watch = Watch()  # the ranks' CPU time counts as this process's own once torchrun has reaped them
    say(f"{cfg.parallel} on {launch.world_size} ranks under torchrun: {cfg.warmup} warm-up + {cfg.steps} timed steps, "
        f"then {PROFILER_WARMUP_STEPS} + {cfg.profile_steps} profiled (the profiler's warm-up + those its trace "
        f"figures are a mean over; {watchdog_text(launch.timeout_s)})")
    stopped = Stopped(cfg=cfg, launch=launch, name=bundle.name, global_batch=bundle.batch_size, microbatches=m,
                      partition=partition, threads=threads)
    try:
        raw = launch_job(_job(cfg, cfg.parallel, m, bounds, dump_grads=dump_grads), launch)
    except RunInterrupted as stop:
        finished = partial_ranks(stop.ranks, cfg)
        if not any(r.warmup_done or r.timed_done for r in finished):  # not one step of any rank: nothing to keep
            raise KeyboardInterrupt from None
        raise stopped.interrupted(finished) from None
    except RunFailed as e:  # a rank crashed, hung or ran out of memory: the steps finished before it are kept
        finished = partial_ranks(e.ranks, cfg)
        if not any(r.warmup_done or r.timed_done for r in finished):  # it failed in its first step: the error alone
            raise
        raise of_kind(DistributedFailed, e.error)(stopped.partial(finished, failed=e.problem), e.error) from e
    _watched(contention, watch, run_label(launch), [RANK_FIGURES, TRACE_FIGURES, SCALING_FIGURES],
             launch.nproc * threads)
    ranks = sorted((RankResult.from_dict(d) for d in raw.ranks), key=lambda r: r.rank)
    check_losses_finite(bundle.name, ranks, f"the {launch.world_size}-rank {cfg.parallel} run")
    for r in ranks:
        check_samples(contention, f"rank {r.rank} step time", r.step_times_s, RANK_FIGURES, SCALING_FIGURES)
    single = None
    baseline_stopped = ""
    run_dirs = [str(raw.out_dir)] if dump_grads else []
    left_out: list[str] = []
    if cfg.baseline and launch.nnodes == 1:
        one = Launch(nproc=1, timeout_s=launch.timeout_s, threads_per_rank=threads)
        watch = Watch()
        say(f"the one-process run of the same global batch {bundle.batch_size}, {threads} thread(s)")
        try:
            base = launch_job(_job(cfg, "none", 1, [], dump_grads=dump_grads), one)
        except RunInterrupted as stop:  # the ranks' run had finished: the whole of it is kept, the baseline noted
            (base_steps,) = partial_ranks(stop.ranks, cfg)
            left_out.append(f"the one-process run was interrupted (Ctrl-C or SIGTERM) after {base_steps.timed_done} of "
                            f"its {cfg.steps} timed steps, so there is no speedup or scaling efficiency; the "
                            f"{launch.world_size}-rank run had finished and is whole")
            baseline_stopped = (f"in the one-process run, after {base_steps.timed_done} of its {cfg.steps} timed "
                                f"steps: the {launch.world_size}-rank run had finished and is kept whole (no speedup "
                                "or scaling efficiency)")
        except RankOutOfMemory as e:  # a run sharded to fit (FSDP, a pipeline): its measured ranks are kept
            left_out.append(baseline_left_out(bundle.batch_size, e))
        except AcceloptError as e:  # it failed as 'rank 0', though the ranks' run had finished
            raise baseline_error(e) from e
        else:
            _watched(contention, watch, "one-process run", [BASELINE_FIGURES, SCALING_FIGURES], threads)
            single = RankResult.from_dict(base.ranks[0])
            check_losses_finite(bundle.name, [single], "the one-process run")
            check_samples(contention, BASELINE_FIGURES, single.step_times_s, SCALING_FIGURES)
            run_dirs += [str(base.out_dir)] if dump_grads else []
    if single is None:  # no speedup or scaling efficiency is shown (several machines, or no baseline): none is off
        contention.disturbed = [f for f in contention.disturbed if f != SCALING_FIGURES]
    result = DistributedResult(
        name=bundle.name, parallel=cfg.parallel, schedule=cfg.schedule if cfg.parallel == "pipeline" else None,
        nproc=launch.nproc, nnodes=launch.nnodes, backend="nccl" if cfg.device.startswith("cuda") else "gloo",
        device=cfg.device, global_batch=bundle.batch_size, microbatches=m, ranks=ranks, single=single,
        partition=partition,
        environment={"torch": torch.__version__, "python": platform.python_version(), "host": platform.node(),
                     "threads_per_rank": threads, "run_dirs": run_dirs}, contention=contention,
        notes=left_out + m_note + ([FIND_UNUSED_NOTE] if cfg.find_unused_parameters else [])
        + (batchnorm_note(bundle.model, cfg.parallel, m) + dropout_note(bundle.model, cfg.parallel) if world > 1
           else []))
    if baseline_stopped:
        result.prediction_left_out = "not made: the run was interrupted (Ctrl-C or SIGTERM) before it"
        raise MeasuredInterrupted(result, baseline_stopped)
    if spec is not None:
        try:
            _add_prediction(cfg, result, spec)
        except KeyboardInterrupt:  # both runs had finished: every figure of them is kept, the prediction left out
            result.prediction, result.prediction_left_out = None, PREDICTION_INTERRUPTED
            raise MeasuredInterrupted(result, "while plan's prediction was made: every run had finished and is "
                                              "kept whole, the prediction is left out") from None
    else:  # said in the result itself, so --json, the page and the history carry it as the console does
        result.prediction_left_out = PREDICTION_NO_SPEC
    return result


FIND_UNUSED_NOTE = ("--find-unused-parameters: DDP ran with find_unused_parameters=True, looking for parameters "
                    "without a gradient every step (a walk of the autograd graph, which the step times include)")


PREDICTION_INTERRUPTED = "interrupted (Ctrl-C or SIGTERM) while the one-process step was captured for it"


class MeasuredInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM after the N-rank run was measured (in the one-process run, or while plan's prediction was
    made): `result` is the whole DistributedResult, without what the stop cut short (the one-process run: a note
    says so; the prediction: prediction_left_out); `when` says what was stopped."""

    def __init__(self, result: DistributedResult, when: str) -> None:
        super().__init__()
        self.result, self.when = result, when


class DistributedInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped `profile --nproc` while a run was measured: no process of it is left, and `partial`
    holds what was measured (a PartialDistributedResult). A KeyboardInterrupt still, for callers that only stop."""

    def __init__(self, partial: PartialDistributedResult) -> None:
        super().__init__()
        self.partial = partial


class DistributedFailed(AcceloptError):
    """A rank crashed, hung or ran out of memory after some rank had finished a step: the error's problem and fix
    (exit 2), carrying what every rank of this node had measured before it (`partial`, its `failed` set), as
    profile's ProfileFailed carries a one-process run's finished passes. Made of the error's class too
    (errors.of_kind), so a caller catching MeasurementError or InputError still catches it."""

    def __init__(self, partial: PartialDistributedResult, error: AcceloptError) -> None:
        done = ", ".join(f"rank {r.rank}: {r.timed_done} of {partial.steps}" for r in partial.ranks)
        kept = f"the timed steps each rank finished before it are kept: {done}"
        if not any(r.timed_done for r in partial.ranks):  # 'kept: rank 0: 0 of 20, ...' kept nothing timed
            warm = ", ".join(f"rank {r.rank}: {r.warmup_done} of {partial.warmup}" for r in partial.ranks)
            kept = f"no rank finished a timed step before it; the warm-up steps each finished are shown: {warm}"
        super().__init__(f"{error.problem} ({kept})", error.fix)
        self.partial = partial


def partial_ranks(records: list[dict[str, Any]], cfg: DistConfig) -> list[PartialRank]:
    """launch.read_partial's records as PartialRanks: a rank's finished result, else its last progress record
    (worker.Tally), else a rank that finished no step (started or not)."""
    out = []
    for rec in records:
        if rec["result"] is not None:  # its own losses from its progress files (a finished rank kept none: the
            # others' mean said 'not measured: the losses' though every rank had them; rev3, 2026-12-06)
            out.append(PartialRank.of_finished(RankResult.from_dict(rec["result"]), cfg.warmup,
                                               cfg.profile_steps + PROFILER_WARMUP_STEPS,
                                               (rec["progress"] or {}).get("losses")))
        elif rec["progress"] is not None and "step_times_s" in rec["progress"]:
            out.append(PartialRank.from_dict({**rec["progress"], "rank": rec["rank"]}))
        else:
            out.append(PartialRank(rank=rec["rank"], started=rec["started"]))
    return out


@dataclass(kw_only=True)
class Stopped:
    """What a stopped `profile --nproc` reports beside its ranks' figures (the run as it was set up)."""

    cfg: DistConfig
    launch: Launch
    name: str
    global_batch: int
    microbatches: int
    partition: Partition | None
    threads: int

    def interrupted(self, ranks: list[PartialRank]) -> DistributedInterrupted:
        return DistributedInterrupted(self.partial(ranks))

    def partial(self, ranks: list[PartialRank], *, failed: str = "") -> PartialDistributedResult:
        """What `ranks` measured before Ctrl-C or SIGTERM, or before the error `failed` stopped the run."""
        import torch

        cfg, launch = self.cfg, self.launch
        missing = ["the collectives trace (profiled steps)", "the losses", "speedup and scaling efficiency",
                   "plan's prediction"]
        result = PartialDistributedResult(
            name=self.name, parallel=cfg.parallel, schedule=cfg.schedule if cfg.parallel == "pipeline" else None,
            nproc=launch.nproc, nnodes=launch.nnodes, node_rank=launch.node_rank,
            backend="nccl" if cfg.device.startswith("cuda") else "gloo", device=cfg.device,
            global_batch=self.global_batch, microbatches=self.microbatches, steps=cfg.steps, warmup=cfg.warmup,
            profile_steps=cfg.profile_steps + PROFILER_WARMUP_STEPS, ranks=ranks, partition=self.partition,
            missing=missing,
            environment={"torch": torch.__version__, "python": platform.python_version(), "host": platform.node(),
                         "threads_per_rank": self.threads}, interrupted=not failed, failed=failed,
            stopped_by="" if failed else stopped_by())
        if result.global_losses:  # every rank kept its finished steps' losses (worker.Tally)
            result.missing.remove("the losses")
        return result


def baseline_error(e: AcceloptError) -> AcceloptError:
    """`e` of the one-process baseline's launch, naming that run where the launcher named its 'rank 0' (the user read
    of a rank of the distributed run, which had finished)."""
    problem = re.sub(r"^rank 0\b", "the one-process run (the baseline, after the distributed run finished)", e.problem)
    return type(e)(problem, e.fix)


def baseline_left_out(global_batch: int, e: RankOutOfMemory) -> str:
    """The note of a run whose one-process baseline did not fit in memory (the ranks' figures were lost with it)."""
    return (f"the one-process run of the global batch ({global_batch} samples) did not fit in one process's memory "
            f"({e.problem.removeprefix('rank 0: ')}), so there is no speedup or scaling efficiency; where the model "
            "alone fits one process, pass a smaller --batch-size to get them")


def check_losses_finite(name: str, ranks: list[RankResult], run: str) -> None:
    """A step whose global loss is NaN or inf is not a training step worth timing: as `profile` stops on one (its
    --allow-nonfinite does not apply with --nproc), so does a distributed run. The ranks' losses are the global
    batch's (the same on every rank), in step order: warm-up, timed, then the profiled steps."""
    for r in ranks:
        said = nonfinite_loss_text(name, r.losses, run)
        if said:
            raise MeasurementError(*said)


def run_label(launch: Launch) -> str:
    """How a warning names the distributed run: '2-rank run', or on several machines '4-rank run (2 on this node)'
    (what this machine's load disturbed); a 2-node run of one rank each was called a '1-rank run'."""
    here = f" ({launch.nproc} on this node)" if launch.nnodes > 1 else ""
    return f"{launch.world_size}-rank run{here}"


def _watched(report: ContentionReport, watch: Any, label: str, figures: list[str], threads: int) -> None:
    """What the machine's load showed over one launch (others' CPU time, and its load average at the start), each
    warning led by `label` (which of the runs); the machine's figures are the first launch's."""
    seen = ContentionReport()
    watch.finish(seen, figures, threads=threads)
    check_setup(seen, threads=threads, load_1min=watch.load_1min, figures=figures,  # a --nproc run has no --threads
                fix="pass a smaller --nproc (each rank runs its share of the {cores} usable cores as torch threads, "
                    "at least 1), or run on a machine with more cores")
    if not report.warnings and report.others_busy_cores is None:
        report.others_busy_cores, report.steal_fraction = seen.others_busy_cores, seen.steal_fraction
        report.load_average_1min, report.usable_cores, report.threads = (seen.load_average_1min, seen.usable_cores,
                                                                         seen.threads)
    for warning in seen.warnings:
        report.add(f"{label}: {warning}", *figures)


def _add_prediction(cfg: DistConfig, result: DistributedResult, spec: Any) -> None:
    """result.prediction from _predict; when its one-process capture runs out of memory the ranks' measurements are
    kept and result.prediction_left_out says why (a traceback lost the whole run)."""
    try:
        result.prediction = _predict(cfg, result, spec)
    except (MemoryError, RuntimeError) as e:
        if not is_out_of_memory(e):
            raise
        result.prediction_left_out = (f"its one-process capture of the global batch ({result.global_batch} samples) "
                                      "ran out of memory; pass a smaller --batch-size to get it")
    if result.prediction is not None:
        busy_spec_warnings(result.contention, spec, result.prediction.link_source)


def busy_spec_warnings(report: ContentionReport, spec: Any, link_source: str) -> None:
    """A spec `probe` measured on a busy machine (its peaks or bandwidth, and its `--collectives` link when the
    prediction used it) is a warning naming the prediction, as `profile` and `plan` say it; the prediction used them
    unsaid. So is a measured link whose ring model missed a measured all-reduce past LINK_MODEL_MAX_ERROR (the
    poor-fit warning probe saved with it, which `plan --collectives` prints)."""
    from accelopt.distributed.predict_check import MEASURED_LINK

    flag = "--probed" if spec.measured else "--catalog-device"
    text = spec_warning_text(spec, flag)
    if text is not None:
        report.add(text, PREDICTION_FIGURES)
    if not link_source.startswith(MEASURED_LINK):
        return
    source = spec.source_of("scaleup_bandwidth_byte_per_s") or ""
    fit = link_fit_warning(source)
    if fit is not None:  # as `plan --collectives` prints it beside the same link (report/plan_warnings.py)
        report.add(f"{flag} {spec.name}'s measured link (probe --collectives), which the prediction's communication "
                   f"uses: {fit}", PREDICTION_FIGURES)
    link = link_warning(source)
    if link is not None:
        report.add(f"{flag} {spec.name}'s measured link (probe --collectives), which the prediction's communication "
                   f"uses, was disturbed while measured: {link}; rerun `accelopt probe --collectives` on a quiet "
                   "machine to trust it", PREDICTION_FIGURES)


def _predict(cfg: DistConfig, result: DistributedResult, spec: Any) -> Any:
    """Capture one step of the model on the global batch and predict the layout's terms on `spec`."""
    import torch

    from accelopt.distributed.predict_check import fsdp_grads, predict_run
    from accelopt.workload.capture import capture_workload

    torch.manual_seed(cfg.seed)
    bundle = load_bundle(cfg.bundle_ref, cfg.bundle_kwargs)
    # DDP's buckets hold the parameters that require a gradient (a frozen backbone is never all-reduced);
    # FSDP shards and gathers every parameter, and a pipeline's term uses the activations only
    held = [p for p in bundle.model.parameters() if p.requires_grad or cfg.parallel != "ddp"]
    param_bytes = tensor_bytes(held)
    # the units worker._fsdp shards one by one before the root: each issues its own collectives
    units = fsdp_units(bundle.model) if result.parallel == "fsdp" else []
    unit_bytes = [tensor_bytes(list(u.parameters())) for u in units]
    workload = capture_workload(bundle, mode="train", dtype="fp32", device=cfg.device, warmup_steps=1)
    grads = fsdp_grads(bundle.model, units) if result.parallel == "fsdp" else None
    return predict_run(result, workload, spec, param_bytes, unit_bytes, grads, local=spec_is_local(spec, cfg.device))


def spec_is_local(spec: Any, device: str) -> bool:
    """Whether `spec` is of the device the run ran on: a `--probed` spec (probe measured it here), or the catalog entry
    of the detected `device` (by default, or named by --catalog-device); another (a what-if device) keeps its own
    per-op cost and p2p latency, not the ranks' (predict_check.per_op_input, p2p_input)."""
    if spec.measured:
        return True
    from accelopt.hardware import detect
    from accelopt.hardware.catalog import get_device

    found = detect.find_device(device).catalog_name
    if not found:  # a CPU (no catalog entry), or a device the catalog lacks
        return False
    return get_device(found).name == spec.name
