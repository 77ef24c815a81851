"""Distributed runs and collective benchmarks on the console and in the HTML report.

The console, the HTML page, the history and `history compare` all render the typed results (DistributedResult,
CollectivesResult); a stored JSON document is loaded back into its DistributedResult first
(accelopt.report.schema), like every other kind.
"""

from __future__ import annotations

from typing import Any

from accelopt.distributed.types import (
    PREDICTION_NO_SPEC,
    CollectivesResult,
    DistributedResult,
    PartialDistributedResult,
    PartialRank,
    Partition,
    PredictionCheck,
    RankResult,
    TermError,
)
from accelopt.interrupts import recorded_stop
from accelopt.measure.collective_figures import MODEL_COLUMNS_TEXT
from accelopt.units import fmt_byte_per_s, fmt_bytes, fmt_pct, fmt_quantity, fmt_ratio, fmt_seconds


def _pct(x: float | None) -> str:
    return fmt_pct(x) if x is not None else "n/a"


def ranks_text(nproc: int, nnodes: int) -> str:
    """'2 ranks on 1 node', '8 ranks on 2 nodes (4 per node)': `nproc` is per node (torchrun's --nproc-per-node)."""
    world = nproc * nnodes
    per_node = f" ({nproc} per node)" if nnodes > 1 else ""
    return (f"{world} rank{'s' if world != 1 else ''} on {nnodes} node{'s' if nnodes != 1 else ''}"
            f"{per_node}")


def run_table(r: DistributedResult | PartialDistributedResult, columns: tuple[str, ...], stopped: str = "") -> Any:
    """The per-rank table, titled with the run's layout ('accelopt profile — gpt: ddp on 2 ranks on 1 node (gloo,
    cpu)'), then `stopped` (how an interrupted run ended)."""
    from rich.table import Table

    from accelopt.report.console import plain

    mb = f"{r.microbatches} micro-batch{'es' if r.microbatches != 1 else ''}"
    sched = f", {r.schedule} schedule, {mb}" if r.schedule else ""
    t = Table(title=plain(f"accelopt profile — {r.name}: {r.parallel} on {ranks_text(r.nproc, r.nnodes)} "
                         f"({r.backend}, {r.device}){sched}{stopped}"))
    for col in columns:
        t.add_column(col, justify="right")
    return t


def render(result: DistributedResult, console: Any) -> None:
    from accelopt.report.console import plain

    t = run_table(result, RANK_COLUMNS)
    for r in result.ranks:
        t.add_row(str(r.rank), "-" if r.stage is None else str(r.stage), fmt_seconds(r.step_median_s),
                  fmt_seconds(r.step_p10_s), fmt_seconds(r.step_p90_s), fmt_seconds(r.comm.profiled_step_s),
                  fmt_seconds(r.comm.comm_s), _pct(r.comm.overlap_fraction),
                  fmt_seconds(r.comm.exposed_s), fmt_seconds(r.comm.compute_s),
                  fmt_bytes(r.peak_memory_bytes, binary=True))
    console.print(t)
    console.print(straggler_line(result), highlight=False)
    if result.single is not None:
        console.print(f"one process, same global batch {result.global_batch}: "
                      f"{fmt_seconds(result.single.step_median_s)} ({spread_text(result.single)}) -> speedup "
                      f"{fmt_ratio(result.speedup)}x, scaling "
                      f"efficiency {_pct(result.scaling_efficiency)} (T1 / (N x TN), "
                      f"{result.environment.get('threads_per_rank')} thread(s) per process)", highlight=False)
    elif result.nnodes > 1:
        console.print(NO_BASELINE_ON_NODES, highlight=False)
    if result.ranks and result.ranks[0].losses:
        console.print(loss_line(result), highlight=False)
    console.print(plain(ranks_note(result)), style="dim")
    if result.unused_parameters:
        console.print(plain(unused_line(result)))
    for note in result.notes:
        console.print(plain(f"note: {note}"))
    _render_contention(result, console)
    if result.partition is not None:
        console.print(split_line(result.partition), highlight=False)
    if result.prediction is not None:
        _render_prediction(result, console)
    else:
        console.print(f"plan's prediction: left out ({result.prediction_left_out or PREDICTION_LEFT_OUT})",
                      highlight=False)


