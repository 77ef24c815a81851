"""Console view of an OptimizeResult: one table of every variant (measured or why not), the Pareto front,
the recommendation, loud warnings for gains above profile's bound. User-supplied text goes in as
plain text (report/console.py), so markup in names or reasons is never interpreted."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from accelopt.report.console import make_console, plain
from accelopt.units import fmt_accuracy, fmt_bytes, fmt_joules, fmt_pct, fmt_quantity, fmt_ratio, fmt_seconds, unit_of

ratio_digits = fmt_ratio  # the one rule for ratios (units.fmt_ratio)


OWN_SPREAD = "own spread "
"""Before the baseline row's rounds bracket: its speed-up is 1 by definition, and the bracket beside it is its own
run-to-run spread (timed against itself, runner._Run.self_noise), which read oddly as '1.00x (0.986-0.997)' (ut3opt
trial). The console's table and the page's."""


def rounds_prefix(r: Any) -> str:
    """OWN_SPREAD for the baseline row, '' for a variant's (its rounds against the baseline)."""
    return OWN_SPREAD if r.name == "baseline" else ""


def ratio_text(v: float | None) -> str:
    """A ratio; an infinite one (profile's bound when the shares its recommendations remove add up to the whole
    step) reads 'no bound', as JSON's null does, not 'infx'. The console's table and the page's."""
    if v is None:
        return "—"
    return f"{ratio_digits(v)}x" if math.isfinite(v) else "no bound"




def quality_text(r: Any, result: Any) -> str:
    """The quality cell of the console's table and the page's: the value (accuracy to 0.01 points), its change from
    the baseline's in the tolerance's unit, and OUT when outside the tolerance. A variant that trained steps of its
    own (Quality.same_budget_baseline) says which baseline the change is from: 'vs 2.31 after 208 steps'."""
    q = r.quality
    if q is None or q.value is None:
        return "n/a"
    if not q.finite:
        return "NON-FINITE"
    pct = result.metric == "accuracy"

    def value(x: float) -> str:
        return fmt_accuracy(x) if pct else f"{x:.4g}"  # fmt_accuracy: the page's key figure too

    text = value(q.value)
    if r.name != "baseline" and q.worse_by is not None:
        unit = "pt" if result.quality_tolerance_unit == "points" else "%"
        # the change of the value itself (a loss that fell 7% read "+7.41%": the sign of the gain, not of the loss)
        change = (-q.worse_by if result.higher_is_better is not False else q.worse_by) + 0.0  # -0.0 read -0.00pt
        # two decimals, or two significant digits below 0.005 ('+.2f' printed a 0.004-point change as +0.00pt)
        text += f" ({change:+.2f}{unit})" if change == 0 or abs(change) >= 0.005 else f" ({change:+.2g}{unit})"
        same = getattr(q, "same_budget_baseline", None)  # a stand-in Quality (tests) may not carry it
        if same is not None:
            text += f" vs {value(same)} after {q.same_budget_steps} steps"
        if q.within_tolerance is False:
            # the metric inside the tolerance, an output beyond it (a --quality-tolerance given bounds each output):
            # a bare OUT beside '(+0.00pt)' read as a contradiction
            by_output = q.worse_by <= result.quality_tolerance and any(
                d.within_tolerance is False for d in getattr(q, "outputs", None) or [])
            text += " OUT (an output's drift: see the outputs' table)" if by_output else " OUT"
    return text


def agreement_cell(r: Any) -> str:
    """The table's 'max|diff|, top-1 agree' cell: the scores' figures for a model of one output; for several, the
    worst output's (Quality.worst_output), named ('output 'boxes': 0.031 (2.1%), worst of 3'): the scores' alone
    hid a detection head's boxes, a second task head, an LSTM's state."""
    q = r.quality
    outs = getattr(q, "outputs", None) or []  # a stand-in Quality (tests) may not carry them
    if q is None or (len(outs) <= 1 and q.max_abs_diff is not None) or not outs:
        if q is None or q.max_abs_diff is None:
            return "—"
        top1 = f", top-1 {fmt_pct(q.top1_agreement)}" if q.top1_agreement is not None else ""  # as the HTML
        return f"{q.max_abs_diff:.2g}{top1}"
    w = q.worst_output
    text = drift_text(w)
    if len(outs) == 1:
        return text
    if all(d.max_abs_diff == 0 or d.equal_fraction == 1 for d in outs):  # the baseline's: 'worst of 3' read oddly
        top1 = f", top-1 {fmt_pct(q.top1_agreement)}" if q.top1_agreement is not None else ""
        return f"0 in all {len(outs)} outputs{top1}"
    return f"{w.name}: {text}, worst of {len(outs)}"


def drift_text(d: Any) -> str:
    """One output's drift in a few words: '0.031 (2.1% rel.), top-1 98.4%', '99.2% equal' (an integer/boolean
    output, no |diff|), or 'not compared' (its note says why)."""
    if d.max_abs_diff is not None:
        rel = f" ({fmt_pct(d.relative_error)} rel.)" if d.relative_error is not None else " (no scale)"
        top1 = f", top-1 {fmt_pct(d.top1_agreement)}" if d.top1_agreement is not None else ""
        return f"{d.max_abs_diff:.2g}{rel}{top1}"
    if d.equal_fraction is not None:
        return f"{fmt_pct(d.equal_fraction)} equal"
    return "not compared"


