"""Key figures of a result: the few numbers that summarize one run of a command.

Used by the HTML page (headline), `accelopt history list` (one-line summary) and `history compare`
(side by side with ratios). A result is the command's typed object (accelopt.report.schema), or its
JSON document, loaded back through the schema; each figure's unit is the one its field declares.
Numbers are never computed here, only picked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelopt import units
from accelopt.report import infer_view

KINDS = ("probe", "profile", "optimize", "plan", "plan-workload", "plan-explain", "plan-serve", "validate",
         "simulate-run", "simulate-sweep", "catalog-compare", "plan-infer", "validate-inference", "validate-serving",
         "profile-distributed", "profile-partial", "profile-distributed-partial", "simulate-published")


@dataclass(frozen=True)
class KeyFigure:
    """One number with its unit (SI) and whether it is an estimate (a prediction or modelled value)."""

    label: str
    """What the figure is ('step time', 'MFU')."""
    value: float | None
    """In `unit` (null: not available, e.g. no catalog price)."""
    unit: str  # s, B, B/s, FLOP/s, FLOP/B, J, USD, fraction, count, kg, tok/s, cycles, OP/s
    """Its unit, a name of accelopt.units.UNIT_NAMES."""
    estimate: bool = False
    """A prediction or modelled value, not a measurement."""


fmt = units.fmt_quantity  # display text for a value in its unit (accelopt.units)


def typed(kind: str, result: Any) -> Any:
    """`result` as its typed object: a JSON document (a history record's result) is loaded through its schema;
    None for a document of another schema or version (an older run) or a kind without a schema; SchemaError
    for a document that claims the schema but is not shaped like it (a damaged record)."""
    from accelopt.report import schema

    if schema.is_result(result):
        return result
    if kind not in schema.CLASSES:
        return None
    try:
        return schema.load(kind, result)
    except schema.OtherVersionError:
        return None


def other_version(document: Any, kind: str | None = None) -> str:
    """Why a stored result (`typed` gave None) has no figures: written by another version of accelopt (newer or
    older than this one, when `kind` is given), before result schemas, or a result of another command filed under
    `kind`. Plain text: the console prints it, the page escapes it."""
    from accelopt.report import schema

    if kind is not None and kind not in schema.CLASSES:
        return f"accelopt keeps no result schema for a command named {kind!r}"
    name = document.get("schema") if isinstance(document, dict) else None
    if not isinstance(name, str):
        return "This result predates accelopt's versioned result schemas (or is not shaped like its kind's)"
    version = document.get("schema_version") if isinstance(document, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        return f"This result's schema_version {version!r} is not a whole number: the record is damaged or hand-edited"
    if kind in schema.CLASSES and name != schema.schema_name(kind):
        return (f"This run's result is schema {name}, not a {kind} result ({schema.schema_name(kind)}): the "
                "record was filed under the wrong command")
    text = f"This result was written by another version of accelopt (schema {name} version {version})"
    if kind not in schema.CLASSES:
        return text
    current = schema.result_class(kind)[1]
    if version > current:
        return (f"{text}, a newer one: this accelopt reads {kind} results up to version {current}; upgrade "
                "accelopt to read it")
    return f"{text}; this accelopt reads {kind} version {current}"


def unreadable_note(document: Any, kind: str) -> str:
    """A few words for a listing: why a stored result shows no figures ('schema version 99, newer')."""
    from accelopt.report import schema

    if kind not in schema.CLASSES:
        return "no result schema for this command"
    name = document.get("schema") if isinstance(document, dict) else None
    version = document.get("schema_version") if isinstance(document, dict) else None
    if not isinstance(name, str):
        return "from before versioned results"
    if not isinstance(version, int) or isinstance(version, bool):
        return f"schema_version {version!r} is not a number"
    if name != schema.schema_name(kind):
        return f"a {name.removeprefix('accelopt.')} result"
    newer = version > schema.result_class(kind)[1]  # kind, name and version checked above
    return f"schema version {version}, {'newer' if newer else 'older'}"


def _f(label: str, obj: Any, name: str, estimate: bool = False) -> KeyFigure:
    """A key figure from a typed result's field, in the unit the field declares."""
    return KeyFigure(label, _num(getattr(obj, name)), units.unit_of(obj, name), estimate)


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _probe(r: Any) -> list[KeyFigure]:
    out = [KeyFigure(f.metric, _num(f.median), f.unit) for f in r.figures]
    # the ridge of the fastest matmul dtype measured: named, so that `history compare` never divides a bf16 ridge
    # by an fp32 one (a run with --dtypes fp32 read 0.15x of one with bf16 on the same machine)
    out.append(_f(f"ridge point ({r.best_matmul_metric} / stream.triad)" if r.best_matmul_metric else "ridge point",
                  r, "ridge_flop_per_byte"))
    if r.collectives is not None:
        out += [_f("collective link bandwidth", r.collectives, "link_bandwidth_byte_per_s"),
                _f("collective link latency", r.collectives, "link_latency_s")]
    return out


def _profile(r: Any) -> list[KeyFigure]:
    est = r.energy.is_estimate
    # a model whose work varies with the input: its FLOP figures are the captured batch's (ProfileResult version 7)
    dependence = getattr(r, "input_dependence", None)
    one = " (batch 1's FLOPs: the work varies with the input)" if dependence is not None and dependence.varies else ""
    return [_f("step time (median)", r.step_time, "median"), _f("throughput", r, "samples_per_s"),
            _f(f"achieved{one}", r, "achieved_flop_per_s"), _f(f"MFU vs catalog peak{one}", r, "mfu_catalog"),
            _f(f"MFU vs probed peak{one}", r, "mfu_probed"), _f("peak memory", r.memory, "peak_bytes"),
            _f("energy per step", r.energy, "energy_per_step_j", est)]


def _profile_partial(r: Any) -> list[KeyFigure]:
    out = [_f("achieved", r, "achieved_flop_per_s")]
    if r.step_time is not None:
        out.insert(0, _f("step time (median of the completed steps)", r.step_time, "median"))
    if r.memory is not None:
        out.append(_f("peak memory", r.memory, "peak_bytes"))
    return out


def _layout_figures(row: Any) -> list[KeyFigure]:
    """The answer first: `history list` shows a run's first three figures ('devices 64; time to train 34.8 days*;
    cost $133k*'); it showed 'layouts evaluated 17,531; feasible 14,219; devices 64' for every plan run."""
    return [_f("devices", row, "devices"), _f("time to train", row, "train_time_s", True),
            _f("cost", row, "cost_usd", True), _f("step time", row, "step_time_s", True), _f("MFU", row, "mfu", True),
            _f("memory per device", row, "mem_total_bytes", True), _f("energy", row, "energy_j", True)]


def _plan(r: Any) -> list[KeyFigure]:
    out = [_f("layouts evaluated", r, "candidates"), _f("feasible", r, "feasible")]
    return (_layout_figures(r.best[0]) if r.best else []) + out


def _plan_workload(r: Any) -> list[KeyFigure]:
    fit = [x for x in r.layouts if x.fits]
    if not fit:
        return []
    best = fit[0]
    return [_f("data-parallel devices", best, "dp"), _f("step time", best, "step_time_s", True),
            _f("MFU", best, "mfu", True), _f("memory per device", best, "mem_total_bytes", True),
            _f("time to train", best, "train_time_s", True)]


def _explain(r: Any) -> list[KeyFigure]:
    return [*_layout_figures(r.prediction), _f("tokens/s", r.prediction, "tokens_per_s", True)]


def serve_point_label(p: Any) -> str:
    """What a `plan serve` point was asked at, in the words of the console table's first columns: 'batch 8' (static),
    'concurrency 8' (--concurrency), '2 req/s (concurrency 8)' (--rate: the concurrency is Little's law's)."""
    if p.request_rate_per_s is not None:
        return f"{p.request_rate_per_s:g} req/s (concurrency {p.batch})"
    return f"{'concurrency' if p.scheduling == 'continuous' else 'batch'} {p.batch}"


def _serve(r: Any) -> list[KeyFigure]:
    """A --rate point's tok/s is the offered load (rate x output tokens), so the highest rate has the most: named
    by its rate, not as a 'best' of batches; a --concurrency point by its concurrency ('batch 3' named either)."""
    out: list[KeyFigure] = []
    for s in r.results:
        pts = [p for p in s.points if p.fits]
        out.append(_f(f"{s.device}: max batch", s, "max_batch", True))
        if pts:
            out.append(_f(f"{s.device}: TPOT at {serve_point_label(pts[0])}", pts[0], "tpot_s", True))
            best = max(pts, key=lambda p: p.output_tokens_per_s_per_device)
            name = "tok/s/device" if best.request_rate_per_s is not None else "best tok/s/device"
            out.append(_f(f"{s.device}: {name} ({serve_point_label(best)})", best,
                          "output_tokens_per_s_per_device", True))
            if pts[0].moe is not None:
                out.append(_f(f"{s.device}: MoE exchange per decode step at {serve_point_label(pts[0])}",
                              pts[0].moe, "exchange_decode_s", True))
    # last, as plan's 'feasible': a run no device could serve was listed with no figure at all. An error beside a
    # device's points (a --batch over its memory, a --rate beyond what it completes) is not a device that cannot
    # serve the model: the page said 'devices that cannot serve it 1' beside that device's served rates (ut3srv)
    shown = {s.device for s in r.results}
    refused = {e.device for e in r.errors} - shown
    beside = {e.device for e in r.errors} & shown
    if refused:
        out.append(KeyFigure("devices that cannot serve it", float(len(refused)), "count"))
    if beside:
        out.append(KeyFigure("devices with a batch or rate they cannot serve", float(len(beside)), "count"))
    return out


def _validate(r: Any) -> list[KeyFigure]:
    return [KeyFigure("runs", float(len(r.runs)), "count"),
            _f("median |error|, held-out runs", r, "median_abs_error_held_out", True),
            _f("median |error|, all runs", r, "median_abs_error_all", True)]


def _validate_serving(r: Any) -> list[KeyFigure]:
    return [KeyFigure("rows", float(len(r.runs)), "count"),
            _f("median |error|, held-out rows", r, "median_abs_error_held_out", True),
            _f("worst |error|, held-out rows", r, "worst_abs_error_held_out", True),
            _f("median |error|, fit rows", r, "median_abs_error_fit", True)]


def _sim_run(r: Any) -> list[KeyFigure]:
    t = r.totals
    # a simulated latency is an estimate, as sweep's 'lowest latency' (SimTotals.latency_s's doc)
    return [_f("layers", t, "layers"), _f("total cycles", t, "total_cycles"), _f("latency", t, "latency_s", True),
            _f("utilization", t, "utilization"), _f("achieved", t, "achieved_op_per_s"),
            _f("DRAM traffic", t, "dram_bytes", True), _f("energy", t, "energy_j", True),
            _f("TOPS/W", t, "tops_per_w", True)]


def _sim_published(r: Any) -> list[KeyFigure]:
    out = [_f("median |error| of frames/s" if r.nvdla else "|error| of frames/s", r, "median_abs_error")]
    if r.eyeriss is not None:
        e = r.eyeriss
        return [*out, _f("frames/s", e, "frames_per_s", True), _f("published frames/s", e, "published_frames_per_s"),
                _f("power", e, "power_w", True)]
    return out + [_f(f"{c.design.name}: frames/s", c, "predicted_frames_per_s", True) for c in r.nvdla]


def _sim_sweep(r: Any) -> list[KeyFigure]:
    front = r.pareto_front
    lat = [p.latency_s for p in front if _num(p.latency_s) is not None]
    en = [p.energy_j for p in front if _num(p.energy_j) is not None]
    return [_f("designs evaluated", r, "evaluated"), KeyFigure("Pareto front", float(len(front)), "count"),
            # a simulated latency is a model's prediction, labelled as `simulate published`'s frames/s is
            KeyFigure("lowest latency", min(lat) if lat else None, "s", True),
            KeyFigure("lowest energy", min(en) if en else None, "J", True)]


def _compare(r: Any) -> list[KeyFigure]:
    return [KeyFigure(f"{row.metric} [{dev}]", _num(v), row.unit)
            for row in r.rows for dev, v in zip(r.devices, row.values, strict=False)]


def _optimize(r: Any) -> list[KeyFigure]:
    best = r.recommended
    out = [_f("baseline step time (p50)", r.baseline, "step_time_p50_s")] if r.get("baseline") else []
    if best is not None:
        # the variant as a trailing '(variant NAME)': history compare joins two runs that recommended different
        # variants into one row (cli.report._pair_by_subject); 'recommended (NAME) step time' was two rows of n/a
        out += [_f(f"recommended step time (p50) (variant {best.name})", best, "step_time_p50_s"),
                _f("recommended speed-up", r.recommendation, "speedup")]
        if best.quality is not None:
            # an accuracy as the table's quality cell prints it (unit 'accuracy': 0.01 points, not fmt_pct's 0.1)
            unit = "accuracy" if best.quality.value_unit == "fraction" else best.quality.value_unit
            out.append(KeyFigure(f"recommended {r.metric_label}", _num(best.quality.value), unit))
    return [*out, KeyFigure("variants measured", float(sum(v.measured for v in r.variants)), "count")]


_PICKERS = {"probe": _probe, "profile": _profile, "optimize": _optimize, "plan": _plan,
            "plan-workload": _plan_workload,
            "plan-explain": _explain, "plan-serve": _serve, "validate": _validate, "simulate-run": _sim_run,
            "simulate-sweep": _sim_sweep, "catalog-compare": _compare,
            "plan-infer": infer_view.infer_key_figures,
            "validate-inference": infer_view.validate_inference_key_figures,
            "validate-serving": _validate_serving, "profile-partial": _profile_partial,
            "simulate-published": _sim_published,
            "profile-distributed": lambda r: _dist_view().key_figures(r),
            "profile-distributed-partial": lambda r: _dist_view().partial_key_figures(r)}


def _dist_view() -> Any:
    from accelopt.report import distributed_view

    return distributed_view


def key_figures(kind: str, result: Any) -> list[KeyFigure]:
    """The key figures of a result of `kind` (a typed result or its JSON document); empty for a kind without a
    picker or a document this accelopt cannot read (an older schema version)."""
    obj = typed(kind, result)
    picker = _PICKERS.get(kind)
    return picker(obj) if picker and obj is not None else []


def is_estimate(kind: str, result: Any) -> bool:
    """Whether the result's headline numbers are predictions/model estimates rather than measurements."""
    return kind in ("plan", "plan-workload", "plan-explain", "plan-serve", "validate", "plan-infer",
                    "validate-inference", "validate-serving")