RANK_COLUMNS = ("rank", "stage", "step median", "p10", "p90", "profiled step", "collectives", "overlapped", "exposed",
                "compute", "peak memory")
"""The per-rank table on the console and the page: 'profiled step' is the frame of the three trace figures after
it (torch.profiler slows a step down, so collectives can exceed the uninstrumented step median)."""
NO_BASELINE_ON_NODES = ("one process: not run on several machines (--nnodes > 1), so no speedup or scaling efficiency; "
                        "run with --nnodes 1 for them")
"""Why a multi-node run shows no speedup (the console and the page said nothing of it)."""
PREDICTION_LEFT_OUT = PREDICTION_NO_SPEC  # a document written before the result said it


def spread_text(r: RankResult) -> str:
    """'p10 8.1 ms, p90 9.4 ms over 5 steps': the spread of a run's timed steps beside its median."""
    n = len(r.step_times_s)
    return f"p10 {fmt_seconds(r.step_p10_s)}, p90 {fmt_seconds(r.step_p90_s)} over {n} step{'s' if n != 1 else ''}"


def straggler_line(r: DistributedResult) -> str:
    first_stage = r.parallel == "pipeline" and any(x.rank == r.slowest_rank and x.stage == 0 for x in r.ranks)
    # each rank's step runs from the shared barrier to its own end; the first stage runs the last backward
    why = (" (a pipeline's first stage ends each step last by its schedule: it runs the last micro-batch's backward "
           "after every other stage has run it)" if first_stage else "")
    return (f"step (slowest rank's median): {fmt_seconds(r.step_median_s)}; straggler: rank {r.slowest_rank} at "
            f"{fmt_ratio(r.straggler_ratio)}x the median rank{why}{work_line(r)}")


def work_line(r: DistributedResult) -> str:
    """'; by own work a step (...): rank 1, 51.8 ms, 1.96x the median rank': the rank the others wait for in their
    collectives, which step times cannot name where every rank ends each step together (DDP, FSDP). Named only
    where the ratio is beyond the run's own noise, the widest rank's step-time spread ((p90 - p10) / median): a
    1.02x rank among steps that spread 5% is no straggler, and the ranks' own work is said to be even."""
    if r.work_straggler_ratio is None:
        return ""
    busiest = next(x for x in r.ranks if x.rank == r.busiest_rank)
    noise = max(((x.step_p90_s - x.step_p10_s) / x.step_median_s if x.step_median_s > 0 else 0.0) for x in r.ranks)
    if r.work_straggler_ratio - 1 <= noise:
        return (f"; by own work a step (profiled step less exposed collectives): even across the ranks (the most, "
                f"rank {r.busiest_rank}, {fmt_ratio(r.work_straggler_ratio)}x the median rank, within the step "
                f"times' spread of {fmt_pct(noise)})")
    other = (f" (the others wait for it in their collectives, so by step time it is not rank {r.slowest_rank})"
             if r.busiest_rank != r.slowest_rank else "")
    return (f"; by own work a step (profiled step less exposed collectives): rank {r.busiest_rank}, "
            f"{fmt_seconds(busiest.comm.own_work_s)}, {fmt_ratio(r.work_straggler_ratio)}x the median rank{other}")


