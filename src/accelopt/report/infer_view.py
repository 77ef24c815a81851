"""HTML tables, plots and key figures of `plan infer` (InferencePlan) and `validate --inference`
(ValidateInferenceResult) results.

Registered in report/html.py (_TABLES), report/plots.py (_PLOTTERS) and report/figures.py (_PICKERS) under the
kinds 'plan-infer' and 'validate-inference'. Nothing is computed here; numbers are picked from the typed result,
each shown in the unit its field declares. Imports of those modules are inside the functions (they import this one).
"""

from __future__ import annotations

from typing import Any

NOT_ASKED = "(!) = not the precision asked"
"""The legend of the '(!)' mark on a dtype cell, the console's and the page's one wording."""


def ranking_batch(r: Any) -> int:
    """The batch a plan's --latency-budget-ms is judged and its devices ranked at (inference.rank_devices: each
    device's smallest planned batch, the same for all): 1 by default, 8 with --batch 8,32 (the lines said 'at batch
    1' there)."""
    return int(r.devices[0].points[0].batch) if r.devices and r.devices[0].points else 1


def dtype_cell(dtype: str, requested: str) -> str:
    """A point's precision as the console's and the page's 'runs' column show it: 'int8 (!)' when the device runs
    a precision other than the one asked (the page showed a bare 'int8')."""
    return dtype if dtype == requested else f"{dtype} (!)"


# ---------------------------------------------------------------- tables
def infer_tables(r: Any) -> list[Any]:
    from accelopt.report.html import Table, q

    heads = ["device", "runs", "batch", "latency", "throughput", "memory", "fits", "J/inf", "efficiency", "W",
             "$/M inf", "weights streamed", "host ops"]
    from accelopt.predict.inference import ranked_text

    at = f"at batch {ranking_batch(r)}"
    note = (f"latency budget {q(r, 'latency_budget_s')} {at}: meet it, best first by {r.objective}: "
            f"{ranked_text(r)}" if r.latency_budget_s is not None else
            f"ranked by {r.objective} {at} (the smallest planned): {ranked_text(r)}")
    t = Table(f"{r.model}: inference per device and batch", heads, estimate=True, note=note)
    prec = Table("precision as each device runs it", ["device", "asked", "runs", "why", "quality risk"])
    for d in r.devices:
        p_ = d.precision
        if p_.run != p_.requested:
            prec.rows.append([d.device, p_.requested, p_.run, p_.reason, p_.quality_risk or "none (a wider dtype)"])
        for p in d.points:
            t.rows.append([d.device, dtype_cell(p.dtype, p_.requested), q(p, "batch"), q(p, "latency_s"),
                           q(p, "throughput_per_s"),
                           q(p, "memory_total_bytes"), "yes" if p.fits else "NO", q(p, "energy_per_inference_j"),
                           q(p, "inferences_per_j"), q(p, "power_w"), q(p, "cost_usd_per_million"),
                           q(p, "streamed_weights_bytes"), q(p, "host_ops")])
    out = [t]
    if prec.rows:
        t.note += f"; {NOT_ASKED} (the table 'precision as each device runs it' says why)"
        out.append(prec)
    return [*_infer_lines_tables(r), *out, *_infer_notes_tables(r)]


def _infer_lines_tables(r: Any) -> list[Any]:
    """The input warnings the console printed on stderr (a spec probed on a busy machine), first."""
    from accelopt.report.html import _console_lines_tables

    return _console_lines_tables(list(r.input_warnings))


def device_notes(devices: Any) -> dict[str, list[str]]:
    """Each device note once -> the devices it applies to, in order (the console's and the page's grouping)."""
    who: dict[str, list[str]] = {}
    for d in devices:
        for n in d.notes:
            who.setdefault(n, []).append(d.device)
    return who


def _infer_notes_tables(r: Any) -> list[Any]:
    """The notes the console prints under the table: the plan's, then each device's once with the devices it
    applies to (cli.plan_infer._print_notes), so a default or an 'uncalibrated' label is on the page too."""
    from accelopt.report.html import Table

    rows = [["run", n] for n in r.notes] + [[", ".join(names), n] for n, names in device_notes(r.devices).items()]
    return [Table("notes", ["for", "note"], rows)] if rows else []


