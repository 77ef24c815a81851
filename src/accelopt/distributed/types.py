"""Typed jobs and results of distributed runs (times in s, memory in bytes, bandwidth in bytes/s).

A `Job` travels to every rank as JSON (dataclasses.asdict) and each rank sends back one `RankResult` the same
way; both are rebuilt field by field into their dataclass (`from_dict`), never read by string key downstream.
`DistributedResult` is the typed result of `profile --nproc` (JSON shape: accelopt.report.schema, kind
'profile-distributed'); every number declares its unit (accelopt.units.unit).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, ClassVar

from accelopt.distributed.limits import PROFILE_STEPS
from accelopt.measure.collective_figures import CollectiveFigure, CollectivesResult
from accelopt.measure.contention import ContentionReport
from accelopt.measure.timing import quantile
from accelopt.units import unit

PARALLEL = ("ddp", "fsdp", "pipeline")
SCHEDULES = ("1f1b", "gpipe")
COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all")
__all__ = ["COLLECTIVES", "PARALLEL", "SCHEDULES", "CollectiveFigure", "CollectivesResult"]

P2P_WARMUP, P2P_REPEATS = 5, 30
"""Round trips of a rank's p2p latency measurement (worker.p2p_latency_s): the first P2P_WARMUP are dropped (a
pair's first send sets up its connection), the median of the next P2P_REPEATS is kept."""

TIMES_CHUNK = 256
"""Timed steps per `rank<R>.times<K>.json` file of a training rank (worker.Tally): a step rewrites only its own chunk
(at most 256 numbers), so keeping every step costs the same at step 10 and step 10**6 (rewriting the whole list
after each step grew with --steps)."""


@dataclass(kw_only=True)
class Job:
    """What every rank runs. `bundle_ref` is 'path/file.py:factory' or 'package.module:function' returning a
    ModelBundle when called with `bundle_kwargs` (the CLI passes its own MODEL resolver)."""

    kind: str = "train"
    """train (a measured training run) or collectives (the collective benchmark)."""
    bundle_ref: str = ""
    bundle_kwargs: dict[str, Any] = field(default_factory=dict)
    parallel: str = "none"
    """none (one process, the baseline), ddp, fsdp or pipeline."""
    schedule: str = "1f1b"
    microbatches: int = 1
    stage_bounds: list[int] = field(default_factory=list)
    """Pipeline: layer index where each stage starts, plus the layer count at the end (len = stages + 1)."""
    steps: int = 5
    warmup: int = 1
    profile_steps: int = PROFILE_STEPS
    """limits.PROFILE_STEPS; the launcher always passes its DistConfig's."""
    device: str = "cpu"
    seed: int = 0
    out_dir: str = ""
    dump_grads: bool = False
    """Rank 0 saves its gradients after the first backward (tests: DDP gradients equal the single run's)."""
    sizes_bytes: list[int] = field(default_factory=list)
    """Collective benchmark: message sizes (bytes per rank, nccl-tests' 'size')."""
    ops: list[str] = field(default_factory=lambda: list(COLLECTIVES))
    find_unused_parameters: bool = False
    """DDP: wrap with find_unused_parameters=True whatever the first batch shows (--find-unused-parameters)."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        return cls(**{f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d})


@dataclass(kw_only=True)
class CommTime:
    """Collective time of one rank per profiled step, from its torch.profiler trace."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"exposed_s": "s", "overlap_fraction": "fraction", "own_work_s": "s"}

    comm_s: float = unit("s")
    """Union of collective intervals (gloo:* events, NCCL kernels) per step."""
    overlapped_s: float = unit("s")
    """Part of comm_s during which the rank was also computing (its compute intervals)."""
    compute_s: float = unit("s")
    """Union of compute intervals per step (aten ops on the step's thread; GPU kernels on CUDA)."""
    profiled_step_s: float = unit("s", default=0.0)
    """Wall time per step of the profiled steps themselves (the frame of the three figures above)."""
    profiled_steps_s: list[float] = unit("s", "wall time of each profiled step (empty: a record before schema "
                                         "version 11)", default_factory=list)
    comm_steps_s: list[float] = unit("s", "comm_s of each profiled step (empty: before version 11)",
                                     default_factory=list)
    compute_steps_s: list[float] = unit("s", "compute_s of each profiled step (empty: before version 11)",
                                        default_factory=list)
    """The figures above averaged per step, one per profiled step (each step's window in the trace runs from its
    accelopt.step mark to the next one's): their count and spread beside the means."""

    @property
    def exposed_s(self) -> float:
        return self.comm_s - self.overlapped_s

    @property
    def overlap_fraction(self) -> float | None:
        return self.overlapped_s / self.comm_s if self.comm_s > 0 else None

    @property
    def own_work_s(self) -> float:
        """profiled_step_s - exposed_s: the rank's own work a step (compute, Python, data), outside the collectives
        it waits in. A collective lasts until every rank has joined it, so the other ranks spend a slow rank's extra
        work waiting in theirs: every rank's step time is then the same, and this figure tells the slow one."""
        return max(0.0, self.profiled_step_s - self.exposed_s)


