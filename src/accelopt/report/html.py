"""One self-contained HTML page per result: inline CSS, inline SVG plots, no external links, scripts or fonts.

The page shows the command line, versions, date, the key figures, plots (accelopt.report.plots), the
result's main tables and, folded, the whole JSON result. Every figure that the result marks as a
prediction or model estimate carries an "estimate" label.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelopt.errors import InputError
from accelopt.report import infer_view
from accelopt.report.figures import fmt, is_estimate, key_figures, path_unit

EST = '<span class="est">estimate</span>'

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
.meta td{text-align:left}.note{color:#555;font-size:.85rem}
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
        title = html.escape(self.title) + (EST if self.estimate else "")
        heads = "".join(f'<th class="{"l" if i == 0 else ""}">{html.escape(h)}{EST if i in self.est_cols else ""}'
                        "</th>" for i, h in enumerate(self.headers))
        body = "".join("<tr>" + "".join(f'<td class="{"l" if i == 0 or _is_text(c) else ""}">{html.escape(c)}</td>'
                                        for i, c in enumerate(row)) + "</tr>" for row in self.rows)
        note = f'<p class="note">{html.escape(self.note)}</p>' if self.note else ""
        return f"<h2>{title}</h2><table><tr>{heads}</tr>{body}</table>{note}"


def _is_text(cell: str) -> bool:
    return not cell[:1].isdigit() and cell[:1] not in "-+$." and cell not in ("n/a", "—")


def _g(x: Any, digits: int = 4) -> str:
    if isinstance(x, bool) or x is None:
        return "yes" if x is True else "no" if x is False else "n/a"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


# ---------------------------------------------------------------- tables per kind
def _probe_tables(r: dict[str, Any]) -> list[Table]:
    t = Table(f"probe — {r.get('device', {}).get('name')} ({r.get('device', {}).get('torch_device')}) on "
              f"{r.get('host')}", ["measure", "median", "p10", "p90", "spread", "catalog peak", "% of peak", "how"])
    for f in r.get("figures", []):
        u = "FLOP/s" if f.get("unit") == "flop_per_s" else "B/s"
        t.rows.append([f["metric"], fmt(f.get("median"), u), fmt(f.get("p10"), u), fmt(f.get("p90"), u),
                       fmt(f.get("spread"), "fraction"), fmt(f.get("catalog_peak"), u),
                       fmt(f.get("fraction_of_peak"), "fraction"), str(f.get("detail", ""))])
    t.note = (f"catalog entry compared: {r.get('catalog_name') or 'none'}; measured in "
              f"{fmt(r.get('duration_s'), 's')} with {r.get('threads')} torch threads, torch {r.get('torch_version')}")
    out = [t]
    if r.get("skipped"):
        out.append(Table("not measured", ["metric", "why"], [[str(m), str(w)] for m, w in r["skipped"]]))
    return out


def _profile_tables(r: dict[str, Any]) -> list[Table]:
    step = r.get("step_time_s", {})
    t = Table(f"profile — {r.get('name')}, {r.get('mode')} step, {r.get('dtype')}, {r.get('device')}, "
              f"batch {r.get('batch_size')}", ["", "median", "p10", "p90"])
    t.rows.append([f"step ({step.get('n')} steps, uninstrumented)", fmt(step.get("median"), "s"),
                   fmt(step.get("p10"), "s"), fmt(step.get("p90"), "s")])
    for phase, s in (r.get("breakdown_s") or {}).items():
        t.rows.append([f"  {phase}", fmt(s.get("median"), "s"), fmt(s.get("p10"), "s"), fmt(s.get("p90"), "s")])
    mfu = r.get("mfu", {})
    w = Table("work and utilization", ["", "value"])
    w.rows += [["FLOPs per step", fmt(r.get("flops_per_step"), "FLOP")],
               ["achieved", fmt(r.get("achieved_flop_per_s"), "FLOP/s")],
               ["samples/s", _g(r.get("samples_per_s"))]]
    for k in ("catalog", "probed"):
        m = mfu.get(k, {})
        w.rows.append([f"MFU vs {k} peak ({m.get('device') or 'n/a'})", fmt(m.get("mfu"), "fraction")])
    mem = r.get("memory", {})
    mt = Table("memory", ["", "bytes", "how"])
    for key in ("peak", "baseline", "parameters", "gradients", "optimizer_state", "activations"):
        how = str(mem.get("methods", {}).get(key, ""))
        mt.rows.append([key.replace("_", " "), fmt(mem.get(f"{key}_bytes"), "B"), how])
    e = r.get("energy", {})
    et = Table("energy", ["", "value"], estimate=bool(e.get("is_estimate")))
    et.rows += [["per step", fmt(e.get("energy_per_step_j"), "J")],
                ["per sample", fmt(e.get("energy_per_sample_j"), "J")],
                ["source", f"{e.get('source')}" + (f" — {e['note']}" if e.get("note") else "")]]
    roof = r.get("roofline", {})
    rt = Table(f"roofline, top ops by {roof.get('time_kind', 'time')}",
               ["op", "time", "calls/step", "FLOP/B", "FLOP/s", "B/s", "of roof", "bound"])
    for o in roof.get("ops", [])[:15]:
        rt.rows.append([str(o.get("op")), fmt(o.get("time_s"), "s"), _g(o.get("calls_per_step")),
                        _g(o.get("intensity_flop_per_byte"), 3), fmt(o.get("attained_flop_per_s"), "FLOP/s"),
                        fmt(o.get("attained_byte_per_s"), "B/s"), fmt(o.get("efficiency"), "fraction"),
                        str(o.get("verdict"))])
    out = [t, w, mt, et, rt]
    d = r.get("diagnosis")
    if d:
        dt = Table(f"verdict: {d.get('verdict')}", ["#", "try", "evidence", "gain up to", "bound formula",
                                                     "test with accelopt optimize --only"])
        for i, rec in enumerate(d.get("recommendations", []), 1):
            dt.rows.append([str(i), str(rec.get("action")), str(rec.get("evidence")),
                            f"{_g(rec.get('speedup_max'), 3)}x", str(rec.get("formula")),
                            ",".join(rec.get("techniques") or [])])
        out.append(dt)
    return out


_LAYOUT_COLS = ("tp", "pp", "dp", "cp", "ep", "vp", "mbs", "m", "zero", "recompute")


def _layout_table(title: str, rows: list[dict[str, Any]]) -> Table:
    heads = ["hardware", "devices", *_LAYOUT_COLS, "step", "MFU", "mem/dev", "time to train", "cost", "energy",
             "carbon"]
    t = Table(title, heads, est_cols=set(range(len(heads) - 7, len(heads))))
    for x in rows:
        lay = x.get("layout") or {}
        t.rows.append([str(x.get("hardware")), _g(x.get("devices")), *[_g(lay.get(k)) for k in _LAYOUT_COLS],
                       fmt(x.get("step_time_s"), "s"), fmt(x.get("mfu"), "fraction"),
                       fmt(x.get("mem_total_bytes"), "B"),
                       fmt(x.get("train_time_s"), "s"), fmt(x.get("cost_usd"), "USD"), fmt(x.get("energy_j"), "J"),
                       fmt(x.get("carbon_kg"), "kg CO2e")])
    return t


def _plan_tables(r: dict[str, Any]) -> list[Table]:
    if "layouts" in r:  # a profiled workload: data parallel x ZeRO
        t = Table(f"{r.get('workload')}: data parallel + ZeRO", ["hardware", "dp", "zero", "fits", "step", "MFU",
                                                                  "mem/dev", "time to train"], estimate=True)
        for x in r["layouts"]:
            t.rows.append([str(x.get("hardware")), _g(x.get("dp")), _g(x.get("zero")), _g(x.get("fits")),
                           fmt(x.get("step_time_s"), "s"), fmt(x.get("mfu"), "fraction"),
                           fmt(x.get("mem_total_bytes"), "B"), fmt(x.get("train_time_s"), "s")])
        return [t]
    s = Table("search", ["", "value"])
    s.rows += [[k.replace("_", " "), _g(r.get(k))] for k in ("model", "tokens", "seq_len", "global_batch_seqs",
                                                            "dtype", "objective", "candidates", "feasible")]
    s.rows.append(["dropped", ", ".join(f"{k}: {v}" for k, v in (r.get("dropped") or {}).items()) or "none"])
    s.rows.append(["search time", fmt(r.get("search_s"), "s")])
    return [s, _layout_table(f"best {len(r.get('best', []))} by {r.get('objective')}", r.get("best", [])),
            _layout_table("Pareto front: time, cost, energy", r.get("pareto_front", []))]


def _unit_of_term(k: str) -> str:
    if k.endswith("_bytes"):
        return "B"
    if k.endswith("_s"):
        return "s"
    return {"mfu": "fraction", "hfu": "fraction", "cost_usd": "USD", "energy_j": "J", "carbon_kg": "kg CO2e",
            "tokens_per_s": "tok/s", "busy_fraction": "fraction"}.get(k, "count")


def _explain_tables(r: dict[str, Any]) -> list[Table]:
    terms, formulas = r.get("terms", {}), r.get("formulas", {})
    lay = r.get("layout") or {}
    head = Table(f"{r.get('hardware')}: layout", [*_LAYOUT_COLS, "feasible", "calibration"])
    head.rows.append([*[_g(lay.get(k)) for k in _LAYOUT_COLS], _g(r.get("feasible")), str(r.get("calibration"))])
    t = Table("step-time and memory arithmetic", ["term", "value", "formula"], est_cols={1})
    for k, v in terms.items():
        if k.startswith("in_"):
            continue
        t.rows.append([k, fmt(v, _unit_of_term(k)), str(formulas.get(k, ""))])
    inp = Table("inputs", ["input", "value", "meaning"])
    for k, meaning in (r.get("inputs") or {}).items():
        inp.rows.append([k, _g(terms.get(k)), str(meaning)])
    out = [head, t, inp]
    if r.get("infeasible_because"):
        out.append(Table("infeasible because", ["reason"], [[str(w)] for w in r["infeasible_because"]]))
    return out


def _serve_tables(r: dict[str, Any]) -> list[Table]:
    out = []
    for s in r.get("results", []):
        heads = ["batch", "TTFT", "TPOT", "decode tok/s", "e2e tok/s/dev", "decode bound", "mem/dev", "fits",
                 "$/M out tok", "J/out tok"]
        t = Table(f"{s.get('model')} on {s.get('device')} (tp={s.get('tp')}, pp={s.get('pp')})", heads,
                  estimate=True, note=f"max batch that fits: {s.get('max_batch')}; decode turns compute-bound at "
                                      f"batch: {s.get('decode_ridge_batch') or 'never in range'}")
        for p in s.get("points", []):
            t.rows.append([_g(p.get("batch")), fmt(p.get("ttft_s"), "s"), fmt(p.get("tpot_s"), "s"),
                           _g(p.get("decode_tokens_per_s")), _g(p.get("output_tokens_per_s_per_device")),
                           str((p.get("decode_step") or {}).get("bound")), fmt(p.get("memory_bytes_per_device"), "B"),
                           _g(p.get("fits")), fmt(p.get("usd_per_million_output_tokens"), "USD"),
                           fmt(p.get("energy_j_per_output_token"), "J")])
        out.append(t)
    if r.get("errors"):
        out.append(Table("infeasible devices", ["device", "problem", "fix"],
                         [[str(e.get("device")), str(e.get("problem")), str(e.get("fix"))] for e in r["errors"]]))
    return out


def _validate_tables(r: dict[str, Any]) -> list[Table]:
    t = Table("published vs predicted step time", ["run", "source", "hardware", "devices", "published", "predicted",
                                                   "error", "util.", "pub. util.", "pred. util.", "role"],
              est_cols={5, 6, 9})
    for x in r.get("runs", []):
        err = x.get("error")
        t.rows.append([str(x.get("id")), str(x.get("source")), str(x.get("hardware")), _g(x.get("devices")),
                       fmt(x.get("published_step_s"), "s"), fmt(x.get("predicted_step_s"), "s"),
                       f"{100 * err:+.1f}%" if isinstance(err, int | float) else "n/a",
                       str(x.get("utilization", "MFU")), fmt(x.get("published_mfu"), "fraction"),
                       fmt(x.get("predicted_mfu"), "fraction"),
                       "fit" if x.get("fitted") else "test"])
    t.note = (f"median |error| on held-out runs {fmt(r.get('median_abs_error_held_out'), 'fraction')}; "
              f"all runs {fmt(r.get('median_abs_error_all'), 'fraction')}")
    return [t]


def _sim_run_tables(r: dict[str, Any]) -> list[Table]:
    d = r.get("design", {})
    dt = Table(f"design {d.get('name')}", ["field", "value", "source"])
    for k in ("rows", "cols", "cores", "dataflow", "dtype", "clock_hz", "tech_node_nm", "sram_bytes",
              "dram_bandwidth_byte_per_s", "peak_op_per_s"):
        unit = "B" if k.endswith("_bytes") else "B/s" if k.endswith("_byte_per_s") else "OP/s" if k.endswith(
            "op_per_s") else "Hz" if k == "clock_hz" else "count"
        v = d.get(k)
        src = str(d.get("sources", {}).get(k, ""))
        dt.rows.append([k, fmt(v, unit) if isinstance(v, int | float) else str(v), src])
    lt = Table(f"layers ({r.get('source')})", ["layer", "MxNxK", "rep", "cycles", "stall", "util", "DRAM", "energy"],
               est_cols={6, 7})
    for x in r.get("layers", []):
        lt.rows.append([str(x.get("name")), f"{x.get('m')}x{x.get('n')}x{x.get('k')}", _g(x.get("repeats")),
                        _g(x.get("compute_cycles")), _g(x.get("stall_cycles")), fmt(x.get("utilization"), "fraction"),
                        fmt(x.get("dram_bytes"), "B"), fmt(x.get("energy_j"), "J")])
    t = r.get("totals", {})
    tt = Table("totals", ["", "value"])
    est_keys = {"energy_j", "tops_per_w", "dram_bytes", "dram_read_bytes", "dram_write_bytes"}
    for k, v in t.items():
        if isinstance(v, dict):
            continue
        unit = _unit_of_term(k) if not k.endswith("op_per_s") else "OP/s"
        label = k + (" (estimate)" if k in est_keys else "")
        tt.rows.append([label, fmt(v, unit) if unit != "count" else _g(v)])
    tt.note = " ".join(str(n) for n in r.get("notes", []))
    return [dt, tt, lt]


def _sim_sweep_tables(r: dict[str, Any]) -> list[Table]:
    heads = ["name", "rows", "cols", "dataflow", "SRAM each", "DRAM BW", "MACs", "latency", "energy", "util", "TOPS/W"]
    t = Table(f"Pareto front of {r.get('evaluated')} designs (base {r.get('base_design')}; {r.get('source')})",
              heads, est_cols={8, 10}, note=" ".join(str(n) for n in r.get("notes", [])))
    for p in r.get("pareto_front", []):
        t.rows.append([str(p.get("name")), _g(p.get("rows")), _g(p.get("cols")), str(p.get("dataflow")),
                       fmt(p.get("sram_bytes_each"), "B"), fmt(p.get("dram_bandwidth_byte_per_s"), "B/s"),
                       _g(p.get("macs")), fmt(p.get("latency_s"), "s"), fmt(p.get("energy_j"), "J"),
                       fmt(p.get("utilization"), "fraction"), _g(p.get("tops_per_w"), 3)])
    return [t]


def _compare_tables(r: dict[str, Any]) -> list[Table]:
    devs = r.get("devices", [])
    t = Table(f"compare (ratios vs {devs[0] if devs else '?'}), dtype {r.get('dtype')}", ["metric", *devs, "formula"],
              note=str(r.get("note", "")))
    for x in r.get("rows", []):
        unit = path_unit(x.get("path", ""))
        cells = []
        for i, v in enumerate(x.get("values", [])):
            ratio = (x.get("ratio_vs_first") or [None] * (i + 1))[i]
            cells.append(fmt(v, unit) + (f" ({ratio:.2f}x)" if i and isinstance(ratio, int | float) else ""))
        t.rows.append([str(x.get("metric")), *cells, str(x.get("formula") or "")])
    src = Table("sources", ["device", "field", "source"])
    for dev, fields in (r.get("sources") or {}).items():
        src.rows += [[dev, f, str(s)] for f, s in fields.items()]
    return [t, src]


def _optimize_tables(r: dict[str, Any]) -> list[Table]:
    unit = "points" if r.get("quality_tolerance_unit") == "points" else "% of baseline"
    t = Table(f"optimize — {r.get('name')}, {r.get('mode')}, {r.get('dtype')}, {r.get('device')}, "
              f"batch {r.get('batch_size')}",
              ["variant", "Pareto", "p50", "p99", "speed-up", "rounds", "gain up to (profile)", "samples/s",
               "memory", "energy/step", "size", str(r.get("metric")), "worse by", "max |diff|", "top-1 agree",
               "setup"])
    skipped = Table("not measured", ["variant", "status", "why"])
    for v in r.get("variants", []):
        if v.get("status") not in ("measured", "quality-failure"):
            skipped.rows.append([str(v.get("name")), str(v.get("status")), str(v.get("reason"))])
            continue
        q = v.get("quality") or {}
        e = fmt(v.get("energy_per_step_j"), "J") + (" (estimate)" if v.get("energy_is_estimate") else "")
        t.rows.append([str(v.get("name")) + ("" if v.get("status") == "measured" else " (quality failure)"),
                       "yes" if v.get("pareto") else "", fmt(v.get("step_time_p50_s"), "s"),
                       fmt(v.get("step_time_p99_s"), "s"), f"{_g(v.get('speedup'), 3)}x",
                       f"{_g(v.get('speedup_low'), 3)}-{_g(v.get('speedup_high'), 3)}x",
                       (f"{_g(v.get('gain_bound'), 3)}x" if v.get("gain_bound") is not None else "n/a")
                       + (" ABOVE BOUND" if v.get("above_bound") else ""),
                       _g(v.get("samples_per_s")), fmt(v.get("memory_bytes"), "B"), e, fmt(v.get("size_bytes"), "B"),
                       _g(q.get("value")), _g(q.get("worse_by"), 3), _g(q.get("max_abs_diff"), 3),
                       _g(q.get("top1_agreement"), 4), fmt(v.get("setup_s"), "s")])
    rec = r.get("recommendation") or {}
    t.note = (f"quality tolerance {r.get('quality_tolerance')} {unit}; recommendation: {rec.get('name')} — "
              f"{rec.get('reason')}; best single technique: {rec.get('best_single')}")
    out = [t]
    if skipped.rows:
        out.append(skipped)
    notes = Table("notes", ["variant", "note"])
    notes.rows = [[str(v.get("name")), str(n)] for v in r.get("variants", []) for n in v.get("notes", [])]
    notes.rows += [["run", str(n)] for n in r.get("notes", [])]
    if notes.rows:
        out.append(notes)
    return out


_TABLES = {"probe": _probe_tables, "profile": _profile_tables, "optimize": _optimize_tables,
           "plan": _plan_tables, "plan-explain": _explain_tables,
           "plan-serve": _serve_tables, "validate": _validate_tables, "simulate-run": _sim_run_tables,
           "simulate-sweep": _sim_sweep_tables, "catalog-compare": _compare_tables,
           "plan-infer": infer_view.infer_tables, "validate-inference": infer_view.validate_inference_tables}


# ---------------------------------------------------------------- page
def _meta_rows(argv: list[str], run: dict[str, Any] | None) -> list[tuple[str, str]]:
    from accelopt.report.history import host, versions

    v = (run or {}).get("versions") or versions()
    h = (run or {}).get("host") or host()
    when = (run or {}).get("time") or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    rows = [("command", "accelopt " + shlex.join(argv)), ("date (UTC)", str(when)),
            ("versions", f"accelopt {v.get('accelopt')}, torch {v.get('torch') or 'not installed'}, "
                         f"Python {v.get('python')}"),
            ("host", f"{h.get('name')} ({h.get('platform')})")]
    if run and run.get("id"):
        rows.append(("run id", f"{run['id']} (accelopt history show {run['id']})"))
    return rows


def render_html(kind: str, result: dict[str, Any], *, title: str, argv: list[str],
                run: dict[str, Any] | None = None) -> str:
    """The whole page as one string. `run` (a history record) supplies the original date, versions and host."""
    from accelopt.report.jsonout import dumps, to_jsonable
    from accelopt.report.plots import plots_for

    result = to_jsonable(result)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if is_estimate(kind, result):
        parts.append(f'<div class="banner">{EST} The figures on this page labelled estimate are predictions of a '
                     "model (roofline, memory and communication formulas with a fitted calibration), not "
                     "measurements.</div>")
    meta = "".join(f"<tr><th class='l'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in _meta_rows(argv, run))
    parts.append(f'<table class="meta">{meta}</table>')
    figs = key_figures(kind, result)
    if figs:
        kt = Table("key figures", ["", "value"])
        kt.rows = [[f.label, fmt(f.value, f.unit)] for f in figs]
        html_kt = kt.to_html()
        for f in figs:  # estimate label on the rows that are estimates
            if f.estimate:
                cell = f"<td class=\"l\">{html.escape(f.label)}</td>"
                html_kt = html_kt.replace(cell, f"<td class=\"l\">{html.escape(f.label)}{EST}</td>", 1)
        parts.append(html_kt)
    for caption, svg in plots_for(kind, result):
        cap = html.escape(caption) + (EST if "estimate" in caption else "")
        parts.append(f"<figure>{svg}<figcaption>{cap}</figcaption></figure>")
    for table in _TABLES.get(kind, lambda r: [])(result):
        parts.append(table.to_html())
    parts.append("<h2>full result (JSON)</h2><details><summary>show</summary><pre>"
                 f"{html.escape(dumps(result))}</pre></details>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="generator" content="accelopt {json.dumps(kind)[1:-1]}">'
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


def check_path(path: Path) -> None:
    """InputError unless `path`'s folder exists and is writable (and `path` is not a folder)."""
    from accelopt.userio import check_writable

    check_writable(path, "--html")


def write_html(path: Path, kind: str, result: dict[str, Any], *, title: str, argv: list[str],
               run: dict[str, Any] | None = None) -> Path:
    """Render and write the page; a bad path raises InputError (problem + fix)."""
    path = Path(path).expanduser()
    check_path(path)
    text = render_html(kind, result, title=title, argv=argv, run=run)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"--html {str(path)!r} could not be written: {e.strerror or e}",
                         "choose a path in a folder you can write to") from e
    return path
