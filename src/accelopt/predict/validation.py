"""Reproduce published training runs (predict/data/published_training_runs.csv) and measure the error.

The published figure each run is compared on is its step time:
- runs quoting TFLOP/s per GPU (Megatron-LM, BLOOM, MT-NLG) count hardware FLOPs with full recompute,
  F = 96 B s l h^2 (1 + s/(6h) + V/(16 l h))  (Narayanan et al. 2021, eq. 3), so step = F / (n x TFLOP/s);
- runs quoting MFU (Llama 3) give step = model FLOPs / (n x peak x MFU), with our model FLOPs;
- runs quoting the iteration time (Korthikanti et al. 2022, Table 5) use it directly.
Each row names its software stack (`stack` column, empty = megatron); the calibration of that stack is used.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from accelopt.errors import AcceloptError, InfeasibleError, InputError, case_hint, close_matches
from accelopt.hardware.spec import max_memory_note
from accelopt.predict.calibration import (
    DEFAULT_STACK,
    STACKS,
    Calibration,
    load_calibrations,
    user_families,
    with_values,
)
from accelopt.predict.comm import Assumption
from accelopt.predict.compute import attention_kernel_of, canonical_fp8_recipe
from accelopt.predict.cost import energy_defaults_note, host_not_counted_note
from accelopt.predict.curve_basis import CurveBasis, curve_basis
from accelopt.predict.query import BUCKET_DEFAULT_HEAD, BUCKET_DEFAULT_TAIL, LayoutQuery, predict_layout, uneven_note
from accelopt.predict.runs_csv import (
    ARCH_CELLS,
    InputFile,
    ParamsMismatch,
    bundled_header,
    bundled_ref,
    bundled_runs_text,
    cell_error,
    check_columns,
    check_table,
    csv_rows,
    each_row,
    flags_as_cells,
    kept_copy,
    missing_path_cell,
    naming_file,
    params_mismatch,
    positive_cell,
    resolve_path_cells,
    runs_named,
    short_row_error,
    some_ids,
    whole_cell,
)
from accelopt.predict.training import Layout, Setup, parse_recompute_modules, recompute_choices
from accelopt.units import unit
from accelopt.userio import read_user_text
from accelopt.workload.transformer import MLAConfig, TransformerConfig


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """One published run beside our prediction of it."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"error": "fraction", "fits": ""}

    id: str
    source: str
    hardware: str
    devices: int = unit("count")
    published_step_s: float = unit("s")
    predicted_step_s: float = unit("s", "estimate")
    published_mfu: float | None = unit("fraction")
    predicted_mfu: float = unit("fraction", "estimate")
    fitted: bool
    """True when the calibration was fitted on this run (then it is not a test of the model)."""
    utilization: str = "MFU"
    """What published_mfu/predicted_mfu measure: 'MFU' (model FLOPs) or 'HFU' (hardware FLOPs, recompute
    included — Narayanan et al. 2021 report TFLOP/s that count the recomputed forward pass)."""
    stack: str = DEFAULT_STACK
    """Software stack of the run (calibration.STACKS)."""
    family: str = ""
    """Calibration family of the device (calibration.toml)."""
    dtype: str = "bf16"
    """Training precision of the run (fp8: FP8 linear layers, the rest bf16)."""
    note: str = ""
    """The runs file's note column ('' when blank): why the run misses, or how its cells were read; the console and
    HTML list it under "why a held-out run misses by more than 25%" only for a held-out run beyond LARGE_ERROR."""
    memory_bytes_per_device: float | None = unit("B", "estimate: the busiest device's predicted memory, plan "
                                                 "explain's mem_total_bytes (None in a version-2 document)",
                                                 default=None)
    memory_capacity_bytes: float | None = unit("B", "what one device holds (catalog memory_bytes; None in a "
                                               "version-2 document)", default=None)
    assumed: list[Assumption] = field(default_factory=list)
    """Defaults used in place of link figures the device spec lacks, as `plan explain` lists them for the layout."""
    calibration_tag: str = ""
    """Where the run's GEMM efficiency comes from, as `plan` labels a device (CurveBasis.tag): 'uncalibrated:
    default curve' for a device no calibration family matches (a --catalog device), 'not fitted here: ...' for a
    family's carried values; '' when fitted on published runs of the family at this precision (and in a version-3
    document)."""
    calibration_basis: str = ""
    """The sentence behind calibration_tag (CurveBasis.text, as `plan explain` prints it); '' when the tag is ''."""

    @property
    def family_text(self) -> str:
        """The family as the console and the HTML page print it: 'default (uncalibrated: default curve)'."""
        return f"{self.family} ({self.calibration_tag})" if self.calibration_tag else self.family

    @property
    def error(self) -> float:
        """predicted / published - 1 (signed)."""
        return self.predicted_step_s / self.published_step_s - 1.0

    @property
    def fits(self) -> bool | None:
        """Whether the predicted memory fits the device (a published run did run: False is a memory-model miss or a
        row that cannot have run as written); None when not recorded."""
        if self.memory_bytes_per_device is None or self.memory_capacity_bytes is None:
            return None
        return self.memory_bytes_per_device <= self.memory_capacity_bytes


@dataclass(frozen=True, kw_only=True)
class ErrorSummary:
    """Held-out |error| of one group of runs (a source, a device family or a precision)."""

    group: str
    held_out_runs: int = unit("count")
    median_abs_error: float = unit("fraction", "median over the group's held-out runs (NaN when none)")
    worst_abs_error: float = unit("fraction", "largest over the group's held-out runs (NaN when none)")
    worst_run: str
    """Id of the run with the worst |error| ('' when none is held out)."""


@dataclass(frozen=True, kw_only=True)
class ValidateResult:
    """`accelopt validate`: published training runs reproduced by the predictor."""

    SCHEMA_KIND: ClassVar[str] = "validate"
    SCHEMA_VERSION: ClassVar[int] = 6
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5)
    """Version 2 added params_mismatches and params_unchecked_runs; version 3 each run's memory_bytes_per_device,
    memory_capacity_bytes, assumed (defaults None, None, []) and the derived fits; version 4 each run's
    calibration_tag and calibration_basis (defaults ''); version 5 input_notes (default []); version 6
    input_files (default [])."""

    runs: list[RunResult]
    median_abs_error_held_out: float = unit("fraction", "over runs the calibration was not fitted on")
    median_abs_error_all: float = unit("fraction")
    median_abs_error_held_out_by_source: dict[str, float] = unit("fraction", "held-out runs, by publication")
    by_source: list[ErrorSummary]
    """Held-out median and worst |error| per publication: a bundled row's citation key (the source column's first
    word), any other row's whole source cell."""
    by_family: list[ErrorSummary]
    """Held-out median and worst |error| per calibration family."""
    by_precision: list[ErrorSummary]
    """Held-out median and worst |error| per training precision."""
    params_mismatches: list[ParamsMismatch] = field(default_factory=list)
    """Runs whose architecture cells count other parameters than their params_b (check_params)."""
    params_unchecked_runs: int = unit("count", "runs with params_b blank: their architecture is not checked",
                                      default=0)
    input_notes: list[str] = field(default_factory=list)
    """`validate` puts first the warnings on a --calibration file's [family.NAME] tables that drop bundled stack
    tables or whose match globs fit no run's device, then a hardware cell's spec probed on a busy machine; then
    warnings on a --calibration file's fitted_on ids that no run of the report is fitted on (fitted_on_lines), then
    notes on a --runs file's cells that read otherwise than `accelopt plan` assumes (runs_file_notes: blank
    flash / overlap / zero, recompute without +sp at tp > 1, a global batch dp does not divide), then the config keys
    the predictor does not model of each config.json a model cell names (added by `validate`), as the console prints
    them on stderr; [] for the bundled runs file under the bundled calibration."""
    input_files: list[InputFile] = field(default_factory=list)
    """The runs file and calibration file the report read, each with its SHA-256 (added by `validate`): `history
    compare` says when two reports read different ones; [] in a report of before version 6."""


def memory_line(runs: list[RunResult]) -> str:
    """The line naming the runs the memory model puts over their devices' memory ('' when none), as the console
    and the HTML report print it."""
    over = [f"{r.id} ({r.memory_bytes_per_device / 2**30:.1f} of {r.memory_capacity_bytes / 2**30:.1f} GiB)"
            for r in runs if r.fits is False and r.memory_bytes_per_device and r.memory_capacity_bytes]
    if not over:
        return ""
    return (f"memory: {len(over)} run(s) over their devices' memory as predicted (the busiest device's weights, "
            f"gradients, optimizer state, activations and overhead; a run that ran is a memory-model miss, else a "
            f"layout that cannot run as written): {', '.join(over)}")


