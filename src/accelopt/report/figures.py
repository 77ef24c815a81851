"""Key figures of a result: the few numbers that summarize one run of a command.

Used by the HTML page (headline), `accelopt history list` (one-line summary) and `history compare`
(side by side with ratios). A result is the JSON document the command emits with --json; each
kind below reads the fields that command writes. Numbers are never computed here, only picked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from accelopt import units
from accelopt.report import infer_view

KINDS = ("probe", "profile", "optimize", "plan", "plan-explain", "plan-serve", "validate", "simulate-run",
         "simulate-sweep", "catalog-compare", "plan-infer", "validate-inference")


@dataclass(frozen=True)
class KeyFigure:
    """One number with its unit (SI) and whether it is an estimate (a prediction or modelled value)."""

    label: str
    value: float | None
    unit: str  # s, B, B/s, FLOP/s, FLOP/B, J, USD, fraction, count, kg, tok/s, cycles, OP/s
    estimate: bool = False


def fmt(value: float | None, unit: str) -> str:
    """Display text for a value in its SI unit (accelopt.units helpers)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    formatters = {"s": units.fmt_seconds, "B": lambda v: units.fmt_bytes(v, binary=True),
                  "B/s": units.fmt_byte_per_s, "FLOP/s": units.fmt_flop_per_s, "J": units.fmt_joules,
                  "USD": units.fmt_usd, "fraction": units.fmt_pct, "W": units.fmt_watts, "FLOP": units.fmt_flops}
    if unit in formatters:
        return formatters[unit](value)
    if unit in ("count", "cycles"):
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:.4g}"
        return text if unit == "count" else f"{text} cycles"
    if unit == "OP/s":
        return units.fmt_flop_per_s(value).replace("FLOP", "OP")
    return f"{value:.4g} {unit}"


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _probe(r: dict[str, Any]) -> list[KeyFigure]:
    out = [KeyFigure(f["metric"], _num(f.get("median")), "FLOP/s" if f.get("unit") == "flop_per_s" else "B/s")
           for f in r.get("figures", [])]
    out.append(KeyFigure("ridge point", _num(r.get("ridge_flop_per_byte")), "FLOP/B"))
    return out


def _profile(r: dict[str, Any]) -> list[KeyFigure]:
    mfu = r.get("mfu", {})
    energy = r.get("energy", {})
    est = bool(energy.get("is_estimate"))
    return [KeyFigure("step time (median)", _num(r.get("step_time_s", {}).get("median")), "s"),
            KeyFigure("samples/s", _num(r.get("samples_per_s")), "count"),
            KeyFigure("achieved", _num(r.get("achieved_flop_per_s")), "FLOP/s"),
            KeyFigure("MFU vs catalog peak", _num(mfu.get("catalog", {}).get("mfu")), "fraction"),
            KeyFigure("MFU vs probed peak", _num(mfu.get("probed", {}).get("mfu")), "fraction"),
            KeyFigure("peak memory", _num(r.get("memory", {}).get("peak_bytes")), "B"),
            KeyFigure("energy per step", _num(energy.get("energy_per_step_j")), "J", est)]


def _layout_figures(row: dict[str, Any]) -> list[KeyFigure]:
    return [KeyFigure("devices", _num(row.get("devices")), "count"),
            KeyFigure("step time", _num(row.get("step_time_s")), "s", True),
            KeyFigure("MFU", _num(row.get("mfu")), "fraction", True),
            KeyFigure("memory per device", _num(row.get("mem_total_bytes")), "B", True),
            KeyFigure("time to train", _num(row.get("train_time_s")), "s", True),
            KeyFigure("cost", _num(row.get("cost_usd")), "USD", True),
            KeyFigure("energy", _num(row.get("energy_j")), "J", True)]


def _plan(r: dict[str, Any]) -> list[KeyFigure]:
    rows = r.get("best") or r.get("layouts") or []
    out = [KeyFigure("layouts evaluated", _num(r.get("candidates")), "count"),
           KeyFigure("feasible", _num(r.get("feasible")), "count")] if "candidates" in r else []
    return out + (_layout_figures(rows[0]) if rows else [])


def _explain(r: dict[str, Any]) -> list[KeyFigure]:
    t = r.get("terms", {})
    return [*_layout_figures(t), KeyFigure("tokens/s", _num(t.get("tokens_per_s")), "tok/s", True)]


def _serve(r: dict[str, Any]) -> list[KeyFigure]:
    out: list[KeyFigure] = []
    for s in r.get("results", []):
        dev = s.get("device", "?")
        pts = [p for p in s.get("points", []) if p.get("fits")]
        out.append(KeyFigure(f"{dev}: max batch", _num(s.get("max_batch")), "count", True))
        if pts:
            out.append(KeyFigure(f"{dev}: TPOT at batch {pts[0]['batch']}", _num(pts[0].get("tpot_s")), "s", True))
            best = max(pts, key=lambda p: p.get("output_tokens_per_s_per_device") or 0.0)
            out.append(KeyFigure(f"{dev}: best tok/s/device (batch {best['batch']})",
                                 _num(best.get("output_tokens_per_s_per_device")), "tok/s", True))
    return out


