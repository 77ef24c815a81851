"""HTML tables, plots and key figures of `plan infer` and `validate --inference` results (their --json documents).

Registered in report/html.py (_TABLES), report/plots.py (_PLOTTERS) and report/figures.py (_PICKERS) under the
kinds 'plan-infer' and 'validate-inference'. Nothing is computed here; numbers are picked from the result.
Imports of those modules are inside the functions (they import this one).
"""

from __future__ import annotations

from typing import Any


def _num(x: Any) -> float | None:
    import math

    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) else None


def _opt(x: Any, unit: str) -> str:
    from accelopt.report.figures import fmt

    return fmt(_num(x), unit)


# ---------------------------------------------------------------- tables
def infer_tables(r: dict[str, Any]) -> list[Any]:
    from accelopt.report.html import Table, _g

    heads = ["device", "runs", "batch", "latency", "inf/s", "memory", "fits", "J/inf", "inf/J", "W", "$/M inf",
             "weights streamed", "host ops"]
    budget = r.get("latency_budget_s")
    note = (f"latency budget {_opt(budget, 's')} at batch 1: meet it, best first by {r.get('objective')}: "
            f"{', '.join(r.get('ranked', [])) or 'none'}" if budget is not None else
            f"ranked by {r.get('objective')} at the smallest batch: {', '.join(r.get('ranked', []))}")
    t = Table(f"{r.get('model')}: inference per device and batch", heads, estimate=True, note=note)
    prec = Table("precision as each device runs it", ["device", "asked", "runs", "why", "quality risk"])
    for d in r.get("devices", []):
        p_ = d.get("precision") or {}
        if p_.get("run") != p_.get("requested"):
            prec.rows.append([str(d.get("device")), str(p_.get("requested")), str(p_.get("run")),
                              str(p_.get("reason")), str(p_.get("quality_risk") or "none (a wider dtype)")])
        for p in d.get("points", []):
            t.rows.append([str(d.get("device")), str(p.get("dtype")), _g(p.get("batch")), _opt(p.get("latency_s"), "s"),
                           _g(p.get("throughput_per_s")), _opt(p.get("memory_total_bytes"), "B"),
                           "yes" if p.get("fits") else "NO", _opt(p.get("energy_per_inference_j"), "J"),
                           _g(p.get("inferences_per_j")), _opt(p.get("power_w"), "W"),
                           _opt(p.get("cost_usd_per_million"), "USD"), _opt(p.get("streamed_weights_bytes"), "B"),
                           _g(p.get("host_ops"))])
    out = [t]
    if prec.rows:
        out.append(prec)
    return out


def validate_inference_tables(r: dict[str, Any]) -> list[Any]:
    from accelopt.report.figures import fmt
    from accelopt.report.html import Table

    t = Table("published vs predicted inference", ["run", "hardware", "model", "metric", "published", "predicted",
                                                   "error", "role", "note"], est_cols={5, 6})
    for x in r.get("runs", []):
        err = _num(x.get("error"))
        t.rows.append([str(x.get("id")), str(x.get("hardware")), str(x.get("model")), str(x.get("metric")),
                       f"{x.get('published'):g}", f"{x.get('predicted'):.3g}",
                       f"{100 * err:+.1f}%" if err is not None else "n/a", "fit" if x.get("fitted") else "test",
                       str(x.get("note") or "")])
    t.note = (f"median |error| on held-out rows {fmt(_num(r.get('median_abs_error_held_out')), 'fraction')}; "
              f"worst held-out row: {r.get('worst_held_out')}")
    return [t]


# ---------------------------------------------------------------- plots
def infer_plots(r: dict[str, Any]) -> list[tuple[str, str]]:
    """Latency vs energy per inference at the smallest batch, one point per device (log-log)."""
    from accelopt.report.plots import _figure, to_svg

    pts = []
    for d in r.get("devices", []):
        p = (d.get("points") or [{}])[0]
        lat, e = _num(p.get("latency_s")), _num(p.get("energy_per_inference_j"))
        if lat and e:
            pts.append((str(d.get("device")), lat * 1e3, e, bool(d.get("meets_budget"))))
    if not pts:
        return []
    fig = _figure(7.0, 4.5)
    ax = fig.add_subplot()
    budget = _num(r.get("latency_budget_s"))
    for name, lat, e, ok in pts:
        ax.scatter([lat], [e], color="#2a7a2a" if (budget is None or ok) else "#d8513b", s=18)
        ax.annotate(name, (lat, e), fontsize=6, xytext=(3, 2), textcoords="offset points")
    if budget is not None:
        ax.axvline(budget * 1e3, color="black", lw=1, ls="--", label=f"budget {budget * 1e3:g} ms")
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    batch = (r.get("batches") or [1])[0]
    ax.set_xlabel(f"latency at batch {batch} (ms, estimate)")
    ax.set_ylabel("energy per inference (J, estimate)")
    return [(f"plan infer: latency vs energy per inference, {r.get('model')} (estimates)", to_svg(fig))]


# ---------------------------------------------------------------- key figures
def infer_key_figures(r: dict[str, Any]) -> list[Any]:
    from accelopt.report.figures import KeyFigure

    out = [KeyFigure("devices", float(len(r.get("devices", []))), "count"),
           KeyFigure("devices ranked" + (" (meet the budget)" if r.get("latency_budget_s") is not None else ""),
                     float(len(r.get("ranked", []))), "count")]
    by_name = {d.get("device"): d for d in r.get("devices", [])}
    for name in list(r.get("ranked", []))[:3]:
        p = (by_name[name].get("points") or [{}])[0]
        out.append(KeyFigure(f"{name}: latency at batch {p.get('batch')}", _num(p.get("latency_s")), "s", True))
        out.append(KeyFigure(f"{name}: energy per inference", _num(p.get("energy_per_inference_j")), "J", True))
    return out


def validate_inference_key_figures(r: dict[str, Any]) -> list[Any]:
    from accelopt.report.figures import KeyFigure

    return [KeyFigure("rows", float(len(r.get("runs", []))), "count"),
            KeyFigure("median |error|, held-out rows", _num(r.get("median_abs_error_held_out")), "fraction", True),
            KeyFigure("median |error|, all rows", _num(r.get("median_abs_error_all")), "fraction", True)]