def validate_inference_tables(r: Any) -> list[Any]:
    from accelopt.report.html import Table, error_group_tables, q
    from accelopt.units import fmt_count

    t = Table("published vs predicted inference", ["run", "hardware", "model", "metric", "published", "predicted",
                                                   "error", "role", "note"], est_cols={5, 6})
    for x in r.runs:
        t.rows.append([x.id, x.hardware, x.model, x.metric, fmt_count(x.published), fmt_count(x.predicted),
                       f"{100 * x.error:+.1f}%", "fit" if x.fitted else "test", x.note])
    t.note = (f"median |error| on held-out rows {q(r, 'median_abs_error_held_out')}; "
              f"worst held-out row: {r.worst_held_out}")
    return [*_infer_lines_tables(r), t, *error_group_tables(r, "rows")]


# ---------------------------------------------------------------- plots
def infer_plots(r: Any) -> list[tuple[str, str]]:
    """Latency vs energy per inference at the smallest batch, one point per device (log-log)."""
    from accelopt.report.figures import _num
    from accelopt.report.plots import _figure, plain_log_ticks, to_svg
    from accelopt.units import axis_scale, fmt_seconds

    raw = []
    for d in r.devices:
        if not d.points:
            continue
        p = d.points[0]
        lat, e = _num(p.latency_s), _num(p.energy_per_inference_j)
        if lat and e:
            raw.append((d.device, lat, e, bool(d.meets_budget)))
    if not raw:
        return []
    # axis units from the data (149 µs read '1.5x10^-1 ms' on an axis fixed to ms)
    budget = r.latency_budget_s
    ts, tu = axis_scale([x[1] for x in raw] + ([budget] if budget is not None else []), "s")
    es, eu = axis_scale([x[2] for x in raw], "J")
    pts = [(name, lat / ts, e / es, ok) for name, lat, e, ok in raw]
    fig = _figure(7.0, 4.5)
    ax = fig.add_subplot()
    for name, lat, e, ok in pts:
        ax.scatter([lat], [e], color="#2a7a2a" if (budget is None or ok) else "#d8513b", s=18)
        ax.annotate(name, (lat, e), fontsize=6, xytext=(3, 2), textcoords="offset points")
    if budget is not None:
        ax.axvline(budget / ts, color="black", lw=1, ls="--", label=f"budget {fmt_seconds(budget)}")
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax)
    batch = r.batches[0] if r.batches else 1
    ax.set_xlabel(f"latency at batch {batch} ({tu}, estimate)")
    ax.set_ylabel(f"energy per inference ({eu}, estimate)")
    return [(f"plan infer: latency vs energy per inference, {r.model} (estimates)", to_svg(fig))]


# ---------------------------------------------------------------- key figures
def infer_key_figures(r: Any) -> list[Any]:
    from accelopt.report.figures import KeyFigure, _f

    out = [KeyFigure("devices", float(len(r.devices)), "count"),
           KeyFigure("devices ranked" + (" (meet the budget)" if r.latency_budget_s is not None else ""),
                     float(len(r.ranked)), "count")]
    if r.unranked:  # 'devices ranked 0' alone read as a failure: say why a device has no place (utleft3)
        from accelopt.predict.inference import not_ranked_why

        out.append(KeyFigure(f"devices not ranked by {r.objective}, {not_ranked_why(r.objective)}",
                             float(len(r.unranked)), "count"))
    by_name = {d.device: d for d in r.devices}
    for name in r.ranked[:3]:
        p = by_name[name].points[0]
        out.append(_f(f"{name}: latency at batch {p.batch}", p, "latency_s", True))
        out.append(_f(f"{name}: energy per inference", p, "energy_per_inference_j", True))
    return out


def validate_inference_key_figures(r: Any) -> list[Any]:
    from accelopt.report.figures import KeyFigure, _f

    return [KeyFigure("rows", float(len(r.runs)), "count"),
            _f("median |error|, held-out rows", r, "median_abs_error_held_out", True),
            _f("median |error|, all rows", r, "median_abs_error_all", True)]