def loss_line(r: DistributedResult) -> str:
    """The loss of the global batch at the first and the last step, beside the one-process run's: the evidence that
    both trained the same model on the same batches (the notes say where a model's losses differ, e.g. BatchNorm)."""
    def ends(losses: list[float]) -> str:
        return f"{losses[0]:.4g} -> {losses[-1]:.4g}"

    losses = r.ranks[0].losses
    single = f"; one process: {ends(r.single.losses)}" if r.single is not None and r.single.losses else ""
    return f"loss of the global batch, first -> last of {len(losses)} steps (warm-up included): {ends(losses)}{single}"


def ranks_note(r: DistributedResult) -> str:
    """The rank table's footnote: which steps each column is over, the profiled ones counted (a mean over 2 of them
    was shown unsaid until ut3dist, 2026-12-06; an older record that kept no per-step figures says none)."""
    if not r.ranks:
        return ""
    n = len(r.ranks[0].comm.profiled_steps_s)
    over = f"a mean over the {n} profiled step{'s' if n != 1 else ''}" if n else "per step of the profiled steps"
    return ("step median, p10 and p90: over the uninstrumented timed steps; profiled step, collectives, overlapped, "
            f"exposed and compute: {over} (after the profiler's warm-up step), from each rank's torch.profiler trace; "
            f"peak memory: {r.ranks[0].memory_source}")


def _render_contention(result: DistributedResult, console: Any) -> None:
    from accelopt.report.console import line, plain

    for warning in result.contention.warnings:
        console.print(line(("warning", "bold yellow"), f" {warning}"))
    if result.contention.disturbed:
        console.print(plain("the machine was busy or the steps noisy: these figures may be off: "
                           + ", ".join(result.contention.disturbed) + "; rerun on a quiet machine to trust them"))


def unused_line(r: DistributedResult) -> str:
    """What DDP was told about parameters without a gradient (names are the user's: printed as plain text)."""
    return (f"DDP ran with find_unused_parameters=True: {len(r.unused_parameters)} parameter(s) got no gradient "
            f"from the first batch ({', '.join(r.unused_parameters)}); DDP then walks the autograd graph every "
            "step, and the step times include it")


def split_line(p: Any) -> str:
    line = (f"pipeline split (balanced, from profiled layer times): stages start at layers {p.balanced.bounds[:-1]}, "
            f"balance {p.balanced.balance:.2f} (slowest / mean stage) vs the equal-layer split {p.naive.bounds[:-1]}: "
            f"{p.naive.balance:.2f}{_not_runnable(p)}{_bottleneck(p)}"
            f"; stage memory (estimate: {_state_words(p)}{_frozen(p)}, + activations in flight): "
            f"{_gib_list(p.balanced.stage_memory_bytes)}")
    return line if p.memory_limit_bytes is None else f"{line}; {limit_line(p)}"


def _bottleneck(p: Any) -> str:
    """Why the split cannot balance: one layer longer than the mean stage (its name is the user's class name: the
    caller prints the line as plain text)."""
    name = p.bottleneck_layer
    if not name:
        return ""
    layer_s = max(x.fwd_bwd_s for x in p.layers)
    total_s = sum(x.fwd_bwd_s for x in p.layers)
    return (f"; it cannot balance: layer {name} alone takes {fmt_seconds(layer_s)} of the "
            f"{fmt_seconds(total_s)} all layers take ({layer_s / total_s:.0%}), {fmt_ratio(p.balance_floor)}x the mean "
            f"stage time over {p.stages} stages, a floor no split gets below (the layers sharing its stage add "
            "to it); split that layer into "
            "several (list its parts in pipeline_layers()) to balance")


def _state_words(p: Any) -> str:
    """What the stage memory estimate counts for the trained weights: the optimizer state measured on each layer,
    or AdamW's two moments, a default said as one (a record before it was measured, or a bundle optimizer that could
    not be stepped on copies of the layers' parameters)."""
    if p.layers and all(x.optimizer_state_bytes is not None for x in p.layers):
        return ("weights + gradients + the optimizer's state, measured by one step of the run's optimizer on each "
                "layer's parameters")
    return ("4 x weights = weights, gradients and AdamW's two moments (default used: the optimizer's state was not "
            "measured)")


