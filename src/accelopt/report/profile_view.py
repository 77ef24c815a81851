"""Console tables (rich) for `accelopt profile`: step time, breakdown, FLOP/s and MFU, memory, energy,
roofline and the diagnosis. Formatting only: every number comes from the ProfileResult."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from accelopt.report.console import make_console, plain
from accelopt.units import (
    fmt_byte_per_s,
    fmt_bytes,
    fmt_count,
    fmt_flop_per_s,
    fmt_flops,
    fmt_joules,
    fmt_macs,
    fmt_pct,
    fmt_quantity,
    fmt_ratio,
    fmt_seconds,
    unit_of,
)

TOP_OPS = 12
ROOFLINE_WIDTH = 126


def _stats_row(label: str, s: Any, total: float | None = None) -> list[str]:
    share = fmt_pct(s.median / total) if total else ""
    return [label, fmt_seconds(s.median), fmt_seconds(s.p10), fmt_seconds(s.p90), share]


def step_table(r: Any) -> Table:
    t = Table(title=f"{r.name} — {r.mode} step, {r.dtype}, {r.device}, batch {r.batch_size}, "
                    f"{r.environment.get('threads')} thread{'' if r.environment.get('threads') == 1 else 's'}")
    for col in ("", "median", "p10", "p90", "share"):
        t.add_column(col, justify="right" if col else "left")
    for row in step_rows(r):
        t.add_row(*row)
    rate = fmt_quantity(r.samples_per_s, unit_of(r, "samples_per_s"))  # as the HTML prints it
    t.caption = f"{rate}; phases synchronized at each boundary in a separate pass"
    return t


def step_rows(r: Any) -> list[list[str]]:
    """(label, median, p10, p90, share) of the step table, for the console and the page alike: the page had no share
    column and no sum of the phases, the figure its own 'phased pass summed to 0.2x the headline' warning quotes."""
    total = r.breakdown_total_s()
    rows = [_stats_row(f"step ({r.step_time.n} steps, uninstrumented)", r.step_time)]
    rows += [_stats_row(f"  {phase.replace('_', ' ')}", s, total) for phase, s in r.breakdown.items()]
    rows.append(["  sum of phases (instrumented pass)", fmt_seconds(total), "", "", ""])
    return rows


def unmodeled_flops_note(r: Any) -> str:
    """'' or why FLOPs per step (and so achieved FLOP/s and MFU) are a lower bound: ops with no FLOP formula."""
    ops = getattr(r, "unmodeled_ops", None) or {}
    if not ops:
        return ""
    names = ", ".join(f"{k} x{v}" for k, v in sorted(ops.items()))
    return f"a lower bound, as are achieved and MFU: ops with no FLOP formula count 0 ({names})"


def custom_function_note(r: Any) -> str:
    """'' or why FLOPs per step may be a lower bound: custom autograd.Functions whose own time (outside the aten ops
    they call) the roofline measured; work they do without aten ops (numpy, a C extension, a Triton kernel) counts 0."""
    from accelopt.measure.roofline import CUSTOM_FUNCTION_ROW

    rows = [row for row in getattr(r, "roofline", None) or () if row.op.startswith(CUSTOM_FUNCTION_ROW)]
    if not rows:
        return ""
    names = ", ".join(f"{row.op.removeprefix(CUSTOM_FUNCTION_ROW)} {fmt_seconds(row.time_s)}" for row in rows)
    return (f"a lower bound if a custom autograd.Function works outside aten ops (numpy, a C extension, a Triton "
            f"kernel): its own time per step, not counted in FLOPs: {names}")


def macs_text(matmul_flops: float, batch_size: int, mode: str = "inference") -> str:
    """The matmul / conv / attention FLOPs as multiply-accumulates per sample: the unit a model zoo's 'GFLOPS'
    column counts (torchvision's model docs: ResNet-50 4.089 'GFLOPS' = 4.089e9 multiply-accumulates at 224 x 224,
    the 8.18 GFLOP `profile` counts at 2 FLOP each), so that the two compare without a factor 2 (utnum). A training
    step's count holds the backward pass too, which a zoo's forward figure does not: said so, not 'what torchvision
    lists' (--mode train, profile's default, read ResNet-50's forward + backward beside that claim)."""
    per = f"{fmt_macs(matmul_flops / 2 / batch_size)} per sample: multiply-accumulates"
    if mode == "inference":
        return per + ", what torchvision's model docs list as 'GFLOPS'"
    return (per + " of the training step (forward and backward); torchvision's model docs' 'GFLOPS' count a "
            "forward alone: --mode inference gives that figure")


def compute_table(r: Any) -> Table:
    t = Table(title="work and utilization")
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_column("how", justify="left")
    for row in compute_rows(r):
        t.add_row(*row)
    return t


