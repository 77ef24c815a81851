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
    SCHEMA_VERSION: ClassVar[int] = 3  # 2: a/b model, mode, device, dtype; subject_warning; 3: inputs_warning
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (2,)

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

    def warning_lines(self) -> list[str]:
        """What the console prints above the table and the page shows: the subject warning, then each side's
        busy-machine warnings (its measured figures, and the ratios built on them, may reflect the machine)."""
        subject = "the device" if self.command == "probe" else "the model"  # a probe measures a device
        lines = [f"warning: {w}" for w in (self.subject_warning, self.inputs_warning) if w is not None]
        return lines + [f"{name} was measured on a busy machine: " + "; ".join(warnings)
                        + f" (its measured figures, and the ratios built on them, may not describe {subject})"
                        for name, warnings in (("A", self.disturbed.a), ("B", self.disturbed.b)) if warnings]