def _frozen(p: Any) -> str:
    frozen = sum(x.frozen_param_bytes for x in p.layers)
    return (f"; 1 x the {fmt_bytes(frozen, binary=True)} of frozen weights, which have neither" if frozen else "")


def _not_runnable(p: Any) -> str:
    """Why the equal-layer split is no fair comparison where it cuts tied layers apart (layer names are the user's
    class names: the caller prints the line as plain text)."""
    cut = p.naive_cut_ties
    return (f" (not runnable: it puts tied layers {'; '.join(cut)} on two stages, each training its own copy)"
            if cut else "")


def _gib_list(xs: list[float]) -> str:
    return ", ".join(fmt_bytes(x, binary=True) for x in xs)


def limit_line(p: Any) -> str:
    """What --stage-memory-gib did to the split: the split without it where it differs, and which stages of the
    equal-layer split it would refuse."""
    limit = p.memory_limit_bytes
    head = f"memory limit {fmt_bytes(limit, binary=True)} per stage (--stage-memory-gib)"
    free = p.unlimited
    if free is None or free.bounds == p.balanced.bounds:
        out = f"{head}: no change, the fastest split fits it"
    else:
        out = (f"{head}: it moved the split; without it stages would start at {free.bounds[:-1]}, balance "
               f"{free.balance:.2f}, stage memory {_gib_list(free.stage_memory_bytes)}")
    over = [k for k, b in enumerate(p.naive.stage_memory_bytes) if b > limit]
    if over:
        out += f"; the equal-layer split exceeds it on stage{'s' if len(over) > 1 else ''} {', '.join(map(str, over))}"
    return out


def _render_prediction(result: DistributedResult, console: Any) -> None:
    from rich.table import Table

    from accelopt.report.console import plain

    pr = result.prediction
    assert pr is not None
    t = Table(title=plain(f"plan's prediction (estimate) on {pr.device} vs measured"))
    for col in ("term", "predicted (estimate)", "measured", MEASURED_OVER, "error", _within_header(pr)):
        t.add_column(col, justify="right")
    for term in pr.terms:
        # fmt_pct as the page's table (a -99.92% miss read '-100%', a prediction of zero), signed
        err = f"{'+' if (term.error or 0) > 0 else ''}{fmt_pct(term.error)}"
        t.add_row(term.term, fmt_seconds(term.predicted_s), fmt_seconds(term.measured_s), measured_over(term), err,
                  _within(term))
    console.print(t)
    for line in inputs_lines(pr):
        console.print(plain(line))
    console.print(plain(f"{_tolerance_line(pr)}; links: {pr.link_source}; " + "; ".join(pr.notes)), style="dim")


MEASURED_OVER = "measured over"
"""The prediction table's column saying what each measured figure is over: the profiled steps' count and the lowest
and highest single step (a mean over 2 steps was printed with neither), the timed steps for the step term."""


def measured_over(term: TermError) -> str:
    """'3 profiled steps, 11.9 ms to 12.7 ms a step' (TermError.measured_steps, low, high); for the step term, where
    its spread is; '' for an older record that kept no per-step figures."""
    if term.term == "step":
        return "timed steps (spread: the rank table's p10, p90)"
    if term.measured_steps is None or term.measured_low_s is None or term.measured_high_s is None:
        return ""
    n = term.measured_steps
    return (f"{n} profiled step{'s' if n != 1 else ''}, {fmt_seconds(term.measured_low_s)} to "
            f"{fmt_seconds(term.measured_high_s)} a step")


def inputs_lines(pr: PredictionCheck) -> list[str]:
    """'measured: ...' and 'assumed: ...': the figures the terms take beside the spec (PredictionCheck.inputs), those
    this run measured and those the prediction assumed, each with its value and source; [] for an older record."""
    out = []
    for measured, head in ((True, "measured"), (False, "assumed")):
        figs = [f"{i.name} {fmt_seconds(i.value_s)} ({i.source})" for i in pr.inputs if i.measured == measured]
        if figs:
            out.append(f"{head}: " + "; ".join(figs))
    return out