@dataclass(kw_only=True)
class RankResult:
    """One rank's measured steps, collectives and memory."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"step_median_s": "s", "step_p10_s": "s", "step_p90_s": "s"}

    rank: int = unit("count")
    world_size: int = unit("count")
    host: str
    step_times_s: list[float] = unit("s")
    """Wall time of each timed step (synchronized at both ends)."""
    losses: list[float] = unit("", "the model's loss")
    """Global loss of every step, warm-up included (the same value on every rank)."""
    comm: CommTime
    peak_memory_bytes: float = unit("B")
    memory_source: str
    """torch.cuda.max_memory_allocated, or the process's peak resident set (getrusage) on CPU."""
    threads: int = unit("count")
    stage: int | None = unit("count", "pipeline stage (null: not a pipeline run)", default=None)
    unused_parameters: list[str] = field(default_factory=list)
    """DDP: trainable parameters that got no gradient from this rank's share of the first batch. When any rank has
    one, every rank wraps the model with DistributedDataParallel(find_unused_parameters=True), which walks the
    autograd graph each step (the step times include it)."""
    op_overhead_s: float | None = unit("s", "measured per-op cost (null: not measured, a record before schema "
                                       "version 10)", default=None)
    """The fixed cost of one eager op on this rank, measured before its steps (measure/op_cost.py: a chain of
    one-element multiplications forward and backward, median time / the aten ops it dispatched): plan's prediction
    charges it per op in place of the calibration's assumed kernel_overhead_s."""
    op_overhead_ops: int | None = unit("count", "aten ops of the timed chain (null: not measured)", default=None)
    p2p_latency_s: float | None = unit("s", "measured latency to rank + 1 (null: not measured)", default=None)
    """Pipeline runs: half the median round trip of a 4-byte tensor to the next rank and back (dist.send/recv,
    worker.p2p_latency_s); the pipeline prediction's sends over the boundary after this rank's stage pay it. Null on
    the last rank, for DDP and FSDP, and in records before schema version 10."""

    @property
    def step_median_s(self) -> float:
        return statistics.median(self.step_times_s)

    @property
    def step_p10_s(self) -> float:
        """10th percentile of the timed steps: with step_p90_s, the spread the contention check measures
        ((p90 - p10) / median, measure.timing.Stats) and `profile` prints beside its medians."""
        return quantile(sorted(self.step_times_s), 0.10)

    @property
    def step_p90_s(self) -> float:
        return quantile(sorted(self.step_times_s), 0.90)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RankResult:
        kw = {f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d}
        comm = d["comm"]  # the per-step lists: absent from a record before schema version 11
        kw["comm"] = CommTime(**{f.name: comm[f.name] for f in dataclasses.fields(CommTime) if f.name in comm})
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        """What a rank sends back to the launcher (from_dict rebuilds it)."""
        return dataclasses.asdict(self)


