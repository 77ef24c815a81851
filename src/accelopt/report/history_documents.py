"""The `--json` documents of `accelopt history list / prune / import`: typed, versioned, with a JSON Schema
(`accelopt schema history-list`, ...), as the results commands' documents are. They describe the history store, not
a run: they are not recorded and have no HTML page (accelopt.report.schema.DOCUMENT_CLASSES, not KINDS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class HistoryRunLine:
    """One recorded run, as `history list` shows it."""

    id: str
    command: str
    time: str = field(metadata={"doc": "when it ran, ISO 8601 UTC"})
    argv: list[str] = field(metadata={"doc": "the command line after `accelopt`, as typed"})
    summary: str = field(metadata={"doc": "its key figures, as the table shows them"})


@dataclass(frozen=True, kw_only=True)
class HistoryListDocument:
    """`accelopt history list --json`: recorded runs, newest first."""

    SCHEMA_KIND: ClassVar[str] = "history-list"
    SCHEMA_VERSION: ClassVar[int] = 1

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
