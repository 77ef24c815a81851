"""Helpers for the page tests: every HTML page the CLI can write, made once per session, and a reader that
turns a displayed figure ('1.86 s', '446 ktok/s', '$29.8k', '40.8%') back into SI, written independently of
accelopt.units so that a unit the page gets wrong (a throughput shown in hours) fails the check."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# kind -> command line (after `accelopt`); each also gets --json and --html PAGE. Sizes kept small for speed.
COMMANDS: dict[str, list[str]] = {
    "probe": ["probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--compare", "h100-sxm", "--no-save"],
    "profile": ["profile", "mlp", "--steps", "3", "--warmup", "1", "--catalog-device", "h100-sxm"],
    "plan": ["plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm,mi300x", "--devices",
             "8..64", "--top", "3"],
    "plan-workload": ["plan", "--model", "WORKLOAD", "--devices", "1,8", "--hardware", "h100-sxm,a100"],
    "plan-explain": ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64",
                     "--tp", "8"],
    "plan-serve": ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm,a100", "--batch", "1,8,64"],
    "validate": ["validate"],
    "simulate-run": ["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv"],
    "simulate-sweep": ["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16,32", "--cols", "16,32",
                       "--sram-kib", "64,256", "--dataflow", "os,ws"],
    "catalog-compare": ["catalog", "compare", "h100-sxm", "mi300x", "l4"],
    "optimize": ["optimize", "digits", "--only", "channels-last", "--rounds", "3"],
    "plan-infer": ["plan", "infer", "mobilenet-v2", "--hardware", "edge-tpu,h100-sxm,jetson-agx-orin"],
    "validate-inference": ["validate", "--inference"],
    "validate-serving": ["validate", "--serving"],
    "profile-distributed": ["profile", "mlp", "--nproc", "2", "--parallel", "pipeline", "--steps", "3", "--warmup",
                            "1", "--catalog-device", "h100-sxm"],
    "profile-partial": ["profile", "mlp", "--steps", "5", "--warmup", "1"],  # Ctrl-C at the 4th headline step
    # Ctrl-C once both ranks have finished 2 timed steps (DIST_INTERRUPTED)
    "profile-distributed-partial": ["profile", "mlp", "--nproc", "2", "--steps", "100000", "--warmup", "1"],
    "simulate-published": ["simulate", "published", "--chip", "nvdla"],
}
INTERRUPTED = {"profile-partial": 5}
"""kind -> the StepRunner.step call (1-based) that raises KeyboardInterrupt, as Ctrl-C would (exit 130)."""
DIST_INTERRUPTED = {"profile-distributed-partial": 2}
"""kind -> the timed steps every rank of a `profile --nproc` run finishes before the launcher gets Ctrl-C (exit 130)."""


@dataclass
class Page:
    kind: str
    path: Path
    document: dict[str, Any]


def make_pages(folder: Path) -> dict[str, Page]:
    """Run every command of COMMANDS in process with --json --html; probe with tiny sizes (as in
    tests/test_probe_cli.py). History goes to a folder of its own."""
    from accelopt.cli.main import main
    from accelopt.measure import probe
    from accelopt.units import MiB
    from accelopt.workload.types import Op, Workload

    workload = folder / "w.json"
    Workload(name="toy", meta={"params": 1e8, "batch_size": 4, "seq_len": 512}, ops=[
        Op(name="mm", kind="matmul", flops=1e11, bytes_read=1e8, bytes_written=1e7, phase="forward")]).save(workload)
    real_settings = probe.settings_for

    def tiny(device: Any, quick: bool, llc: float | None) -> probe.ProbeSettings:
        return probe.ProbeSettings(shapes={"fp32": [(64, 64, 64)]}, shape_budget_s=0.02, max_call_s=1.0,
                                   stream_bytes=2 * MiB, stream_budget_s=0.03)

    old_home = os.environ.get("ACCELOPT_HOME")
    os.environ["ACCELOPT_HOME"] = str(folder / "home")
    probe.settings_for = tiny  # type: ignore[assignment]
    pages = {}
    try:
        for kind, argv in COMMANDS.items():
            path = folder / f"{kind}.html"
            args = [str(workload) if a == "WORKLOAD" else a for a in argv] + ["--json", "--html", str(path)]
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), ctrl_c_at(INTERRUPTED.get(kind)), \
                    ctrl_c_after_steps(DIST_INTERRUPTED.get(kind)):
                try:
                    main(args)
                except SystemExit as e:
                    stopped = kind in INTERRUPTED or kind in DIST_INTERRUPTED
                    assert e.code == (130 if stopped else 0) or not e.code, (kind, err.getvalue())
            pages[kind] = Page(kind, path, json.loads(out.getvalue()))
    finally:
        probe.settings_for = real_settings  # type: ignore[assignment]
        if old_home is None:
            os.environ.pop("ACCELOPT_HOME", None)
        else:
            os.environ["ACCELOPT_HOME"] = old_home
    return pages


@contextlib.contextmanager
def ctrl_c_at(call: int | None) -> Any:
    """Within the block, StepRunner.step raises KeyboardInterrupt on its `call`-th call (None: no Ctrl-C)."""
    from accelopt.measure import profiler

    real = profiler.StepRunner.step
    calls = [0]

    def step(self: Any, *args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        if calls[0] == call:
            raise KeyboardInterrupt
        real(self, *args, **kwargs)

    if call is not None:
        profiler.StepRunner.step = step  # type: ignore[method-assign]
    try:
        yield
    finally:
        profiler.StepRunner.step = real  # type: ignore[method-assign]


@contextlib.contextmanager
def ctrl_c_after_steps(steps: int | None) -> Any:
    """Within the block, the launcher of a distributed run gets KeyboardInterrupt (as Ctrl-C) once every rank has
    reported `steps` timed steps in its progress record (None: no Ctrl-C)."""
    import time

    from accelopt.distributed import launch

    real = launch._wait

    def wait(proc: Any, how: Any, out_dir: Path, log_path: Path) -> None:
        deadline = time.monotonic() + 600
        while proc.poll() is None and time.monotonic() < deadline:
            records = [json.loads(f.read_text()) for f in out_dir.glob("rank*.progress")]
            if len(records) == how.world_size and all(r.get("timed_done", 0) >= (steps or 0) for r in records):
                raise KeyboardInterrupt
            time.sleep(0.1)
        real(proc, how, out_dir, log_path)

    if steps is not None:
        launch._wait = wait  # type: ignore[assignment]
    try:
        yield
    finally:
        launch._wait = real  # type: ignore[assignment]


# ---------------------------------------------------------------- displayed text -> SI
_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "m": 1e-3, "µ": 1e-6, "n": 1e-9,
           "p": 1e-12}
_TIME = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "days": 86400.0,
         "years": 365.25 * 86400}
_BYTES = {"B": 1.0, "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30, "TiB": 2.0**40}
_USD_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}  # fmt_usd's: $1.2B is 1.2e9 dollars
_WH = {"kWh": 3.6e6, "MWh": 3.6e9, "GWh": 3.6e12}


def read_quantity(text: str) -> tuple[float | None, str]:
    """('1.86 s' -> (1.86, 's')), ('446 ktok/s' -> (4.46e5, 'tok/s')), ('$29.8k' -> (2.98e4, 'USD')),
    ('40.8%' -> (0.408, 'fraction')), ('1,234' -> (1234, 'count')), ('n/a' -> (None, ''))."""
    t = text.strip()
    if t == "n/a":
        return None, ""
    if t.startswith("$"):
        m = re.fullmatch(r"\$(-?[\d.,]+)([kMBT]?)(/h)?", t)
        assert m, t
        return float(m.group(1).replace(",", "")) * _USD_PREFIX[m.group(2)], "USD/h" if m.group(3) else "USD"
    if t.endswith("%"):
        return float(t[:-1]) / 100, "fraction"
    if t.endswith("x") and re.fullmatch(r"-?[\d.e+-]+x", t):
        return float(t[:-1]), "x"
    m = re.fullmatch(r"(-?[\d.,]+(?:e[+-]?\d+)?)(?:\s+(\S.*))?", t)
    assert m, t
    value, u = float(m.group(1).replace(",", "")), (m.group(2) or "")
    if u == "":
        return value, "count"
    if u in _TIME:
        return value * _TIME[u], "s"
    if u in _BYTES:
        return value * _BYTES[u], "B"
    if u in _WH:
        return value * _WH[u], "J"
    if u in ("samples/s", "inferences/s", "inferences/J"):  # a rate of a count: never prefixed (19,002 samples/s)
        return value, u
    for base in ("FLOP/s", "OP/s", "B/s", "tok/s", "FLOP/B", "OP/B", "FLOP/J", "FLOP/USD", "TOPS/W", "cycles",
                 "kg CO2e", "device-h", "FLOP", "OP", "Hz", "J", "W", "V", "nm"):
        if u.endswith(base) and u[: -len(base)] in _PREFIX:
            return value * _PREFIX[u[: -len(base)]], base
    raise AssertionError(f"unknown unit in {text!r}")


# the schema's unit names that a displayed unit stands for
SAME_UNIT = {"count": {"count", ""}, "cycles": {"cycles"}}


def json_value(document: Any, path: str) -> Any:
    """'best.0.step_time_s' -> document['best'][0]['step_time_s']."""
    for part in path.split("."):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def schema_unit(kind: str, path: str) -> str:
    """The unit `accelopt schema KIND` declares for a JSON path ('' for none), read from the JSON Schema."""
    from accelopt.report.schema import json_schema

    s = json_schema(kind)
    node: Any = s
    for part in path.split("."):
        while "$ref" in node or "anyOf" in node:  # an optional object: its non-null branch
            node = (s["$defs"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node
                    else next(b for b in node["anyOf"] if b.get("type") != "null"))
        if part.isdigit():
            node = node["items"]
        else:
            node = node["properties"][part]
    while "$ref" in node:
        node = s["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return str(node.get("unit", ""))


# Key figure label (as the page shows it) -> JSON path of its value, per kind; written here, not derived from
# the code under test, so a figure that reads the wrong field or shows the wrong unit fails.
KEY_FIGURE_PATHS: dict[str, dict[str, str]] = {
    "probe": {"matmul.fp32": "figures.0.median", "stream.triad": "figures.2.median",
              "ridge point (matmul.fp32 / stream.triad)": "ridge_flop_per_byte"},
    "profile": {"step time (median)": "step_time.median", "achieved": "achieved_flop_per_s",
                "MFU vs catalog peak": "mfu_catalog", "peak memory": "memory.peak_bytes",
                "throughput": "samples_per_s"},
    "plan": {"layouts evaluated": "candidates", "step time": "best.0.step_time_s", "MFU": "best.0.mfu",
             "memory per device": "best.0.mem_total_bytes", "time to train": "best.0.train_time_s",
             "cost": "best.0.cost_usd", "energy": "best.0.energy_j", "devices": "best.0.devices"},
    "plan-workload": {"step time": "layouts.0.step_time_s", "memory per device": "layouts.0.mem_total_bytes",
                      "time to train": "layouts.0.train_time_s"},
    "plan-explain": {"tokens/s": "prediction.tokens_per_s", "step time": "prediction.step_time_s",
                     "energy": "prediction.energy_j", "cost": "prediction.cost_usd",
                     "time to train": "prediction.train_time_s", "MFU": "prediction.mfu"},
    "plan-serve": {"h100-sxm: max batch": "results.0.max_batch",
                   "h100-sxm: TPOT at batch 1": "results.0.points.0.tpot_s"},
    "validate": {"median |error|, held-out runs": "median_abs_error_held_out",
                 "median |error|, all runs": "median_abs_error_all"},
    "simulate-run": {"latency": "totals.latency_s", "total cycles": "totals.total_cycles",
                     "utilization": "totals.utilization", "achieved": "totals.achieved_op_per_s",
                     "DRAM traffic": "totals.dram_bytes", "energy": "totals.energy_j", "TOPS/W": "totals.tops_per_w"},
    "simulate-sweep": {"designs evaluated": "evaluated", "lowest latency": "pareto_front.0.latency_s"},
    "catalog-compare": {"peak bf16 [mi300x]": "rows.ROW:peak_flop_per_s.bf16.values.1",
                        "memory [l4]": "rows.ROW:memory_bytes.values.2"},
    "optimize": {"baseline step time (p50)": "variants.0.step_time_p50_s", "recommended speed-up":
                 "recommendation.speedup", "recommended accuracy": "RECOMMENDED.quality.value"},
    "plan-infer": {"devices": "DEVICES", "h100-sxm: latency at batch 1": "devices.1.points.0.latency_s",
                   "edge-tpu: energy per inference": "devices.0.points.0.energy_per_inference_j"},
    "validate-serving": {"median |error|, held-out rows": "median_abs_error_held_out",
                         "worst |error|, held-out rows": "worst_abs_error_held_out",
                         "median |error|, fit rows": "median_abs_error_fit"},
    "validate-inference": {"median |error|, held-out rows": "median_abs_error_held_out",
                           "median |error|, all rows": "median_abs_error_all"},
    "profile-distributed": {"step time (slowest rank's median)": "step_median_s",
                            "scaling efficiency": "scaling_efficiency",
                            "straggler (slowest / median rank)": "straggler_ratio",
                            "straggler by own work (busiest / median rank)": "work_straggler_ratio",
                            "ranks": "nproc"},
    "profile-partial": {"step time (median of the completed steps)": "step_time.median",
                        "achieved": "achieved_flop_per_s"},
    "profile-distributed-partial": {"step time (slowest rank's median of its finished steps)": "step_median_s",
                                    "ranks": "nproc"},
    "simulate-published": {"median |error| of frames/s": "median_abs_error",
                           "nvdla-2048: frames/s": "nvdla.0.predicted_frames_per_s",
                           "nvdla-32: frames/s": "nvdla.6.predicted_frames_per_s"},
}


def resolve(kind: str, document: dict[str, Any], path: str) -> tuple[Any, str]:
    """(JSON value, declared unit) of a KEY_FIGURE_PATHS entry; 'rows.ROW:<path>.values.i' picks a compare row by
    its path (its unit is the row's `unit` field); probe figures take their unit from the figure's `unit`."""
    if kind == "catalog-compare":
        m = re.fullmatch(r"rows\.ROW:(.+)\.values\.(\d+)", path)
        assert m
        row = next(r for r in document["rows"] if r["path"] == m.group(1))
        return row["values"][int(m.group(2))], row["unit"]
    if path == "DEVICES":  # a count of the list
        return len(document["devices"]), "count"
    if kind == "optimize" and path.startswith("RECOMMENDED."):  # the variant the recommendation names
        v = next(v for v in document["variants"] if v["name"] == document["recommendation"]["name"])
        quality = json_value(v, path.split(".", 1)[1].rsplit(".", 1)[0])
        return quality["value"], quality["value_unit"]  # a quality value is in its sibling `value_unit`
    if kind == "probe" and path.startswith("figures."):
        fig = json_value(document, path.rsplit(".", 1)[0])
        return fig["median"], fig["unit"]  # a figure carries its unit in accelopt.units' names
    return json_value(document, path), schema_unit(kind, path)


def check_figure(kind: str, document: dict[str, Any], label: str, shown: str) -> None:
    """The figure shown as `shown` equals the JSON value in the unit the schema declares.

    Tolerance, fixed before looking at any page: figures are printed to 3 significant digits (percentages to
    0.1 point), so the shown value may differ from the JSON one by half a unit in the third digit, 0.5% of it,
    plus 0.0005 absolute for a fraction; counts are exact."""
    path = KEY_FIGURE_PATHS[kind][label]
    want, unit = resolve(kind, document, path)
    check_shown(shown, want, unit, f"{kind} {label}")


def check_shown(shown: str, want: float | None, unit: str, what: str = "") -> None:
    """`shown` reads back as the JSON value `want` in `unit`, within check_figure's tolerance; a ratio (unit 'x',
    units.fmt_ratio: 2 decimals) to half its last digit, 0.005."""
    value, shown_unit = read_quantity(shown)
    if want is None:
        assert value is None, (what, shown)
        return
    assert shown_unit in SAME_UNIT.get(unit, {unit}), f"{what}: shown {shown!r} but the JSON unit is {unit!r}"
    assert value is not None
    tol = 0.005 if unit == "x" else (
        0.005 * abs(want) + (5e-4 if unit == "fraction" else 0.0) + (0.5 if unit == "count" else 0.0))
    assert abs(value - want) <= tol, f"{what}: shown {shown!r} = {value} {unit}, JSON {want}"


def key_figures_in(page_html: str) -> list[tuple[str, str]]:
    """(label, shown text) of the key-figures table of a page's HTML source."""
    import html as _html

    rows = re.findall(r'<tr><td class="l">(.*?)</td><td class="kf"[^>]*>(.*?)</td></tr>', page_html)
    return [(_html.unescape(re.sub(r"<span.*?</span>", "", label)), _html.unescape(shown)) for label, shown in rows]