OUTPUT_COLUMNS = ("variant", "output", "shape", "dtype", "max|diff|", "rel. error", "top-1 agree", "equal",
                  "tolerance", "note")


def output_rows(result: Any) -> list[list[str]]:
    """Each variant's outputs against the baseline's (Quality.outputs), the console's table and the page's: shown
    where the model returns several Tensors, or an output's figures are not the plain ones (a note: an integer
    output, another shape, an all-zero baseline). Empty otherwise: one float output is the main table's cell."""
    rows: list[list[str]] = []
    variants = [r for r in result.variants if r.quality is not None and getattr(r.quality, "outputs", None)]
    if not any(len(r.quality.outputs) > 1 or any(d.note for d in r.quality.outputs) for r in variants):
        return rows
    for r in variants:
        if r.name == "baseline":
            continue
        for d in r.quality.outputs:
            tol = {True: "within", False: "OUT", None: "—"}[d.within_tolerance]
            rows.append([r.name, d.name + (" (scores)" if d.scores else ""), "x".join(map(str, d.shape)) or "scalar",
                         d.dtype, "n/a" if d.max_abs_diff is None else f"{d.max_abs_diff:.2g}",
                         fmt_pct(d.relative_error), fmt_pct(d.top1_agreement), fmt_pct(d.equal_fraction), tol,
                         d.note])
    return rows


def outputs_table(result: Any) -> Table | None:
    rows = output_rows(result)
    if not rows:
        return None
    t = Table(title="each output against the baseline's")
    for c in OUTPUT_COLUMNS:
        t.add_column(c, overflow="fold", justify="left" if c in ("variant", "output", "note") else "right")
    for row in rows:
        t.add_row(*(plain(c) for c in row))
    t.caption = output_caption(result)
    return t


def output_caption(result: Any) -> str:
    """What the outputs table's figures are, and whether the tolerance judged them."""
    judged = ("A --quality-tolerance given bounds each output: its relative error in % of the baseline's largest "
              "|value|" if result.quality_tolerance_unit == "percent" else
              "A --quality-tolerance given bounds each output: its top-1 disagreement in accuracy points (an "
              "output that is not class scores has none to bound: '—')")
    return ("rel. error: max|diff| / the baseline output's largest |value|; top-1: class scores only (the scores, "
            "or an output named '*logits*'); equal: an integer or boolean output's elements equal to the baseline's "
            "(no |diff| is defined for it). "
            + (judged + ", an integer/boolean output's elements changed in either; an output OUT puts its variant "
               "outside the tolerance" if result.output_tolerance else
               "Not judged against the quality tolerance (give --quality-tolerance to bound each output)") + ".")


def _energy(r: Any) -> str:
    if r.energy_per_step_j is None:
        return "n/a"
    return fmt_joules(r.energy_per_step_j) + (" (est.)" if r.energy_is_estimate else "")


WIDE = 150
"""Characters the measured table needs; a narrower console (80 when piped) gets a wider one on the same stream."""


def tolerance_text(result: Any) -> str:
    """The quality tolerance as applied, or, where no quality metric was measured (no eval_batches), why none was
    (metric_note): console and page said 'Quality tolerance: 1 % of the baseline' beside a 'quality (not measured)'
    column and a recommendation that named no tolerance, and printed the note saying why nowhere (JSON alone)."""
    unit = "accuracy points" if result.quality_tolerance_unit == "points" else "% of the baseline"
    each = (" (given, it bounds each output's drift too: see the outputs' table)"
            if getattr(result, "output_tolerance", False) else "")
    if result.metric is None and each:
        return (f"Quality tolerance: {result.quality_tolerance:g} {unit}, applied to each output's drift alone "
                f"({result.metric_note or 'no quality metric was measured'})")
    if result.metric is None:
        return f"Quality tolerance: not applied ({result.metric_note or 'no quality metric was measured'})"
    return f"Quality tolerance: {result.quality_tolerance:g} {unit}{each}"


