"""Reproduce published inference figures (predict/data/published_inference_runs.csv) and measure the error.

Each row names a device, a built-in example (accelopt.workload.inference_zoo), its input size, batch, dtype and
the published figure (latency_ms or throughput_per_s). The prediction is `accelopt plan infer`'s, with the
device family's runtime values of predict/data/inference.toml. Rows with role 'fit' are the ones a family was
fitted on (declared in the CSV before fitting); the error that matters is the median over the 'test' rows.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import AcceloptError, InputError, out_of_memory_as_infeasible
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict.inference import InferenceRuntime, compute_time_s, load_runtimes, plan_inference, runtime_for
from accelopt.predict.runs_csv import (
    as_written,
    cell_error,
    each_row,
    missing_path_cell,
    naming_file,
    read_runs_csv,
    role_lines_of,
    row_device,
)
from accelopt.predict.validation import ErrorSummary, summarize
from accelopt.units import unit
from accelopt.workload.types import Workload

_REQUIRED = ("id", "hardware", "model", "input_size", "batch", "dtype", "metric", "published", "role", "source")
METRICS = ("latency_ms", "throughput_per_s")


_FIGURE_DOC = "in the row's `metric`: milliseconds (latency_ms) or inferences per second (throughput_per_s)"


@dataclass(frozen=True, kw_only=True)
class InferenceRunResult:
    """One published inference figure beside `plan infer`'s prediction of it."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"error": "fraction"}

    id: str
    hardware: str
    model: str
    metric: str
    """latency_ms or throughput_per_s."""
    published: float = unit("", _FIGURE_DOC)
    predicted: float = unit("", "estimate; " + _FIGURE_DOC)
    fitted: bool
    """The row was used to fit its device family's runtime values (role 'fit'); otherwise held out."""
    source: str
    note: str = ""
    source_key: str = ""
    """The row's source cell as written (a '# key = citation' line's key, else the citation): what by_source groups
    by ('' in a version-1 document)."""
    dtype: str = ""
    """The precision the figure was measured and predicted at ('' in a version-1 document)."""
    family: str = ""
    """The device's inference family (predict/data/inference.toml) whose runtime values predicted the row ('' in a
    version-1 document)."""

    @property
    def error(self) -> float:
        """predicted / published - 1 (positive = predicted slower for latency, faster for throughput)."""
        return self.predicted / self.published - 1.0


@dataclass(frozen=True, kw_only=True)
class ValidateInferenceResult:
    """`accelopt validate --inference`: published inference figures vs `plan infer`'s predictions."""

    SCHEMA_KIND: ClassVar[str] = "validate-inference"
    SCHEMA_VERSION: ClassVar[int] = 3
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2)
    """Version 2 added by_source, by_family, by_precision (defaults []) and each row's source_key, dtype and family
    (defaults ''); version 3 input_warnings (default [])."""
    LEGACY_UNVERSIONED: ClassVar[bool] = True
    """Records written before the schema (no `schema` field) have this shape and load as version 1."""

    runs: list[InferenceRunResult]
    median_abs_error_held_out: float = unit("fraction", "median |error| over the held-out ('test') rows")
    median_abs_error_all: float = unit("fraction", "median |error| over every row")
    worst_held_out: str | None
    """Id of the held-out row with the largest |error| (None without held-out rows)."""
    by_source: list[ErrorSummary] = field(default_factory=list)
    """Held-out median and worst |error| per source (the rows' source cells), as `validate` and `validate --serving`
    give them."""
    by_family: list[ErrorSummary] = field(default_factory=list)
    """Held-out median and worst |error| per inference family (the runtime values that predicted the rows)."""
    by_precision: list[ErrorSummary] = field(default_factory=list)
    """Held-out median and worst |error| per precision."""
    input_warnings: list[str] = field(default_factory=list)
    """Warnings about the runs file the console prints on stderr: rows whose role cell the family's fitted_on
    contradicts (role_lines); from `validate --inference`, first, a hardware cell's spec TOML probed on a busy machine
    (cli.plan.busy_row_lines), as plan infer warns of its --hardware."""
    estimate: bool = True