def _tolerances(pr: PredictionCheck) -> set[float]:
    return {t.tolerance for t in pr.terms if t.tolerance is not None}


def _within_header(pr: PredictionCheck) -> str:
    """'within +-25%', or 'within tolerance' for an older record that states none."""
    tols = _tolerances(pr)
    return f"within +-{100 * next(iter(tols)):g}%" if len(tols) == 1 else "within tolerance"


def _within(term: TermError) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[term.within_tolerance]


def _tolerance_line(pr: PredictionCheck) -> str:
    """The bar each term is judged by, and where it comes from (types.PREDICTION_TOLERANCE)."""
    tols = _tolerances(pr)
    if not tols:
        return "tolerance: not stated in this record (written before schema profile-distributed 8)"
    inside = sum(1 for t in pr.terms if t.within_tolerance)
    judged = sum(1 for t in pr.terms if t.within_tolerance is not None)
    return (f"tolerance: |error| <= {', '.join(f'{100 * x:g}%' for x in sorted(tols))} (validate's bar for a miss that "
            f"needs a reason), {inside} of {judged} measured terms inside")


def signed_pct(fraction: float | None) -> str:
    """'+12%', '-51%', or 'n/a' for None: a model's error, model / measured - 1."""
    return "n/a" if fraction is None else f"{fraction:+.0%}"


def render_collectives(result: CollectivesResult, console: Any) -> None:
    from rich.table import Table

    from accelopt.report.console import line, plain

    t = Table(title=plain(f"accelopt probe --collectives — {result.backend} on {result.nranks} ranks "
                         f"({result.device})"))
    for col in ("collective", "size", "time", "p10", "p90", "spread", "algbw", "busbw", "plan's model",
                "model error"):
        t.add_column(col, justify="right")
    for f in map(result.modelled, result.figures):
        t.add_row(f.op, f.size_text, fmt_seconds(f.time_s), fmt_quantity(f.p10_s, "s"),
                  fmt_quantity(f.p90_s, "s"), fmt_pct(f.spread), fmt_byte_per_s(f.algbw_byte_per_s),
                  fmt_byte_per_s(f.busbw_byte_per_s), fmt_quantity(f.model_time_s, "s"), signed_pct(f.model_error))
    console.print(t)
    console.print(f"link for plan: bandwidth {fmt_byte_per_s(result.link_bandwidth_byte_per_s)} "
                  f"({result.bandwidth_how}), latency {fmt_seconds(result.link_latency_s)} ({result.latency_how})",
                  highlight=False)
    for check in (result.model_error_text, result.other_ops_model_text):
        if check:
            console.print(plain(check))
    if result.link_warning:
        console.print(line(("warning", "bold yellow"), f" link for plan: {result.link_warning}"))
    console.print(plain("time: median over repeats of the slowest rank's time, p10-p90 its spread; algbw = S/t; "
                       "busbw = algbw x 2(n-1)/n (all-reduce), x (n-1)/n (all-gather, reduce-scatter, all-to-all): "
                       "nccl-tests doc/PERFORMANCE.md; " + MODEL_COLUMNS_TEXT), style="dim")
    for warning in result.contention.warnings:
        console.print(line(("warning", "bold yellow"), f" collectives: {warning}"))
    if result.contention.disturbed:
        console.print(plain("the machine was busy or the repeats noisy: these figures may be off: "
                           + ", ".join(result.contention.disturbed) + "; rerun on a quiet machine to trust them"))


# ---- a run stopped by Ctrl-C or SIGTERM, or by a failed rank: what every rank had finished -------------------------