@dataclass(kw_only=True)
class StageBalance:
    """A split of layers into contiguous stages and its predicted stage times (from profiled layer times)."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"slowest_s": "s", "balance": "x"}

    bounds: list[int] = unit("count", "layer index where each stage starts, then the layer count")
    stage_times_s: list[float] = unit("s")
    stage_memory_bytes: list[float] = unit("B")

    @property
    def slowest_s(self) -> float:
        return max(self.stage_times_s)

    @property
    def balance(self) -> float:
        """slowest / mean stage time: 1.0 is perfect balance."""
        return self.slowest_s / statistics.fmean(self.stage_times_s)


@dataclass(kw_only=True)
class LayerCost:
    name: str
    fwd_bwd_s: float = unit("s")
    """Forward + backward of one micro-batch through this layer (median of repeats)."""
    activation_bytes: float = unit("B")
    """Bytes this layer's output holds per micro-batch (what the next stage receives and backward keeps)."""
    param_bytes: float = unit("B")
    """Bytes of this layer's parameters that no earlier layer holds (a weight tied to an earlier layer's is counted
    there once: the split keeps tied layers on one stage)."""
    frozen_param_bytes: float = unit("B", default=0.0)
    """The part of param_bytes that requires no gradient (a frozen layer): the stage holds its weights only, no
    gradient or optimizer state (0 in records written before schema version 5)."""
    optimizer_state_bytes: float | None = unit("B", default=None)
    """Bytes of state the bundle's optimizer (AdamW(lr=1e-4) by default) keeps for this layer's trainable parameters,
    measured after one step on copies of them (SGD without momentum keeps none, AdamW two moments); None where it
    was not measured (records before schema version 5, or a bundle optimizer that could not be built or stepped on
    the copies: partition.optimizer_state_bytes): AdamW's 2 x the trainable bytes is assumed."""


@dataclass(kw_only=True)
class Partition:
    """Result of the pipeline partitioner: the balanced split beside the naive equal-layer split."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"method": "", "bottleneck_layer": "", "balance_floor": "x"}

    layers: list[LayerCost]
    stages: int = unit("count")
    memory_limit_bytes: float | None = unit("B")
    balanced: StageBalance
    naive: StageBalance
    unlimited: StageBalance | None = None
    """The split the partitioner picks without memory_limit_bytes (None when no limit is given): beside `balanced`,
    what the limit changed."""
    naive_cut_ties: list[str] = field(default_factory=list)
    """Tied layers the equal-layer split `naive` puts on two stages ('0:Linear and 4:Linear'), each pair once; such a
    split cannot run (each stage would train its own copy of the shared weight), so its balance is no fair
    comparison. Empty when it keeps every tie on one stage."""

    @property
    def method(self) -> str:
        return ("dynamic program over contiguous splits minimizing the slowest stage's forward+backward time, "
                "each stage within memory_limit_bytes")

    @property
    def balance_floor(self) -> float:
        """A floor under the balance of any split of these layers into `stages`: max(1, slowest layer / mean stage),
        the mean stage being all layers' time / stages. A stage holds whole layers, so a layer longer than the mean
        stage sets the slowest stage by itself (a lower bound: ties and a memory limit may force worse)."""
        total_s = sum(x.fwd_bwd_s for x in self.layers)
        if not self.layers or total_s <= 0:
            return 1.0
        return max(1.0, max(x.fwd_bwd_s for x in self.layers) / (total_s / self.stages))

    @property
    def bottleneck_layer(self) -> str:
        """The layer longer than the mean stage, which no split can balance (balance_floor > 1); "" when none."""
        if self.balance_floor <= 1.0:
            return ""
        return max(self.layers, key=lambda x: x.fwd_bwd_s).name


@dataclass(kw_only=True)
class TermError:
    """One term of the step time: plan's prediction beside the measurement (estimate vs measured), judged by
    `tolerance` (PREDICTION_TOLERANCE)."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"error": "fraction", "within_tolerance": ""}

    term: str
    predicted_s: float = unit("s", "estimate")
    measured_s: float = unit("s")
    tolerance: float | None = unit("fraction", "the |error| the comparison is judged by (None: a record written "
                                   "before it was stated)", default=None)
    measured_steps: int | None = unit("count", "steps measured_s is over (None: a record before schema version 11)",
                                      default=None)
    measured_low_s: float | None = unit("s", "the lowest step's figure (None: not recorded)", default=None)
    measured_high_s: float | None = unit("s", "the highest step's figure (None: not recorded)", default=None)
    """The profiled terms (compute, communication, bubble + sends): how many profiled steps measured_s (a median over
    ranks of each rank's mean per step) is over, and the lowest and highest single step's figure among those ranks.
    None for the step term (its spread: the rank table's p10 and p90 over the timed steps)."""

    @property
    def error(self) -> float | None:
        """(predicted - measured) / measured."""
        return (self.predicted_s - self.measured_s) / self.measured_s if self.measured_s > 0 else None

    @property
    def within_tolerance(self) -> bool | None:
        """|error| <= tolerance; None where either is unknown (nothing measured, or an older record)."""
        err = self.error
        return None if err is None or self.tolerance is None else abs(err) <= self.tolerance