def read_inference_runs(path: Path | str | None = None) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(rows, sources): rows of the CSV; sources from its '# key = citation' comment lines."""
    twice: dict[int, InputError] = {}  # a repeated id named with the other rows' bad values (fix5a)
    rows, sources = read_runs_csv(path, "published_inference_runs.csv", "inference runs file", _REQUIRED, twice)
    with naming_file("inference runs file", path):  # a bad cell names the user's file, as the training rows' do
        each_row(rows, _check_row, twice)  # every bad row named at once
    return rows, sources


def _check_row(r: dict[str, str]) -> None:
    """An InputError naming the row and the cell for a cell the reproduction would misread."""
    if None in r:  # csv.DictReader puts surplus cells under the key None
        raise InputError(f"run {r.get('id')!r} has more cells than the header",
                         "quote a cell that holds a comma (\"...\")")
    if not (r.get("source") or "").strip():  # docs/runs_files.md: required; the training runs file refuses it too
        raise InputError(f"run {r['id']!r}: source is blank",
                         "give a source key (a '# key = citation' line) or the citation (document, table or section) "
                         "in the source cell of that row")
    if r["metric"] not in METRICS:
        raise InputError(f"run {r['id']!r}: metric {r['metric']!r} is not one of {', '.join(METRICS)}",
                         f"write one of {', '.join(METRICS)} in the metric cell of that row")
    if r["role"] not in ROLES:  # any other word counted as held out ('tset', 'Fit') without a word
        raise InputError(f"run {r['id']!r}: role {r['role']!r} is not one of {', '.join(ROLES)}",
                         "write fit (the family's values were fitted on the row) or test (held out)")
    for cell, whole in (("published", False), ("batch", True), ("input_size", True)):
        if not _positive(r[cell], whole):
            raise InputError(f"run {r['id']!r}: {cell} = {r[cell]!r} is not a positive "
                             f"{'whole' if whole else 'finite'} number", f"fix the {cell} cell of that row")


ROLES = ("fit", "test")
"""A row's role: 'fit' (the family's runtime values were fitted on it) or 'test' (held out)."""


def _positive(text: str, whole: bool) -> bool:
    """True for a finite number > 0 (a whole one when `whole`); 'inf' as published divided every error by it."""
    try:
        v = int(text) if whole else float(text)
    except ValueError:
        return False
    return 0 < v < float("inf")


def _workload(model: str, size: int, batch: int) -> Workload:
    """The row's built-in example captured at its batch and input size (kept once per process, shared with `plan
    infer`: inference_zoo.captured_example)."""
    from accelopt.workload.inference_zoo import captured_example

    return captured_example(model, batch, size)


def reproduce_inference(row: dict[str, str], runtimes: list[InferenceRuntime] | None = None,
                        sources: dict[str, str] | None = None) -> InferenceRunResult:
    missing = missing_path_cell("run", row, "hardware")  # a relative spec TOML that names nothing: both paths said
    if missing is not None:
        raise missing
    spec = row_device(row["hardware"])
    batch, size = int(row["batch"]), int(row["input_size"])
    with out_of_memory_as_infeasible(lambda said: f"run {row['id']!r}: one batch of inputs (batch = {batch}, "
                                     f"input_size = {size}) does not fit this machine's memory to capture the "
                                     f"model: the allocator said {said!r}",
                                     "write the batch and input_size the published figure was measured at, or run "
                                     "validate on a machine with more memory"):
        wl = _workload(row["model"], size, batch)
    _check_below_peak(row, spec, wl.total_flops() / batch)
    plan = plan_inference({batch: wl}, [spec], dtype=row["dtype"], runtimes=runtimes, host_resolver=get_device)
    ran = plan.devices[0].precision
    if ran.run != row["dtype"]:  # predicted at another precision than the figure was measured at
        raise cell_error("run", row, "dtype", f"is not what {spec.name} runs: {spec.name} runs {ran.run} "
                         f"({ran.reason}), so the row would be compared with a {ran.run} prediction",
                         f"write the precision the published figure was measured at ({spec.name}: {ran.run})")
    pt = plan.devices[0].points[0]
    pred = pt.latency_s * 1e3 if row["metric"] == "latency_ms" else pt.throughput_per_s
    return InferenceRunResult(id=row["id"], hardware=spec.name, model=as_written(row["model"]), metric=row["metric"],
                              published=float(row["published"]), predicted=pred, fitted=row["role"] == "fit",
                              source=(sources or {}).get(row["source"], row["source"]), note=row.get("note", ""),
                              source_key=" ".join(row["source"].split()), dtype=ran.run,
                              family=plan.devices[0].family)


def _check_below_peak(row: dict[str, str], spec: AcceleratorSpec, flop_per_inference: float) -> None:
    """An InputError naming the published cell when its figure beats the device's highest peak for the model's
    FLOPs (a unit slip: seconds in latency_ms, a whole server's rate): no inference takes less than its FLOPs at the
    peak, per inference even when the figure is a batch's."""
    peak = max((v for v in spec.peak_flop_per_s.values() if v), default=0.0)
    if not peak or not flop_per_inference:
        return
    published = float(row["published"])
    least_s = flop_per_inference / peak
    share = least_s / (published * 1e-3) if row["metric"] == "latency_ms" else published * least_s
    if share > 1.0:
        raise cell_error("run", row, "published", f"is {share:.0%} of what one {spec.name} can do at its peak for "
                         f"{row['model']}'s {flop_per_inference:.3g} FLOP per inference (faster than any runtime)",
                         "give milliseconds per inference for latency_ms (a figure in seconds is 1000x too small), "
                         "inferences per second of one device for throughput_per_s")


def validate_inference(runs_path: Path | str | None = None,
                       runtimes: list[InferenceRuntime] | None = None) -> list[InferenceRunResult]:
    rows, sources = read_inference_runs(runs_path)
    return _reproduce_rows(rows, sources, runtimes, runs_path)


def _reproduce_rows(rows: list[dict[str, str]], sources: dict[str, str], runtimes: list[InferenceRuntime] | None,
                    runs_path: Path | str | None) -> list[InferenceRunResult]:
    with naming_file("inference runs file", runs_path):  # an unknown device or model names the user's file too
        return each_row(rows, lambda r: _reproduce_named(r, runtimes, sources))


def _reproduce_named(row: dict[str, str], runtimes: list[InferenceRuntime] | None,
                     sources: dict[str, str]) -> InferenceRunResult:
    """reproduce_inference, its errors naming the run (an unknown model or device said only the name, so a
    user's table of many rows did not say which row to fix)."""
    try:
        return reproduce_inference(row, runtimes, sources)
    except AcceloptError as e:
        if e.problem.startswith("run "):
            raise
        raise type(e)(f"run {row.get('id', '?')!r}: {e.problem}", e.fix) from None


def validate_inference_result(runs_path: Path | str | None = None,
                               runtimes: list[InferenceRuntime] | None = None) -> ValidateInferenceResult:
    """Every row of the runs CSV reproduced, with the median errors (what `validate --inference` reports)."""
    rows, sources = read_inference_runs(runs_path)  # read once: the rows reproduced and their roles checked
    results = _reproduce_rows(rows, sources, runtimes, runs_path)
    bad = worst(results)
    return ValidateInferenceResult(runs=results, median_abs_error_held_out=median_abs_error(results, True),
                                   median_abs_error_all=median_abs_error(results, False),
                                   worst_held_out=bad.id if bad else None,
                                   by_source=summarize(results, lambda r: r.source_key),
                                   by_family=summarize(results, lambda r: r.family),
                                   by_precision=summarize(results, lambda r: r.dtype),
                                   input_warnings=role_lines(rows, runtimes))


def role_lines(rows: list[dict[str, str]], runtimes: list[InferenceRuntime] | None = None) -> list[str]:
    """Warnings for the rows whose role cell the runtime values they are predicted with contradict: 'fit' on a row
    its family was not fitted on (its fitted_on: the row counts in no held-out figure), 'test' on one it was fitted
    on (its error counts in the held-out median as if unseen). The bundled file agrees with its families; a user's
    file said nothing of either (utval, 2026-12-05). runs_csv.role_lines_of builds them."""
    rts = runtimes if runtimes is not None else load_runtimes()

    def fitted(row: dict[str, str]) -> tuple[str, tuple[str, ...]]:
        rt = runtime_for(row_device(row["hardware"]), rts)
        return rt.family, rt.fitted_on

    return role_lines_of(rows, "inference run", fitted,
                         lambda family: f"[family.{family}] of predict/data/inference.toml")


def median_abs_error(results: list[InferenceRunResult], held_out_only: bool = True) -> float:
    errs = [abs(r.error) for r in results if not (held_out_only and r.fitted)]
    return statistics.median(errs) if errs else math.nan


def worst(results: list[InferenceRunResult]) -> InferenceRunResult | None:
    held = [r for r in results if not r.fitted]
    return max(held, key=lambda r: abs(r.error)) if held else None


def fit_runtime(family: str, grid: dict[str, list[float]], runs_path: Path | str | None = None) -> InferenceRuntime:
    """Grid search over `grid` (field -> values) of one family, minimising the mean |log(pred/pub)| over the rows
    with role 'fit' on that family's devices. How the bundled edge-tpu values were made; never run per plan."""
    rts = load_runtimes()
    idx = next((i for i, rt in enumerate(rts) if rt.family == family), None)
    if idx is None:
        raise InputError(f"no inference family {family!r}", f"use one of {', '.join(r.family for r in rts)}")
    rows, _ = read_inference_runs(runs_path)
    fit_rows = [r for r in rows if r["role"] == "fit"]

    def error(cand: InferenceRuntime) -> float:
        trial = [*rts[:idx], cand, *rts[idx + 1:]]
        mine = [r for r in fit_rows if _family_of(r["hardware"], trial) == family]
        if not mine:
            raise InputError(f"no 'fit' row of family {family!r}", "declare fit rows in the runs CSV")
        return mean_abs_log_error([reproduce_inference(r, trial).predicted for r in mine],
                                  [float(r["published"]) for r in mine])

    return grid_fit(rts[idx], grid, error)[1]


def mean_abs_log_error(predicted: Sequence[float], measured: Sequence[float]) -> float:
    """The fit objective: mean |log(predicted / measured)| (a factor too fast weighs as much as one too slow)."""
    return statistics.mean(abs(math.log(p / m)) for p, m in zip(predicted, measured, strict=True))


def grid_fit(base: InferenceRuntime, grid: dict[str, list[float]],
             error: Callable[[InferenceRuntime], float]) -> tuple[float, InferenceRuntime]:
    """(least error, its runtime): `base` with each combination of `grid` (field -> values, in the given order;
    the first of equal errors wins) scored by `error`."""
    best: tuple[float, InferenceRuntime] | None = None
    names = list(grid)
    for combo in itertools.product(*(grid[n] for n in names)):
        values: dict[str, Any] = dict(zip(names, combo, strict=True))
        cand = replace(base, **values)
        err = error(cand)
        if best is None or err < best[0]:
            best = (err, cand)
    if best is None:
        raise InputError("the fit grid is empty", "give each fitted field at least one value")
    return best


def fit_compute_curve(base: InferenceRuntime, grid: dict[str, list[float]], flops: Sequence[float],
                      peak_flop_per_s: float, measured_s: Sequence[float]) -> tuple[float, InferenceRuntime]:
    """(mean |log error|, runtime): the op-size curve (the fields of `grid`, e.g. matmul_eff_max and
    matmul_half_flop) whose compute times (compute_time_s, as `plan infer` times a GEMM/conv) best follow
    `measured_s`, the measured compute-bound times of ops of `flops` FLOP on a device of `peak_flop_per_s`; the
    grid search and objective of fit_runtime. `simulate export` fits a design's curve so on its simulator."""
    if not flops or len(flops) != len(measured_s) or any(not t > 0 for t in measured_s):
        raise InputError("a curve fit needs one positive measured time per op", "measure every op of the ladder")

    def error(cand: InferenceRuntime) -> float:
        return mean_abs_log_error([compute_time_s(f, peak_flop_per_s, cand) for f in flops], measured_s)

    return grid_fit(base, grid, error)


MEASURED_CURVE_GRID: dict[str, list[float]] = {
    "matmul_eff_max": [round(0.05 + 0.01 * i, 2) for i in range(96)],
    "matmul_half_flop": [0.0, *(10.0 ** (k / 8) for k in range(8, 97))]}
"""Grid of fit_measured_curve: matmul_eff_max 0.05..1.00 step 0.01 (the fraction of the measured peak),
matmul_half_flop 0 and 1e1..1e12 FLOP in eighths of a decade (a 16^3 matmul is 8e3 FLOP, a GPU-sized one 1e9)."""


def fit_measured_curve(flops: Sequence[float], measured_s: Sequence[float],
                       peak_flop_per_s: float) -> tuple[float, dict[str, float]]:
    """(mean |log error|, {matmul_eff_max, matmul_half_flop}): the op-size curve of a device whose matmuls of
    `flops` FLOP were measured at `measured_s` against its measured peak (`accelopt probe`'s ladder), on
    MEASURED_CURVE_GRID by fit_compute_curve's objective."""
    base = next(rt for rt in load_runtimes() if rt.family == "default")  # the fit sets the two fields it varies
    err, rt = fit_compute_curve(base, MEASURED_CURVE_GRID, flops, peak_flop_per_s, measured_s)
    return err, {"matmul_eff_max": rt.matmul_eff_max, "matmul_half_flop": rt.matmul_half_flop}


MEASURED_CURVE_MAX_ERROR = math.log(2.0)
"""Largest mean |log error| of a measured curve fit (fit_measured_curve) taken without a warning: log 2, the curve's
times within a factor of 2 of the ladder times it was fitted on, on average. Past it the ladder does not follow
one eff(F) = matmul_eff_max x F / (F + matmul_half_flop) curve (e.g. 16^3 and 32^3 in 1.1-1.5 us but 64^3 to 512^3
all at ~8 ms, 2-thread matmuls waiting on a busy second core: mean |log error| 2.01, a factor of 7.5). Our choice of
bound; the curves `simulate export` fits on its own simulator sit within it (0.45 and 0.27, README). Such a curve
is still saved, with the warning in its source: the family curve a spec without one takes is an unfitted
assumption (family 'cpu': matmul_half_flop 0.5e9 FLOP, so `plan infer kws-dscnn` said 108 ms on a 2-core VM that
runs it in 0.76 ms, perf_counter median of 200 at batch 1, where a poor fit (error 0.98) said 0.12 ms): the
warning, not a refusal, is what serves `plan infer`."""


def measured_curve_warning(mean_abs_log_error: float) -> str | None:
    """What to say of a curve fitted by fit_measured_curve with this error, or None when it is within the bound."""
    if mean_abs_log_error <= MEASURED_CURVE_MAX_ERROR:
        return None
    return (f"the fit's mean |log error| {mean_abs_log_error:.3f} (times off by a factor of "
            f"{math.exp(mean_abs_log_error):.1f} on average) exceeds {MEASURED_CURVE_MAX_ERROR:.3f} (a factor of 2): "
            "the ladder's times follow no single op-size curve (calls stalled on a busy machine?); rerun probe on a "
            "quiet machine to trust it")


def _family_of(hardware: str, rts: list[InferenceRuntime]) -> str:
    from accelopt.predict.inference import runtime_for

    return runtime_for(row_device(hardware), rts).family