def params_lines(result: ValidateResult) -> list[str]:
    """The lines on the runs whose architecture cells count other parameters than their params_b (one line for those
    their notes explain, a warning for each other) and on the runs left unchecked, as the console prints them on
    stderr and the HTML report among its warnings (the page had none of them)."""
    out = params_mismatch_lines(result.params_mismatches)
    if result.params_unchecked_runs:
        out.append(f"note: {result.params_unchecked_runs} run(s) have params_b blank: their architecture cells are "
                   "not checked against a published parameter count")
    return out


def params_mismatch_lines(mismatches: list[ParamsMismatch]) -> list[str]:
    """params_lines' lines on the runs whose architecture cells count other parameters than their params_b: one
    note for those their notes explain, a warning for each other (row_input_notes gives one row's)."""
    out = []
    explained = [m for m in mismatches if m.explained]
    if explained:  # one line, so a note that merely names params_b cannot hide a mistyped cell entirely
        out.append(f"note: {len(explained)} run(s) count other than their params_b, as their notes say: "
                   + ", ".join(f"{m.id} ({m.counted_params / 1e9:.2f} vs {m.published_params / 1e9:g} B)"
                               for m in explained))
    for m in mismatches:
        if m.explained:
            continue
        hint = (f"; the {m.likely_cell} cell may be mistyped ({m.likely_value} would count "
                f"{(m.likely_counted_params or 0.0) / 1e9:.2f} B)" if m.likely_cell else "; no one-keystroke change "
                "of one architecture cell (hidden, layers, ffn, vocab, heads, kv_heads) explains it")
        out.append(f"warning: run {m.id!r}: its architecture cells count {m.counted_params / 1e9:.2f} B parameters, "
                   f"its params_b {m.published_params / 1e9:g} B (+- {m.tolerance_params / 1e9:.2g} B){hint}; fix the "
                   "cell, or say why in the row's note naming params_b")
    return out


SLOW_FIGURE = 0.03
"""A published step this slow (its model FLOPs under 3% of the devices' peak; the bundled runs' least is
BUNDLED_LEAST_SHARE) is likely a figure in another unit: a TFLOP/s per device written in step_s (137 for a 3.53 s
step)."""
BUNDLED_LEAST_SHARE = 0.058
"""The least share of the devices' peak a bundled run's published step puts its FLOPs at (mb-b200-qwen3-30b,
2026-12-03), which the warning quotes; tests/test_validate_slow_figure.py recomputes it from the bundled runs."""


def slow_figure_line(runs: list[RunResult]) -> str:
    """A warning naming the runs whose published step puts the predicted utilization x predicted / published step
    under SLOW_FIGURE of the peak, or ''. Not refused: a run can be that slow (a tiny model on a slow network)."""
    slow = [(r, r.predicted_mfu * r.predicted_step_s / r.published_step_s) for r in runs
            if r.published_step_s > 0 and r.predicted_mfu * r.predicted_step_s / r.published_step_s < SLOW_FIGURE]
    if not slow:
        return ""
    return (f"warning: {len(slow)} run(s) whose published step puts the step's FLOPs under {SLOW_FIGURE:.0%} of the "
            f"devices' peak (the bundled runs' least is {BUNDLED_LEAST_SHARE:.1%}): "
            + ", ".join(f"{r.id} ({u:.2%} {r.utilization}, {r.published_step_s:g} s)" for r, u in slow)
            + ": a figure in another unit? step_s is seconds per optimizer step (= global_batch x seq / (tokens/s per "
            "device x devices)); a TFLOP/s per device goes in tflops_per_gpu (Narayanan et al. 2021 eq. 3 only), an "
            "MFU in mfu_pct")


def calibration_lines(runs: list[RunResult]) -> list[str]:
    """One line per calibration basis that is not a fit on published runs of the device's family (an uncalibrated
    --catalog device, a carried or derived curve), naming the runs it entered, as `plan explain` prints the basis."""
    return _lines_by_text("calibration of", runs, lambda r: [f"{r.calibration_tag} — {r.calibration_basis}"]
                          if r.calibration_tag else [])


def assumed_lines(runs: list[RunResult]) -> list[str]:
    """One line per default used in place of a device spec's missing link figure, naming the runs it entered
    (as `plan explain` prints it beside the layout)."""
    return _lines_by_text("assumed for", runs, lambda r: [a.text() for a in r.assumed])


def _lines_by_text(head: str, runs: list[RunResult], texts: Callable[[RunResult], list[str]]) -> list[str]:
    """'HEAD N run(s) on DEVICES (ids): TEXT', one line per text that `texts` gives for any run."""
    used: dict[str, dict[str, list[str]]] = {}  # text -> device -> runs
    for r in runs:
        for text in texts(r):
            used.setdefault(text, {}).setdefault(r.hardware, []).append(r.id)
    out = []
    for text, by_device in used.items():
        ids = [i for run_ids in by_device.values() for i in run_ids]
        out.append(f"{head} {len(ids)} run(s) on {', '.join(by_device)} ({', '.join(ids[:5])}"
                   f"{', ...' if len(ids) > 5 else ''}): {text}")
    return out


LARGE_ERROR = 0.25
"""A held-out run beyond this |error| must carry a note (the runs file's note column) with a checked reason."""


def large_miss_notes(runs: list[RunResult]) -> list[RunResult]:
    """The held-out runs beyond LARGE_ERROR that carry a note: what "why a held-out run misses by more than 25%"
    lists (console and HTML); a fitted run's or a closer run's note stays in the JSON's note field only."""
    return [r for r in runs if r.note and not r.fitted and abs(r.error) > LARGE_ERROR]


class Judged(Protocol):
    """A reproduced published figure, as summarize groups it (RunResult; inference_validation.InferenceRunResult)."""

    @property
    def id(self) -> str: ...
    @property
    def fitted(self) -> bool: ...
    @property
    def error(self) -> float: ...


JudgedT = TypeVar("JudgedT", bound=Judged)


def summarize(results: Sequence[JudgedT], key: Callable[[JudgedT], str]) -> list[ErrorSummary]:
    """Held-out median and worst |error| of the runs grouped by `key`, groups in name order."""
    out = []
    for group in sorted({key(r) for r in results}):
        held = [r for r in results if key(r) == group and not r.fitted]
        worst = max(held, key=lambda r: abs(r.error)) if held else None
        med = statistics.median(abs(r.error) for r in held) if held else float("nan")
        out.append(ErrorSummary(group=group, held_out_runs=len(held), median_abs_error=med,
                                worst_abs_error=abs(worst.error) if worst else float("nan"),
                                worst_run=worst.id if worst else ""))
    return out


def source_key(r: RunResult) -> str:
    """The group of a run "by source": a bundled row (its id and source as bundled, in any runs file: a copy of the
    bundled file groups as the bundled file does) by its publication's citation key, the source cell's first word
    ("Korthikanti2022 Table5", "MaxText v5e README" -> "MaxText"), a convention of that file only; any other row by
    its whole source cell, as `validate --serving` groups its rows ("our cluster 2026-11" and "our lab" are two
    sources; by the first word both were "our")."""
    if (r.id, r.source) in _bundled_sources():
        return r.source.split()[0]
    return " ".join(r.source.split())


@functools.cache
def _bundled_sources() -> frozenset[tuple[str, str]]:
    """(id, source) of every row of the bundled runs file."""
    return frozenset((row["id"], row["source"]) for row in read_runs(None))


_RUNS_FILE = "published_training_runs.csv"
_BUNDLED_REPORT: dict[Hashable, ValidateResult] = {}
"""The report of the bundled runs file under the bundled calibration, by (runs text, calibration text): the last
one only. A process that asks for it again (a test suite: 40+ test files read it, 8 s each) gets a copy."""


def clear_report_cache() -> None:
    """Forget the bundled report (validate_report): needed only after patching the predictor's code in process
    (tests/conftest.py's monkeypatch does it); a changed bundled file is a new key of its own."""
    _BUNDLED_REPORT.clear()


def validate_report(runs_path: Path | str | None = None, calibration: Path | str | None = None,
                    catalog: tuple[str, ...] = ()) -> ValidateResult:
    """`accelopt validate`: every run of the runs file reproduced, with the held-out error overall and per source,
    per family and per precision; `catalog`: extra catalog TOML files naming the devices of the rows' hardware
    cells (`validate --catalog`). The bundled file's report under the bundled calibration is computed once per
    process (its texts are the key) and returned as a copy: the caller may change it."""
    if runs_path is not None or calibration is not None or catalog:
        return _validate_report(runs_path, calibration, catalog)
    from accelopt.predict import calibration as bundled  # by attribute: a patched bundled_text is a new key

    key = (bundled_runs_text(_RUNS_FILE), bundled.bundled_text())
    return kept_copy(_BUNDLED_REPORT, key, lambda: _validate_report(None, None, ()))


