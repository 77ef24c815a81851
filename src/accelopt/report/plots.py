"""Plots for the HTML report, drawn with matplotlib (Agg canvas, object API: no pyplot, no global state)
and returned as inline SVG text. Each plot reads the command's typed result (accelopt.report.schema); axis
units are picked from the data by accelopt.units.axis_scale.

`plots_for(kind, result)` returns [(caption, svg)]; a plot whose data is missing is left out.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Callable
from typing import Any

from accelopt import units
from accelopt.report import infer_view

_counter = itertools.count(1)
_SCALES = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def _scale(values: list[float]) -> tuple[float, str]:
    """(divisor, prefix) so that the largest |value| reads between 1 and 1000."""
    top = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=1.0)
    for s, p in _SCALES:
        if top >= s:
            return s, p
    return 1.0, ""


def _figure(width: float = 7.0, height: float = 3.6) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plain_log_ticks(ax: Any) -> None:
    """Log axes labelled in plain numbers (150, 0.05), not matplotlib's default 1.5x10^2 or LogFormatter's 5e-02:
    matplotlib still picks which ticks get a label; the axis unit is picked by accelopt.units.axis_scale."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return f"{x:g}" if super().__call__(x, pos) else ""

    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_formatter(PlainLogFormatter())
            axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def to_svg(fig: Any) -> str:
    """Inline SVG: no XML header, DOCTYPE or namespace URLs (HTML5 parses inline <svg> without them);
    element ids prefixed per figure so several plots in one page never share an id."""
    import warnings

    import matplotlib

    buf = io.StringIO()
    # svg.hashsalt: stable ids across runs; svg.fonttype 'path': glyphs drawn as paths, no font needed
    with matplotlib.rc_context({"svg.hashsalt": "accelopt", "svg.fonttype": "path"}), warnings.catch_warnings():
        # a user's device or model name in a script the font lacks ('模型-gpu') is drawn as boxes (the page's
        # tables spell it): not a 'UserWarning: Glyph 27169 missing from font(s)' line per glyph on stderr
        warnings.filterwarnings("ignore", r"Glyph \d+ .*missing from font", UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r'(<svg[^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"',
                 r'\1 width="\2pt" height="\3pt" style="max-width:100%;height:auto"', svg, count=1)
    pre = f"f{next(_counter)}-"
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{pre}\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{pre}\1"', svg)
    return re.sub(r"url\(#([^)]+)\)", rf"url(#{pre}\1)", svg)


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) else None


# ---------------------------------------------------------------- probe
def _probe_caption(r: Any, unit_name: str, drawn: bool) -> str:
    """A probe panel's caption, naming the catalog entry its grey bars come from, or saying why there are none (a
    caption 'vs catalog peak' over measured bars alone sent the reader looking for a peak that was not drawn)."""
    name = getattr(r, "catalog_name", None)
    if drawn:
        return f"probe: measured {unit_name} vs catalog peak ({name})" if name else \
            f"probe: measured {unit_name} vs catalog peak"
    why = (f"the {name} entry lists no peak for these figures" if name else
           "no catalog entry compared: --compare names one")
    return f"probe: measured {unit_name} (no catalog peak drawn: {why})"


def probe_plots(r: Any) -> list[tuple[str, str]]:
    """Measured median (p10-p90 whiskers) beside the catalog peak, one panel per unit; a log axis, so that a
    CPU's measured figure stays visible beside a datacenter peak a thousand times larger."""
    out = []
    for unit_name in ("FLOP/s", "B/s"):
        figs = [f for f in r.figures if f.unit == unit_name and _num(f.median)]
        if not figs:
            continue
        vals = [f.median for f in figs] + [f.catalog_peak for f in figs if _num(f.catalog_peak)]
        s, label = units.axis_scale(vals, unit_name)
        fig = _figure(7.0, 0.5 + 0.45 * len(figs) + 1.0)
        ax = fig.add_subplot()
        y = list(range(len(figs)))
        med = [f.median / s for f in figs]
        lo = [max(0.0, (f.median - (_num(f.p10) or f.median)) / s) for f in figs]
        hi = [max(0.0, ((_num(f.p90) or f.median) - f.median) / s) for f in figs]
        ax.barh([i + 0.2 for i in y], med, height=0.4, xerr=[lo, hi], color="#3b7dd8",
                label="measured (median, p10-p90)")
        peaks = [(_num(f.catalog_peak) or 0.0) / s for f in figs]
        if any(peaks):
            ax.barh([i - 0.2 for i in y], peaks, height=0.4, color="#bbbbbb", label="catalog peak (datasheet)")
        ax.set_xscale("log")
        ax.set_yticks(y, [f.metric for f in figs])
        ax.invert_yaxis()
        ax.set_xlabel(f"{label} (log scale)")
        fig.legend(loc="outside upper center", ncols=2, fontsize=8, frameon=False)
        out.append((_probe_caption(r, unit_name, any(peaks)), to_svg(fig)))
    return out