PARTIAL_COLUMNS = ("rank", "stage", "warm-up steps", "timed steps", "step median", "p10", "p90", "profiled steps",
                   "peak memory")


def stopped_text(p: PartialDistributedResult) -> str:
    if p.failed:  # the error itself: partial_lines
        return f"FAILED during the {p.nproc * p.nnodes}-rank run"
    return f"INTERRUPTED ({recorded_stop(p)}) during the {p.nproc * p.nnodes}-rank run"


def partial_rows(p: PartialDistributedResult) -> list[tuple[PartialRank, list[str]]]:
    """Each rank's row (PARTIAL_COLUMNS) as text: 'k of N' steps, its median and spread over the finished ones."""
    rows = []
    for r in p.ranks:
        rows.append((r, [str(r.rank), "-" if r.stage is None else str(r.stage), f"{r.warmup_done} of {p.warmup}",
                         f"{r.timed_done} of {p.steps}", _seconds(r.step_median_s), _seconds(r.step_p10_s),
                         _seconds(r.step_p90_s), f"{r.profiled_done} of {p.profile_steps}",
                         fmt_bytes(r.peak_memory_bytes, binary=True) if r.peak_memory_bytes is not None else "n/a"]))
    return rows


def _seconds(x: float | None) -> str:
    return fmt_seconds(x) if x is not None else "n/a"


def nothing_measured(r: PartialRank) -> str:
    """'' for a rank that finished a step; else what it was doing when stopped (said, not left as a row of n/a)."""
    if r.warmup_done or r.timed_done:
        return ""
    if not r.started:
        return f"rank {r.rank} measured nothing: it had not started (still importing torch or building the model)"
    return (f"rank {r.rank} measured nothing: it was stopped before it finished its first step (joining the "
            "rendezvous, building the model, or in that step)")


def partial_lines(p: PartialDistributedResult) -> list[str]:
    """What the table means: the run's step over the finished steps, the ranks that measured nothing, the
    one-process run's finished steps, and what is missing."""
    med = p.step_median_s
    lines = [f"step (slowest rank's median over its finished timed steps): {_seconds(med)}" if med is not None
             else "step: n/a (a rank finished no timed step, and the others' medians alone would understate it)"]
    lines += [t for t in (nothing_measured(r) for r in p.ranks) if t]
    if p.nnodes > 1:
        lines.append(f"ranks of this node (node {p.node_rank}) only: each node's launcher keeps its own ranks' steps")
    missing = p.missing
    if p.global_losses:  # kept since ut4dist, 2026-12-06 (a failed or stopped run said 'not measured: the losses')
        losses = p.global_losses
        lines.append(f"loss of the global batch, first -> last of the {len(losses)} {p.steps_of_losses()} (warm-up "
                     f"included): {losses[0]:.4g} -> {losses[-1]:.4g}")
    elsewhere = p.losses_elsewhere()
    if elsewhere and "the losses" in missing:  # measured, on another node: not 'stopped before them' (fix4d)
        lines.append(f"the loss of the global batch is not on this node (node {p.node_rank}): {elsewhere}")
        missing = [m for m in missing if m != "the losses"]
    nonfinite = p.nonfinite_loss()
    if nonfinite:  # as a finished run refuses it (run.check_losses_finite): its step times time a diverged model
        lines.append(f"NOT FINITE: {nonfinite[0]}; {nonfinite[1]}")
    if missing:
        lines.append("not measured (the run was stopped before them): " + ", ".join(missing))
    if p.failed:  # on the page and in a saved stdout too, not only on stderr
        lines.append(f"stopped by: {p.failed}")
    return lines


def interrupted_line(p: PartialDistributedResult) -> str:
    """The line on stderr after the partial result: what was kept, and that no process is left."""
    done = ", ".join(f"rank {r.rank}: {r.timed_done} of {p.steps}" for r in p.ranks)
    return (f"interrupted ({recorded_stop(p)}): the run was stopped and none of its processes is left; kept the timed "
            f"steps each rank finished ({done})")