def _validate_report(runs_path: Path | str | None, calibration: Path | str | None,
                     catalog: tuple[str, ...]) -> ValidateResult:
    twice: dict[int, InputError] = {}  # a repeated id, named with the other rows' bad values (fix5a)
    rows = read_runs(runs_path, twice)  # read and checked once: the runs reproduced and the params check share them
    cals = load_calibrations(calibration)  # its errors name the calibration file
    with naming_file("runs file", runs_path):
        kept: dict[int, tuple[Any, Any]] = {}  # each row's prediction, read again by cell_effect_lines
        params: list[ParamsMismatch] = []  # each row's params_b checked in the same pass: one error for all rows
        results = reproduce_rows(rows, cals, catalog, kept=kept, params=params, first=twice)
    by_source = summarize(results, source_key)
    fit_lines = calibration_fit_lines(calibration, results)
    return ValidateResult(runs=results, median_abs_error_held_out=median_abs_error(results, held_out_only=True),
                          median_abs_error_all=median_abs_error(results, held_out_only=False),
                          median_abs_error_held_out_by_source={g.group: g.median_abs_error for g in by_source},
                          by_source=by_source, by_family=summarize(results, lambda r: r.family),
                          by_precision=summarize(results, lambda r: r.dtype), params_mismatches=params,
                          params_unchecked_runs=sum(not (r.get("params_b") or "").strip() for r in rows),
                          input_notes=[*fit_lines, *runs_file_notes(rows, results),
                                       *cell_effect_lines(rows, cals, catalog, kept)]
                          if runs_path is not None else fit_lines)


def row_input_notes(row: dict[str, str], result: RunResult, cals: dict[str, Calibration],
                    catalog: tuple[str, ...] = ()) -> list[str]:
    """The report's input notes (ValidateResult.input_notes) that concern one row of a user's runs file: its blank
    flash / overlap / zero cells, recompute without +sp at tp > 1, an uneven batch (runs_file_notes) and `plan
    explain`'s notes on its step, a default bucket or a default used among them (cell_effect_lines), and its params_b
    line where its architecture cells count other than its params_b (params_mismatch_lines; since utleft8). `validate
    --row` printed none of them, so a user saw them only in the report (s32 utval). The unmodelled config.json keys of
    a model cell are added by the command (cli/validate.py), as for the report."""
    return [*runs_file_notes([row], [result]), *cell_effect_lines([row], cals, catalog),
            *params_mismatch_lines(check_params([row]))]


def calibration_fit_lines(calibration: Path | str | None, results: list[RunResult],
                          known: Collection[str] = ()) -> list[str]:
    """fitted_on_lines of a --calibration file (none without one): the report's and `validate --row`'s."""
    return fitted_on_lines(user_families(calibration), results, known) if calibration is not None else []


def fitted_on_lines(user: dict[str, Calibration], results: list[RunResult], known: Collection[str] = ()) -> list[str]:
    """Warnings on the fit rows a --calibration file declares (`user`: its families, calibration.user_families) that
    no run of the report is fitted on: an id in neither the runs validated nor the bundled file (a typo, with the
    closest ids), and an id of a run predicted with another table, whose fitted_on does not list it. Either left
    the run the user meant as a fit row among the held-out ones without a word (uttrial3, 2026-12-05); a serving
    row has its `role` cell, checked against its table (runs_csv.role_lines_of), a training row has none. `known`:
    ids of the runs file besides `results` (`validate --row` reproduces only the rows it names), not typos."""
    by_id = {r.id: r for r in results}
    bundled = {bid for bid, _ in _bundled_sources()}
    out = []
    for name, fam in user.items():
        tables = [(f"[family.{name}]", fam), *((f"[family.{name}.stack.{s}]", t) for s, t in fam.stacks.items())]
        for label, table in tables:
            for key in ("fitted_on", "fp8_fitted_on", "fp8_factor_fitted_on"):
                for rid in getattr(table, key):
                    run = by_id.get(rid)
                    if run is None and rid not in bundled and rid not in known:
                        close = close_matches(rid, list(dict.fromkeys([*by_id, *known])), n=1)
                        meant = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
                        out.append(f"warning: {label} {key} names {rid!r}, a run in neither the runs validated nor "
                                   f"the bundled file{meant}, so no run is fitted on it — write the run's id as its "
                                   "id cell spells it (a fit row left unnamed counts as held out)")
                    elif run is not None and not run.fitted:
                        out.append(f"warning: {label} {key} names {rid!r}, which this report holds out: it is "
                                   f"predicted with [family.{run.family}] (stack {run.stack}), whose fitted_on does "
                                   f"not list it — list it there, or remove it from {label} {key}")
    return out


# Cells a user's runs file may leave blank whose default (the bundled file's, its Megatron-LM 2021 rows') is the
# opposite of `accelopt plan`'s: a modern run written without them was predicted ~2x slower without a word (Llama 3
# 8B on 64 H100, 512 x 8192 tokens: 12.3 s blank, 5.8 s with flash 1 and overlap 1).
_OFF_BY_DEFAULT = {"flash": "attention without a fused kernel (the s x s scores in memory)",
                   "overlap": "the data-parallel gradient all-reduce not overlapped with the backward"}


def runs_file_notes(rows: list[dict[str, str]], results: list[RunResult]) -> list[str]:
    """The notes on a user's runs file (ValidateResult.input_notes): the runs whose flash / overlap / zero cells are
    blank (or whose file has no such column), those whose recompute cell leaves sequence parallelism off with tp > 1,
    and those whose global_batch does not divide by dp: each reads as other than `accelopt plan` assumes.
    `results`: the report's runs (a blank-zero run predicted over memory is named). They went to stderr only, so the
    --json document and the page did not carry them."""
    runs_over = {r.id for r in results if r.fits is False}
    blank = {col: [r.get("id") or "?" for r in rows if not (r.get(col) or "").strip()] for col in _OFF_BY_DEFAULT}
    said = [f"{col} in {runs_named(ids)}: read as 0, "
            f"{_OFF_BY_DEFAULT[col]}" for col, ids in blank.items() if ids]
    out = []
    if said:
        out.append("note: blank " + "; blank ".join(said) + " — the bundled file's default (its Megatron-LM 2021 "
                   "rows); `accelopt plan` assumes both on: write 1 in the flash / overlap cells of a run that had "
                   "them")
    no_zero = [r.get("id") or "?" for r in rows if not (r.get("zero") or "").strip()]
    if no_zero:
        out.append(_blank_zero_line(no_zero, runs_over))
    no_sp = [r.get("id") or "?" for r in rows if _tp_above_one(r) and "+sp" not in (r.get("recompute") or "")]
    if no_sp:  # sequence parallelism is read from the recompute cell's suffix only (run_query)
        out.append(f"note: recompute without +sp in {runs_named(no_sp)} with tp > 1: read as "
                   "sequence parallelism off (`plan explain --no-sp`), while `accelopt plan` turns it on whenever tp > "
                   "1: add +sp to the recompute cell of a run that had it (e.g. write selective+sp)")
    return out + _uneven_lines(rows)


