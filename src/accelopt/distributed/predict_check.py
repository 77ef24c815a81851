"""plan's prediction for a measured distributed run, term by term (compute, communication, bubble, step).

Predicted terms (estimates; the formulas of predict/compute.py and predict/comm.py, as `plan` uses them):
    compute        per-op roofline sum of the captured step (forward, backward, optimizer) on the spec (matmul
                   efficiency curve on matmul-like ops only: compute.op_s, the one op-time formula), split
                   over the ranks: / N for DDP and FSDP (each rank runs 1/N of the global batch); for a
                   pipeline, the slowest stage's share of the profiled layer times (partition.py) x the step's
                   compute, run m times per step by that stage (one micro-batch each); the per-op overhead
                   (kernel_overhead_s a captured op) is not split: each rank runs every op, each stage its
                   share of the ops once a micro-batch (the optimizer's once a step), that share taken as the
                   stage's share of the profiled layer TIME, not of the op count (an approximation: a stage of
                   few slow ops is charged more overhead than its ops pay); CPU ranks on one machine
                   split its cores and memory, so each gets 1/nproc of a CPU spec's peak and bandwidth
    communication  DDP: ring/tree all-reduce of the gradient bytes; FSDP: per FSDP unit (worker.py runs
                   fully_shard on each of model.fsdp_units, then on the root), an all-gather of its weights in
                   the forward, another in the backward (FSDP2 reshards a unit after its forward) and a
                   reduce-scatter of its gradients: 3 collectives (ZeRO paper sec. 7: 1.5x all-reduce volume);
                   frozen parameters are gathered but have no gradient to reduce-scatter (fsdp_comm_s);
                   the root's own parameters (embeddings, a final norm) 2, as FSDP2 does not reshard the root
                   after its forward (torch/distributed/fsdp/_fully_shard/_fsdp_state.py, _lazy_init): 3 k + 2
                   ring collectives a step for k units, each paying its (p - 1) link-latency steps, as plan's
                   fsdp_collectives counts them (k L + 2 per micro-batch); pipeline: each stage boundary k sends
                   the activations a_k of each micro-batch forward (the output of the last layer before it,
                   partition.py's activation_bytes) and their gradients back, 2 m point-to-point transfers of
                   a_k; stage s is on the boundaries s - 1 (it receives, sends gradients back) and s (it sends,
                   receives gradients), so the term is the busiest stage's traffic (pipeline_sends_s):
                   max_s sum over its boundaries k of 2 m (latency + a_k / bandwidth); where the slowest
                   stage by compute (the one measured) ties the busiest, as two stages always do, it is named
    bubble         pipeline only: (p - 1) x the slowest stage's micro-batch time (1F1B and GPipe alike;
                   Narayanan et al. 2021 sec. 2.2.1)
    step           compute + exposed communication + bubble, exposed = max(0, comm - overlap_eff x backward)
                   for DDP/FSDP (plan's overlap model), all of it for the pipeline's sends
Measured terms (from each rank's torch.profiler trace, median over ranks): compute = the union of compute
intervals, communication = the union of collective intervals; on a pipeline both are the slowest stage's rank's
(the stage the prediction's terms describe) and one term "bubble + sends" = profiled step - compute, both over the
same profiled steps (a stage's send/recv events last until its peer is
ready, so waiting and transferring cannot be told apart in the trace); step = the slowest rank's median step.
The profiled steps run under torch.profiler, slower than the uninstrumented ones (its per-op recording), so
"bubble + sends" can exceed the measured step: a note prints both frames (frame_note).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from accelopt.distributed.types import (
    P2P_REPEATS,
    PREDICTION_TOLERANCE,
    DistributedResult,
    PredictionCheck,
    PredictionInput,
    TermError,
)
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.measure.profiler import _a
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for, with_values
from accelopt.predict.compute import Device, op_s
from accelopt.units import fmt_ratio, fmt_seconds
from accelopt.workload.types import MATMUL_LIKE


def _phase_times_s(workload: Any, dev: Device) -> dict[str, float]:
    out = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    for op in workload.ops:
        if op.phase in out:
            out[op.phase] += op_s(op.kind, op.flops, op.bytes_total, dev, op.count)
    return out


def _phase_overheads_s(workload: Any, dev: Device) -> dict[str, float]:
    """The per-op part of _phase_times_s: count x kernel_overhead_s of each op (compute.roofline_s). A rank runs
    every op of the step on its share of the batch, so this part is not divided by the ranks (nor a stage's by the
    micro-batches): a 111-op MLP step paid 111 x 4 us on each of 2 ranks, and the term counted half of it."""
    out = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    for op in workload.ops:
        if op.phase in out:
            out[op.phase] += op.count * dev.cal.kernel_overhead_s
    return out


def _compute_dtype(workload: Any, spec: AcceleratorSpec) -> tuple[str, str]:
    """(the dtype whose peak times the compute term, what to add to the note). The dtype of most of the captured
    step's matmul-like FLOPs, when the spec lists a peak for it: a model already in bf16 (its weights cast by the
    user; --dtype does not apply with --nproc) was timed at the fp32 peak. Else fp32 (else the spec's first peak),
    and the note says which dtype ran."""
    flops: dict[str, float] = {}
    for op in workload.ops:
        if op.kind in MATMUL_LIKE:
            flops[op.dtype] = flops.get(op.dtype, 0.0) + op.flops * op.count
    ran = max(flops, key=lambda d: flops[d]) if flops else "fp32"
    if spec.peak(ran):
        return ran, ""
    dtype = "fp32" if spec.peak("fp32") else next(iter(spec.peak_flop_per_s))
    return dtype, f" (the step's matmuls ran in {ran}, for which {spec.name} lists no peak)"


MEASURED_LINK = "measured collectives in"
"""How the link source starts when the link is the one `probe --collectives` measured (run.busy_spec_warnings)."""


def links_for(spec: AcceleratorSpec, nnodes: int = 1, latency_measured: bool = False) -> tuple[comm.Links, str]:
    """plan's link model of the spec and where its figures come from, each default it uses in place of a spec figure
    included (a latency the catalog lacks was used unprinted); a link measured by `probe --collectives` is used as
    measured (its busbw is already what a collective achieves, so plan's scale-up efficiency factor is 1 for it).
    Ranks on one host talk over the scale-up figures; across `nnodes` hosts over the scale-out ones (_comm_s)."""
    cal = calibration_for(spec)
    measured = "collectives" in (spec.source_of("scaleup_bandwidth_byte_per_s") or "")
    if measured:
        cal = with_values(cal, scaleup_bw_eff=1.0)
    links = comm.Links.of(spec, cal)
    if measured:
        src = f"{MEASURED_LINK} {spec.name}"
    elif spec.scaleup_bandwidth_byte_per_s:
        src = f"{spec.name}'s scale-up link x scaleup_bw_eff {cal.scaleup_bw_eff:g} (catalog)"
    else:
        src = (f"no link in {spec.name}: plan's default {comm.DEFAULT_SCALEOUT_BW:.3g} B/s assumption x "
               f"{cal.scaleout_bw_eff:g} (run `accelopt probe --collectives` for a measured link)")
    if nnodes > 1:
        src += (f"; across {nnodes} hosts: the scale-out link ({links.out_bw:.3g} B/s per device after "
                f"scaleout_bw_eff {cal.scaleout_bw_eff:g}, {links.out_lat:.3g} s per step)")
    scopes = ("scale-up", "scale-out") if nnodes > 1 else ("scale-up",)
    # a pipeline whose ranks measured their point-to-point latency (p2p_input) does not use the link's latency
    defaults = [a.text() for a in links.assumed if a.scope in scopes
                and not (latency_measured and a.field.endswith("latency_s"))]
    return links, "; ".join([src, *defaults])


PER_OP = "per-op cost"
P2P = "p2p latency"


def _like_for_like(result: DistributedResult, spec: AcceleratorSpec, local: bool = True) -> bool:
    """Whether figures measured on the run's ranks are `spec`'s: `local` (the spec is of the device the run ran on:
    run.spec_is_local) and of the kind the run ran on (a what-if prediction for another device keeps that device's
    figures)."""
    return local and spec.kind == ("cpu" if result.device == "cpu" else "gpu")


def per_op_input(result: DistributedResult, spec: AcceleratorSpec, assumed_s: float, family: str,
                 local: bool = True) -> PredictionInput:
    """The per-op cost the compute term charges each op: the median over the ranks of the cost each measured before
    its steps (RankResult.op_overhead_s), else the calibration family's kernel_overhead_s, an assumption."""
    got = [r for r in result.ranks if r.op_overhead_s]
    if got and _like_for_like(result, spec, local):
        ops = got[0].op_overhead_ops
        return PredictionInput(
            name=PER_OP, value_s=statistics.median(r.op_overhead_s or 0.0 for r in got), measured=True,
            source=(f"median over {len(got)} rank(s) of each rank's {ops or '?'}-op chain of one-element "
                    "multiplications forward and backward, timed before its steps / its aten ops "
                    "(measure/op_cost.py), in place of the calibration's assumed "
                    f"kernel_overhead_s {fmt_seconds(assumed_s)}"))
    why = "the ranks measured none (a record before schema version 10)" if not got else \
        f"the ranks' figure is this machine's ({result.device}), not {spec.name}'s"
    return PredictionInput(name=PER_OP, value_s=assumed_s, measured=False,
                           source=(f"calibration family {family!r}'s kernel_overhead_s "
                                   f"(predict/data/calibration.toml); {why}"))


def p2p_input(result: DistributedResult, spec: AcceleratorSpec, links: comm.Links,
              local: bool = True) -> tuple[list[float], PredictionInput]:
    """(each pipeline boundary's latency, what the prediction says of it): boundary k is between the ranks of stages
    k and k + 1 (one stage per rank), whose rank k measured its latency to rank k + 1 (RankResult.p2p_latency_s);
    else the link's step latency for every boundary (the scale-out one across hosts), an assumption."""
    by_rank = {r.rank: r.p2p_latency_s for r in result.ranks}
    p = result.nproc * result.nnodes
    lats = [by_rank.get(k) for k in range(p - 1)]
    if lats and all(lats) and _like_for_like(result, spec, local):
        vals = [float(v or 0.0) for v in lats]
        each = ", ".join(f"{k}|{k + 1}: {fmt_seconds(v)}" for k, v in enumerate(vals))
        return vals, PredictionInput(
            name=P2P, value_s=max(vals), measured=True,
            source=(f"half the median of {P2P_REPEATS} round trips of a 4-byte tensor between the ranks of "
                    f"each boundary (dist.send/recv before the steps, worker.p2p_latency_s; {each}); the largest "
                    "shown"))
    lat = links.out_lat if result.nnodes > 1 else links.up_lat
    why = "the ranks measured none (a record before schema version 10)" if not any(lats) else \
        f"the ranks' figure is this machine's ({result.device}), not {spec.name}'s"
    return [lat] * (p - 1), PredictionInput(
        name=P2P, value_s=lat, measured=False,
        source=f"the link's step latency ({'scale-out' if result.nnodes > 1 else 'scale-up'}: see links); "
               f"{why}")


def fsdp_comm_s(bw: float, lat: float, p: int, param_bytes: float, unit_bytes: Sequence[float],
                grads: FsdpGrads | None = None) -> tuple[float, int]:
    """(seconds, collectives) of one FSDP step over `p` ranks at (bw, lat): per unit of `unit_bytes` an all-gather
    of all its parameters for its forward, another for its backward, and a reduce-scatter of the gradients of those
    that require one; the root's own parameters, param_bytes - sum(unit_bytes), when it holds any, an all-gather
    (FSDP2 keeps the root's gathered weights from its forward to its backward) and a reduce-scatter of its
    gradients; a model with no units is one root unit. `grads` (None: every parameter trains) says which bytes
    require a gradient: FSDP2 reduce-scatters only those and skips a unit with none (_fsdp_param_group.py,
    post_backward: `if len(fsdp_params_with_grad) == 0: return`), but still all-gathers a frozen unit for its
    backward (counted on torch 2.13, gloo, 2 ranks: tests/dist_models.py's frozen_backbone, a frozen first unit,
    issues 4 all-gathers and 1 reduce-scatter a step; its backward prefetch gathers the frozen unit). Each collective
    is a ring of (p - 1) steps, so small units are latency-bound."""
    one = np.asarray([float(p)])

    def ring(n_bytes: float) -> float:
        return float(comm.reduce_scatter_s(np.asarray([n_bytes]), one, np.asarray([bw]), np.asarray([lat]))[0])

    root = param_bytes - sum(unit_bytes)
    has_root = root > 1e-9 * max(param_bytes, 1.0)
    g = grads or FsdpGrads.all_trainable(unit_bytes, root if has_root else 0.0)
    t, n = 0.0, 0
    for b, rs in zip(unit_bytes, g.unit_grad_bytes, strict=True):
        colls = [b, b] + ([rs] if rs > 0 else [])
        t, n = t + sum(ring(x) for x in colls), n + len(colls)
    if has_root:
        colls = [root] + ([g.root_grad_bytes] if g.root_grad_bytes > 0 else [])
        t, n = t + sum(ring(x) for x in colls), n + len(colls)
    return t, n


@dataclass(frozen=True)
class FsdpGrads:
    """Which FSDP bytes require a gradient (frozen parameters are gathered, never reduce-scattered)."""

    unit_grad_bytes: list[float]
    """Per unit: the bytes of its parameters that require a gradient (its reduce-scatter)."""
    root_grad_bytes: float
    """The root's own parameters that require a gradient."""

    @classmethod
    def all_trainable(cls, unit_bytes: Sequence[float], root_bytes: float) -> FsdpGrads:
        return cls(unit_grad_bytes=list(unit_bytes), root_grad_bytes=root_bytes)


def _comm_s(parallel: str, links: comm.Links, p: int, param_bytes: float, act_bytes: float, m: int,
            nnodes: int = 1, unit_bytes: Sequence[float] = (), grads: FsdpGrads | None = None) -> float:
    """The layout's communication per step on `links`. One host: the scale-up figures. Several hosts: a ring or
    a pipeline boundary crosses a host, so its bandwidth and step latency are the scale-out link's; NCCL's tree
    chains each host's p / nnodes ranks at the scale-up latency (comm.tree_allreduce_s)."""
    out = nnodes > 1
    bw = np.asarray([links.out_bw if out else links.up_bw])
    lat = np.asarray([links.out_lat if out else links.up_lat])
    pa = np.asarray([float(p)])
    if parallel == "ddp":
        # Every rank of a host is on its scale-up link, so NCCL chains the p / nnodes of them (its node is the
        # host: comm.tree_allreduce_s), not min(p, domain).
        p_in = pa / nnodes if links.tree_chains else np.ones_like(pa)
        return float(comm.allreduce_s(np.asarray([param_bytes]), pa, bw, lat, p_in=p_in,
                                      lat_in=np.asarray([links.up_lat]))[0])
    if parallel == "fsdp":
        return fsdp_comm_s(float(bw[0]), float(lat[0]), p, param_bytes, unit_bytes, grads)[0]
    return float(2 * m * comm.p2p_s(np.asarray([act_bytes]), bw, lat)[0])


def _rank_share(result: DistributedResult, spec: AcceleratorSpec) -> tuple[float, list[str]]:
    """The fraction of `spec` one rank has, and what the comparison must say. CPU ranks on one machine split its
    cores (threads per rank = cores / ranks per node) and share its memory, so each has 1 / nproc of the spec's peak
    and bandwidth, where plan gives every rank a whole device; a spec of another kind than the measured device
    is a what-if prediction, and its error compares two devices."""
    notes = []
    measured_kind = "cpu" if result.device == "cpu" else "gpu"
    if spec.kind != measured_kind:
        notes.append(f"{spec.name} is {_a(spec.kind)} {spec.kind}, the run was measured on {result.device}: the "
                     "error compares two different devices (pass --probed with this machine's probe for a "
                     "like-for-like check)")
    share = 1.0 / result.nproc if measured_kind == "cpu" and spec.kind == "cpu" and result.nproc > 1 else 1.0
    if share < 1.0:
        notes.append(f"each of the {result.nproc} ranks per node runs on 1/{result.nproc} of the CPU's cores and "
                     f"memory bandwidth, so its peak and bandwidth are {spec.name}'s / {result.nproc}")
    if measured_kind == "cpu" and spec.kind == "cpu" and spec.cores and result.ranks:
        # a whole-socket entry against ranks on a few threads (a 2-core VM against xeon-8480plus's 56 cores):
        # compute read -94.6% with no word that the prediction gives each rank 28 cores and the rank ran on 1
        threads = min(r.threads for r in result.ranks)
        cores = spec.cores * share
        if threads < cores:
            notes.append(f"the compute prediction gives each rank {cores:.3g} of {spec.name}'s {spec.cores} cores; the "
                         f"ranks ran on {threads} torch thread{'s' if threads != 1 else ''} each, "
                         f"{threads}/{cores:.3g} of that: the prediction is for the catalog CPU's cores, not "
                         "the ones this run had (pass --probed with this machine's `accelopt probe --save` for a "
                         "like-for-like check)")
    return share, notes


def _slowest_stage(result: DistributedResult) -> int | None:
    """The split's slowest stage by compute (the first of equals); None for DDP and FSDP."""
    part = result.partition
    if result.parallel != "pipeline" or part is None:
        return None
    times = part.balanced.stage_times_s
    return max(range(len(times)), key=times.__getitem__)


def _slowest_stage_ranks(result: DistributedResult, notes: list[str]) -> list[Any]:
    """The ranks whose trace is compared with the prediction: every rank for DDP and FSDP (the median is taken);
    for a pipeline the rank of the split's slowest stage, whose compute and idle time the pipeline terms predict
    (the median rank is the middle stage of three, or the mean of two stages)."""
    slowest = _slowest_stage(result)
    if slowest is None:
        return list(result.ranks)
    ranks = [r for r in result.ranks if r.stage == slowest]
    if not ranks:  # a record without its stages: the median rank, as before
        return list(result.ranks)
    notes.append(f"pipeline terms measured on stage {slowest} (rank {ranks[0].rank}), the slowest stage of the "
                 "split by compute, whose compute and idle time they predict")
    return ranks


def frame_note(measured: list[Any], step_s: float) -> str:
    """Which frame the pipeline's measured 'bubble + sends' is in: the profiled steps (torch.profiler on, which
    slows every op down), not the uninstrumented step the 'step' term compares with; so it can exceed that step
    without any time being counted twice (the profiled step is the sum of its compute and its idle time)."""
    prof = statistics.median(r.comm.profiled_step_s for r in measured)
    comp = statistics.median(r.comm.compute_s for r in measured)
    ratio = f", {fmt_ratio(prof / step_s)}x the uninstrumented step median {fmt_seconds(step_s)}" if step_s > 0 else ""
    return (f"bubble + sends measured = profiled step {fmt_seconds(prof)} - compute {fmt_seconds(comp)}, in the "
            f"profiled steps' frame (torch.profiler on{ratio}); the step term is the uninstrumented median")


def fsdp_note(param_bytes: float, unit_bytes: Sequence[float], p: int, grads: FsdpGrads | None = None) -> str:
    """How many FSDP collectives the communication term counts, and why (fsdp_comm_s)."""
    n = fsdp_comm_s(1.0, 0.0, p, param_bytes, unit_bytes, grads)[1]
    k = len(unit_bytes)
    n_units = fsdp_comm_s(1.0, 0.0, p, sum(unit_bytes), unit_bytes, grads)[1]
    root_n = n - n_units
    root = f"the root with its own parameters ({root_n}: not resharded after its forward)" if root_n else \
        "a root holding no parameters of its own (0)"
    steps = f"{p - 1} ring step{'' if p == 2 else 's'}"
    text = (f"FSDP communication: {n} collectives a step, each {steps} of link latency: {k} unit(s) "
            f"sharded by fully_shard (3 each: all-gather forward, all-gather backward, reduce-scatter) + {root}")
    if grads is not None and n_units < 3 * k:
        rs = sum(grads.unit_grad_bytes) + grads.root_grad_bytes
        root_once = f" and the root's {param_bytes - sum(unit_bytes):,.0f} B once" if root_n else ""
        text += (f"; frozen parameters are all-gathered but not reduce-scattered: {n_units} unit collectives, not "
                 f"{3 * k} (all-gathered {sum(unit_bytes):,.0f} B twice{root_once}, reduce-scattered {rs:,.0f} B "
                 "of gradients)")
    return text


def _spread(steps_by_rank: Sequence[Sequence[float]]) -> dict[str, Any]:
    """TermError's measured_steps, measured_low_s and measured_high_s from each rank's per-step figures: the steps
    of one rank (every rank profiles the same steps) and the lowest and highest figure over the ranks' steps; {}
    where a rank has none (a record before they were kept) or the ranks' counts differ."""
    counts = {len(s) for s in steps_by_rank}
    if len(counts) != 1 or 0 in counts:
        return {}
    every = [x for s in steps_by_rank for x in s]
    return {"measured_steps": counts.pop(), "measured_low_s": min(every), "measured_high_s": max(every)}


def pipeline_sends_s(boundary_s: Sequence[float], measured_stage: int | None) -> tuple[float, int]:
    """(seconds, stage) of the busiest stage's point-to-point traffic a step, given each stage boundary's (its
    2 m transfers of that boundary's activations and gradients): stage s is on boundaries s - 1 and s (a middle
    stage's two links, the first and last stage's one), so max_s of boundary_s[s - 1] + boundary_s[s]. Every
    boundary used to be timed as the first one's bytes on one link. Where `measured_stage` (the slowest stage by
    compute, whose rank the terms are measured on) ties the busiest, it is the stage named: two stages share their
    one boundary, and 'stage 0's' beside 'measured on stage 1' read as two different stages for one figure."""
    per_stage = _stage_sends(boundary_s)
    top = max(per_stage)
    if measured_stage is not None and 0 <= measured_stage < len(per_stage) and per_stage[measured_stage] == top:
        return top, measured_stage
    return top, per_stage.index(top)


def _stage_sends(boundary_s: Sequence[float]) -> list[float]:
    """Each stage's traffic a step: the sum over the boundaries it is on (s - 1 and s)."""
    return [sum(boundary_s[k] for k in (s - 1, s) if 0 <= k < len(boundary_s)) for s in range(len(boundary_s) + 1)]


def pipeline_sends_note(acts: Sequence[float], busiest: int, m: int, boundary_s: Sequence[float],
                        measured_stage: int | None) -> str:
    """What the pipeline's predicted sends count: each boundary's bytes and the busiest stage (pipeline_sends_s);
    the stages with the same traffic (`boundary_s`, each boundary's seconds), and, where the busiest is not the
    stage measured, that the 'bubble + sends' prediction joins the measured stage's bubble to the busiest's sends."""
    links = [k for k in (busiest - 1, busiest) if 0 <= k < len(acts)]
    carried = ", ".join(f"{k}|{k + 1}: {a:,.0f} B" for k, a in enumerate(acts))
    text = (f"pipeline sends: each boundary's activations per micro-batch ({carried}) forward and their gradients "
            f"back, 2 x {m} transfers a boundary a step; the sends predicted are stage {busiest}'s, the busiest by "
            f"traffic ({' + '.join(f'boundary {k}|{k + 1}' for k in links)}")
    per_stage = _stage_sends(boundary_s)
    same = [s for s, t in enumerate(per_stage) if s != busiest and t == per_stage[busiest]]
    if same:
        text += f"; stage{'s' if len(same) > 1 else ''} {', '.join(map(str, same))} the same"
    text += ")"
    if measured_stage is not None and measured_stage != busiest:
        text += (f"; compute and bubble are stage {measured_stage}'s, the slowest by compute, whose rank is "
                 f"measured: the 'bubble + sends' prediction adds stage {busiest}'s sends to stage "
                 f"{measured_stage}'s bubble")
    return text


def predict_run(result: DistributedResult, workload: Any, spec: AcceleratorSpec, param_bytes: float,
                unit_bytes: Sequence[float] = (), grads: FsdpGrads | None = None, *,
                local: bool = True) -> PredictionCheck:
    """Each term predicted for `result`'s layout on `spec` beside its measured value. `unit_bytes`: the parameter
    bytes of each FSDP unit the run sharded apart from the root (model.fsdp_units; () for DDP, a pipeline, or an
    FSDP model sharded as one root unit); `grads`: which of those bytes require a gradient (None: all of them);
    `local`: `spec` is of the device the run ran on (run.spec_is_local), so the ranks' measured per-op cost and p2p
    latency are its figures (else it keeps its own)."""
    cal = calibration_for(spec)
    per_op = per_op_input(result, spec, cal.kernel_overhead_s, cal.family, local)
    cal = with_values(cal, kernel_overhead_s=per_op.value_s)
    inputs = [per_op]
    dtype, dtype_note = _compute_dtype(workload, spec)
    share, notes = _rank_share(result, spec)
    dev = Device(peak_flop_per_s=float(spec.peak(dtype) or 0) * share,
                 bw_byte_per_s=spec.memory_bandwidth_byte_per_s * share, cal=cal)
    phases = _phase_times_s(workload, dev)
    total = sum(phases.values())
    overheads = _phase_overheads_s(workload, dev)
    work = total - sum(overheads.values())  # the FLOP / byte part, which the ranks (micro-batches) split
    links = links_for(spec, result.nnodes)[0]
    lats, p2p = p2p_input(result, spec, links, local)
    pipeline = result.parallel == "pipeline" and result.partition is not None
    links, link_src = links_for(spec, result.nnodes, latency_measured=pipeline and p2p.measured)
    p, m = result.nproc * result.nnodes, result.microbatches
    notes.insert(0, f"compute on {spec.name} at its {dtype} peak{dtype_note}, calibration family {cal.family!r}")
    bubble_pred = 0.0
    if pipeline and result.partition is not None:
        bal = result.partition.balanced
        share = bal.slowest_s / sum(bal.stage_times_s)
        # one micro-batch on the slowest stage: its share of the work / m, and its share of the forward and
        # backward ops once each; its optimizer ops run once a step. The overhead's share is the stage's share
        # of the profiled layer time (not of the op count, which the partition does not keep per stage)
        stage_mb = work * share / m + (overheads["forward"] + overheads["backward"]) * share
        compute_pred = m * stage_mb + overheads["optimizer"] * share
        bubble_pred = (p - 1) * stage_mb
        acts = [result.partition.layers[b - 1].activation_bytes for b in bal.bounds[1:-1]]
        if acts:  # one stage sends nothing
            inputs.append(p2p)
        boundary_s = [_comm_s("pipeline", dataclasses.replace(links, up_lat=lat, out_lat=lat), p, param_bytes, a, m,
                              result.nnodes) for a, lat in zip(acts, lats, strict=False)]
        slowest = _slowest_stage(result)
        comm_pred, busiest = pipeline_sends_s(boundary_s, slowest)
        notes.append(pipeline_sends_note(acts, busiest, m, boundary_s, slowest))
        exposed = comm_pred
    else:
        compute_pred = work / p + sum(overheads.values())  # each rank runs every op, on 1/p of the batch
        comm_pred = _comm_s(result.parallel, links, p, param_bytes, 0.0, m, result.nnodes, unit_bytes, grads)
        if result.parallel == "fsdp":
            notes.append(fsdp_note(param_bytes, unit_bytes, p, grads))
        backward = (phases["backward"] - overheads["backward"]) / p + overheads["backward"]
        exposed = max(0.0, comm_pred - cal.overlap_eff * backward)
    med = statistics.median
    measured = _slowest_stage_ranks(result, notes)
    m_compute = med(r.comm.compute_s for r in measured)
    m_comm = med(r.comm.comm_s for r in measured)
    terms = [TermError(term="compute", predicted_s=compute_pred, measured_s=m_compute,
                       **_spread([r.comm.compute_steps_s for r in measured]))]
    if result.parallel == "pipeline":
        # gloo's send/recv last until the peer stage is ready, so a trace cannot split waiting (the bubble) from
        # transferring: the measured term is all the time a stage does not compute, step - compute
        idle = med(r.comm.profiled_step_s - r.comm.compute_s for r in measured)  # the same profiled steps
        idle_steps = [[w - c for w, c in zip(r.comm.profiled_steps_s, r.comm.compute_steps_s, strict=False)]
                      if len(r.comm.profiled_steps_s) == len(r.comm.compute_steps_s) else [] for r in measured]
        terms.append(TermError(term="bubble + sends", predicted_s=bubble_pred + comm_pred, measured_s=idle,
                               **_spread(idle_steps)))
        notes.append(frame_note(measured, result.step_median_s))
    else:
        terms.append(TermError(term="communication", predicted_s=comm_pred, measured_s=m_comm,
                               **_spread([r.comm.comm_steps_s for r in measured])))
    terms.append(TermError(term="step", predicted_s=compute_pred + exposed + bubble_pred,
                           measured_s=result.step_median_s))  # its spread: the rank table's p10 and p90
    terms = [dataclasses.replace(t, tolerance=PREDICTION_TOLERANCE) for t in terms]  # each judged by the same bar
    return PredictionCheck(device=spec.name, link_source=link_src, terms=terms, notes=notes, inputs=inputs)


def fsdp_grads(model: Any, units: Sequence[Any]) -> FsdpGrads:
    """Which of `model`'s FSDP bytes (its `units`, the root's own parameters) require a gradient."""
    from accelopt.distributed.model import tensor_bytes

    def trained(ps: Any) -> float:
        return tensor_bytes([q for q in ps if q.requires_grad])

    in_unit = {id(q) for u in units for q in u.parameters()}
    return FsdpGrads(unit_grad_bytes=[trained(u.parameters()) for u in units],
                     root_grad_bytes=trained(q for q in model.parameters() if id(q) not in in_unit))