def compute_rows(r: Any) -> list[tuple[str, str, str]]:
    """(figure, value, how it was obtained) of the work table, for the console and the page alike: the page had no
    matmul share and no 'how', so its MFU named no peak value or dtype."""
    dependence = getattr(r, "input_dependence", None)
    varies = (f"batch 1's: it varies with the input, batch 2's forward {fmt_flops(dependence.forward_flops[1])} vs "
              f"batch 1's {fmt_flops(dependence.forward_flops[0])} (see the notes)"
              if dependence is not None and dependence.varies else "")
    lower = "; ".join(n for n in (varies, unmodeled_flops_note(r), custom_function_note(r)) if n)
    rows = [("FLOPs per step", fmt_flops(r.flops_per_step),
             "captured step (2 FLOP per multiply-accumulate)" + (f"; {lower}" if lower else "")),
            ("  per sample", fmt_flops(r.flops_per_step / r.batch_size), f"FLOPs per step / batch {r.batch_size}"),
            ("  of which matmul/conv/attention", fmt_flops(r.matmul_flops_per_step), macs_text(r.matmul_flops_per_step,
                                                                                         r.batch_size, r.mode)),
            ("achieved", fmt_flop_per_s(r.achieved_flop_per_s), "FLOPs per step / median step time")]
    if isinstance(params := r.meta.get("params"), int):
        rows.append(("parameters", fmt_count(params), "numel summed over model.parameters() (a tied weight once)"))
    for label, name, peak, mfu in (("catalog", r.catalog_name, r.catalog_peak_flop_per_s, r.mfu_catalog),
                                   ("probed", r.probed_name, r.probed_peak_flop_per_s, r.mfu_probed)):
        how = f"{name}, {r.peak_dtype} peak {fmt_flop_per_s(peak)}" if peak else (
            f"no {r.peak_dtype} peak for {name}" if name else f"no {label} spec (n/a)")
        rows.append((f"MFU vs {label} peak", fmt_pct(mfu), how))
    return rows


def memory_table(r: Any) -> Table:
    t = Table(title="memory")
    t.add_column("")
    t.add_column("bytes", justify="right")
    t.add_column("how", justify="left", overflow="fold")
    for row in memory_rows(r):
        t.add_row(*row)
    return t


def memory_rows(r: Any) -> list[list[str]]:
    """(figure, bytes, how) of the memory table, for the console and the page alike: the page read 'baseline' and a
    bare 'peak', not which peak was measured (a GPU allocator's, or the process RSS with the runtime in it)."""
    m = r.memory
    rows = [[f"peak ({m.peak_kind})", fmt_bytes(m.peak_bytes, binary=True), m.methods.get("peak", "")],
            ["  before the step", fmt_bytes(m.baseline_bytes, binary=True), ""]]
    # a training step's figure is what its forward saved for backward, not the activations' peak (a checkpointed
    # model's recomputed blocks are not in it): the label says which
    acts = "activations saved for backward" if r.mode == "train" else "activations"
    for key, label in (("parameters", "parameters"), ("buffers", "buffers"), ("gradients", "gradients"),
                       ("optimizer_state", "optimizer state"), ("activations", acts)):
        if key == "buffers" and key not in m.methods:  # a record from before they were measured (profile < 6)
            continue
        rows.append([f"  {label}", fmt_bytes(getattr(m, f"{key}_bytes"), binary=True), m.methods.get(key, "")])
    return rows


def energy_table(r: Any) -> Table:
    e = r.energy
    est = " (estimate)" if e.is_estimate else ""
    t = Table(title="energy")
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_row("per step" + est, fmt_joules(e.energy_per_step_j) if e.energy_per_step_j is not None else "n/a")
    t.add_row("per sample" + est, fmt_joules(e.energy_per_sample_j) if e.energy_per_sample_j is not None else "n/a")
    t.add_row("source", e.source + (f" — {e.note}" if e.note else ""))
    if e.window_s:
        t.add_row("window", f"{fmt_seconds(e.window_s)} over {e.steps_in_window} steps")
    return t


ROOFLINE_COLUMNS = ("op", "time", "share", "calls", "FLOP/B", "FLOP/s", "B/s", "of roof", "bound", "roof")


def roofline_title(r: Any, top: int = TOP_OPS) -> str:
    return f"roofline, top {top} ops by {r.op_time_kind.replace('_', ' ')} per step"