def cell_effect_lines(rows: list[dict[str, str]], cals: dict[str, Calibration],
                      catalog: tuple[str, ...] = (), kept: dict[int, tuple[Any, Any]] | None = None) -> list[str]:
    """`plan explain`'s notes on the step it predicts for each row (predict_layout's, as the command prints them),
    one line per note with the runs it concerns: the distributed optimizer's bucket a blank dp_bucket_params cell
    leaves at Megatron-Core's default ('default used:'), a cell whose flag has no effect on the row's layout
    (p2p_overlap at pp 1, a bucket under ZeRO 0), a vp whose chunks do not split the layers evenly (an upper bound),
    a job across slice_devices slices, an attention kernel or an MoE expert floor without a published rate (the
    default in its place), what recompute_modules recompute. The same row typed as the command printed them; the
    report filled the defaults and dropped the cells without a word (utval, 2026-12-05). Left out: the uneven batch
    (_uneven_lines says it) and the energy / host / memory-limit notes (nothing of them is in the report).
    `cals`: the calibration the rows were reproduced with; `catalog`: the --catalog files the hardware cells may
    name; `kept`: the rows' predictions reproduce kept (reproduce_rows(kept=...)), read rather than made again
    (utleftplan: on the bundled file given as --runs, 4.5 of its 9.7 s went to predicting every row twice)."""
    by_note: dict[str, list[str]] = {}
    by_bucket: dict[str, list[str]] = {}  # run id -> its default bucket(s)
    blank_stack: dict[str, list[str]] = {}  # a non-NVIDIA device's name -> its runs with a blank stack cell
    for row in rows:
        try:
            q, res = (kept or {}).get(id(row)) or _query_layout(row, cals, catalog)
        except AcceloptError:  # the row's own error was reported when it was reproduced
            continue
        spec = res.spec
        if not (row.get("stack") or "").strip() and spec.vendor.upper() != "NVIDIA":
            blank_stack.setdefault(spec.name, []).append(row.get("id") or "?")
        off = {uneven_note(q.global_batch_seqs or 0, res.layout.dp), energy_defaults_note([spec], q.facility),
               host_not_counted_note([spec], q.facility), max_memory_note([spec], "memory fits")}
        for note in res.notes:
            if note.startswith(BUCKET_DEFAULT_HEAD) and note.endswith(BUCKET_DEFAULT_TAIL):  # one line for them all
                values = note[len(BUCKET_DEFAULT_HEAD):-len(BUCKET_DEFAULT_TAIL)].split(", ")
                by_bucket.setdefault(row.get("id") or "?", values)
            elif note not in off:
                by_note.setdefault(note, []).append(row.get("id") or "?")
    if by_bucket:
        values = sorted({v for vs in by_bucket.values() for v in vs}, key=lambda v: int(v.replace(",", "")))
        by_note = {f"{BUCKET_DEFAULT_HEAD}{', '.join(values)}{BUCKET_DEFAULT_TAIL}": list(by_bucket), **by_note}
    return [*(f"note: {runs_named(ids)}: {note}"
              f"{flags_as_cells(note, None, _RENAMED_FLAGS, _known_columns())}" for note, ids in by_note.items()),
            *_blank_stack_lines(blank_stack)]


def _blank_stack_lines(blank: dict[str, list[str]]) -> list[str]:
    """'default used:' for the runs on a device not NVIDIA's whose stack cell is blank (or whose file has no such
    column): run_stack reads them as megatron, the bundled file's default (its Megatron-LM rows on NVIDIA GPUs),
    which a TPU or Trainium run rarely used (MaxText, Neuron). The table showed the stack, no line named it as a
    default (ut4left). `blank`: each device's name -> its runs."""
    return [f"note: {runs_named(ids)}: default used: stack {DEFAULT_STACK} on {device} (the stack cell is blank: the "
            "runs file's default, Megatron-LM's on NVIDIA GPUs) — write the run's stack in its stack cell ("
            f"{', '.join(STACKS)}; e.g. maxtext for a JAX/XLA MaxText run on a TPU slice)"
            for device, ids in blank.items()]


def _query_layout(row: dict[str, str], cals: dict[str, Calibration], catalog: tuple[str, ...]) -> tuple[Any, Any]:
    q = run_query(row, catalog=catalog)
    return q, predict_layout(q, cals)


def _blank_zero_line(ids: list[str], over: set[str]) -> str:
    """The note on runs whose zero cell is blank: read as ZeRO 0 (every rank holds the whole optimizer state), where
    `plan explain --zero` defaults to 1 (docs/runs_files.md); the ones predicted over memory are named, as a modern
    run written without the cell reads as one that cannot fit (Llama 3 8B on 64 H100: 161.9 of 79.6 GiB)."""
    over_ids = [i for i in ids if i in over]
    said_over = f", {len(over_ids)} of them predicted over their devices' memory ({some_ids(over_ids)})" \
        if over_ids else ""
    return (f"note: blank zero in {runs_named(ids)}: read as 0, every data-parallel rank holding the "
            f"whole optimizer state (no ZeRO sharding){said_over} — the bundled file's default; `accelopt plan "
            "explain` assumes --zero 1 (optimizer state sharded over dp x cp, Megatron-LM's distributed optimizer): "
            "write 1 in the zero cell of a run that sharded its optimizer state, 3 for FSDP")


def _uneven_lines(rows: list[dict[str, str]]) -> list[str]:
    """`plan explain`'s uneven-batch note (query.uneven_note) for each run whose global_batch does not divide by its
    dp: the run is timed at the fullest rank's share, which the command says and the report did not."""
    lines = []
    for r in rows:
        try:
            note = uneven_note(int((r.get("global_batch") or "").strip()), int((r.get("dp") or "").strip()))
        except ValueError:  # the row's own error was reported when it was read
            continue
        if note is not None:
            lines.append(f"note: run {r.get('id') or '?'}: {note}")
    return lines


def _tp_above_one(row: dict[str, str]) -> bool:
    try:
        return int((row.get("tp") or "1").strip()) > 1
    except ValueError:  # the row's own error was reported when it was read
        return False


def check_params(rows: list[dict[str, str]]) -> list[ParamsMismatch]:
    """Rows whose architecture cells (run_model: the predictor's own count, params_total) miss their params_b cell,
    the published count in billions, by more than runs_csv.params_tolerance; a blank params_b is not checked."""
    return [m for m in each_row(rows, row_params_mismatch) if m is not None]


def row_params_mismatch(row: dict[str, str]) -> ParamsMismatch | None:
    """check_params of one row: its mismatch, or None (within the tolerance, or params_b blank)."""
    if _positive_cell(row, "params_b") is None:
        return None
    if any(c in row["params_b"] for c in "eE_"):  # its written digits set the tolerance (params_tolerance)
        raise InputError(f"run {row.get('id', '?')!r}: params_b = {row['params_b'].strip()!r} is not written "
                         "as a decimal number of billions", "write it as published, e.g. 70 or 70.55 (the "
                         "digits written set the tolerance of the check)")
    cells = {c: row.get(c) or "" for c in ARCH_CELLS}
    return params_mismatch(row["id"], row["params_b"], row.get("note") or "", run_model(row), cells)


def read_runs(path: Path | str | None = None, duplicates: dict[int, InputError] | None = None) -> list[dict[str, str]]:
    """The rows of a training runs file (the bundled one by default), its table checked (check_table; `duplicates`:
    as its, for reproduce_rows' `first`: without it a repeated id is an InputError at once)."""
    if path is None:
        text = bundled_runs_text(_RUNS_FILE)
    else:
        text = read_user_text(path, "runs file", "pass a CSV in the bundled format to --runs")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    where = "the bundled runs file" if path is None else f"runs file {path}"
    rows = csv_rows(lines, where, "published_training_runs.csv")
    if not rows:
        raise InputError(f"{where} holds no runs (a header line and one row per run are needed)",
                         "pass a CSV in the format of " + bundled_ref("published_training_runs.csv")
                         + " (docs/runs_files.md lists every column)")
    header = [c for c in rows[0] if c is not None]
    required = tuple(c for c in _REQUIRED_COLUMNS if "model" not in header or c not in MODEL_ARCH_CELLS)
    check_columns(rows, required, where, "published_training_runs.csv")
    check_table(rows, "published_training_runs.csv", where, also_read=_READ_BEYOND_HEADER, needed=required,
                duplicates=duplicates)
    resolve_path_cells(rows, path)  # a spec TOML named relative to the CSV's folder
    return rows


_FIGURES = ("step_s", "mfu_pct", "tflops_per_gpu")
"""The columns a run's published figure may come from (see reproduce)."""

# Columns every run needs; the published figure comes from step_s, mfu_pct or tflops_per_gpu (see reproduce).
_REQUIRED_COLUMNS = ("id", "source", "hardware", "devices", "layers", "hidden", "heads", "ffn", "vocab", "seq", "mlp",
                     "global_batch", "tp", "pp", "dp", "recompute")
# Read by run_query (-> plan --schedule; model -> plan explain --model, _model_cell) though no bundled row needs
# them, so the bundled header lacks them: a user's runs file may carry them (check_table must not refuse them).
_READ_BEYOND_HEADER = ("schedule", "model")


def _positive_cell(row: dict[str, str], key: str) -> float | None:
    """The number in `row[key]` (None if blank); a non-number, NaN, inf, zero or negative is an InputError."""
    return positive_cell("run", row, key) if (row.get(key) or "").strip() else None


_MAX_COUNT = 2**31 - 1  # layers, widths, batch, devices: no published run comes near; beyond it numpy overflows


def _i(row: dict[str, str], key: str, default: int | None = None, low: int = 1, high: int = _MAX_COUNT) -> int:
    """The whole number in `row[key]` (`default` if blank; required when None), low <= v <= high."""
    return whole_cell("run", row, key, low, high, blank=default)


def _flag(row: dict[str, str], key: str) -> bool:
    """A 0/1 cell (blank: 0); any other number is an InputError, not a silent 'on'."""
    return bool(_i(row, key, 0, low=0, high=1))


