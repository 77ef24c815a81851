"""The `--json` documents of `accelopt history list / show / prune / import`: typed, versioned, with a JSON Schema
(`accelopt schema history-list`, ...), as the results commands' documents are. They describe the history store or
a stored run: they are not recorded themselves and have no HTML page of their own (accelopt.report.schema.
DOCUMENT_CLASSES, not KINDS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from accelopt.report.figures import KeyFigure
from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class HistoryRunLine:
    """One recorded run, as `history list` shows it."""

    id: str
    command: str
    time: str = field(metadata={"doc": "when it ran, ISO 8601 UTC"})
    argv: list[str] = field(metadata={"doc": "the command line after `accelopt`, as typed"})
    summary: str = field(metadata={"doc": "its key figures, as the table shows them"})
    busy_machine: list[str] = field(default_factory=list, metadata={
        "doc": "the busy-machine warnings its measured result carries (a probe, profile or optimize run on a loaded "
               "machine: its figures may reflect the machine), as `history compare` names them in `disturbed`; [] "
               "for a quiet run or a prediction"})


@dataclass(frozen=True, kw_only=True)
class HistoryListDocument:
    """`accelopt history list --json`: recorded runs, newest first."""

    SCHEMA_KIND: ClassVar[str] = "history-list"
    SCHEMA_VERSION: ClassVar[int] = 2  # 2: runs[].busy_machine (default [])
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1,)

    store: str = field(metadata={"doc": "path of the history store"})
    total: int = unit("count", "runs in the store")
    offset: int = unit("count", "newest runs skipped (--offset)")
    runs: list[HistoryRunLine]


@dataclass(frozen=True, kw_only=True)
class HistoryPruneDocument:
    """`accelopt history prune --json`: what was deleted."""

    SCHEMA_KIND: ClassVar[str] = "history-prune"
    SCHEMA_VERSION: ClassVar[int] = 1

    store: str = field(metadata={"doc": "path of the history store"})
    deleted: int = unit("count", "runs deleted")
    remaining: int = unit("count", "runs left in the store")


@dataclass(frozen=True, kw_only=True)
class SkippedFile:
    """A file `history import` did not store, and why."""

    file: str
    why: str


@dataclass(frozen=True, kw_only=True)
class RenamedFile:
    """A file whose id the store held for a different run: stored under a new id."""

    file: str
    id: str


@dataclass(frozen=True, kw_only=True)
class HistoryImportDocument:
    """`accelopt history import --json`: runs imported from a folder of JSON records."""

    SCHEMA_KIND: ClassVar[str] = "history-import"
    SCHEMA_VERSION: ClassVar[int] = 1

    store: str = field(metadata={"doc": "path of the history store"})
    folder: str = field(metadata={"doc": "folder read"})
    imported: int = unit("count", "runs stored")
    already_present: int = unit("count", "runs the store already held (the same run, under any id)")
    skipped: list[SkippedFile]
    renamed: list[RenamedFile]


@dataclass(frozen=True, kw_only=True)
class HistoryShowDocument:
    """`accelopt history show ID --json`: one recorded run, its key figures as the text view prints them, its result.

    When, where and how it ran, and the command's whole `--json` document; `accelopt history import` reads it back
    (on another machine, say)."""

    SCHEMA_KIND: ClassVar[str] = "history-show"
    SCHEMA_VERSION: ClassVar[int] = 1

    id: str = field(metadata={"doc": "run id (accelopt history show ID)"})
    command: str = field(metadata={"doc": "the results command that ran; its result's kind (accelopt schema KIND)"})
    command_line: str = field(metadata={"doc": "the command line, shell-quoted, to paste back"})
    argv: list[str] = field(metadata={"doc": "the command line after `accelopt`, as typed"})
    time: str = field(metadata={"doc": "when it ran, ISO 8601 UTC"})
    versions: dict[str, str | None] = field(metadata={"doc": "accelopt, python and torch versions as recorded (a "
                                                             "name missing was not recorded; null torch: none)"})
    host: dict[str, str | None] = field(metadata={"doc": "name, platform and machine of the host as recorded"})
    figures: list[KeyFigure] = field(metadata={"doc": "its key figures, as the table of `history show` prints "
                                                      "them (empty: see figures_note)"})
    figures_note: str | None = field(metadata={"doc": "why it has no key figures (a result of another accelopt "
                                                      "version, a damaged record); null when it has some"})
    result: dict[str, Any] = field(metadata={"doc": "the command's --json document as recorded; its `schema` and "
                                                    "`schema_version` name its shape"})


@dataclass(frozen=True, kw_only=True)
class ComparedRun:
    """One side of `history compare`."""

    id: str
    argv: list[str] = field(metadata={"doc": "the command line after `accelopt`, as typed"})
    command_line: str = field(metadata={"doc": "the command line, shell-quoted"})
    model: str | None = field(default=None, metadata={"doc": "the model its result names (null: none named)"})
    mode: str | None = field(default=None, metadata={"doc": "train or inference, as its result names it (null: "
                                                            "none named)"})
    device: str | None = field(default=None, metadata={"doc": "the device(s) its result names (null: none named)"})
    dtype: str | None = field(default=None, metadata={"doc": "the dtype its result names (null: none named)"})


@dataclass(frozen=True, kw_only=True)
class ComparedFigure:
    """A key figure of the two runs, with B / A."""

    figure: str = field(metadata={"doc": "the key figure's label"})
    unit: str = field(metadata={"doc": "unit of a and b (accelopt.units.UNIT_NAMES)"})
    a: float | None = field(metadata={"doc": "run A's value in `unit` (null: A has no such figure)"})
    b: float | None = field(metadata={"doc": "run B's value in `unit` (null: B has no such figure)"})
    ratio_b_over_a: float | None = field(metadata={"unit": "x", "doc": "b / a (null: either is missing, not finite, "
                                                                       "or a is 0)"})
    estimate: bool = field(metadata={"doc": "either side is a prediction or modelled value"})


@dataclass(frozen=True, kw_only=True)
class DisturbedRuns:
    """The busy-machine warnings each measured run (probe, profile, optimize) carries: its ratios may reflect the
    machine."""

    a: list[str]
    b: list[str]


@dataclass(frozen=True, kw_only=True)
class HistoryCompareDocument:
    """`accelopt history compare A B --json`: the key figures of two runs of one command side by side, with B / A."""

    SCHEMA_KIND: ClassVar[str] = "history-compare"
    SCHEMA_VERSION: ClassVar[int] = 4  # 2: a/b model, mode, device, dtype; subject_warning; 3: inputs_warning;
    # 4: validate (the runs that moved, counts and per-family medians of two validate runs)
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (2, 3)

    command: str = field(metadata={"doc": "the command both runs are of"})
    a: ComparedRun
    b: ComparedRun
    figures: list[ComparedFigure]
    disturbed: DisturbedRuns
    subject_warning: str | None = field(default=None, metadata={
        "doc": "the runs are of different models, modes, devices or dtypes (named for both sides): the ratios "
               "compare different subjects, not one change; null when every field both results name agrees"})
    inputs_warning: str | None = field(default=None, metadata={
        "doc": "two validate runs read different runs files or calibration files (each side's path and SHA-256, or "
               "'not recorded' for a run recorded before the digest was): the ratios compare different inputs; null "
               "when they read the same ones"})
    validate: ValidateChanges | None = field(default=None, metadata={
        "doc": "two validate runs (training or --serving): the runs whose error moved, held-out counts within 6% / "
               "beyond 25% and per-family medians on each side; null for another command"})

    def warning_lines(self) -> list[str]:
        """What the console prints above the table and the page shows: the subject warning, then each side's
        busy-machine warnings (its measured figures, and the ratios built on them, may reflect the machine)."""
        subject = "the device" if self.command == "probe" else "the model"  # a probe measures a device
        lines = [f"warning: {w}" for w in (self.subject_warning, self.inputs_warning) if w is not None]
        return lines + [f"{name} was measured on a busy machine: " + "; ".join(warnings)
                        + f" (its measured figures, and the ratios built on them, may not describe {subject})"
                        for name, warnings in (("A", self.disturbed.a), ("B", self.disturbed.b)) if warnings]


MOVED_THRESHOLD_POINTS = 0.05
"""A run whose signed error moved by more than this many percentage points is listed as moved (a smaller change is
rounding noise of the printed figures: the console prints errors to 0.1 point)."""


@dataclass(frozen=True, kw_only=True)
class MovedRun:
    """One run of two validate runs whose prediction error moved, as /work/wt/tools/figs.py lists them."""

    id: str = field(metadata={"doc": "the run's id in the runs file"})
    family: str = field(metadata={"doc": "its hardware family ('' when the result names none)"})
    role: str = field(metadata={"doc": "'held-out' (judges the model), 'fit' (a calibration was fitted to it), or a "
                                       "serving row's 'gap' / 'derived' (in no median); 'A's -> B's' where it "
                                       "changed"})
    error_a: float = unit("fraction", "run A's signed error, predicted / published - 1")
    error_b: float = unit("fraction", "run B's signed error, predicted / published - 1")
    change_points: float = field(metadata={"doc": "error_b - error_a in percentage points"})


@dataclass(frozen=True, kw_only=True)
class FamilyMedians:
    """One hardware family's held-out median absolute error on each side."""

    family: str
    a: float | None = unit("fraction", "run A's held-out median |error| (null: no held-out run of it)")
    b: float | None = unit("fraction", "run B's held-out median |error| (null: no held-out run of it)")
    runs_a: int = unit("count", "run A's held-out runs of this family")
    runs_b: int = unit("count", "run B's held-out runs of this family")