PREDICTION_TOLERANCE = 0.25
"""The |error| a distributed run's predicted term is judged by: validate's LARGE_ERROR (predict/validation.py), the
miss beyond which a held-out published run must carry a checked reason, and probe's LINK_MODEL_MAX_ERROR for a
measured link's ring model (measure/collective_figures.py): plan's own bar for 'a miss to explain'."""


@dataclass(kw_only=True)
class PredictionCheck:
    """What the distributed step's terms predict (plan's formulas, labelled estimates) vs what was measured."""

    device: str
    link_source: str
    terms: list[TermError]
    notes: list[str] = field(default_factory=list)
    is_estimate: bool = True
    inputs: list[PredictionInput] = field(default_factory=list)
    """The figures the terms take beside the spec's peaks and links, each said measured (on this run) or assumed
    (schema `profile-distributed` version 10)."""


@dataclass(kw_only=True)
class PredictionInput:
    """One figure a predicted term uses: measured by this run, or assumed (a calibration default, a link figure)."""

    name: str
    """per-op cost, or p2p latency (a pipeline's sends)."""
    value_s: float = unit("s")
    measured: bool
    """True: measured by this run's ranks; False: assumed (its source says whose assumption)."""
    source: str


PREDICTION_NO_SPEC = "no catalog entry for this device; pass --probed SPEC.toml or --catalog-device NAME"
"""DistributedResult.prediction_left_out where no spec was given: `--json` carried prediction null with an empty
reason while the console said this (utdist2's leftover)."""