@dataclass(frozen=True, kw_only=True)
class MoeCells:
    """The mixture-of-experts cells of a run, as TransformerConfig takes them (a dense run: experts 1, the rest at
    their dense defaults)."""

    experts: int = unit("count", "routed experts per MoE layer (1 = dense)", default=1)
    top_k: int = unit("count", "experts each token is routed to", default=1)
    shared_experts: int = unit("count", "shared experts, in routed-expert widths", default=0)
    first_dense_layers: int = unit("count", "leading dense layers (first_k_dense_replace)", default=0)
    moe_every: int = unit("count", "every n-th layer is MoE", default=1)
    expert_ffn: int | None = unit("count", "the experts' width (moe_ffn; None: the ffn cell)", default=None)
    dense_ffn: int | None = unit("count", "the dense layers' width when moe_ffn is given (the ffn cell)",
                                 default=None)


def _moe_fields(row: dict[str, str]) -> MoeCells:
    """The mixture-of-experts cells of a run (MoeCells(); experts 1 for a dense run), read as `plan` reads a Hugging
    Face config.json (workload.presets): experts (num_experts / num_local_experts / n_routed_experts), top_k
    (num_experts_per_tok), moe_ffn (moe_intermediate_size: the experts' width; the ffn cell is then the dense layers'
    intermediate_size), shared_experts (n_shared_experts, in routed-expert widths), first_dense
    (first_k_dense_replace) and moe_every (decoder_sparse_step / moe_layer_freq)."""
    experts = _i(row, "experts", 1)
    others = [c for c in _MOE_CELLS if c != "experts" and (row.get(c) or "").strip()]
    if experts == 1:
        if others:  # an expert cell on a dense row would be dropped without a word
            raise InputError(f"run {row.get('id', '?')!r}: {', '.join(others)} given without experts",
                             "give the experts cell (routed experts per MoE layer, > 1), or leave the expert cells "
                             "blank for a dense model")
        return MoeCells()
    wide = bool((row.get("moe_ffn") or "").strip())
    return MoeCells(experts=experts, top_k=_i(row, "top_k", 1), shared_experts=_i(row, "shared_experts", 0, low=0),
                    first_dense_layers=_i(row, "first_dense", 0, low=0), moe_every=_i(row, "moe_every", 1),
                    expert_ffn=_i(row, "moe_ffn") if wide else None, dense_ffn=_i(row, "ffn") if wide else None)


_MOE_CELLS = ("experts", "top_k", "moe_ffn", "shared_experts", "first_dense", "moe_every")
"""The architecture cells of a mixture-of-experts run (run_model); `ep` (and `etp`) are its layout cells."""


_MLA_CELLS = ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
"""Multi-head latent attention cells, named as a DeepSeek-V2/V3 config.json names them (workload.presets._mla)."""


def _mla_cells(row: dict[str, str]) -> MLAConfig | None:
    """Multi-head latent attention (DeepSeek-V2 sec. 2.1, MLAConfig) of a run, read as `plan` reads a DeepSeek
    config.json: kv_lora_rank given turns it on and needs qk_nope_head_dim, qk_rope_head_dim and v_head_dim;
    q_lora_rank blank = the query is not compressed (DeepSeek-V2-Lite). None when every MLA cell is blank."""
    given = [c for c in _MLA_CELLS if (row.get(c) or "").strip()]
    if not given:
        return None
    rid = row.get("id", "?")
    if "kv_lora_rank" not in given:  # the other cells alone would be dropped without a word
        raise InputError(f"run {rid!r}: {', '.join(given)} given without kv_lora_rank",
                         "give kv_lora_rank (the latent K/V width, DeepSeek-V3: 512) for multi-head latent attention, "
                         "or leave the MLA cells blank for standard attention")
    missing = [c for c in _MLA_CELLS[2:] if c not in given]
    if missing:
        raise InputError(f"run {rid!r}: multi-head latent attention (kv_lora_rank given) lacks {', '.join(missing)}",
                         "give every MLA cell as the model's config.json does (DeepSeek-V3: qk_nope_head_dim 128, "
                         "qk_rope_head_dim 64, v_head_dim 128)")
    kv = (row.get("kv_heads") or "").strip()
    if kv and kv != (row.get("heads") or "").strip():  # MLA has a key and a value per query head: it would be dropped
        raise InputError(f"run {rid!r}: kv_heads = {kv!r} with multi-head latent attention",
                         "leave kv_heads blank (or equal to heads): MLA up-projects a key and a value for every query "
                         "head from the kv_lora_rank latent (DeepSeek-V3 config.json: num_key_value_heads 128 = heads)")
    if (row.get("head_dim") or "").strip():  # MLA's head widths are its own cells: head_dim would be dropped
        raise InputError(f"run {rid!r}: head_dim given with multi-head latent attention",
                         "leave head_dim blank: an MLA head is qk_nope_head_dim + qk_rope_head_dim wide (queries, "
                         "keys) and v_head_dim (values)")
    return MLAConfig(q_lora_rank=_i(row, "q_lora_rank", 0, low=0) or None, kv_lora_rank=_i(row, "kv_lora_rank"),
                     qk_nope_head_dim=_i(row, "qk_nope_head_dim"), qk_rope_head_dim=_i(row, "qk_rope_head_dim"),
                     v_head_dim=_i(row, "v_head_dim"))


def _window_cells(row: dict[str, str]) -> tuple[int | None, int | None]:
    """(sliding window, layers that use it) of a run: sliding_window blank = full attention; sliding_window_layers
    blank = every layer (Mistral 7B), else how many layers are windowed (Gemma 2: every other; Gemma 3: 5 of 6;
    GPT-OSS: layer_types 'sliding_attention', every other), as `plan` counts a config.json's layer_types."""
    window = _i(row, "sliding_window") if (row.get("sliding_window") or "").strip() else None
    if not (row.get("sliding_window_layers") or "").strip():
        return window, None
    if window is None:  # a count of windowed layers without a window would be dropped without a word
        raise InputError(f"run {row.get('id', '?')!r}: sliding_window_layers given without sliding_window",
                         "give sliding_window (the keys a windowed layer attends to), or leave "
                         "sliding_window_layers blank")
    layers = _i(row, "layers")
    return window, whole_cell("run", row, "sliding_window_layers", 0, layers, unit="layers (0..layers)")


MODEL_ARCH_CELLS = ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "mlp", "tied", "head_dim", "parallel",
                    "sliding_window", "sliding_window_layers", "experts", "top_k", "moe_ffn", "shared_experts",
                    "first_dense", "moe_every", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
                    "v_head_dim", "moe_expert_bias")
"""The cells run_model reads the architecture from; a `model` cell (a preset or config.json) says all of them."""


def _model_cell(row: dict[str, str]) -> TransformerConfig | None:
    """The model a row's `model` cell names, as `plan explain --model` reads it (a preset, a config.json or its
    folder; get_model), or None when the cell is blank or absent. A config says what the cells cannot (GPT-NeoX's
    two norms in its parallel block, OPT's learned position table), so a row typed from one predicts as the command
    does; an architecture cell beside it would be a second, possibly different, answer: refused."""
    from accelopt.workload.presets import get_model

    name = (row.get("model") or "").strip()
    if not name:
        return None
    missing = missing_path_cell("run", row, "model")
    if missing is not None:
        raise missing
    both = [c for c in MODEL_ARCH_CELLS if (row.get(c) or "").strip()]
    if both:
        raise cell_error("run", row, "model", f"gives the architecture, and so do the cell(s) "
                         f"{', '.join(both)}", f"leave {', '.join(both)} blank in that row (the config says "
                         "them), or the model cell blank")
    try:
        return get_model(name)
    except InputError as e:  # an unknown preset or a bad config said only the name: which row of many to fix?
        raise cell_error("run", row, "model", e.problem, e.fix) from None