# ---------------------------------------------------------------- profile
def profile_plots(r: Any) -> list[tuple[str, str]]:
    out = []
    br = {k: v.median for k, v in r.breakdown.items() if _num(v.median) is not None}
    if br:
        s, u = units.axis_scale(list(br.values()), "s")
        fig = _figure(7.0, 0.8 + 0.4 * len(br))
        ax = fig.add_subplot()
        ax.barh(list(br), [v / s for v in br.values()], color="#3b7dd8")
        ax.invert_yaxis()
        ax.set_xlabel(f"median time per step ({u})")
        out.append(("profile: step-time breakdown by phase (instrumented pass)", to_svg(fig)))
    ops = [o for o in r.roofline if _num(o.intensity_flop_per_byte) and _num(o.attained_flop_per_s)]
    c = r.ceilings
    if ops and _num(c.peak_flop_per_s) and _num(c.memory_bandwidth_byte_per_s):
        out.append((f"profile: roofline of ops (intensity vs attained FLOP/s; roofs {c.source})",
                    _roofline(ops, c.peak_flop_per_s, c.memory_bandwidth_byte_per_s)))
    return out


def _roofline(ops: list[Any], peak: float, bw: float) -> str:
    xs = [o.intensity_flop_per_byte for o in ops]
    ys = [o.attained_flop_per_s for o in ops]
    lo, hi = min([*xs, peak / bw]) / 4, max([*xs, peak / bw]) * 4
    grid = [lo * (hi / lo) ** (i / 60) for i in range(61)]
    fig = _figure(7.0, 4.2)
    ax = fig.add_subplot()
    ax.plot(grid, [min(peak, bw * x) for x in grid], color="black", lw=1.2,
            label=f"roof: min(peak, bandwidth x intensity), ridge {peak / bw:.3g} FLOP/B")
    longest = max(o.time_s for o in ops) or 1.0
    sizes = [10 + 200 * o.time_s / longest for o in ops]
    ax.scatter(xs, ys, s=sizes, alpha=0.6, color="#d8513b", label="op (area ~ time)")
    for o in sorted(ops, key=lambda o: -o.time_s)[:6]:
        ax.annotate(o.op.removeprefix("aten::"), (o.intensity_flop_per_byte, o.attained_flop_per_s),
                    fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("attained FLOP/s")
    ax.legend(fontsize=8, loc="lower right")
    return to_svg(fig)


# ---------------------------------------------------------------- plan
def _colors(names: list[str]) -> dict[str, str]:
    palette = ["#3b7dd8", "#d8513b", "#3bb273", "#e1bc29", "#7768ae", "#888888", "#e07be0", "#2ab7ca"]
    return {n: palette[i % len(palette)] for i, n in enumerate(dict.fromkeys(names))}


def plan_plots(r: Any) -> list[tuple[str, str]]:
    """Pareto front and best layouts (or, for a profiled workload, every layout that fits): time to train vs
    cost and vs energy, colored by hardware."""
    given = [*r.pareto_front, *r.best] if hasattr(r, "best") else [x for x in r.layouts if x.fits]
    rows = [x for x in dict.fromkeys(given) if _num(x.train_time_s)]  # best and front overlap
    if not rows:
        return []
    col = _colors([x.hardware for x in rows])
    s, u = units.axis_scale([x.train_time_s for x in rows], "s")
    out = []
    for key, label in (("cost_usd", "cost"), ("energy_j", "energy")):
        pts = [x for x in rows if _num(getattr(x, key)) is not None]
        if not pts:
            continue
        div, yunit = units.axis_scale([getattr(x, key) for x in pts], units.unit_of(pts[0], key))
        fig = _figure(7.0, 4.0)
        ax = fig.add_subplot()
        for hw, c in col.items():
            sel = [x for x in pts if x.hardware == hw]
            if sel:
                ax.scatter([x.train_time_s / s for x in sel], [getattr(x, key) / div for x in sel], color=c,
                           label=hw, alpha=0.8)
        for x in pts:
            tag = x.devices if hasattr(x, "devices") else x.dp
            ax.annotate(f"{tag}", (x.train_time_s / s, getattr(x, key) / div), fontsize=6, xytext=(3, 2),
                        textcoords="offset points")
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        ax.set_xlabel(f"time to train ({u}, estimate)")
        ax.set_ylabel(f"{label} ({yunit}, estimate)")
        fig.legend(loc="outside right upper", fontsize=8, title="hardware\n(label: devices)", title_fontsize=8)
        missing = len(rows) - len(pts)
        note = f"; {missing} layout(s) without a {label} figure left out" if missing else ""
        what = "Pareto front and best layouts" if hasattr(r, "best") else "layouts that fit"
        out.append((f"plan: {what}, time vs {label} (estimates){note}", to_svg(fig)))
    return out


def explain_plots(r: Any) -> list[tuple[str, str]]:
    # fwd/bwd/... terms of the step (t_*_s but not the raw or per-microbatch ones) and memory components
    parts = [t for t in r.terms if t.unit == "s" and t.name.startswith("t_") and not t.name.endswith("raw_s")
             and t.name != "t_microbatch_s" and (_num(t.value) or 0) > 0]
    mem = [t for t in r.terms if t.unit == "B" and t.name.startswith("mem_")
           and t.name not in ("mem_total_bytes", "mem_capacity_bytes") and (_num(t.value) or 0) > 0]
    out = []
    if parts:
        s, u = units.axis_scale([t.value for t in parts], "s")
        fig = _figure(7.0, 0.8 + 0.35 * len(parts))
        ax = fig.add_subplot()
        ax.barh([t.name.removeprefix("t_").removesuffix("_s") for t in parts], [t.value / s for t in parts],
                color="#3b7dd8")
        ax.invert_yaxis()
        ax.set_xlabel(f"time per step ({u}, estimate)")
        out.append(("plan explain: step-time terms (estimates; fwd/bwd are per step, see formulas)", to_svg(fig)))
    if mem:
        cap = _num(r.prediction.mem_capacity_bytes)
        s, u = units.axis_scale([t.value for t in mem] + [cap], "B")
        fig = _figure(7.0, 0.8 + 0.35 * len(mem))
        ax = fig.add_subplot()
        ax.barh([t.name.removeprefix("mem_").removesuffix("_bytes") for t in mem], [t.value / s for t in mem],
                color="#3bb273")
        if cap:
            ax.axvline(cap / s, color="black", ls="--", lw=1,
                       label=f"device capacity {units.fmt_quantity(cap, 'B')}")
            fig.legend(loc="outside upper center", fontsize=8, frameon=False)
        ax.invert_yaxis()
        ax.set_xlabel(f"memory per device ({u}, estimate)")
        out.append(("plan explain: memory per device by component (estimates)", to_svg(fig)))
    return out


def serve_plots(r: Any) -> list[tuple[str, str]]:
    """TPOT vs output throughput per device, one line per device, each point labelled by what it was asked at: its
    batch, its concurrency (--concurrency) or its request rate (--rate, whose concurrency Little's law sets)."""
    res = [x for x in r.results if x.points]
    if not res:
        return []
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    col = _colors([x.device for x in res])
    tpots = [p.tpot_s for x in res for p in x.points]
    s, u = units.axis_scale(tpots, "s")
    for x in res:
        pts = [p for p in x.points if _num(p.tpot_s) and _num(p.output_tokens_per_s_per_device)]
        ax.plot([p.output_tokens_per_s_per_device for p in pts], [p.tpot_s / s for p in pts], marker="o",
                color=col[x.device], label=f"{x.device} (tp={x.tp}, pp={x.pp})")
        for p in pts:
            label = f"{p.request_rate_per_s:g}/s" if p.request_rate_per_s is not None else str(p.batch)
            ax.annotate(label, (p.output_tokens_per_s_per_device, p.tpot_s / s), fontsize=6,
                        xytext=(3, 2), textcoords="offset points")
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("output tokens/s per device (estimate)")
    ax.set_ylabel(f"time per output token ({u}, estimate)")
    p0 = res[0].points[0]
    what = ("request rate" if p0.request_rate_per_s is not None
            else "concurrency" if p0.scheduling == "continuous" else "batch")
    fig.legend(loc="outside right upper", fontsize=8, title=f"device\n(label: {what})", title_fontsize=8)
    return [(f"plan serve: latency (TPOT) vs throughput per {what if what != 'batch' else 'batch size'} (estimates)",
             to_svg(fig))]


# ---------------------------------------------------------------- validate
def validate_plots(r: Any) -> list[tuple[str, str]]:
    runs = [x for x in r.runs if _num(x.published_step_s) and _num(x.predicted_step_s)]
    if not runs:
        return []
    fig = _figure(5.5, 5.0)
    ax = fig.add_subplot()
    for fitted, label, c in ((True, "fitted (calibration)", "#bbbbbb"), (False, "held out (test)", "#d8513b")):
        sel = [x for x in runs if x.fitted == fitted]
        ax.scatter([x.published_step_s for x in sel], [x.predicted_step_s for x in sel], color=c, label=label)
    vals = [x.published_step_s for x in runs] + [x.predicted_step_s for x in runs]
    lo, hi = min(vals) / 1.5, max(vals) * 1.5
    ax.plot([lo, hi], [lo, hi], color="black", lw=1, label="y = x (exact)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("published step time (s)")
    ax.set_ylabel("predicted step time (s, estimate)")
    ax.legend(fontsize=8)
    return [("validate: predicted vs published step time", to_svg(fig))]


_SERVING_PANELS = (("token rate", "rate", "tok/s", lambda m: "tok_s" in m),
                   ("time", "time", "ms", lambda m: m.endswith("_ms")))
_ROLES = (("fit", "fitted (calibration)", "#bbbbbb", "#bbbbbb"), ("test", "held out (test)", "#d8513b", "#d8513b"),
          ("gap", "gap (not modelled as published)", "white", "#3b7dd8"))


def validate_serving_plots(r: Any) -> list[tuple[str, str]]:
    """Predicted against published serving figures with y = x, one log-log panel per unit (token rates in tok/s,
    TTFT/TPOT in ms: the runs file's metric names say which), fit / held-out / gap rows apart; a row without a
    prediction (a gap the model cannot express) is left out and counted in the caption."""
    out = []
    for what, short, unit, wanted in _SERVING_PANELS:
        rows = [x for x in r.runs if wanted(x.metric)]
        shown = [x for x in rows if _num(x.published) and _num(x.predicted) and x.published > 0 and x.predicted > 0]
        if not shown:
            continue
        fig = _figure(5.5, 5.0)
        ax = fig.add_subplot()
        for role, label, face, edge in _ROLES:
            sel = [x for x in shown if x.role == role]
            if sel:
                ax.scatter([x.published for x in sel], [x.predicted for x in sel], color=face, edgecolors=edge,
                           label=label, s=16)
        vals = [x.published for x in shown] + [x.predicted for x in shown]
        lo, hi = min(vals) / 1.5, max(vals) * 1.5
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, label="y = x (exact)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax)
        ax.set_xlabel(f"published {short} ({unit})")
        ax.set_ylabel(f"predicted {short} ({unit}, estimate)")
        ax.legend(fontsize=8)
        left = len(rows) - len(shown)
        count = f"{len(shown)} row{'s' if len(shown) != 1 else ''}" + (
            f"; {left} without a prediction, left out" if left else "")
        out.append((f"validate --serving: predicted vs published {what} ({count})", to_svg(fig)))
    return out


# ---------------------------------------------------------------- simulate
def simulate_run_plots(r: Any) -> list[tuple[str, str]]:
    layers = r.layers
    if not layers:
        return []
    fig = _figure(max(7.0, min(14.0, 0.16 * len(layers) + 2)), 4.6)
    ax = fig.add_subplot()
    x = list(range(len(layers)))
    comp = [float(lay.compute_cycles) * lay.repeats for lay in layers]
    stall = [float(lay.stall_cycles) * lay.repeats for lay in layers]
    s, p = _scale([a + b for a, b in zip(comp, stall, strict=True)])
    ax.bar(x, [c / s for c in comp], color="#3b7dd8", label="compute cycles")
    ax.bar(x, [c / s for c in stall], bottom=[c / s for c in comp], color="#e1bc29", label="stall cycles (DRAM)")
    ax.set_ylabel(f"cycles ({p}cycles, x repeats)" if p else "cycles (x repeats)")
    ax.set_xlabel("layer (in order)")
    step = max(1, len(layers) // 30)
    ax.set_xticks(x[::step], [lay.name for lay in layers][::step], rotation=90, fontsize=6)
    ax2 = ax.twinx()
    ax2.plot(x, [100 * lay.utilization for lay in layers], color="#d8513b", marker=".", lw=1, label="utilization")
    ax2.set_ylabel("utilization (%)")
    ax2.set_ylim(0, 105)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    # above the axes, never over the bars
    fig.legend(h1 + h2, l1 + l2, fontsize=8, loc="outside upper center", ncols=3, frameon=False)
    return [("simulate run: cycles and utilization per layer", to_svg(fig))]


def simulate_sweep_plots(r: Any) -> list[tuple[str, str]]:
    pts = [p for p in r.pareto_front if _num(p.latency_s) and _num(p.energy_j)]
    if not pts:
        return []
    fig = _figure(7.0, 4.0)
    ax = fig.add_subplot()
    col = _colors([p.dataflow for p in pts])
    ts, tu = units.axis_scale([p.latency_s for p in pts], "s")
    es, eu = units.axis_scale([p.energy_j for p in pts], "J")
    for df, c in col.items():
        sel = [p for p in pts if p.dataflow == df]
        ax.scatter([p.latency_s / ts for p in sel], [p.energy_j / es for p in sel], color=c, label=df)
    for p in pts:
        ax.annotate(f"{p.rows}x{p.cols}", (p.latency_s / ts, p.energy_j / es), fontsize=6, xytext=(3, 2),
                    textcoords="offset points")
    ax.set_xlabel(f"latency ({tu})")
    ax.set_ylabel(f"energy ({eu}, estimate)")
    fig.legend(loc="outside right upper", fontsize=8, title="dataflow\n(label: rows x cols)", title_fontsize=8)
    return [("simulate sweep: Pareto front, latency vs energy", to_svg(fig))]


# ---------------------------------------------------------------- catalog compare
def compare_plots(r: Any) -> list[tuple[str, str]]:
    """Grouped bars: each metric as a ratio against the first device (missing values left blank)."""
    devs = r.devices
    rows = [x for x in r.rows if any(_num(v) is not None for v in x.ratio_vs_first)]
    if len(devs) < 2 or not rows:
        return []
    fig = _figure(7.5, 1.0 + 0.32 * len(rows) * max(1, len(devs)) / 2)
    ax = fig.add_subplot()
    col = _colors(devs)
    h = 0.8 / len(devs)
    for j, d in enumerate(devs):
        ys = [i + (j - (len(devs) - 1) / 2) * h for i in range(len(rows))]
        vals = [_num(x.ratio_vs_first[j]) if j < len(x.ratio_vs_first) else None for x in rows]
        ax.barh([y for y, v in zip(ys, vals, strict=True) if v is not None], [v for v in vals if v is not None],
                height=h, color=col[d], label=d)
    ax.set_yticks(range(len(rows)), [x.metric for x in rows], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(f"ratio vs {devs[0]} (x, log scale; datasheet values)")
    fig.legend(loc="outside upper center", ncols=min(4, len(devs)), fontsize=8, frameon=False)
    return [(f"catalog compare: each metric relative to {devs[0]}", to_svg(fig))]


# ---------------------------------------------------------------- optimize
def optimize_plots(r: Any) -> list[tuple[str, str]]:
    """Pareto charts: quality against speed-up, memory and energy; front points filled, others hollow."""
    rows = [v for v in r.variants if v.measured and v.quality is not None and _num(v.quality.value) is not None
            and _num(v.speedup) is not None]
    if not rows:
        return _unscored_optimize_plots(r)
    # accuracy (a fraction) is plotted in percent; a loss as it is
    qmul, qname = (100.0, "%") if rows[0].quality.value_unit == "fraction" else (1.0, "")
    out = []
    for key in ("speedup", "memory_bytes", "energy_per_step_j"):
        pts = [v for v in rows if _num(getattr(v, key)) is not None]
        if not pts:
            continue
        u = units.unit_of(pts[0], key)
        div, axis_unit = units.axis_scale([getattr(v, key) for v in pts], u)
        label = {"speedup": "speed-up vs baseline", "memory_bytes": "memory",
                 "energy_per_step_j": "energy per step"}[key] + f" ({axis_unit})"
        fig = _figure(7.0, 3.8)
        ax = fig.add_subplot()
        for v in pts:
            x, y = getattr(v, key) / div, v.quality.value * qmul
            ax.scatter([x], [y], color="#3b7dd8" if v.pareto else "white", edgecolors="#3b7dd8", zorder=3)
            ax.annotate(v.name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(label)
        ax.set_ylabel(f"{r.metric} (held-out{', ' + qname if qname else ''})")
        ax.grid(alpha=0.3)
        out.append((f"optimize: {r.metric} vs {label} (filled = on the Pareto front)", to_svg(fig)))
    return out


def _unscored_optimize_plots(r: Any) -> list[tuple[str, str]]:
    """Without a quality figure (a model with no eval_batches) the page drew no chart at all: memory and energy
    per step against the speed-up, the front the table's Pareto column marks on those objectives alone."""
    rows = [v for v in r.variants if v.measured and _num(v.speedup) is not None]
    out = []
    for key in ("memory_bytes", "energy_per_step_j"):
        pts = [v for v in rows if _num(getattr(v, key)) is not None]
        if not pts:
            continue
        div, axis_unit = units.axis_scale([getattr(v, key) for v in pts], units.unit_of(pts[0], key))
        what = {"memory_bytes": "memory", "energy_per_step_j": "energy per step"}[key]
        fig = _figure(7.0, 3.8)
        ax = fig.add_subplot()
        for v in pts:
            x, y = v.speedup, getattr(v, key) / div
            ax.scatter([x], [y], color="#3b7dd8" if v.pareto else "white", edgecolors="#3b7dd8", zorder=3)
            ax.annotate(v.name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("speed-up vs baseline (x)")
        ax.set_ylabel(f"{what} ({axis_unit})")
        ax.grid(alpha=0.3)
        out.append((f"optimize: {what} vs speed-up (quality not measured: no quality axis; filled = on the Pareto "
                    "front)", to_svg(fig)))
    return out


_PLOTTERS: dict[str, Callable[[Any], list[tuple[str, str]]]] = {
    "probe": probe_plots, "profile": profile_plots, "optimize": optimize_plots, "plan": plan_plots,
    "plan-workload": plan_plots, "plan-explain": explain_plots,
    "plan-serve": serve_plots, "validate": validate_plots, "validate-serving": validate_serving_plots,
    "simulate-run": simulate_run_plots,
    "simulate-sweep": simulate_sweep_plots, "catalog-compare": compare_plots,
    "plan-infer": infer_view.infer_plots,
    "profile-distributed": lambda r: _dist_view().html_plots(r)}


def _dist_view() -> Any:
    from accelopt.report import distributed_view

    return distributed_view


def plots_for(kind: str, result: Any) -> list[tuple[str, str]]:
    """[(caption, inline svg)] for a typed result of `kind`; empty for kinds without plots."""
    plotter = _PLOTTERS.get(kind)
    return plotter(result) if plotter else []