def _validate(r: dict[str, Any]) -> list[KeyFigure]:
    return [KeyFigure("runs", float(len(r.get("runs", []))), "count"),
            KeyFigure("median |error|, held-out runs", _num(r.get("median_abs_error_held_out")), "fraction", True),
            KeyFigure("median |error|, all runs", _num(r.get("median_abs_error_all")), "fraction", True)]


def _sim_run(r: dict[str, Any]) -> list[KeyFigure]:
    t = r.get("totals", {})
    return [KeyFigure("layers", _num(t.get("layers")), "count"),
            KeyFigure("total cycles", _num(t.get("total_cycles")), "cycles"),
            KeyFigure("latency", _num(t.get("latency_s")), "s"),
            KeyFigure("utilization", _num(t.get("utilization")), "fraction"),
            KeyFigure("achieved", _num(t.get("achieved_op_per_s")), "OP/s"),
            KeyFigure("DRAM traffic", _num(t.get("dram_bytes")), "B", True),
            KeyFigure("energy", _num(t.get("energy_j")), "J", True),
            KeyFigure("TOPS/W", _num(t.get("tops_per_w")), "TOPS/W", True)]


def _sim_sweep(r: dict[str, Any]) -> list[KeyFigure]:
    front = r.get("pareto_front", [])
    lat = [p["latency_s"] for p in front if _num(p.get("latency_s")) is not None]
    en = [p["energy_j"] for p in front if _num(p.get("energy_j")) is not None]
    return [KeyFigure("designs evaluated", _num(r.get("evaluated")), "count"),
            KeyFigure("Pareto front", float(len(front)), "count"),
            KeyFigure("lowest latency", min(lat) if lat else None, "s"),
            KeyFigure("lowest energy", min(en) if en else None, "J", True)]


_UNIT_BY_PATH = (("peak_flop_per_s", "FLOP/s"), ("ridge", "FLOP/B"), ("flop_per_j", "FLOP/J"),
                 ("flop_per_usd", "FLOP/USD"), ("_byte_per_s", "B/s"), ("_bytes", "B"), ("tdp_w", "W"),
                 ("price_usd_per_hour", "USD/h"), ("devices", "count"))


def path_unit(path: str) -> str:
    """Unit of a `catalog compare` row from its field path."""
    for key, unit in _UNIT_BY_PATH:
        if key in path:
            return unit
    return ""


def _compare(r: dict[str, Any]) -> list[KeyFigure]:
    out = []
    for row in r.get("rows", []):
        for dev, v in zip(r.get("devices", []), row.get("values", []), strict=False):
            out.append(KeyFigure(f"{row['metric']} [{dev}]", _num(v), path_unit(row.get("path", ""))))
    return out


def _optimize(r: dict[str, Any]) -> list[KeyFigure]:
    rec = r.get("recommendation") or {}
    by_name = {v.get("name"): v for v in r.get("variants", [])}
    best = by_name.get(rec.get("name")) or {}
    base = by_name.get("baseline") or {}
    q = best.get("quality") or {}
    return [KeyFigure("baseline step time (p50)", _num(base.get("step_time_p50_s")), "s"),
            KeyFigure(f"recommended ({rec.get('name')}) step time (p50)", _num(best.get("step_time_p50_s")), "s"),
            KeyFigure("recommended speed-up", _num(rec.get("speedup")), "x"),
            KeyFigure(f"recommended {r.get('metric')}", _num(q.get("value")), "count"),
            KeyFigure("variants measured", float(sum(v.get("status") == "measured" for v in by_name.values())),
                      "count")]


_PICKERS = {"probe": _probe, "profile": _profile, "optimize": _optimize,
            "plan": _plan, "plan-explain": _explain, "plan-serve": _serve,
            "validate": _validate, "simulate-run": _sim_run, "simulate-sweep": _sim_sweep,
            "catalog-compare": _compare, "plan-infer": infer_view.infer_key_figures,
            "validate-inference": infer_view.validate_inference_key_figures}


def key_figures(kind: str, result: dict[str, Any]) -> list[KeyFigure]:
    """The key figures of a result of `kind` (empty for kinds without a picker)."""
    picker = _PICKERS.get(kind)
    return picker(result) if picker else []


def is_estimate(kind: str, result: dict[str, Any]) -> bool:
    """Whether the result's headline numbers are predictions/model estimates rather than measurements."""
    return bool(result.get("estimate")) or kind in ("plan", "plan-explain", "plan-serve", "validate")