def run_model(row: dict[str, str]) -> TransformerConfig:
    """The architecture of a run: its `model` cell's (_model_cell), else its columns layers .. tied, and the optional
    head_dim, parallel, sliding_window and sliding_window_layers: a head width other than hidden / heads, GPT-J/PaLM
    parallel attention + MLP blocks with one LayerNorm, PaLM sec. 2, and a sliding attention window on every layer or
    on some, _window_cells; the multi-head latent attention cells, _mla_cells; and the expert cells, _moe_fields)."""
    named = _model_cell(row)
    if named is not None:
        return named
    try:
        parallel = _flag(row, "parallel")
        mlp = row["mlp"].strip()
        if mlp not in ("gelu", "swiglu"):  # anything else would be timed as one of them, unsaid
            raise InputError(f"run {row.get('id', '?')!r}: mlp = {mlp!r} is not gelu or swiglu"
                             f"{case_hint(mlp, ('gelu', 'swiglu'))}", "give the mlp cell gelu or swiglu")
        moe = _moe_fields(row)
        window, window_layers = _window_cells(row)
        return TransformerConfig(name=row["id"], layers=_i(row, "layers"), hidden=_i(row, "hidden"),
                                 heads=_i(row, "heads"), ffn=moe.expert_ffn or _i(row, "ffn"), vocab=_i(row, "vocab"),
                                 seq_len=_i(row, "seq"), kv_heads=_i(row, "kv_heads", 0, low=0) or None,
                                 mlp="swiglu" if mlp == "swiglu" else "gelu",
                                 attn_head_dim=_i(row, "head_dim") if (row.get("head_dim") or "").strip() else None,
                                 sliding_window=window, sliding_window_layers=window_layers, mla=_mla_cells(row),
                                 parallel_block=parallel, norms_per_layer=1 if parallel else 2,
                                 tied_embeddings=_flag(row, "tied"), source=row["source"],
                                 experts=moe.experts, top_k=moe.top_k, shared_experts=moe.shared_experts,
                                 first_dense_layers=moe.first_dense_layers, moe_every=moe.moe_every,
                                 dense_ffn=moe.dense_ffn, expert_bias=_flag(row, "moe_expert_bias"),
                                 # a row with biased experts is a GPT-OSS (run_command writes it as model_type
                                 # gpt_oss), whose q, k, v and o projections carry biases too (presets
                                 # _ATTENTION_BIAS_TYPES; utleft, 2026-12-06: not counted before)
                                 attn_bias=_flag(row, "moe_expert_bias"))
    except InputError:
        raise  # already names the run, the cell and the fix
    except (KeyError, ValueError) as e:
        raise InputError(f"run {row.get('id', '?')!r} is malformed: {e}", "check the CSV columns") from None


def run_query(row: dict[str, str], calibration: Path | str | None = None,
              catalog: tuple[str, ...] = ()) -> LayoutQuery:
    """The `plan explain` inputs of a run: the one public path both `validate` and the CLI take
    (predict.query.predict_layout); tests/test_validate_cli_agree.py runs the CLI on every row. `catalog`: extra
    catalog TOML files in which the row's hardware cell may name a device (`validate --catalog`)."""
    missing = missing_path_cell("run", row, "hardware")  # a relative spec TOML that names nothing: both paths said
    if missing is not None:
        raise missing
    try:
        rec = row["recompute"]  # a training.RECOMPUTE mode, '+sp' for sequence parallel (e.g. full+sp)
        rec_kind, plus, suffix = rec.partition("+")
        if plus and suffix != "sp":
            raise InputError(f"run {row.get('id', '?')!r}: recompute = {rec!r}", "give the recompute cell "
                             f"{recompute_choices()}, optionally with +sp (sequence parallel), e.g. full+sp")
        devices, tp, pp, dp, cp = (_i(row, k, 1 if k == "cp" else None) for k in ("devices", "tp", "pp", "dp", "cp"))
        if tp * pp * dp * cp != devices:  # the layout must use exactly the run's devices
            raise InputError(f"run {row.get('id', '?')!r}: tp x pp x dp x cp = {tp} x {pp} x {dp} x {cp} = "
                             f"{tp * pp * dp * cp:,} differs from devices = {devices:,}",
                             "fix the devices, tp, pp, dp or cp cell of that row (dp = devices / (tp x pp x cp))")
        return LayoutQuery(model=run_model(row), hardware=row["hardware"], devices=devices, catalog=catalog,
                           tp=tp, pp=pp, cp=cp, ep=_i(row, "ep", 1), vp=_i(row, "vp", 1),
                           mbs=_i(row, "mbs", 1), zero=_i(row, "zero", 0, low=0),
                           recompute=rec_kind, sp="+sp" in rec,
                           overlap=_flag(row, "overlap"), flash=_flag(row, "flash"),
                           attention_kernel=_attention_kernel_cell(row),
                           attention_unpad=_flag(row, "attention_unpad"),
                           cudnn_before_9_17=_flag(row, "cudnn_before_9_17"),
                           eager_cross_entropy=_flag(row, "eager_cross_entropy"),
                           te_cross_entropy=_flag(row, "te_cross_entropy"),
                           rope_fusion=(row.get("rope_fusion") or "").strip() or "fused",
                           edge_stage_layers=_i(row, "edge_layers", 0, low=0) or None,
                           p2p_overlap=_flag(row, "p2p_overlap"),
                           tp_comm_overlap=_flag(row, "tp_overlap"),
                           tp_overlap_cfg=(row.get("tp_overlap_cfg") or "").strip(),
                           tp_async=not _flag(row, "no_tp_async"),
                           ep_a2a_overlap=_flag(row, "ep_a2a_overlap"),
                           moe_dispatcher=(row.get("moe_dispatcher") or "").strip() or "alltoall",
                           moe_router_dtype=(row.get("moe_router_dtype") or "").strip() or "bf16",
                           moe_grouped_mlp=(row.get("moe_grouped_mlp") or "").strip() or "te",
                           fp8_params=_flag(row, "fp8_params"), offload_layers=_i(row, "offload_layers", 0, low=0),
                           fp8_saved_inputs=_flag(row, "fp8_saved_inputs"), no_dropout=_flag(row, "no_dropout"),
                           vocab_tiling=_i(row, "vocab_tiling", 1, low=1),
                           fp8_output_head=_flag(row, "fp8_output_head"),
                           fp8_recipe=canonical_fp8_recipe((row.get("fp8_recipe") or "").strip() or "delayed"),
                           optimizer_state_bytes=_positive_cell(row, "optimizer_state_bytes") or 12.0,
                           dp_bucket_params=_i(row, "dp_bucket_params", 0, low=0) or None,
                           recompute_modules=parse_recompute_modules((row.get("recompute_modules") or "").strip(),
                                                                     f"run {row.get('id', '?')!r}: recompute_modules"),
                           schedule=(row.get("schedule") or "").strip() or "1f1b", hsdp=_i(row, "hsdp", 0, low=0),
                           etp=_i(row, "etp", 0, low=0), recompute_layers=_i(row, "recompute_layers", 0, low=0),
                           slice_devices=_i(row, "slice_devices", 0, low=0),
                           seq_len=_i(row, "seq"), global_batch_seqs=_i(row, "global_batch"),
                           dtype=(row.get("dtype") or "bf16").strip(), stack=run_stack(row),
                           calibration=str(calibration) if calibration is not None else None)
    except InputError:
        raise  # already names the run, the cell and the fix
    except (KeyError, ValueError) as e:
        raise InputError(f"run {row.get('id', '?')!r} is malformed: {e}", "check the CSV columns") from None


def _attention_kernel_cell(row: dict[str, str]) -> str | None:
    """The row's attention_kernel cell (blank: None, the flash cell decides: fused or unfused); checked against the
    flash cell with the cell's name in the message."""
    cell = (row.get("attention_kernel") or "").strip()
    if not cell:
        return None
    attention_kernel_of(_flag(row, "flash"), cell, where=f"the attention_kernel cell of run {row.get('id', '?')!r}:")
    return cell


def run_setup(row: dict[str, str]) -> tuple[Setup, Layout]:
    res = predict_layout(run_query(row))
    return res.setup, res.layout


def run_stack(row: dict[str, str]) -> str:
    return (row.get("stack") or "").strip() or DEFAULT_STACK