@dataclass(frozen=True, kw_only=True)
class ValidateChanges:
    """What moved between two validate runs (training or --serving): each run's held-out counts and per-family
    medians, and every run whose error moved by more than MOVED_THRESHOLD_POINTS, largest change first."""

    held_out_a: int = unit("count", "run A's held-out runs with an error")
    held_out_b: int = unit("count", "run B's held-out runs with an error")
    within_6pct_a: int = unit("count", "run A's held-out runs with |error| <= 6%")
    within_6pct_b: int = unit("count", "run B's held-out runs with |error| <= 6%")
    beyond_25pct_a: int = unit("count", "run A's held-out runs with |error| > 25%")
    beyond_25pct_b: int = unit("count", "run B's held-out runs with |error| > 25%")
    families: list[FamilyMedians]
    moved: list[MovedRun] = field(metadata={"doc": "runs in both whose error moved by more than 0.05 point or "
                                                   "whose role changed, largest |change| first (all of them; the "
                                                   "console prints 30)"})
    only_in_a: list[str] = field(default_factory=list, metadata={"doc": "run ids with an error in A only"})
    only_in_b: list[str] = field(default_factory=list, metadata={"doc": "run ids with an error in B only"})


def _validate_rows(result: Any) -> dict[str, tuple[float, bool, str, str]] | None:
    """id -> (signed error, held out, family, role) of a validate result's runs with an error; None when it has no
    runs list. Training rows mark a fitted run with `fitted`, serving rows with role 'fit' (its held-out: 'test'; a
    'gap' or 'derived' row is in no median and keeps its role's name: it read 'fit', ut5val)."""
    runs = result.get("runs") if isinstance(result, dict) else None
    if not isinstance(runs, list):
        return None
    out: dict[str, tuple[float, bool, str, str]] = {}
    for r in runs:
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            continue
        err = r.get("error")
        if not isinstance(err, (int, float)) or isinstance(err, bool) or err != err:
            continue
        held = (not r["fitted"]) if "fitted" in r else (r.get("role") == "test")
        role = "held-out" if held else "fit" if "fitted" in r else str(r.get("role") or "fit")
        out[r["id"]] = (float(err), bool(held), str(r.get("family") or ""), role)
    return out