def render_partial(p: PartialDistributedResult, console: Any) -> None:
    from accelopt.report.console import plain

    t = run_table(p, PARTIAL_COLUMNS, f": {stopped_text(p)}")
    for _, row in partial_rows(p):
        t.add_row(*row)
    console.print(t)
    for text in partial_lines(p):
        console.print(plain(text))
    if p.partition is not None:
        console.print(plain(split_line(p.partition)))


def partial_html_tables(p: PartialDistributedResult) -> list[Any]:
    from accelopt.report.html import Table, q

    t = Table(f"{p.name}: {p.parallel} on {ranks_text(p.nproc, p.nnodes)}: {stopped_text(p)}", list(PARTIAL_COLUMNS))
    for r, row in partial_rows(p):
        t.rows.append([*row[:4], q(r, "step_median_s"), q(r, "step_p10_s"), q(r, "step_p90_s"), row[7],
                       q(r, "peak_memory_bytes") if r.peak_memory_bytes is not None else "n/a"])
    t.note = ". ".join(partial_lines(p))
    # the split the stopped run ran, as the console prints it under the table (the page left it out)
    return [t] + ([split_table(p.partition)] if p.partition is not None else [])


def partial_key_figures(p: PartialDistributedResult) -> list[Any]:
    from accelopt.report.figures import KeyFigure, _f

    return [_f("step time (slowest rank's median of its finished steps)", p, "step_median_s"),
            KeyFigure("ranks", float(p.nproc * p.nnodes), "count")]


# ---- HTML: tables, plots and key figures from the typed result ---------------------------------------------

def html_tables(r: DistributedResult) -> list[Any]:
    from accelopt.report.html import Table, q

    ranks = Table("ranks", list(RANK_COLUMNS))
    for x in r.ranks:
        c = x.comm
        ranks.rows.append([q(x, "rank"), q(x, "stage") if x.stage is not None else "—", q(x, "step_median_s"),
                           q(x, "step_p10_s"), q(x, "step_p90_s"), q(c, "profiled_step_s"), q(c, "comm_s"),
                           q(c, "overlap_fraction"), q(c, "exposed_s"), q(c, "compute_s"), q(x, "peak_memory_bytes")])
    ranks.note = ". ".join([straggler_line(r), *([loss_line(r)] if r.ranks and r.ranks[0].losses else []),
                            ranks_note(r), *([unused_line(r)] if r.unused_parameters else []), *r.notes])
    out = [ranks]
    if r.single is not None:
        run = Table("against one process on the same global batch", ["", "value"])
        run.rows += [["one process, step median", q(r.single, "step_median_s")],
                     ["one process, step p10", q(r.single, "step_p10_s")],
                     ["one process, step p90", q(r.single, "step_p90_s")], ["speed-up", q(r, "speedup")],
                     ["scaling efficiency", q(r, "scaling_efficiency")]]
        run.note = (f"scaling efficiency = {r.scaling_formula}; {r.environment.get('threads_per_rank')} thread(s) "
                    "per process")
        out.append(run)
    elif r.nnodes > 1:
        out.append(Table("against one process on the same global batch", ["", "why"],
                         [["not run", NO_BASELINE_ON_NODES.removeprefix("one process: not run ")]]))
    if r.partition is not None:
        out.append(split_table(r.partition))
    from accelopt.report.html import _warnings_tables

    out += _warnings_tables(r.contention, [])
    pred = r.prediction
    if pred is not None:
        t = Table(f"plan's prediction on {pred.device} vs measured",
                  ["term", "predicted", "measured", MEASURED_OVER, "error", _within_header(pred)], est_cols={1},
                  note="; ".join([*inputs_lines(pred), _tolerance_line(pred), f"links: {pred.link_source}",
                                  *pred.notes]))
        t.rows = [[x.term, q(x, "predicted_s"), q(x, "measured_s"), measured_over(x), q(x, "error"), _within(x)]
                  for x in pred.terms]
        out.append(t)
    else:
        why = r.prediction_left_out or PREDICTION_LEFT_OUT
        out.append(Table("plan's prediction", ["", "why"], [["left out", why]]))
    return out