def reproduce(row: dict[str, str], cals: dict[str, Calibration] | None = None,
              catalog: tuple[str, ...] = (), *, kept: dict[int, tuple[Any, Any]] | None = None) -> RunResult:
    """The row's prediction against its published figure; `kept`: where to keep (query, predict_layout's result)
    under id(row), for cell_effect_lines to read rather than predict the row again."""
    _i(row, "devices")
    if not (row.get("source") or "").strip():  # every published row names where its figure comes from
        raise InputError(f"run {row.get('id', '?')!r}: source is blank",
                         "give the publication the figure comes from (document, table or section)")
    published = {key: _positive_cell(row, key) for key in _FIGURES}
    if (published["mfu_pct"] or 0) > 100:
        raise InputError(f"run {row.get('id', '?')!r}: mfu_pct = {row['mfu_pct']} is above 100%",
                         "give the utilization in percent of the peak (0-100]")
    short = (short_row_error(row, _FIGURES, "where its published figure goes")
             if all(v is None for v in published.values()) else None)
    if short:  # the row ends before its figure's column (a cell left out earlier): not a blank figure
        raise short
    need = "step_s" if published["step_s"] else "mfu_pct" if _quotes_mfu(row) else "tflops_per_gpu"
    if published[need] is None and published["mfu_pct"] is not None:  # said "no figure" with an MFU in the row
        raise cell_error("run", row, "mfu_pct", f"is the compared figure only for sources starting "
                         f"{' or '.join(_MFU_SOURCES)} (docs/runs_files.md, the mfu_pct column); this "
                         f"row's source {row['source'].strip()!r} does not, so the row has no figure to compare",
                         "give step_s (seconds per optimizer step) beside it; mfu_pct is then shown next to the "
                         "prediction")
    if need not in row:  # csv.DictReader gives no key for a column the header lacks: not a blank cell
        absent = [c for c in ("step_s", "tflops_per_gpu", "mfu_pct") if c not in row]
        raise InputError(f"run {row.get('id', '?')!r} has no published figure: the runs file's header has no "
                         f"{' / '.join(absent)} column" + (" and the row's step_s is blank" if "step_s" in row else ""),
                         "add a column that carries the published figure to the header: step_s (seconds per step), "
                         f"tflops_per_gpu, or mfu_pct (for {'/'.join(_MFU_SOURCES)} rows), and fill it in that row")
    if published[need] is None:
        raise InputError(f"run {row.get('id', '?')!r} has no published figure ({need} is blank)",
                         f"give step_s, or tflops_per_gpu (mfu_pct for {'/'.join(_MFU_SOURCES)} rows), in that row")
    query = run_query(row, catalog=catalog)
    if need == "tflops_per_gpu":
        _check_eq3_applies(row, query)
    cals = cals if cals is not None else load_calibrations(None)
    try:
        res = predict_layout(query, cals)
    except (InputError, InfeasibleError) as e:  # the predictor names its flags (--dtype, --tp): here the row's cells
        if e.problem.startswith("run "):
            raise
        given = (row.get("fp8_recipe") or "").strip()  # an alias (tensorwise) echoed as the cell says it
        problem = e.problem.replace(f"--fp8-recipe {query.fp8_recipe}", f"--fp8-recipe {given}") if given else e.problem
        raise InputError(f"run {row.get('id', '?')!r}: {problem}",
                         e.fix + flags_as_cells(e.problem + " " + e.fix, row.get("id", "?"), _RENAMED_FLAGS,
                                                _known_columns())) from None
    if kept is not None:
        kept[id(row)] = (query, res)
    setup, spec, cal, pred = res.setup, res.spec, res.cal, res.terms
    n = int(row["devices"])
    mdl = setup.model
    B, s, L, h, V = setup.global_batch, setup.seq_len, mdl.layers, mdl.hidden, mdl.vocab
    peak = spec.peak(setup.dtype) or 0.0
    if row.get("step_s"):
        pub = float(row["step_s"])
    elif _quotes_mfu(row):
        pub = pred["model_flops_per_step"] / (n * peak * float(row["mfu_pct"]) / 100)
    else:
        hw_flops = 96.0 * B * s * L * h * h * (1 + s / (6 * h) + V / (16 * L * h))  # Narayanan 2021 eq. 3
        pub = hw_flops / (n * float(row["tflops_per_gpu"]) * 1e12)
    _check_below_peak(row, need, pred["model_flops_per_step"] / (n * pub * peak) if peak else 0.0, spec.name,
                      setup.dtype)
    if need == "tflops_per_gpu" and peak:  # eq. 3's FLOPs hold the recomputed forward: 400 TFLOP/s per A100 (312
        # peak) passed as 300 of model FLOPs, 96% of the peak, and was compared as a 487 ms step
        _check_below_peak(row, need, float(row["tflops_per_gpu"]) * 1e12 / peak, spec.name, setup.dtype,
                          what="hardware FLOPs (Narayanan et al. 2021 eq. 3, the recomputed forward counted)")
    pub_mfu = float(row["mfu_pct"]) / 100 if row.get("mfu_pct") else None
    # Narayanan 2021's utilization counts recomputed FLOPs (hardware FLOPs): compare like with like.
    kind = "HFU" if row["source"].startswith("Narayanan") else "MFU"
    if pub_mfu is None and need == "tflops_per_gpu" and peak:  # the figure gives the utilization (docs/runs_files.md)
        pub_mfu = (float(row["tflops_per_gpu"]) * 1e12 / peak if kind == "HFU"  # eq. 3's hardware FLOPs
                   else pred["model_flops_per_step"] / (n * pub * peak))  # the model's FLOPs in the figure's step
    fit_rows = (*cal.fitted_on, *cal.fp8_fitted_on, *cal.retired_fit_rows,  # retired: a value was once chosen on it
                *cal.fp8_factor_fitted_on)  # a device's fp8 factor's fit rows (with_device_factor)
    return RunResult(id=row["id"], source=row["source"], hardware=spec.name, devices=n, published_step_s=pub,
                     predicted_step_s=pred["step_time_s"], published_mfu=pub_mfu,
                     predicted_mfu=pred["hfu"] if kind == "HFU" else pred["mfu"],
                     fitted=_is_fit_row(row, fit_rows), utilization=kind, stack=cal.stack,
                     family=cal.family, dtype=setup.dtype, note=(row.get("note") or "").strip(),
                     memory_bytes_per_device=pred["mem_total_bytes"], memory_capacity_bytes=pred["mem_capacity_bytes"],
                     assumed=list(res.assumed), **_calibration_fields(curve_basis(spec.name, cal, setup.dtype, cals)))


def _calibration_fields(basis: CurveBasis) -> dict[str, str]:
    """RunResult's calibration_tag and calibration_basis: both '' for a curve fitted on the family's runs."""
    return {"calibration_tag": basis.tag, "calibration_basis": basis.text if basis.tag else ""}


def _check_eq3_applies(row: dict[str, str], query: LayoutQuery) -> None:
    """An InputError naming the tflops_per_gpu cell when Narayanan et al. 2021 eq. 3, through which it is read
    (reproduce), does not count the run's FLOPs: the equation is a GPT block's, a GELU MLP 4 x hidden wide, a K/V
    head per query head, dense, with the forward recomputed (full recompute, its factor 96 = 4 passes x 24)."""
    m = query.model
    off = [what for bad, what in (
        (m.mlp != "gelu", f"mlp {m.mlp}"), (m.ffn != 4 * m.hidden, f"ffn {m.ffn} (not 4 x hidden = {4 * m.hidden})"),
        ((m.kv_heads or m.heads) != m.heads, f"kv_heads {m.kv_heads} (of {m.heads} heads)"),
        (m.experts > 1, f"{m.experts} experts"), (m.mla is not None, "multi-head latent attention"),
        (query.recompute != "full", f"recompute {query.recompute}")) if bad]
    if off:
        raise cell_error("run", row, "tflops_per_gpu", "is read as Narayanan et al. 2021 eq. 3 hardware TFLOP/s, "
                         "F = 96 B s l h^2 (1 + s/6h + V/16lh): a GELU MLP 4 x hidden wide, a K/V head per query head "
                         f"and full recompute, which this run's {', '.join(off)} is not",
                         "give step_s instead (seconds per optimizer step: global_batch x seq / (published tokens/s "
                         "per device x devices)), and leave tflops_per_gpu blank or keep it beside step_s")


_RENAMED_FLAGS = {"--seq-len": "seq", "--edge-stage-layers": "edge_layers", "--tp-comm-overlap": "tp_overlap",
                  "--optimizer-bytes": "optimizer_state_bytes", "--no-sp": "recompute (+sp)", "--flash": "flash",
                  "--no-flash": "flash", "--no-overlap": "overlap"}
"""`plan explain` flags whose runs-file cell has another name (docs/runs_files.md); any other --a-b is the cell a_b."""


@functools.cache
def _known_columns() -> frozenset[str]:
    return frozenset(bundled_header("published_training_runs.csv")) | frozenset(_READ_BEYOND_HEADER)


def _is_fit_row(row: dict[str, str], fit_rows: tuple[str, ...]) -> bool:
    """Whether `row` is a run its calibration was fitted on: its id is listed there, and it is not another run that
    only shares the id of a bundled row (a user's run named like a bundled fit row is held out; the bundled row
    itself, copied with its source, or a user's own calibrated run, whose id no bundled row takes, is fit)."""
    rid = row["id"]
    if rid not in fit_rows:
        return False
    bundled = _bundled_sources()
    return (rid, row.get("source") or "") in bundled or all(rid != bid for bid, _ in bundled)


_PEAK_FIX = {"step_s": "give the step time in seconds (a figure in milliseconds is 1000x too small)",
             "tflops_per_gpu": "give TFLOP/s per device (not per node or for the whole run)"}