@dataclass(kw_only=True)
class DistributedResult:
    """`accelopt profile --nproc N`: a measured N-rank run beside the one-process run on the same global batch."""

    SCHEMA_KIND: ClassVar[str] = "profile-distributed"
    SCHEMA_VERSION: ClassVar[int] = 11
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)  # 2 added prediction_left_out; 3 ranks'
    # unused_parameters, contention, notes; 4 partition.unlimited; 5 partition.naive_cut_ties and
    # partition.layers[].frozen_param_bytes and optimizer_state_bytes; 6 ranks[].step_p10_s and step_p90_s (and
    # single's), derived from step_times_s; 7 partition.bottleneck_layer and balance_floor, derived from its layers;
    # 8 prediction.terms[].tolerance (default None) and within_tolerance, derived; 9 ranks[].comm.own_work_s,
    # busiest_rank and work_straggler_ratio, derived from each rank's trace figures; 10 ranks[].op_overhead_s,
    # op_overhead_ops and p2p_latency_s, prediction.inputs (defaults None and []); 11 ranks[].comm.profiled_steps_s,
    # comm_steps_s and compute_steps_s, prediction.terms[].measured_steps, measured_low_s and measured_high_s
    # (defaults [] and None)
    LEGACY_UNVERSIONED: ClassVar[bool] = True
    """Records written before the schema (no `schema` field) have this shape and load as version 1."""
    DERIVED_UNITS: ClassVar[dict[str, str]] = {"step_median_s": "s", "straggler_ratio": "x", "slowest_rank": "count",
                                               "speedup": "x", "scaling_efficiency": "fraction",
                                               "scaling_formula": "", "busiest_rank": "count",
                                               "work_straggler_ratio": "x"}

    name: str
    parallel: str
    schedule: str | None
    nproc: int = unit("count", "processes per node")
    nnodes: int = unit("count")
    backend: str
    device: str
    global_batch: int = unit("count", "samples per step over all ranks")
    microbatches: int = unit("count")
    ranks: list[RankResult]
    single: RankResult | None
    """The one-process baseline (same model, seed and global batch); None on multi-node runs."""
    partition: Partition | None = None
    prediction: PredictionCheck | None = None
    prediction_left_out: str = ""
    """Why `prediction` is None: no spec to predict on (PREDICTION_NO_SPEC), the one-process capture it needs did
    not fit in memory, an interrupt; '' where a prediction was made (and in documents written before the no-spec
    reason was kept: the report then prints PREDICTION_NO_SPEC)."""
    environment: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """How the run differs from the one-process run beyond its layout (e.g. BatchNorm over each rank's slice)."""
    contention: ContentionReport = field(default_factory=ContentionReport)
    """Signs that the machine was busy during the runs (other processes' CPU time, a loaded machine at the start, a
    rank's or the one-process run's step times spread or bimodal) and the figures they disturb."""

    @property
    def step_median_s(self) -> float:
        """The step of the run: the slowest rank's median (every rank waits for it)."""
        return max(r.step_median_s for r in self.ranks)

    @property
    def straggler_ratio(self) -> float:
        """Slowest rank's median step / median over ranks of their medians."""
        meds = [r.step_median_s for r in self.ranks]
        return max(meds) / statistics.median(meds)

    @property
    def slowest_rank(self) -> int:
        return max(self.ranks, key=lambda r: r.step_median_s).rank

    @property
    def busiest_rank(self) -> int:
        """The rank with the most own work a step (CommTime.own_work_s): the one the others wait for in their
        collectives. DDP and FSDP ranks end each step together (gloo, 2 ranks, one sleeping 50 ms in its forward:
        step medians 53.4 and 51.9 ms, slowest_rank named the rank that waited 49.5 ms in its all-reduce)."""
        return max(self.ranks, key=lambda r: r.comm.own_work_s).rank

    @property
    def work_straggler_ratio(self) -> float | None:
        """The busiest rank's own work / the median over ranks of theirs; None where that median is 0."""
        work = [r.comm.own_work_s for r in self.ranks]
        mid = statistics.median(work)
        return max(work) / mid if mid > 0 else None

    @property
    def scaling_efficiency(self) -> float | None:
        """Strong scaling on the same global batch: T_1 / (N x T_N); 1.0 is perfect."""
        if self.single is None:
            return None
        return self.single.step_median_s / (self.nproc * self.nnodes * self.step_median_s)

    @property
    def speedup(self) -> float | None:
        return self.single.step_median_s / self.step_median_s if self.single is not None else None

    @property
    def unused_parameters(self) -> list[str]:
        """Parameters some rank found unused (RankResult.unused_parameters), in the order first found."""
        return list(dict.fromkeys(name for r in self.ranks for name in r.unused_parameters))

    @property
    def scaling_formula(self) -> str:
        return "single.step_median_s / (nproc x nnodes x step_median_s), same global batch"


def nonfinite_loss_text(name: str, losses: list[float], run: str) -> tuple[str, str] | None:
    """(problem, fix) for the first NaN or inf among `losses` (in step order, warm-up steps included) of `run`; None
    when every one is finite. A finished run raises it (run.check_losses_finite); a stopped one says it."""
    bad = [i for i, x in enumerate(losses) if not math.isfinite(x)]
    if not bad:
        return None
    first = max(0, bad[0] - 4)  # the last five steps up to the first bad one
    return (f"model {name!r}: the loss of {run} is not finite ({losses[bad[0]]}) from step {bad[0] + 1} of "
            f"{len(losses)} (warm-up steps included) on; its step times would time a diverged model",
            f"check the data, the loss and the learning rate (losses of steps {first + 1} to {bad[0] + 1}: "
            f"{', '.join(f'{x:.4g}' for x in losses[first:bad[0] + 1])}); `accelopt profile MODEL` without "
            "--nproc stops at a non-finite loss the same way, or profiles it flagged with --allow-nonfinite")