def roofline_rows(r: Any, top: int = TOP_OPS) -> list[list[str]]:
    """The roofline table's cells (ROOFLINE_COLUMNS), as the console and the page both print them: the page wrote
    intensities to 4 significant digits ('45.46 FLOP/B') beside the console's 3 ('45.5') and had no share column."""
    return [[row.op.removeprefix("aten::"), fmt_seconds(row.time_s), fmt_pct(row.time_s / r.profiled_step_s),
             f"{row.calls_per_step:g}",
             f"{row.intensity_flop_per_byte:.3g}" if row.intensity_flop_per_byte is not None else "-",
             "n/a" if row.verdict == "unmodeled" else fmt_flop_per_s(row.attained_flop_per_s),
             fmt_byte_per_s(row.attained_byte_per_s), fmt_pct(row.efficiency), row.verdict, row.roof]
            for row in r.roofline[:top]]


def roofline_table(r: Any, top: int = TOP_OPS) -> Table:
    # light box and narrow padding: nine columns fit in 80 characters; numbers never wrap, long op
    # names fold instead, so a narrow terminal keeps every column
    t = Table(title=roofline_title(r, top), box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for col in ROOFLINE_COLUMNS:
        t.add_column(col, justify="left" if col in ("op", "bound", "roof") else "right",
                     no_wrap=col != "op", overflow="fold" if col == "op" else "ellipsis",
                     min_width=10 if col == "op" else None, max_width=30 if col == "op" else None)
    for cells in roofline_rows(r, top):
        t.add_row(*cells)
    t.caption = roofline_caption(r)
    return t


def roofline_caption(r: Any) -> str:
    """The roofs the verdicts were judged against, their source, and the overhead rule (console caption and page
    note alike)."""
    c = r.ceilings
    vector = (f", non-matmul ops {fmt_flop_per_s(c.vector_peak_flop_per_s)} ({c.vector_peak_label})"
              if c.vector_peak_flop_per_s else "")
    c0 = (f"overhead-bound: aten calls x {fmt_seconds(r.call_overhead_s)} (measured cost of a trivial op "
          "call) >= half the op's time; " if r.call_overhead_s else "overhead-bound: ops doing no work; ")
    caches = "".join(f", {k.name} {fmt_byte_per_s(k.bandwidth_byte_per_s)} (working set <= "
                     f"{fmt_bytes(k.capacity_bytes, binary=True)})" for k in c.cache_roofs)
    noisy = f"; noisy, may be low: {', '.join(c.noisy)}" if c.noisy else ""
    unmodeled = ("unmodeled: an op with no FLOP formula (its time is measured, its FLOPs are not counted, so its "
                 "bound is unknown); " if any(row.verdict == "unmodeled" for row in r.roofline) else "")
    if any(row.roof == "outside aten" for row in r.roofline):
        unmodeled += ("outside aten: a custom autograd.Function's own time (forward and backward), outside the aten "
                      "ops it calls, which keep their rows; ")
    return (f"roofs: {fmt_flop_per_s(c.peak_flop_per_s)} ({c.dtype}){vector}, "
            f"DRAM {fmt_byte_per_s(c.memory_bandwidth_byte_per_s)}{caches}, ridge "
            f"{c.ridge_flop_per_byte:.3g} FLOP/B (DRAM) — {c.source}{noisy}; roof: the one that decided the "
            f"verdict; {c0}{unmodeled}shares of the profiled step {fmt_seconds(r.profiled_step_s)} "
            "(with profiler overhead); FLOPs and bytes per op in --json")


OPTIMIZE_COMMAND_UNKNOWN = "accelopt optimize MODEL"
"""'test it with' of a stored result written before ProfileResult.optimize_command (version 4), on the console and
the page."""


def diagnosis_table(d: Any, command: str | None = None) -> Table:
    """The verdict and its recommendations; `command` (ProfileResult.optimize_command): the optimize run of the model
    and shape profiled, which 'test it with' completes with --only (without it: `accelopt optimize MODEL`)."""
    t = Table(title=f"verdict: {d.verdict}", caption_justify="left")
    for col in ("#", "try", "evidence", "gain up to", "bound formula", "test it with"):
        t.add_column(col, justify="right" if col in ("#", "gain up to") else "left", overflow="fold")
    for i, rec in enumerate(d.recommendations, 1):
        test = (f"{command or OPTIMIZE_COMMAND_UNKNOWN} --only {','.join(rec.techniques)}"
                if getattr(rec, "techniques", ()) else "")
        t.add_row(str(i), rec.action, rec.evidence, f"{fmt_ratio(rec.speedup_max)}x", rec.formula, plain(test))
    # one line each: joined on one centred line, "... no collectives measured ops whose FLOPs ..." read as one
    t.caption = plain("\n".join([step_shares_text(d), *(f"note: {n}" for n in d.notes)]))
    return t


def step_shares_text(d: Any) -> str:
    """'step shares: input pipeline 2.1%, ...': what each bound takes of the profiled step (console and page)."""
    return "step shares: " + ", ".join(f"{k} {fmt_pct(v)}" for k, v in d.shares.items())


DIAGNOSIS_WITHHELD = "the profiled pass disagrees with the headline step (see warnings); rerun on a quiet machine"
"""Why a result's diagnosis is not shown (ProfileResult.conclusions_withheld), on the console and the page."""


def warnings_table(r: Any) -> Table | None:
    """What disturbed the measurement (contention, passes that disagree, non-finite values); None if nothing."""
    c = r.contention
    lines = list(c.warnings) + ([f"NOT FINITE: {r.nonfinite} (--allow-nonfinite)"] if r.nonfinite else [])
    if not lines:
        return None
    t = Table(title="warnings: these figures may not describe the model", title_style="bold yellow")
    t.add_column("#", justify="right")
    t.add_column("what was seen", overflow="fold")
    for i, line in enumerate(lines, 1):
        t.add_row(str(i), plain(line))
    if c.disturbed:
        t.caption = "affected: " + ", ".join(c.disturbed) + "; rerun on a quiet machine to trust them"
    return t


def render(r: Any, console: Console | None = None) -> None:
    console = console or make_console()
    console.print(step_table(r))
    console.print(compute_table(r))
    console.print(memory_table(r))
    console.print(energy_table(r))
    # ten columns need ~126 characters; a narrower console (80 when piped to a file) would
    # squeeze the op names out entirely, so this table is printed at that width to the same stream
    wide = console if console.width >= ROOFLINE_WIDTH else make_console(width=ROOFLINE_WIDTH, file=console.file,
                                                                      force_terminal=console.is_terminal)
    wide.print(roofline_table(r))
    if r.diagnosis is not None and not r.conclusions_withheld:
        console.print(diagnosis_table(r.diagnosis, r.optimize_command))
    elif r.diagnosis is not None:
        from accelopt.measure.diagnose import notes_kept_when_withheld

        # the notes on the specs (probed on a busy machine, another kind) qualify the MFU above: kept (JSON has them)
        console.print(plain("\n".join([f"diagnosis withheld: {DIAGNOSIS_WITHHELD}",
                                      *(f"note: {n}" for n in notes_kept_when_withheld(r.diagnosis.notes))])))
    warnings = warnings_table(r)
    if warnings is not None:
        console.print(warnings)


def partial_table(p: Any) -> Table:
    """What an interrupted or failed profile (accelopt.measure.profiler.PartialProfile) measured before Ctrl-C or
    the model's error stopped it."""
    t = Table(title=plain(f"{p.name} — {p.mode} step, {p.dtype}, {p.device}, batch {p.batch_size}: {stopped_text(p)}"),
              title_style="bold yellow")  # Text: the model's error is user text, not rich markup
    for col in ("", "median", "p10", "p90", "share"):
        t.add_column(col, justify="right" if col else "left")
    for row in partial_step_rows(p):
        t.add_row(*row)
    notes = []
    if p.step_time is not None and p.step_time.median > 0:
        notes.append(fmt_quantity(p.batch_size / p.step_time.median, "samples/s"))
    if p.achieved_flop_per_s is not None:
        notes.append(f"achieved {fmt_flop_per_s(p.achieved_flop_per_s)} ({fmt_flops(p.flops_per_step)} per step "
                     "/ median step time)")
    if p.memory is not None:
        notes.append(f"peak memory {fmt_bytes(p.memory.peak_bytes, binary=True)} ({p.memory.peak_kind})")
    notes.append("measured: " + (", ".join(p.done) or "nothing") + "; not measured: " + ", ".join(p.missing))
    t.caption = "; ".join(notes)
    return t


def partial_step_rows(p: Any) -> list[list[str]]:
    """(label, median, p10, p90, share) of a stopped or failed profile's step table, for the console and the page
    alike (the page had no share column and named the phases by their JSON keys, 'data_wait')."""
    if p.step_time is not None:
        rows = [_stats_row(f"step ({p.step_time.n} of {p.steps} steps, uninstrumented)", p.step_time)]
    else:
        rows = [[f"step (0 of {p.steps} steps timed)", "n/a", "n/a", "n/a", ""]]
    total = sum(s.median for s in p.breakdown.values())
    return rows + [_stats_row(f"  {phase.replace('_', ' ')}", s, total) for phase, s in p.breakdown.items()]


def stopped_text(p: Any) -> str:
    """What stopped a PartialProfile, and in which pass (console and HTML titles; its `failed` error printed
    as plain text: the model's message is user text)."""
    if getattr(p, "failed", ""):
        return f"FAILED in the {p.interrupted_during} pass: {p.failed}"
    from accelopt.interrupts import recorded_stop

    return f"INTERRUPTED ({recorded_stop(p)}) during the {p.interrupted_during} pass"


def render_partial(p: Any, console: Console | None = None) -> None:
    (console or make_console()).print(partial_table(p))