def _median(values: list[float]) -> float | None:
    import statistics

    return statistics.median(values) if values else None


def validate_changes(result_a: Any, result_b: Any) -> ValidateChanges | None:
    """The ValidateChanges of two validate results (their --json documents); None when either has no runs list."""
    from accelopt.predict.validation import LARGE_ERROR  # the report's own 'beyond 25%' bound, one constant

    ra, rb = _validate_rows(result_a), _validate_rows(result_b)
    if ra is None or rb is None:
        return None

    def held(rows: dict[str, tuple[float, bool, str, str]]) -> list[tuple[float, str]]:
        return [(abs(e), fam) for e, h, fam, _ in rows.values() if h]

    ha, hb = held(ra), held(rb)
    fams = sorted({f for _, f in ha} | {f for _, f in hb})
    families = [FamilyMedians(family=f, a=_median([e for e, g in ha if g == f]),
                              b=_median([e for e, g in hb if g == f]),
                              runs_a=sum(g == f for _, g in ha), runs_b=sum(g == f for _, g in hb)) for f in fams]
    moved = []
    for rid in ra.keys() & rb.keys():
        (ea, _, fam, role_a), (eb, _, fam_b, role_b) = ra[rid], rb[rid]
        change = 100 * (eb - ea)
        # a role changed moves the held-out counts and medians with the error unmoved: listed too (ut5val)
        if abs(change) > MOVED_THRESHOLD_POINTS or role_a != role_b:
            role = role_b if role_a == role_b else f"{role_a} -> {role_b}"
            moved.append(MovedRun(id=rid, family=fam_b or fam, role=role, error_a=ea, error_b=eb,
                                  change_points=change))
    moved.sort(key=lambda m: (-abs(m.change_points), m.id))
    return ValidateChanges(
        held_out_a=len(ha), held_out_b=len(hb),
        within_6pct_a=sum(e <= 0.06 for e, _ in ha), within_6pct_b=sum(e <= 0.06 for e, _ in hb),
        beyond_25pct_a=sum(e > LARGE_ERROR for e, _ in ha), beyond_25pct_b=sum(e > LARGE_ERROR for e, _ in hb),
        families=families, moved=moved, only_in_a=sorted(ra.keys() - rb.keys()),
        only_in_b=sorted(rb.keys() - ra.keys()))