def split_table(p: Partition) -> Any:
    """The pipeline split, stage by stage, with the console's split line as its note (finished and stopped runs)."""
    from accelopt.report.html import Table

    bal, naive = p.balanced, p.naive
    split = Table("pipeline split (fwd+bwd per micro-batch, profiled layer times)",
                  ["stage", "balanced: first layer", "balanced: time", "balanced: memory (estimate)",
                   "equal layers: first layer", "equal layers: time"], note=split_line(p))
    split.rows = [[str(k), str(b0), fmt_seconds(t0), fmt_bytes(m0, binary=True), str(b1), fmt_seconds(t1)]
                  for k, (b0, t0, m0, b1, t1) in enumerate(zip(bal.bounds, bal.stage_times_s, bal.stage_memory_bytes,
                                                               naive.bounds, naive.stage_times_s, strict=False))]
    return split


def html_plots(r: DistributedResult) -> list[tuple[str, str]]:
    from accelopt import units
    from accelopt.report.plots import _figure, to_svg

    out = []
    if r.ranks:
        comms = [x.comm for x in r.ranks]
        div, tu = units.axis_scale([c.compute_s + c.comm_s for c in comms], "s")
        fig = _figure(7.0, 0.9 + 0.45 * len(r.ranks))
        ax = fig.add_subplot()
        names = [f"rank {x.rank}" for x in r.ranks]
        comp = [c.compute_s / div for c in comms]
        over = [c.overlapped_s / div for c in comms]
        expo = [c.exposed_s / div for c in comms]
        ax.barh(names, comp, color="#3b7dd8", label="compute")
        ax.barh(names, expo, left=comp, color="#d8573b", label="collectives, exposed")
        ax.barh(names, over, left=[a + b for a, b in zip(comp, expo, strict=True)], color="#f0b35a",
                label="collectives, overlapped with compute")
        ax.invert_yaxis()
        ax.set_xlabel(f"{tu} per profiled step")
        ax.legend(fontsize=7)
        out.append(("distributed: per-rank time per step (torch.profiler trace of each rank)", to_svg(fig)))
    part = r.partition
    if part is not None:
        bal, naive = part.balanced.stage_times_s, part.naive.stage_times_s
        div, tu = units.axis_scale([*bal, *naive], "s")
        fig = _figure(7.0, 3.0)
        ax = fig.add_subplot()
        xs = range(len(bal))
        ax.bar([x - 0.2 for x in xs], [v / div for v in naive], width=0.4, color="#999", label="equal layers")
        ax.bar([x + 0.2 for x in xs], [v / div for v in bal], width=0.4, color="#3b7dd8", label="balanced")
        ax.set_xticks(list(xs), [f"stage {x}" for x in xs])
        ax.set_ylabel(f"fwd+bwd per micro-batch ({tu})")
        ax.legend(fontsize=7)
        out.append(("pipeline: stage times of the balanced and the equal-layer split (profiled layer times)",
                    to_svg(fig)))
    return out


def key_figures(r: DistributedResult) -> list[Any]:
    from accelopt.report.figures import KeyFigure, _f

    # ranks of the whole run: nproc is per node (a 2-node run of 1 rank each read 'ranks 1')
    return [_f("step time (slowest rank's median)", r, "step_median_s"),
            _f("scaling efficiency", r, "scaling_efficiency"),
            _f("straggler (slowest / median rank)", r, "straggler_ratio"),
            _f("straggler by own work (busiest / median rank)", r, "work_straggler_ratio"),
            KeyFigure("ranks", float(r.nproc * r.nnodes), "count")]