def _check_below_peak(row: dict[str, str], cell: str, mfu: float, device: str, dtype: str,
                      what: str = "model FLOPs") -> None:
    """An InputError when the published figure puts the step's model FLOPs (6 N tokens + attention, the least the
    step computes), or the `what` FLOPs it was published as, above the devices' peak: no run is faster than that,
    so the cell holds a unit slip."""
    if mfu > 1.0:
        shown = f"{mfu:.1%}" if mfu < 1.1 else f"{mfu:.0%}"  # 100.3% printed '100%', no excess to see
        raise cell_error("run", row, cell, f"puts the step's {what} at {shown} of the {dtype} peak of "
                         f"{row['devices']} x {device} (no run is faster than the peak)",
                         _PEAK_FIX.get(cell, "check the published figure and its unit"))


_MFU_SOURCES = ("Llama3", "MaxText")
"""Sources whose published figure is an MFU (step = our model FLOPs / (devices x peak x MFU))."""


def _quotes_mfu(row: dict[str, str]) -> bool:
    return row["source"].startswith(_MFU_SOURCES)


def validate_all(runs_path: Path | str | None = None, calibration: Path | str | None = None) -> list[RunResult]:
    """Every run of the runs file reproduced (validate_report's runs). The bundled file under the bundled calibration
    is the report kept once per process (a copy of its runs): a test run's every worker imports the test files that
    call it at import, and each call reproduced every row (7 s)."""
    if runs_path is None and calibration is None:
        return validate_report().runs
    return reproduce_rows(read_runs(runs_path), calibration)


def reproduce_rows(rows: list[dict[str, str]], calibration: Path | str | dict[str, Calibration] | None = None,
                   catalog: tuple[str, ...] = (), *, kept: dict[int, tuple[Any, Any]] | None = None,
                   params: list[ParamsMismatch] | None = None,
                   first: dict[int, InputError] | None = None) -> list[RunResult]:
    """Every row of a runs file (read_runs) reproduced with the calibration of its stack (a file, or its families);
    a row's hardware cell may name a device of the `catalog` files; `kept`: as reproduce's; `params`: where to add
    each row's params_b mismatch (row_params_mismatch), checked in the same pass. A bad row does not stop the others:
    one InputError names them all (each_row; `first`: its)."""
    cals = calibration if isinstance(calibration, dict) else load_calibrations(calibration)

    def one(row: dict[str, str]) -> RunResult:
        result = reproduce(row, cals, catalog, kept=kept)
        if params is not None and (miss := row_params_mismatch(row)) is not None:
            params.append(miss)
        return result

    return each_row(rows, one, first)




def median_abs_error(results: list[RunResult], held_out_only: bool = True) -> float:
    errs = [abs(r.error) for r in results if not (held_out_only and r.fitted)]
    return statistics.median(errs) if errs else float("nan")


def _grid_fit(family: str, stack: str, run_ids: list[str], grid: dict[str, list[float]],
              calibration: Path | str | None) -> Calibration:
    """Grid search (every combination of `grid`) minimising the mean |step error| over `run_ids`."""
    import itertools

    cals = load_calibrations(calibration)
    rows = [r for r in read_runs() if r["id"] in run_ids]
    if not rows:
        raise InputError(f"none of {run_ids} is in the runs file", "name runs by their id column")
    fam = cals[family]
    base = fam if stack == DEFAULT_STACK else fam.stacks.get(stack, replace(fam, stack=stack, stacks={}))
    best: tuple[float, Calibration] | None = None
    names = list(grid)
    for combo in itertools.product(*(grid[n] for n in names)):
        cal = with_values(base, **dict(zip(names, combo, strict=True)))
        trial_fam = cal if stack == DEFAULT_STACK else replace(fam, stacks={**fam.stacks, stack: cal})
        trial = {**cals, family: trial_fam}
        err = statistics.mean(abs(reproduce(r, trial).error) for r in rows)
        if best is None or err < best[0]:
            best = (err, cal)
    assert best is not None
    return best[1]


def fit_family(family: str, run_ids: list[str], calibration: Path | str | None = None) -> Calibration:
    """Grid-search matmul_eff_max and matmul_half_flop of one family on `run_ids` (mean |step error|).

    This is how the bundled nvidia-ampere values were produced (see calibration.toml); it is never
    run per prediction.
    """
    return _grid_fit(family, DEFAULT_STACK, run_ids,
                     {"matmul_eff_max": [x / 100 for x in range(60, 100, 2)],
                      "matmul_half_flop": [0.5e9, 1e9, 2e9, 4e9, 8e9, 16e9, 32e9, 64e9, 128e9]}, calibration)


def fit_stack_eff_max(family: str, stack: str, run_ids: list[str],
                      calibration: Path | str | None = None) -> Calibration:
    """Grid-search only matmul_eff_max of one family's `stack` override on `run_ids` (everything else is the
    family's). The grid is fit_family's step of 0.02, widened down to 0.30 because a stack may reach far less of
    the datasheet peak than Megatron-LM does. This is how the bundled nvidia-hopper/pytorch-fsdp value was made."""
    return _grid_fit(family, stack, run_ids, {"matmul_eff_max": [x / 100 for x in range(30, 100, 2)]}, calibration)


def fit_stack_fp8_eff_max(family: str, stack: str, run_ids: list[str],
                          calibration: Path | str | None = None) -> Calibration:
    """Grid-search only fp8_matmul_eff_max of one family's `stack` override on FP8 `run_ids` (every other value the
    stack table's, else the family's): fit_fp8_eff_max's grid 0.30..0.98 step 0.02 for a non-default stack. This is
    how the bundled nvidia-hopper/torchtitan fp8 value was made (calibration.toml)."""
    return _grid_fit(family, stack, run_ids, {"fp8_matmul_eff_max": [x / 100 for x in range(30, 100, 2)]},
                     calibration)


def fit_fp8_eff_max(family: str, run_ids: list[str], calibration: Path | str | None = None) -> Calibration:
    """Grid-search only fp8_matmul_eff_max of one family (megatron stack) on FP8 `run_ids`: the fraction of the FP8
    peak the linear layers' FP8 GEMMs reach (compute.linear_precision). Grid 0.30..0.98 step 0.02. This is how the
    bundled fp8 values were made (see calibration.toml)."""
    return _grid_fit(family, DEFAULT_STACK, run_ids, {"fp8_matmul_eff_max": [x / 100 for x in range(30, 100, 2)]},
                     calibration)


def fit_fp8_device_factor(family: str, run_ids: Sequence[str], fwd_ratio: float, lo: float = 1.0, hi: float = 1.8,
                          halvings: int = 16) -> float:
    """The declared rule of a family's fp8_device_factor (calibration.toml, [family.nvidia-blackwell]): of its two fit
    rows, one on the factor's device and one on another device of the family in the same layout, the factor f by
    which that device's fp8_matmul_eff_max is scaled so that the model's layers' forward (the t_fwd_s term) of the
    other row over the device's row equals `fwd_ratio`, the published forward-only ratio; by bisection on [lo, hi]
    (`halvings` halvings), rounded to 0.001. The other row is predicted at f = 1 (the factor is not its device's)."""
    base = load_calibrations()
    fam = base[family]
    rows = {r["id"]: r for r in read_runs() if r["id"] in run_ids}
    if len(rows) != 2 or len(set(run_ids)) != 2:
        raise InputError(f"fit_fp8_device_factor: {list(run_ids)} are not two runs of the bundled file",
                         "give the factor's two fit rows (fp8_factor_fitted_on)")
    mine = [r for r in rows.values() if r["hardware"] == fam.fp8_factor_device]
    other = [r for r in rows.values() if r["hardware"] != fam.fp8_factor_device]
    if len(mine) != 1 or len(other) != 1:
        raise InputError(f"fit_fp8_device_factor: {list(run_ids)} are not one run on {fam.fp8_factor_device!r} and "
                         "one on another device", "give one fit row on the factor's device and its same-layout twin")

    def fwd(row: dict[str, str], f: float) -> float:
        cals = {**base, family: replace(fam, fp8_device_factor=f)}
        return float(predict_layout(run_query(row), cals).terms["t_fwd_s"])

    ref = fwd(other[0], 1.0)
    if ref / fwd(mine[0], hi) <= fwd_ratio:
        raise InputError(f"fit_fp8_device_factor: the forward ratio {fwd_ratio:.3f} is not reached at f = {hi:g}",
                         "widen the bisection's upper end")
    for _ in range(halvings):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ref / fwd(mine[0], mid) < fwd_ratio else (lo, mid)
    return round((lo + hi) / 2, 3)