def variants_table(result: Any) -> Table:
    t = Table(title=plain(f"optimize — {result.name}, {result.mode}, {result.dtype}, {result.device}, "
                         f"batch {result.batch_size}"))
    cols = ("variant", "p50", "p99", "speed-up (rounds)", "gain up to", "throughput", "memory", "energy/step",
            "size", result.metric_label, "max|diff|, top-1 agree", "setup")
    for c in cols:
        t.add_column(c, justify="left" if c == "variant" else "right", overflow="fold", no_wrap=c == "variant")
    for r in result.variants:
        if not r.measured and r.status != "quality-failure":
            continue
        name = plain(("* " if r.pareto else "  ") + r.name + ("" if r.measured else " (QUALITY FAILURE)"))
        sp = ("1.00x" if r.speedup_low is None or r.speedup_high is None
              or (r.name == "baseline" and r.speedup_low == r.speedup_high == 1.0)
              else f"{ratio_text(r.speedup)} ({rounds_prefix(r)}{ratio_digits(r.speedup_low)}-"
              f"{ratio_digits(r.speedup_high)})")
        bound = ratio_text(r.gain_bound) + (" ABOVE!" if r.above_bound else "")
        t.add_row(name, fmt_seconds(r.step_time_p50_s), fmt_seconds(r.step_time_p99_s), sp, plain(bound),
                  fmt_quantity(r.samples_per_s, unit_of(r, "samples_per_s")) if r.samples_per_s else "—",
                  fmt_bytes(r.memory_bytes, binary=True) if r.memory_bytes is not None else "n/a", _energy(r),
                  fmt_bytes(r.size_bytes, binary=True) if r.size_bytes is not None else "n/a", quality_text(r, result),
                  agreement_cell(r), fmt_seconds(r.setup_s) if r.setup_s else "—")
    meters = {r.energy_meter for r in result.variants if r.measured and r.energy_meter}
    n = result.variants[0].step_samples if result.variants else 0
    if not any(r.measured or r.status == "quality-failure" for r in result.variants):
        # a run stopped before the baseline was measured: the caption explained figures of no row ('Memory: .',
        # 'baseline: 0' timed steps)
        t.caption = "no variant was measured: the run stopped before the baseline's measurement ended"
        return t
    t.caption = (f"* = on the Pareto front (speed-up, memory, energy vs {result.metric_label}). Speed-up: baseline / "
                 f"variant fastest step of each block, median of A/B interleaved rounds (pessimistic-optimistic "
                 "round; the baseline's 'own spread': its run-to-run spread, timed against itself, the noise a "
                 "variant's pessimistic round must beat to be recommended); rounds over 2x apart are re-measured "
                 "once, and a variant whose rounds still "
                 "disagree, or "
                 "whose baseline ran over 2x slower at torch's threads than at 1 thread (a busy machine), is not "
                 f"recommended; p50/p99 over the timed steps (baseline: {n}, over the whole run) drift with the "
                 "machine's load. "
                 f"'gain up to': profile's Amdahl bound for what the technique "
                 f"addresses. In brackets: the change of {result.metric_label} from the baseline's "
                 f"({'higher' if result.higher_is_better is not False else 'lower'} is better)"
                 + (", or, after 'vs', from the baseline trained as many steps as a variant that trained in its "
                    "making (prune's fine-tune, distill's student): the baseline row's is after the quality steps "
                    "alone" if any(getattr(r.quality, "same_budget_baseline", None) is not None
                                   for r in result.variants) else "") + ". "
                 f"{tolerance_text(result)}. Memory: "
                 f"{result.variants[0].memory_method if result.variants else ''}. "
                 f"Energy meter: {', '.join(sorted(meters)) or 'none'}.")
    return t


def skipped_table(result: Any) -> Table | None:
    rows = [r for r in result.variants if not r.measured and r.status != "quality-failure"]
    if not rows:
        return None
    t = Table(title="not measured")
    for c in ("variant", "status", "why"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(plain(r.name), r.status, plain(r.reason))
    return t


def render(result: Any, console: Console | None = None) -> None:
    console = console or make_console()
    wide = console if console.width >= WIDE else make_console(width=WIDE, file=console.file,
                                                               force_terminal=console.is_terminal)
    wide.print(variants_table(result))
    outputs = outputs_table(result)
    if outputs is not None:
        wide.print(outputs)
    skipped = skipped_table(result)
    if skipped is not None:
        console.print(skipped)
    tq = result.trained_quality
    if tq:
        console.print(plain("trained quality of the example: " + ", ".join(f"{k} {v:.4g}" for k, v in tq.items())))
    if result.profile_verdict:
        console.print(plain(f"profile's verdict on the baseline: {result.profile_verdict}"))
    for r in result.variants:
        if r.above_bound:
            console.print(plain(f"WARNING: {r.name} measured {ratio_text(r.speedup)}, above profile's bound "
                               f"{ratio_text(r.gain_bound)} ({r.gain_bound_source}); one of the two is wrong: "
                               "investigate", style="bold red"))
    for r in result.variants:
        for n in r.notes:
            console.print(plain(f"  {r.name}: {n}", style="dim"))
    rec = result.recommendation
    if rec is not None:
        best = (f"; best single technique inside the tolerance: {rec.best_single} {ratio_text(rec.best_single_speedup)}"
                if rec.best_single and rec.best_single != rec.name else "")
        console.print(plain(f"recommendation: {rec.name} — {rec.reason}{best}", style="bold"))
    for n in result.notes:
        console.print(plain(f"note: {n}"))
    if result.recipe_path:
        console.print(plain(f"recipe written to {result.recipe_path}" +
                           (f", model to {result.saved_model_path}" if result.saved_model_path else
                            " (this variant cannot be saved as a model file)")))
    if result.interrupted:
        console.print(plain("interrupted: the table holds what was measured before Ctrl-C", style="bold yellow"))