@dataclass(kw_only=True)
class PartialRank:
    """What one rank of an interrupted run had measured when it was stopped: its finished steps, read from the record
    it rewrites after every step (worker.Rank.progress; written atomically, so never half a record)."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"step_median_s": "s", "step_p10_s": "s", "step_p90_s": "s",
                                               "timed_done": "count"}

    rank: int = unit("count")
    started: bool = True
    """False: the rank never wrote its first record (still importing torch or joining the rendezvous)."""
    warmup_done: int = unit("count", default=0)
    """Warm-up steps finished (of `warmup`)."""
    step_times_s: list[float] = unit("s", default_factory=list)
    """Wall time of each timed step it finished (synchronized at both ends), as a finished run reports them."""
    profiled_done: int = unit("count", default=0)
    """Steps finished under torch.profiler after the timed ones (their trace figures are not kept: the trace is
    read at the end of the profiled steps)."""
    peak_memory_bytes: float | None = unit("B", default=None)
    """Peak memory at its last finished step (None: no step finished)."""
    memory_source: str = ""
    threads: int | None = unit("count", default=None)
    stage: int | None = unit("count", "pipeline stage (null: not a pipeline run, or no step finished)", default=None)
    host: str = ""
    losses: list[float] = unit(
        "", "its own loss of each step it finished, warm-up included, as its last record kept them: of its slice of "
            "the global batch (ddp, fsdp), the mean over its micro-batches on a pipeline's last stage (the other "
            "stages keep none); empty in records before version 4",
        default_factory=list)

    @property
    def timed_done(self) -> int:
        return len(self.step_times_s)

    @property
    def step_median_s(self) -> float | None:
        """Median of the timed steps it finished; None when none."""
        return statistics.median(self.step_times_s) if self.step_times_s else None

    @property
    def step_p10_s(self) -> float | None:
        return quantile(sorted(self.step_times_s), 0.10) if self.step_times_s else None

    @property
    def step_p90_s(self) -> float | None:
        return quantile(sorted(self.step_times_s), 0.90) if self.step_times_s else None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PartialRank:
        return cls(**{f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d})

    @classmethod
    def of_finished(cls, r: RankResult, warmup: int, profiled: int, losses: list[float] | None = None) -> PartialRank:
        """A rank that had finished its whole run when the run was stopped (another rank failed, hung or was
        stopped): `losses` its own, as its last progress record kept them (r.losses are the global batch's)."""
        return cls(rank=r.rank, warmup_done=warmup, step_times_s=list(r.step_times_s), profiled_done=profiled,
                   peak_memory_bytes=r.peak_memory_bytes, memory_source=r.memory_source, threads=r.threads,
                   stage=r.stage, host=r.host, losses=list(losses or []))


@dataclass(kw_only=True)
class PartialDistributedResult:
    """`accelopt profile --nproc N` stopped by Ctrl-C or SIGTERM during its N-rank run, or by a rank's failure (a
    crash, a hang, out of memory: `failed`) after some rank had finished a step: what every rank of this node had
    measured (its finished steps). (Stopped later, in the one-process run or while predicting, the whole
    DistributedResult is kept instead.) Recorded in the run history like a finished run; every figure here
    is from the steps the rank finished."""

    SCHEMA_KIND: ClassVar[str] = "profile-distributed-partial"
    SCHEMA_VERSION: ClassVar[int] = 4
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)  # 2 added failed (default ''); 3 stopped_by (default '');
    # 4 ranks[].losses (default []) and the derived global_losses (ut4dist, 2026-12-06)
    DERIVED_UNITS: ClassVar[dict[str, str]] = {"step_median_s": "s", "global_losses": ""}

    name: str
    parallel: str
    schedule: str | None
    nproc: int = unit("count", "processes per node")
    nnodes: int = unit("count")
    node_rank: int = unit("count", default=0)
    backend: str
    device: str
    global_batch: int = unit("count", "samples per step over all ranks")
    microbatches: int = unit("count")
    steps: int = unit("count", "timed steps asked for (--steps)")
    warmup: int = unit("count", "warm-up steps asked for (--warmup)")
    profile_steps: int = unit("count", "steps run under torch.profiler after the timed ones, its warm-up step included")
    interrupted: bool = True
    """True when Ctrl-C or SIGTERM stopped the run; False when `failed` did."""
    failed: str = ""
    """The error that stopped the run (a rank's crash or hang, as `profile --nproc` prints it after `error:`); ''
    when Ctrl-C or SIGTERM did."""
    stopped_by: str = ""
    """The signal that stopped the run, as interrupts.stopped_by names it: 'Ctrl-C' or 'SIGTERM'; '' when `failed`
    did, and in a record written before version 3 (then said as 'Ctrl-C or SIGTERM')."""
    ranks: list[PartialRank]
    """This node's ranks (the ranks of other nodes report to their own node's launcher)."""
    partition: Partition | None = None
    missing: list[str] = field(default_factory=list)
    """The figures a finished run has that this one lacks (the collectives trace, the losses, the speedup, plan's
    prediction)."""
    environment: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def global_losses(self) -> list[float]:
        """The loss of the global batch of each step every rank that holds one finished (warm-up included): the mean
        of the ranks' own losses, equal slices of the batch (ddp, fsdp; on one node only: another node's ranks are
        not here), or the last pipeline stage's over the steps every stage finished; [] where a rank kept none (an
        older record, a rank that finished no step, a pipeline whose last stage is on another node)."""
        if self.parallel == "pipeline":  # the last stage ends a step's backward before stage 0 does: up to a step ahead
            last = [r for r in self.ranks if r.stage == self.nproc * self.nnodes - 1]
            every = min((r.warmup_done + r.timed_done + r.profiled_done for r in self.ranks), default=0)
            return list(last[0].losses[:every]) if last else []
        if self.nnodes > 1 or not self.ranks or any(not r.losses for r in self.ranks):
            return []
        n = min(len(r.losses) for r in self.ranks)
        return [sum(r.losses[i] for r in self.ranks) / len(self.ranks) for i in range(n)]

    def losses_elsewhere(self) -> str:
        """Why the loss of the global batch is not on this node ('' where it is, or where a rank here kept none): on
        several nodes a ddp/fsdp rank holds the loss of its own slice only, and the other nodes' ranks keep theirs
        (their launcher's run directory); a pipeline's loss is its last stage's, which may be on another node."""
        if self.nnodes == 1 or not self.ranks or any(not r.losses for r in self.ranks if self.parallel != "pipeline"):
            return ""
        if self.parallel != "pipeline":
            return (f"each rank's loss is of its slice of the global batch, and the ranks of the other "
                    f"{self.nnodes - 1} node(s) keep theirs on their own node, so their mean is not taken here")
        last = self.nproc * self.nnodes - 1
        if any(r.stage == last for r in self.ranks):
            return ""
        return f"the loss is the last pipeline stage's (stage {last}), which runs on another node and keeps it there"

    def steps_of_losses(self) -> str:
        """Whose finished steps `global_losses` covers, as the report says it: on several nodes only this node's
        ranks are counted (an earlier stage on another node may not have finished the step's backward)."""
        if self.nnodes == 1:
            return "steps every rank finished"
        return (f"steps every rank of this node (node {self.node_rank}) finished; the other nodes' ranks, not here, "
                "may not have finished them")

    def nonfinite_loss(self) -> tuple[str, str] | None:
        """(problem, fix) for the first non-finite loss kept, as a finished run refuses it (nonfinite_loss_text):
        of the global batch where it is here, else of each rank's own slice; None when every kept loss is finite."""
        run = f"the {self.nproc * self.nnodes}-rank {self.parallel} run"
        kept = [(run, self.global_losses)] if self.global_losses else \
            [(f"rank {r.rank}'s own slice of {run}", r.losses) for r in self.ranks]
        for who, losses in kept:
            said = nonfinite_loss_text(self.name, losses, who)
            if said:
                return said
        return None

    @property
    def step_median_s(self) -> float | None:
        """The slowest rank's median over its finished timed steps (every rank waits for it); None when a rank
        finished none (the others' medians alone would understate the step)."""
        meds = [r.step_median_s for r in self.ranks]
        return None if not meds or any(m is None for m in meds) else max(m for m in meds if m is not None)
