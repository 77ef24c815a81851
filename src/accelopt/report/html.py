"""One self-contained HTML page per result: inline CSS, inline SVG plots, no external links, scripts or fonts.

The page shows the command line, versions, date, the key figures, plots (accelopt.report.plots), the
result's main tables and, folded, the whole JSON result. Every figure that the result marks as a
prediction or model estimate carries an "estimate" label.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from accelopt.errors import InputError
from accelopt.measure.collective_figures import MODEL_COLUMNS_TEXT
from accelopt.report import infer_view, plan_warnings
from accelopt.report.console import printable
from accelopt.report.figures import fmt, is_estimate, key_figures, other_version, typed
from accelopt.report.simulate_view import stalls_left
from accelopt.units import fmt_byte_per_s, fmt_count, fmt_ratio, parse_quantity, unit_of

EST = '<span class="est">estimate</span>'

def esc(text: object, quote: bool = True) -> str:
    """`text` as HTML text: escaped (& < > " '), with control and bidi-override characters written as visible
    escapes ('\\x1b', '\\u202e'), as the console shows them (console.printable: one rule for both)."""
    visible = printable(text)
    return html.escape(visible, quote=quote)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;max-width:1100px;
 padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right;vertical-align:top}
th{background:#f3f5f8}td.l,th.l{text-align:left}
.est{display:inline-block;background:#fff3cd;color:#7a5b00;border:1px solid #e5c76b;border-radius:3px;
 font-size:.7rem;padding:0 .3rem;margin-left:.3rem;font-weight:normal;vertical-align:middle}
.banner{background:#fff3cd;border:1px solid #e5c76b;padding:.5rem .8rem;border-radius:4px;margin:.8rem 0}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#555}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:40rem}
.meta td{text-align:left;overflow-wrap:anywhere}.note{color:#555;font-size:.85rem;overflow-wrap:anywhere}
.tw{max-width:100%;overflow-x:auto}td:not(.l),th{white-space:nowrap}h1,h2,figcaption{overflow-wrap:anywhere}svg{max-width:100%;height:auto}
"""


@dataclass
class Table:
    """A titled table of display strings; `est_cols` (header indexes) get an estimate label."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    est_cols: set[int] = field(default_factory=set)
    estimate: bool = False  # the whole table holds estimates
    note: str = ""

    def to_html(self) -> str:
        title = esc(self.title) + (EST if self.estimate else "")
        # a column of words has its header over them, on the left (a header on the right of a wide column of
        # left-aligned sentences, 'how' or 'what was seen', sat apart from its text)
        words = [i == 0 or _words_column([row[i] for row in self.rows if i < len(row)])
                 for i in range(len(self.headers))]
        heads = "".join(f'<th class="{"l" if words[i] else ""}">{esc(h)}{EST if i in self.est_cols else ""}'
                        "</th>" for i, h in enumerate(self.headers))
        body = "".join("<tr>" + "".join(f'<td class="{"l" if i == 0 or _is_text(c) else ""}">{esc(c)}</td>'
                                        for i, c in enumerate(row)) + "</tr>" for row in self.rows)
        note = f'<p class="note">{esc(self.note)}</p>' if self.note else ""
        # wide tables scroll inside their own box instead of widening the page
        return f'<h2>{title}</h2><div class="tw"><table><tr>{heads}</tr>{body}</table></div>{note}'


_NO_VALUE = ("n/a", "—", "-", "")
_LETTER_THEN_DIGIT = re.compile(r"[A-Za-z]\d")


def _is_text(cell: str) -> bool:
    """A cell of words (left-aligned), not a figure with its unit ('3.72 ms', '1.05x ABOVE BOUND', '$0.133'): a
    sentence that starts with a digit ('2-rank run: other processes used 1.35 cores ...') is words, and so is a name
    that starts with one, a run id ('20261206T125825.348Z-profile-43da22') or a shape ('16x16x16'): a digit after a
    letter in its first word, where a figure has its unit after a space or a single suffix ('1.05x', '2e+07')."""
    if cell in _NO_VALUE:
        return False
    first = cell.split(maxsplit=1)[0] if cell.strip() else cell
    return (not (cell[:1].isdigit() or cell[:1] in "-+$.") or len(cell.split()) > 3
            or _LETTER_THEN_DIGIT.search(first) is not None)


def _words_column(cells: list[str]) -> bool:
    """A column whose cells, the empty and n/a ones aside, are all words."""
    valued = [c for c in cells if c not in _NO_VALUE]
    return bool(valued) and all(_is_text(c) for c in valued)


def _g(x: Any, digits: int = 4) -> str:
    if isinstance(x, bool) or x is None:
        return "yes" if x is True else "no" if x is False else "n/a"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


# ---------------------------------------------------------------- tables per kind
def q(obj: Any, name: str) -> str:
    """Field `name` of a typed result, shown in the unit the field declares (accelopt.units.unit)."""
    return fmt(getattr(obj, name), unit_of(obj, name))


def _probe_tables(r: Any) -> list[Table]:
    t = Table(f"probe — {r.device.name} ({r.device.torch_device}) on {r.host}",
              ["measure", "median", "p10", "p90", "spread", "catalog peak", "% of peak", "how"])
    for f in r.figures:
        u = f.unit
        t.rows.append([f.metric, fmt(f.median, u), fmt(f.p10, u), fmt(f.p90, u), q(f, "spread"),
                       fmt(f.catalog_peak, u), q(f, "fraction_of_peak"), f.detail])
    t.note = (f"catalog entry compared: {r.catalog_name or 'none'}; measured in {q(r, 'duration_s')} with "
              f"{r.threads} torch thread{'' if r.threads == 1 else 's'}, torch {r.torch_version}"
              + (f"; {r.core_share_note}" if r.core_share_note else ""))
    out = [t]
    if r.skipped:
        out.append(Table("not measured", ["metric", "why"], [[m, w] for m, w in r.skipped]))
    out += _ladder_tables(r)
    if r.collectives is not None:
        out.append(_collectives_table(r.collectives))
        out += [dataclasses.replace(t, title=f"collectives {t.title}")
                for t in _warnings_tables(r.collectives.contention, [
                    f"link for plan: {w}" for w in [r.collectives.link_warning] if w is not None])]
    return out + _warnings_tables(r.contention, [])


def _ladder_tables(r: Any) -> list[Table]:
    """The op-size ladder (measure/probe.py LADDER_SIDES) and the curve fitted on it, as the console prints the
    curve (ProbeResult.curve_text); [] when none was measured."""
    if not r.ladder:
        return []
    t = Table(f"op-size ladder ({r.ladder_dtype} matmuls)", ["shape (m x n x k)", "FLOP", "median", "rate"],
              [[f"{p.side}x{p.side}x{p.side}", q(p, "flops"), q(p, "median_s"),
                fmt(p.flops / p.median_s, "FLOP/s")] for p in r.ladder])
    t.note = r.curve_text() or "no op-size curve was fitted"
    return [t]


def _warnings_tables(contention: Any, extra: list[str]) -> list[Table]:
    """What disturbed a measurement (a busy machine, a noisy figure, passes that disagree), as the console prints
    it: [] when nothing did."""
    lines = list(contention.warnings) + extra
    if not lines:
        return []
    t = Table("warnings: these figures may not describe the device or model", ["#", "what was seen"],
              [[str(i), w] for i, w in enumerate(lines, 1)])
    if contention.disturbed:
        t.note = "affected: " + ", ".join(contention.disturbed) + "; rerun on a quiet machine to trust them"
    return [t]


def _collectives_table(c: Any) -> Table:
    t = Table(f"collectives — {c.backend} over {c.nranks} ranks ({c.device})",
              ["collective", "size", "time", "p10", "p90", "spread", "algbw", "busbw", "plan's model", "model error"])
    t.rows += [[f.op, q(f, "size_bytes") + (f" (asked {q(f, 'asked_size_bytes')})" if f.asked_size_bytes else ""),
                q(f, "time_s"), q(f, "p10_s"), q(f, "p90_s"), q(f, "spread"),
                q(f, "algbw_byte_per_s"), q(f, "busbw_byte_per_s"), q(f, "model_time_s"),
                _dist_view().signed_pct(f.model_error)] for f in map(c.modelled, c.figures)]
    t.note = (f"link for plan: bandwidth {q(c, 'link_bandwidth_byte_per_s')} ({c.bandwidth_how}), "
              f"latency {q(c, 'link_latency_s')} ({c.latency_how})"
              + "".join(f"; {t}" for t in (c.model_error_text, c.other_ops_model_text,
                                           c.link_warning and f"WARNING: {c.link_warning}") if t)
              + f". time: median over repeats of the slowest rank's time. {c.DEFINITIONS}. {MODEL_COLUMNS_TEXT}")
    return t


def _profile_partial_tables(p: Any) -> list[Table]:
    """An interrupted or failed profile: the figures of the passes that finished, and which passes are missing."""
    from accelopt.report.profile_view import partial_step_rows, stopped_text

    t = Table(f"profile — {p.name}, {p.mode} step, {p.dtype}, {p.device}, batch {p.batch_size}: {stopped_text(p)}",
              ["", "median", "p10", "p90", "share"], rows=partial_step_rows(p))  # the console's rows
    t.note = "measured: " + (", ".join(p.done) or "nothing") + "; not measured: " + ", ".join(p.missing)
    w = Table("work", ["", "value"])
    w.rows += [["FLOPs per step", q(p, "flops_per_step")], ["achieved", q(p, "achieved_flop_per_s")]]
    if p.memory is not None:
        w.rows.append(["peak memory", q(p.memory, "peak_bytes")])
    return [t, w]


def _profile_tables(r: Any) -> list[Table]:
    t = Table(f"profile — {r.name}, {r.mode} step, {r.dtype}, {r.device}, batch {r.batch_size}",
              ["", "median", "p10", "p90", "share"])
    from accelopt.report.profile_view import compute_rows, memory_rows, step_rows

    t.rows += step_rows(r)  # the console's rows: its share column and the sum of the phases

    w = Table("work and utilization", ["", "value", "how"])
    w.rows += [list(row) for row in compute_rows(r)]
    w.rows.insert(3, ["throughput", q(r, "samples_per_s"), "batch size / median step time"])
    mt = Table("memory", ["", "bytes", "how"], rows=memory_rows(r))
    e = r.energy
    et = Table("energy", ["", "value"], estimate=e.is_estimate)
    et.rows += [["per step", q(e, "energy_per_step_j")], ["per sample", q(e, "energy_per_sample_j")],
                ["source", e.source + (f" — {e.note}" if e.note else "")]]
    from accelopt.report.profile_view import (
        ROOFLINE_COLUMNS,
        roofline_caption,
        roofline_rows,
        roofline_title,
        step_shares_text,
    )

    # the console's rows, cell for cell (the page printed 4-digit intensities, no share column, up to 15 ops)
    rt = Table(roofline_title(r), ["op", "time", "share", "calls/step", "FLOP/B", *ROOFLINE_COLUMNS[5:]],
               rows=roofline_rows(r))
    rt.note = roofline_caption(r)  # the page named no roof: which one judged each op, and where it came from
    out = [t, w, mt, et, rt]
    d = r.diagnosis
    if d is not None and r.conclusions_withheld:
        from accelopt.measure.diagnose import notes_kept_when_withheld
        from accelopt.report.profile_view import DIAGNOSIS_WITHHELD

        out.append(Table("diagnosis withheld", ["why"], [[DIAGNOSIS_WITHHELD]]))
        if kept := notes_kept_when_withheld(d.notes):  # on the specs and figures: they qualify the MFU shown
            out.append(Table("diagnosis notes", ["note"], [[n] for n in kept]))
    elif d is not None:
        dt = Table(f"verdict: {d.verdict}", ["#", "try", "evidence", "gain up to", "bound formula", "test it with"])
        from accelopt.report.profile_view import OPTIMIZE_COMMAND_UNKNOWN

        command = getattr(r, "optimize_command", None) or OPTIMIZE_COMMAND_UNKNOWN  # the model and shape profiled
        for i, rec in enumerate(d.recommendations, 1):
            dt.rows.append([str(i), rec.action, rec.evidence, q(rec, "speedup_max"), rec.formula,
                            f"{command} --only {','.join(rec.techniques)}" if rec.techniques else ""])
        dt.note = step_shares_text(d)
        out.append(dt)
        if d.notes:  # on the console under the verdict; the page showed them only inside the folded JSON
            out.append(Table("diagnosis notes", ["note"], [[n] for n in d.notes]))
    return out + _warnings_tables(r.contention, [f"NOT FINITE: {r.nonfinite} (--allow-nonfinite)"] if r.nonfinite
                                  else [])


_LAYOUT_COLS = ("tp", "pp", "dp", "cp", "ep", "vp", "mbs", "m", "zero")


def _layout_cells(row: Any) -> list[str]:
    """A LayoutRow's layout columns, then what it recomputes as the console prints it ('full 24', 'none+mlp')."""
    return [*[_g(getattr(row.layout, k)) for k in _LAYOUT_COLS], row.recompute_text]


def _layout_table(title: str, rows: list[Any], tags: dict[str, str], extra: list[str]) -> Table:
    """`rows` (LayoutRow) with the hsdp / etp columns `extra` names (plan_warnings.layout_extra_columns: one set for
    every layout table of the result, as the console's)."""
    cut = _LAYOUT_COLS.index("ep") + 1  # the extra columns follow ep, where the console puts them
    heads = ["hardware", "devices", *_LAYOUT_COLS[:cut], *extra, *_LAYOUT_COLS[cut:], "recompute", "step", "MFU",
             "mem/dev", "time to train", "cost", "energy", "carbon"]
    t = Table(title, heads, est_cols=set(range(len(heads) - 7, len(heads))))
    for x in rows:
        hw = f"{x.hardware} ({tags[x.hardware]})" if tags.get(x.hardware) else x.hardware  # CurveBasis.tag
        cells = _layout_cells(x)  # the layout columns, then the recompute text
        more = [_g(v) if (v := getattr(x.layout, c)) else "-" for c in extra]
        t.rows.append([hw, q(x, "devices"), *cells[:cut], *more, *cells[cut:],
                       *[q(x, k) for k in ("step_time_s", "mfu", "mem_total_bytes", "train_time_s", "cost_usd",
                                           "energy_j", "carbon_kg")]])
    return t


def _plan_tables(r: Any) -> list[Table]:
    s = Table("search", ["", "value"])
    s.rows += [["model", r.model], ["tokens", q(r, "tokens")], ["seq len", q(r, "seq_len")],
               ["global batch (sequences)", q(r, "global_batch_seqs")], ["dtype", r.dtype],
               ["software stack", r.stack], ["schedule", r.schedule],
               # the flags given, as the console's headline names them (plan_warnings.flags_text; uttrialC)
               ["flags", plan_warnings.flags_text(r).removeprefix(", ") or "none"],
               ["objective", r.objective], ["candidates", q(r, "candidates")],
               ["feasible", q(r, "feasible")],
               ["dropped", ", ".join(f"{k}: {v:,}" for k, v in r.dropped.items() if v) or "none"],
               ["search time", q(r, "search_s")]]
    tags = {b.device: b.tag for b in r.calibration_basis}
    extra = plan_warnings.layout_extra_columns(r.best, r.pareto_front, r.closest_by_memory, r.closest_to_limits)
    out = [s, _layout_table(f"best {len(r.best)} by {r.objective}", r.best, tags, extra),
           _layout_table("Pareto front: time, cost, energy", r.pareto_front, tags, extra)]
    if r.closest_by_memory:  # none fits (the command exits 2): the console lists these instead
        out.insert(1, _layout_table("closest to fitting memory (none fits)", r.closest_by_memory, tags, extra))
    if r.closest_to_limits:  # they fit memory, none meets --deadline / --budget-usd (exit 2), as the console
        out.insert(1, _layout_table("closest to --deadline / --budget-usd (they fit memory, none meets the limits)",
                                    r.closest_to_limits, tags, extra))
    if r.calibration_basis:
        out.append(Table("calibration basis", ["device", "basis"], [[b.device, b.text] for b in r.calibration_basis]))
    return _console_lines_tables(plan_warnings.training_lines(r)) + out + _notes_tables(r.notes)


def _console_lines_tables(lines: list[str]) -> list[Table]:
    """The warnings and defaults the console prints beside a plan (report.plan_warnings: the same lines), as text."""
    return [Table("warnings and defaults used", ["as the console prints them"], [[x] for x in lines])] if lines else []


def _notes_tables(notes: list[str]) -> list[Table]:
    """The lines the console prints under the tables (a --seq-len beyond the model's positions, an objective
    without its figure, a default taken): a table of their own, not only inside the JSON dump."""
    return [Table("notes", ["note"], [[n] for n in notes])] if notes else []


def _plan_workload_tables(r: Any) -> list[Table]:
    unit = "samples (no seq_len)" if r.tokens_per_sample == 1 else f"tokens ({r.tokens_per_sample:,} per sample)"
    t = Table(f"{r.workload}: data parallel + ZeRO ({r.stack} stack), time to train on {r.tokens:,.0f} {unit}",
              ["hardware", "dp", "zero", "fits", "step", "MFU", "mem/dev", "time to train", "cost", "energy"],
              estimate=True)
    for x in r.layouts:
        t.rows.append([x.hardware, q(x, "dp"), q(x, "zero"), _g(x.fits),
                       *[q(x, k) for k in ("step_time_s", "mfu", "mem_total_bytes", "train_time_s", "cost_usd",
                                           "energy_j")]])
    # the defaults used, as the console prints them: link figures the specs lack, then the notes
    lines = [*r.input_warnings, *plan_warnings.assumed_lines(r.assumed)]
    return [*_console_lines_tables(lines), t, *_notes_tables(r.notes)]


def _explain_tables(r: Any) -> list[Table]:
    head = Table(f"{r.model} on {r.prediction.devices} x {r.hardware}: layout",
                 [*_LAYOUT_COLS, "recompute", "feasible", "calibration", "stack"],
                 note=f"as the console's headline: {plan_warnings.explain_layout_text(r)}")
    basis = r.calibration_basis
    cal = f"{r.calibration} ({basis.tag})" if basis and basis.tag else r.calibration
    head.rows.append([*_layout_cells(r.prediction), _g(r.feasible), cal, r.stack])
    t = Table("step-time and memory arithmetic", ["term", "value", "formula"], est_cols={1})
    t.rows = [[x.name, str(x.quantity), x.formula] for x in r.terms if not x.is_input]
    inp = Table("inputs", ["input", "value", "meaning"])
    inp.rows = [[x.name, str(x.quantity), x.formula] for x in r.terms if x.is_input]
    out = [head, t, inp]
    if r.gemm_curve is not None:  # the headline's eff(F), from the result's own figures (documents before v19: none)
        c = r.gemm_curve
        curve = Table("GEMM efficiency curve", ["GEMMs", "eff_max (fraction of peak)", "half-size point", "curve"],
                      note="eff(F) = eff_max F / (F + half-size point), F a GEMM's FLOPs: the fraction of the peak "
                      "a GEMM of F FLOPs reaches (calibration family " + r.calibration + ")")
        curve.rows.append(["16-bit", f"{c.eff_max}", fmt_count(c.half_flop) + " FLOP",
                           plan_warnings.gemm_curve_text(replace(c, linear_dtype=None), r.fp8_recipe)])
        if c.linear_dtype:
            curve.rows.append([f"{c.linear_dtype} linear layers", f"{c.linear_eff_max}",
                               fmt_count(c.linear_half_flop) + " FLOP",
                               plan_warnings.gemm_curve_text(c, r.fp8_recipe).split("; ", 1)[1]])
        out.append(curve)
    if basis:
        out.append(Table("calibration basis", ["device", "basis"], [[basis.device, basis.text]]))
    if r.infeasible_because:
        out.append(Table("infeasible because", ["reason"], [[w] for w in r.infeasible_because]))
    return _console_lines_tables(plan_warnings.training_lines(r)) + out + _notes_tables(r.notes)


def _serve_tables(r: Any) -> list[Table]:
    out = []
    for s in r.results:
        rate_heads, rate_cells = plan_warnings.serve_rate_columns(s.points)
        heads = [*rate_heads, *plan_warnings.serve_point_heads(s.points)]  # the console's
        p50 = "TPOT P50" in heads  # --token-buckets: the median step
        pipe = plan_warnings.pp_microbatches_text(s.points)
        t = Table(f"{s.model} on {s.device} (tp={s.tp}, pp={s.pp}{pipe})", heads, estimate=True,
                  note=plan_warnings.serve_caption(s.max_batch, s.decode_ridge_batch, s.calibration, s.device)
                  + plan_warnings.serve_rate_caption(s.points))
        for p, rate in zip(s.points, rate_cells, strict=True):  # tokens/s as the console writes them (fmt_count)
            median = ([q(p, "tpot_p50_s") if p.tpot_p50_s is not None else "n/a"] if p50 else [])
            t.rows.append([*rate, q(p, "batch"), q(p, "ttft_s"), q(p, "tpot_s"), *median,
                           fmt_count(p.decode_tokens_per_s),
                           fmt_count(p.output_tokens_per_s_per_device), p.decode_step.bound,
                           q(p, "memory_bytes_per_device"), _g(p.fits), q(p, "usd_per_million_output_tokens"),
                           q(p, "energy_j_per_output_token")])
        out.append(t)
        m0 = s.points[0].moe
        if m0 is not None and m0.dense:  # attention-DP replicas of a dense model: no expert figures to show
            t.note += "; " + "; ".join(m0.assumptions)
        elif m0 is not None:
            out.append(_serve_moe_table(s))
        if s.points[0].lengths_run is not None:  # --lengths: the requests' latency distributions
            out.extend(Table(plan_warnings.serve_lengths_title(p), list(plan_warnings.SERVE_LENGTHS_COLUMNS),
                             plan_warnings.serve_lengths_rows(p), estimate=True) for p in s.points)
    if r.errors:
        out.append(Table("infeasible devices and requests", ["device", "problem", "fix"],
                         [[e.device, e.problem, e.fix] for e in r.errors]))
    legend = plan_warnings.serve_legend(any(p.tpot_p50_s is not None for s in r.results for p in s.points))
    return (_console_lines_tables(plan_warnings.serve_lines(r)) + out + _notes_tables(r.notes)
            + [Table("what the columns mean", ["as the console prints it under its tables"], [[legend]])])


def _serve_moe_table(s: Any) -> Table:
    """Expert / attention-data parallelism figures per point (serving_moe.MoEServing)."""
    m0 = s.points[0].moe
    t = Table(f"{s.model} on {s.device}: expert parallelism ep={m0.ep}, attention DP {m0.attention_dp}",
              list(plan_warnings.SERVE_MOE_COLUMNS), estimate=True,
              note="; ".join((f"expert TP {m0.expert_tp}, {m0.experts_per_device:g} experts per device "
                              f"({m0.redundant_experts} redundant), two-batch overlap "
                              f"{'on' if m0.two_batch_overlap else 'off'}, load imbalance "
                              f"{m0.expert_load_imbalance:g}", f"experts read: {m0.routing}", *m0.assumptions)))
    t.rows.extend(plan_warnings.serve_moe_cells(p) for p in s.points)  # the console's cells
    return t


def _validate_tables(r: Any) -> list[Table]:
    from accelopt.predict.validation import (  # the console's lines, word for word
        assumed_lines,
        calibration_lines,
        large_miss_notes,
        memory_line,
        params_lines,
        slow_figure_line,
    )

    t = Table("published vs predicted step time", ["run", "source", "family", "stack", "dtype", "hardware", "devices",
                                                   "published", "predicted", "error", "util.", "pub. util.",
                                                   "pred. util.", "role"], est_cols={8, 9, 12})
    for x in r.runs:  # the console's columns (cli/validate.py)
        t.rows.append([x.id, x.source, x.family_text, x.stack, x.dtype, x.hardware, q(x, "devices"),
                       q(x, "published_step_s"), q(x, "predicted_step_s"), f"{100 * x.error:+.1f}%", x.utilization,
                       q(x, "published_mfu"), q(x, "predicted_mfu"), "fit" if x.fitted else "test"])
    t.note = (f"median |error| on held-out runs {q(r, 'median_abs_error_held_out')}; "
              f"all runs {q(r, 'median_abs_error_all')}")
    out = [t, *error_group_tables(r, "runs")]
    notes = [[x.id, f"{100 * x.error:+.1f}%", x.note] for x in large_miss_notes(r.runs)]
    if notes:
        out.append(Table("why a held-out run misses by more than 25%", ["run", "error", "note"], notes))
    lines = (*params_lines(r), slow_figure_line(r.runs), memory_line(r.runs), *calibration_lines(r.runs),
             *assumed_lines(r.runs), *r.input_notes)
    return out + _console_lines_tables([ln for ln in lines if ln])


def error_group_tables(r: Any, what: str) -> list[Table]:
    """The held-out |error| tables by source, family and precision (the console's: cli/validate.print_error_groups)
    of a result with by_source, by_family and by_precision; `what`: 'runs' (validate), 'rows' (validate
    --inference)."""
    out = []
    for title, groups in (("source", r.by_source), ("family", r.by_family), ("precision", r.by_precision)):
        g = Table(f"held-out |error| by {title}", [title, f"held-out {what}", "median", "worst", f"worst {what[:-1]}"])
        for x in groups:
            g.rows.append([x.group, q(x, "held_out_runs"), q(x, "median_abs_error"), q(x, "worst_abs_error"),
                           x.worst_run])
        out.append(g)
    return out


def _sim_run_tables(r: Any) -> list[Table]:
    d = r.design
    dt = Table(f"design {d.name}", ["field", "value", "source"])
    for f in dataclasses.fields(d):
        if f.name in ("name", "description", "sources"):
            continue
        v = getattr(d, f.name)
        shown = _design_input(d, f.name) if f.metadata.get("unit") else _g(v)
        if f.name == "dram_bandwidth_byte_per_s" and d.unlimited_bandwidth:
            shown = "unlimited (no bandwidth stalls)"  # inf, which q() shows as n/a
        source = d.sources.get(f.name, "")
        if f.name == "vdd_v" and v is None:  # the energies used the node's nominal supply, as the console says
            shown, source = q(r.energy_scaling, "vdd_v"), "default: the node's nominal supply (PTM)"
        dt.rows.append([f.name, shown, source])
    for name in type(d).DERIVED_UNITS:
        dt.rows.append([name, q(d, name) if not callable(getattr(d, name)) else fmt(getattr(d, name)(),
                                                                                      unit_of(d, name)), "derived"])
    # the console's columns (cli.simulate._LAYER_COLUMNS): 'cycles' were the compute cycles alone
    lt = Table(f"layers ({r.source})", ["layer", "MxNxK", "rep", "compute cycles", "stall", "util", "DRAM",
                                        "energy"], est_cols={6, 7})
    for x in r.layers:
        lt.rows.append([x.name, f"{x.m}x{x.n}x{x.k}", q(x, "repeats"), q(x, "compute_cycles"),
                        q(x, "stall_cycles"), q(x, "utilization"), q(x, "dram_bytes"), q(x, "energy_j")])
    t = r.totals
    tt = Table("totals", ["", "value"])
    for f in dataclasses.fields(t):
        if f.name == "energy_breakdown":
            e = t.energy_breakdown
            tt.rows += [[f"energy, {_ENERGY_PART_NAMES[g.name]} (J, estimate)", q(e, g.name)]
                        for g in dataclasses.fields(e)]
            continue
        tt.rows.append([_total_label(t, f), q(t, f.name)])
    scaling = f"On-chip energies: {r.energy_scaling.scaled_text()}."  # as the console's footer says it
    need = (f"The DRAM bandwidth needed, {fmt_byte_per_s(t.bandwidth_needed_byte_per_s)}, is for no "
            f"{stalls_left(r)}.")  # the console's DRAM line says it so
    tt.note = " ".join([*r.notes, need, scaling])
    return [dt, tt, lt]


def _design_input(d: Any, name: str) -> str:
    """A design field as the user wrote it: the clock in MHz, as the console's design line prints it, and any figure
    the display rounds (3 digits, binary prefixes) followed by its exact value. The page read '1.4 GHz' for edge-npu's
    1395.2 MHz and 'dram_bytes 29.8 GiB' beside the source's '32 GB' (32e9 B): not the design's figures (ut4sim)."""
    v, u = getattr(d, name), unit_of(d, name)
    shown = q(d, name)
    if not isinstance(v, int | float) or isinstance(v, bool) or v != v or v in (float("inf"), float("-inf")):
        return shown
    if u == "Hz":  # cli/simulate.py prints f"{d.clock_hz / 1e6:g} MHz"
        shown = f"{v / 1e6:g} MHz"
        read: float | None = float(f"{v / 1e6:g}") * 1e6
    else:
        parsed = parse_quantity(shown)
        read = parsed.value if parsed is not None else None
    if u in ("B", "B/s", "s", "Hz") and (read is None or abs(read - v) > 1e-9 * abs(v)):
        exact = f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"
        shown += f" ({exact} {u})"
    return shown


# SimTotals' fields as the console's `simulate run` summary names them (cli/simulate.py: 'total: ... MACs, ...
# cycles (... stall), latency ..., achieved ...'; 'DRAM* ... needs ... for no bandwidth stalls'); the page showed the
# raw field names (latency_s, achieved_op_per_s)
_TOTAL_NAMES = {"layers": "layers", "macs": "MACs", "ops": "operations",
                "compute_cycles": "compute cycles", "stall_cycles": "stall cycles", "total_cycles": "total cycles",
                "latency_s": "latency", "utilization": "utilization", "achieved_op_per_s": "achieved",
                "dram_bytes": "DRAM traffic", "dram_read_bytes": "DRAM reads", "dram_write_bytes": "DRAM writes",
                "dram_psum_spill_bytes": "DRAM partial-sum spills",
                "bandwidth_needed_byte_per_s": "DRAM bandwidth needed for no bandwidth stalls",
                "sram_reads": "SRAM reads", "sram_writes": "SRAM writes", "energy_j": "energy",
                "tops_per_w": "TOPS/W", "intensity_op_per_dram_byte": "intensity"}
_ENERGY_PART_NAMES = {"mac_j": "MAC", "register_j": "register", "sram_j": "SRAM", "dram_j": "DRAM"}


def _total_label(t: Any, f: dataclasses.Field[Any]) -> str:
    """'latency (s)', 'DRAM traffic (B, estimate)': the console's name of a SimTotals field, its unit and whether
    it is an estimate (the field's doc says so); a field not named here keeps its own name."""
    u = unit_of(t, f.name)
    tags = ([u] if u and u not in ("count", "cycles", "fraction", "TOPS/W") else []) + (
        ["estimate"] if "estimate" in f.metadata.get("doc", "") else [])
    name = _TOTAL_NAMES.get(f.name, f.name)
    return f"{name} ({', '.join(tags)})" if tags else name


def _sim_published_tables(r: Any) -> list[Table]:
    if r.eyeriss is not None:
        return _eyeriss_tables(r.eyeriss)
    t = Table(f"{r.source}: int8 ResNet-50 frames/s, published vs predicted (convention {r.convention})",
              ["design", "array", "conv buffer", "SDRAM", "published", "predicted", "error", "utilization"],
              est_cols={5, 7})
    for c in r.nvdla:
        d = c.design
        t.rows.append([d.name, f"{d.rows}x{d.cols}", fmt(d.ifmap_sram_bytes + d.filter_sram_bytes, "B"),
                       q(d, "dram_bandwidth_byte_per_s"), q(c, "published_frames_per_s"),
                       q(c, "predicted_frames_per_s"), f"{c.error:+.1%}", q(c, "utilization")])  # signed
    t.note = "; ".join(r.notes)
    return [t]


def _eyeriss_tables(e: Any) -> list[Table]:
    from accelopt.report.eyeriss_view import layer_cells, tolerance_text, total_cells

    # every column of the console's table, in its order (the page left out active PEs, raw DRAM and GLB), as two
    # tables that fit the page's width: time and power, then memory traffic
    t = Table(f"{e.source}: published vs predicted per layer, latency and power",
              ["layer", "latency pub. (ms)", "predicted", "error", "active PEs pub./pred.", "power pub. (mW)",
               "predicted", "error"], est_cols={2, 6})
    m = Table("published vs predicted per layer, memory traffic (MB = 1e6 bytes)",
              ["layer", "DRAM pub.", "predicted raw", "predicted RLC", "error", "GLB pub./pred."], est_cols={2, 3, 5})
    for x in e.layers:
        c = layer_cells(x)
        t.rows.append([c.layer, c.latency_ms, c.latency_ms_pred, c.latency_err, c.pes, c.power_mw, c.power_mw_pred,
                       c.power_err])
        m.rows.append([c.layer, c.dram_mb, c.dram_mb_raw, c.dram_mb_rlc, c.dram_err, c.glb_mb])
    m.note = (f"Table V's units (MB = 1e6 bytes), as the console prints them. tolerances stated before comparing: "
              f"{tolerance_text(e)}. " + " ".join(e.notes))
    tc = total_cells(e)
    s = Table("CONV1-5 at batch 4", ["", "published", "predicted", "error"], est_cols={2})
    s.rows += [["frames/s", tc.fps, tc.fps_pred, tc.fps_err],
               ["power (mW)", tc.power_mw, tc.power_mw_pred, tc.power_err],
               ["DRAM accesses per MAC", tc.per_mac, tc.per_mac_pred, tc.per_mac_err]]
    return [t, m, s]


def _sim_sweep_tables(r: Any) -> list[Table]:
    heads = ["name", "rows", "cols", "dataflow", "SRAM each", "DRAM BW", "MAC units", "latency", "energy", "util",
             "TOPS/W"]
    t = Table(f"Pareto front of {r.evaluated} designs (base {r.base_design}; {r.source})",
              heads, est_cols={7, 8, 10}, note=" ".join(r.notes))  # latency: an estimate, as the key figure
    for p in r.pareto_front:
        t.rows.append([p.name, q(p, "rows"), q(p, "cols"), p.dataflow, q(p, "sram_bytes_each"),
                       _sweep_bandwidth(p), q(p, "macs"), q(p, "latency_s"), q(p, "energy_j"),
                       q(p, "utilization"), q(p, "tops_per_w")])
    return [t]


def _sweep_bandwidth(p: Any) -> str:
    """A point's DRAM bandwidth cell; an unlimited one (inf, null in the JSON) reads 'inf' as on the console and in
    the point's name ('...-infGBps'): q() showed it as n/a, a figure not known."""
    bw = p.dram_bandwidth_byte_per_s
    return "inf" if bw is None or bw == float("inf") else q(p, "dram_bandwidth_byte_per_s")


def _compare_tables(r: Any) -> list[Table]:
    devs = r.devices
    t = Table(f"compare (ratios vs {devs[0] if devs else '?'}), dtype {r.dtype}", ["metric", *devs, "formula"],
              note=r.note)
    for x in r.rows:
        cells = [fmt(v, x.unit) + (f" ({fmt_ratio(ratio)}x)" if i and ratio is not None else "")
                 for i, (v, ratio) in enumerate(zip(x.values, x.ratio_vs_first, strict=True))]
        t.rows.append([x.metric, *cells, x.formula or ""])
    src = Table("sources", ["device", "field", "source"])
    for dev, fields in r.sources.items():
        src.rows += [[dev, f, s] for f, s in fields.items()]
    return [t, src]


def _optimize_tables(r: Any) -> list[Table]:
    unit = "points" if r.quality_tolerance_unit == "points" else "% of baseline"
    t = Table(f"optimize — {r.name}, {r.mode}, {r.dtype}, {r.device}, batch {r.batch_size}",
              ["variant", "Pareto", "p50", "p99", "speed-up", "rounds", "gain up to (profile)", "throughput",
               "memory", "energy/step", "size", r.metric_label,
               f"worse by ({'points' if r.quality_tolerance_unit == 'points' else '%'})",  # the tolerance's unit
               "max |diff| (several outputs: the worst)", "top-1 agree (the scores)", "setup"])
    skipped = Table("not measured", ["variant", "status", "why"])
    for v in r.variants:
        if v.status not in ("measured", "quality-failure"):
            skipped.rows.append([v.name, v.status, v.reason])
            continue
        t.rows.append(_variant_row(v, r))
    rec = r.recommendation
    from accelopt.report.optimize_view import tolerance_text

    each = " (given, it bounds each output's drift too)" if r.output_tolerance else ""
    t.note = ((f"quality tolerance {r.quality_tolerance:g} {unit}{each}; " if r.metric is not None
               else tolerance_text(r) + "; ")
              + (f"recommendation: {rec.name} — {rec.reason}{_best_single(rec)}"
                 if rec is not None else "no recommendation (the run was interrupted)"))
    out = [t]
    from accelopt.report.optimize_view import OUTPUT_COLUMNS, output_caption, output_rows

    if rows := output_rows(r):  # each output against the baseline's, as the console's table
        out.append(Table("each output against the baseline's", list(OUTPUT_COLUMNS), rows, note=output_caption(r)))
    if skipped.rows:
        out.append(skipped)
    notes = Table("notes", ["variant", "note"])
    notes.rows = [[v.name, n] for v in r.variants for n in v.notes]
    notes.rows += [["run", n] for n in r.notes]
    if notes.rows:
        out.append(notes)
    return out


def _best_single(rec: Any) -> str:
    """'; best single technique inside the tolerance: bf16 1.49x', as the console says it: nothing when there is
    none (the page read 'best single technique: None') or when it is the recommendation itself."""
    if not rec.best_single or rec.best_single == rec.name:
        return ""
    from accelopt.report.optimize_view import ratio_text

    return f"; best single technique inside the tolerance: {rec.best_single} {ratio_text(rec.best_single_speedup)}"


def _variant_row(v: Any, r: Any) -> list[str]:
    """One measured variant of result `r`: its figures, each in the unit its field declares; its quality as the
    console shows it (the page's 3 significant digits read 85.4% for 85.35%, and nothing said OUT); its speed-up,
    rounds and bound as the console's ratios (units.fmt_ratio: the page read 348x, rounds 1.49x-404x, beside the
    console's 347.89x (1.49-403.76) and the reason's 347.89x)."""
    from accelopt.report.optimize_view import agreement_cell, quality_text, ratio_text, rounds_prefix
    from accelopt.units import fmt_ratio

    qual = v.quality
    several = qual is not None and len(getattr(qual, "outputs", None) or []) > 1  # the worst output's, named
    quality_cells = (["n/a"] * 4 if qual is None else
                     [quality_text(v, r), q(qual, "worse_by"), agreement_cell(v) if several else
                      q(qual, "max_abs_diff"), q(qual, "top1_agreement")])
    rounds = (f"{rounds_prefix(v)}{fmt_ratio(v.speedup_low)}-{fmt_ratio(v.speedup_high)}"
              if v.speedup_low is not None and v.speedup_high is not None else "n/a")
    return [v.name + ("" if v.measured else " (quality failure)"), "yes" if v.pareto else "",
            q(v, "step_time_p50_s"), q(v, "step_time_p99_s"), ratio_text(v.speedup), rounds,
            ratio_text(v.gain_bound) + (" ABOVE BOUND" if v.above_bound else ""), q(v, "samples_per_s"),
            q(v, "memory_bytes"), q(v, "energy_per_step_j") + (" (estimate)" if v.energy_is_estimate else ""),
            q(v, "size_bytes"), *quality_cells, q(v, "setup_s") if v.setup_s else "—"]  # no setup: as the console


def _validate_serving_tables(r: Any) -> list[Table]:
    from accelopt.predict.serving_validation import serving_memory_line  # the console's line, word for word

    t = Table("published vs predicted LLM serving", ["run", "source", "hardware", "model", "tp", "precision", "batch",
                                                     "metric", "published", "predicted", "error", "role"],
              est_cols={9, 10})
    for x in r.runs:
        t.rows.append([x.id, x.source, x.hardware, x.model, q(x, "tp"), x.precision, q(x, "batch"), x.metric,
                       fmt_count(x.published), fmt_count(x.predicted),
                       "n/a" if x.error is None else f"{100 * x.error:+.1f}%", x.role])
    t.note = (f"held-out median |error| {q(r, 'median_abs_error_held_out')}, worst "
              f"{q(r, 'worst_abs_error_held_out')} ({r.worst_held_out_id}); fit rows {q(r, 'median_abs_error_fit')}")
    g = Table("held-out |error| by source, device family and precision", ["by", "name", "rows", "median", "worst",
                                                                           "worst row"])
    for x in r.groups:
        g.rows.append([x.group, x.name, q(x, "rows"), q(x, "median_abs_error"), q(x, "worst_abs_error"), x.worst_id])
    out = [t, g]
    notes = [[x.id, "n/a" if x.error is None else f"{100 * x.error:+.1f}%", x.note] for x in r.runs if x.note]
    if notes:
        out.append(Table("notes on rows (why a row misses, or cannot be predicted)", ["run", "error", "note"], notes))
    out.append(Table("sources", ["key", "citation"], [[k, v] for k, v in r.sources.items()]))
    over = serving_memory_line(r.runs)
    return _console_lines_tables([*r.input_warnings, *([over] if over else [])]) + out


_TABLES: dict[str, Callable[[Any], list[Any]]] = {
    "probe": _probe_tables, "profile": _profile_tables, "optimize": _optimize_tables,
    "plan": _plan_tables, "plan-workload": _plan_workload_tables,
    "plan-explain": _explain_tables, "plan-serve": _serve_tables, "validate": _validate_tables,
    "simulate-run": _sim_run_tables, "simulate-sweep": _sim_sweep_tables, "catalog-compare": _compare_tables,
    "plan-infer": infer_view.infer_tables, "validate-inference": infer_view.validate_inference_tables,
    "validate-serving": _validate_serving_tables, "profile-partial": _profile_partial_tables,
    "simulate-published": _sim_published_tables,
    "profile-distributed": lambda r: _dist_view().html_tables(r),
    "profile-distributed-partial": lambda r: _dist_view().partial_html_tables(r)}


def _dist_view() -> Any:
    from accelopt.report import distributed_view

    return distributed_view


# ---------------------------------------------------------------- page
def _meta_rows(argv: list[str], run: dict[str, Any] | None) -> list[tuple[str, str]]:
    from accelopt.report.history import host, host_text, time_of_id, versions, versions_text

    # a history record (re-rendered) has its own; a run being written now ({"id": ...} or None) is this machine's
    record = run if run and "time" in run else None
    v = (record.get("versions") or {}) if record else versions()
    h = (record.get("host") or {}) if record else host()
    if record:
        when = _page_date(record["time"])
    else:  # the time the run was recorded at, as `history show` re-renders it (the page is written seconds later)
        drawn = time_of_id(str(run["id"])) if run and run.get("id") else None
        when = (drawn or _dt.datetime.now(_dt.timezone.utc)).isoformat(timespec="seconds")
    rows = [("command", "accelopt " + shlex.join(argv)), ("date (UTC)", str(when)),
            ("versions", versions_text(v)), ("host", host_text(h))]
    if run and run.get("id"):
        rows.append(("run id", f"{run['id']} (accelopt history show {run['id']})"))
    return rows


def _page_date(recorded: Any) -> str:
    """A history record's time ('2026-12-05T22:18:02.859080Z') as a run's own page writes its date
    ('2026-12-05T22:18:02+00:00'), so a re-rendered page reads as the first did; a time that does not parse is
    shown as recorded."""
    try:
        when = _dt.datetime.fromisoformat(str(recorded).replace("Z", "+00:00"))
    except ValueError:
        return str(recorded)
    if when.tzinfo is None:  # the store writes UTC; a naive time is taken as UTC, as the row's label says
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")


def render_html(kind: str, result: Any, *, title: str, argv: list[str], run: dict[str, Any] | None = None) -> str:
    """The whole page as one string, from the command's typed result (or its JSON document, loaded back
    through accelopt.report.schema). `run` (a history record) supplies the original date, versions and host."""
    from accelopt.report.jsonout import dumps, to_jsonable
    from accelopt.report.plots import plots_for

    document = to_jsonable(result)
    obj = typed(kind, result)
    parts = [f"<h1>{esc(title)}</h1>"]
    if obj is None:
        why = esc(other_version(document, kind), quote=False)  # element text: "accelopt's" stays readable
        parts.append(f'<div class="banner">{why}; only its JSON is shown. Re-run the command for the full page.</div>')
    if is_estimate(kind, obj):
        parts.append(f'<div class="banner">{EST} The figures on this page labelled estimate are predictions of a '
                     "model (roofline, memory and communication formulas with a fitted calibration), not "
                     "measurements.</div>")
    meta = "".join(f"<tr><th class='l'>{esc(k)}</th><td>{esc(v)}</td></tr>"
                   for k, v in _meta_rows(argv, run))
    parts.append(f'<div class="tw"><table class="meta">{meta}</table></div>')
    if obj is not None:
        parts += _body(kind, obj, plots_for)
    return _page(title, kind, parts, dumps(document), unfold=obj is None)


def _page(title: str, kind: str, parts: list[str], json_text: str, *, unfold: bool = False) -> str:
    """The page around `parts` (HTML already escaped): head, inline CSS, then the whole JSON document, folded, or
    `unfold`ed where it is all the page shows (a result of another version: its banner says only the JSON is shown,
    and the page showed a closed 'show' under it)."""
    parts = [*parts, f"<h2>full result (JSON)</h2><details{' open' if unfold else ''}><summary>show</summary><pre>"
                     f"{esc(json_text)}</pre></details>"]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            # kind: a stored run's command; the meta marks the page as accelopt's, which --html may replace
            # (userio._GENERATOR): keep it in the head, before </head>
            f'<meta name="generator" content="accelopt {esc(kind)}">'
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


def render_compare_html(doc: Any, *, argv: list[str]) -> str:
    """The page of `history compare A B --html`, from its typed document (report.history_documents.
    HistoryCompareDocument, the --json): both runs' command lines and subjects, the warnings the console prints,
    and the key figures side by side with B / A. The date, versions and host are this machine's (the page is
    made now); each run's own are on its page (accelopt history show ID --html)."""
    from accelopt.report.jsonout import dumps

    title = f"accelopt history compare: {doc.command}, B vs A"
    parts = [f"<h1>{esc(title)}</h1>"]
    if any(f.estimate for f in doc.figures):
        parts.append(f'<div class="banner">{EST} The figures labelled estimate are predictions of a model, not '
                     "measurements, on either side.</div>")
    meta = "".join(f"<tr><th class='l'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _meta_rows(argv, None))
    parts.append(f'<div class="tw"><table class="meta">{meta}</table></div>')
    sides = Table("runs compared", ["side", "run id", "command", "model", "mode", "device", "dtype"],
                  [[name, side.id, side.command_line, *(_g(getattr(side, n)) for n in ("model", "mode", "device",
                                                                                      "dtype"))]
                   for name, side in (("A", doc.a), ("B", doc.b))])
    parts.append(sides.to_html())
    warnings = doc.warning_lines()
    if warnings:
        parts.append(Table("warnings", ["as the console prints them"], [[w] for w in warnings]).to_html())
    parts.append(_compared_figures_html(doc))
    if getattr(doc, "validate", None) is not None:
        from accelopt.report.history_documents import validate_change_lines

        parts.append(Table("validate: what moved", ["as the console prints it"],
                           [[text] for text in validate_change_lines(doc.validate)]).to_html())
    return _page(title, "history-compare", parts, dumps(doc))


def _compared_figures_html(doc: Any) -> str:
    """The B vs A table; cells carry their role (class a, b, ratio) and the figure's unit, for a reader to check."""
    from accelopt.units import fmt_ratio

    rows = "".join(
        f'<tr class="cf"><td class="l">{esc(f.figure)}{EST if f.estimate else ""}</td>'
        f'<td class="a" data-unit="{esc(f.unit)}">{esc(fmt(f.a, f.unit))}</td>'
        f'<td class="b" data-unit="{esc(f.unit)}">{esc(fmt(f.b, f.unit))}</td>'
        f'<td class="ratio">{"n/a" if f.ratio_b_over_a is None else esc(fmt_ratio(f.ratio_b_over_a) + "x")}</td></tr>'
        for f in doc.figures)
    return (f'<h2>{esc(doc.command)}: B vs A</h2><div class="tw"><table class="compare"><tr><th class="l">figure</th>'
            f"<th>A</th><th>B</th><th>B / A</th></tr>{rows}</table></div>")


def _body(kind: str, obj: Any, plots_for: Callable[[str, Any], list[tuple[str, str]]]) -> list[str]:
    parts = []
    figs = key_figures(kind, obj)
    if figs:
        rows = "".join(f'<tr><td class="l">{esc(f.label)}{EST if f.estimate else ""}</td>'
                       f'<td class="kf" data-unit="{esc(f.unit)}">{esc(fmt(f.value, f.unit))}</td></tr>'
                       for f in figs)
        parts.append(f'<h2>key figures</h2><div class="tw"><table class="key"><tr><th class="l"></th><th>value</th>'
                     f"</tr>{rows}</table></div>")
    for caption, svg in plots_for(kind, obj):
        cap = esc(caption) + (EST if "estimate" in caption else "")
        parts.append(f"<figure>{svg}<figcaption>{cap}</figcaption></figure>")
    parts += [table.to_html() for table in _TABLES[kind](obj)] if kind in _TABLES else []
    return parts


def write_html(path: Path, kind: str, result: Any, *, title: str, argv: list[str],
               run: dict[str, Any] | None = None) -> Path:
    """Render and write the page; a bad path raises InputError (problem + fix)."""
    return write_page(path, lambda: render_html(kind, result, title=title, argv=argv, run=run))


def write_page(path: Path, render: Callable[[], str]) -> Path:
    """Check `path`, render the page and write it whole; a bad path raises InputError (problem + fix)."""
    from accelopt.userio import check_writable, write_text_whole

    path = Path(path).expanduser()
    check_writable(path, "--html", "report.html")
    text = render()
    try:
        write_text_whole(path, text)  # a rerun's Ctrl-C or full disk keeps the earlier page, not half of one
    except OSError as e:
        raise InputError(f"--html {str(path)!r} could not be written: {e.strerror or e}",
                         "choose a path in a folder you can write to") from e
    return path