MOVED_ON_CONSOLE = 30
"""Moved runs the console and the page list; the JSON holds all of them."""


def validate_change_lines(v: ValidateChanges) -> list[str]:
    """The plain-text lines the console prints below the table (the page shows the same rows)."""
    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.2f}%"

    lines = [f"held-out runs within 6%: {v.within_6pct_a} -> {v.within_6pct_b} (of {v.held_out_a} -> "
             f"{v.held_out_b}); beyond 25%: {v.beyond_25pct_a} -> {v.beyond_25pct_b}",
             "held-out median |error| by family: " + ", ".join(
                 f"{f.family or '(none)'} {pct(f.a)} -> {pct(f.b)}" for f in v.families)]
    if not v.moved:
        lines.append(f"no run's error moved by more than {MOVED_THRESHOLD_POINTS} point")
    else:
        lines.append(f"{len(v.moved)} run(s) whose error moved by more than {MOVED_THRESHOLD_POINTS} point or whose "
                     "role changed, largest first:")
        lines += [f"  {m.id} ({m.family or 'no family'}, {m.role}): {100 * m.error_a:+.2f}% -> "
                  f"{100 * m.error_b:+.2f}% ({m.change_points:+.2f} points)" for m in v.moved[:MOVED_ON_CONSOLE]]
        if len(v.moved) > MOVED_ON_CONSOLE:
            lines.append(f"  and {len(v.moved) - MOVED_ON_CONSOLE} more (all in --json: validate.moved)")
    for name, ids in (("A", v.only_in_a), ("B", v.only_in_b)):
        if ids:
            lines.append(f"runs only in {name}: " + ", ".join(ids))
    return lines
