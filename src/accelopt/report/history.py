"""Run history: every results command records one run in a SQLite store.

Store: $ACCELOPT_HOME/history.sqlite3 (default ~/.accelopt), stdlib sqlite3 in WAL mode (readers never block
the writer), one transaction per write, a `schema_version` table. A run is {id, command, argv, time, versions,
host, result}; `result` is exactly what the command emits with --json, `argv` the command line as typed.
Run ids are '<UTC time to the ms>-<command>-<6 random hex digits>'; the id is the table's primary key, so two
processes can never share one (a clash of the random part is retried with another).

Runs recorded by accelopt before the store existed (one JSON file each in $ACCELOPT_HOME/history/) are imported
automatically, once, in the transaction that creates the store; `accelopt history import [FOLDER]` imports any
folder of such files later (idempotent: ids already in the store are left alone). A file or row that is not a
valid run is skipped with a warning. A store that is not a database or is malformed is reported (error + fix)
and never replaced, repaired or written to. ACCELOPT_NO_HISTORY=1 turns recording off. Failing to record warns
on stderr and never loses the result (the command prints it all the same).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import platform
import re
import secrets
import shlex
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from accelopt.errors import AcceloptError, InputError, unknown_name
from accelopt.paths import HISTORY_STORE_NAME, accelopt_home

SCHEMA_VERSION = 1  # of the SQLite store; RECORD_SCHEMA is the version of one run's JSON form
RECORD_SCHEMA = 1
STORE_NAME = HISTORY_STORE_NAME
BUSY_TIMEOUT_S = 30.0  # a writer waits this long for another process's transaction before giving up
_NO = ("", "0", "false", "no")

_DDL = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, breaks ties between equal times
    id TEXT NOT NULL UNIQUE,
    command TEXT NOT NULL,
    time_utc TEXT NOT NULL,                 -- ISO 8601 UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (sorts as text)
    argv_json TEXT NOT NULL,                -- JSON list of str: the command line as typed
    versions_json TEXT NOT NULL,            -- JSON object: accelopt, python, torch
    host_json TEXT NOT NULL,                -- JSON object: name, platform, machine
    result_json TEXT NOT NULL               -- JSON object: the command's --json document
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (time_utc, seq);
"""
_COLUMNS = "id, command, time_utc, argv_json, versions_json, host_json, result_json"
_NEWEST_FIRST = "ORDER BY time_utc DESC, seq DESC"
_SQLITE_MAX_INT = 2**63 - 1  # an --offset or --keep past it means "all of them": clamped, not an OverflowError


class HistoryStoreError(InputError):
    """The store cannot be opened, read or written (damaged, foreign, newer, or no permission)."""


@dataclass(frozen=True)
class RunRecord:
    """One recorded run. `result` is the command's --json document (its shape is the command's schema)."""

    id: str
    command: str
    argv: list[str]  # the command line after `accelopt`, as typed
    time_utc: str  # ISO 8601, UTC
    versions: dict[str, str | None] = field(default_factory=dict)
    host: dict[str, str] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    def command_line(self) -> str:
        """'accelopt plan --model x' with shell quoting, so it can be pasted back ('accelopt plan' for a run file
        that kept no command line)."""
        return "accelopt " + (shlex.join(self.argv) if self.argv else self.command)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (also the format of the legacy one-file-per-run history)."""
        return {"schema": RECORD_SCHEMA, "id": self.id, "command": self.command, "argv": list(self.argv),
                "time": self.time_utc, "versions": dict(self.versions), "host": dict(self.host),
                "result": self.result}


@dataclass(frozen=True)
class ImportReport:
    folder: str
    imported: int
    already_present: int
    skipped: list[tuple[str, str]]  # (file, why)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(file, id it was stored under): a run whose id the store already holds for a different run (another
    machine's history) is imported under a new id of its own time, so neither run is lost."""
    note: str = ""
    """Said beside the counts where nothing was read (the default folder missing: import_json); '' otherwise."""


@dataclass(frozen=True)
class PruneReport:
    deleted: int
    remaining: int


# ---------------------------------------------------------------- locations and facts about this run
def store_path() -> Path:
    return accelopt_home() / STORE_NAME


def legacy_dir() -> Path:
    """Where accelopt <= 0.1 wrote one JSON file per run (imported into the store)."""
    return accelopt_home() / "history"


def enabled() -> bool:
    return os.environ.get("ACCELOPT_NO_HISTORY", "").strip().lower() in _NO


def versions() -> dict[str, str | None]:
    """accelopt, Python and torch versions; torch's from the loaded module, else from package metadata
    (so recording a run never imports torch)."""
    from importlib import metadata

    import accelopt

    torch_mod = sys.modules.get("torch")
    torch_v: str | None = getattr(torch_mod, "__version__", None) if torch_mod is not None else None
    if not torch_v:
        try:
            torch_v = metadata.version("torch")
        except metadata.PackageNotFoundError:
            torch_v = None
    return {"accelopt": accelopt.__version__, "python": platform.python_version(),
            "torch": str(torch_v) if torch_v else None}


def host() -> dict[str, str]:
    return {"name": platform.node(), "platform": platform.platform(), "machine": platform.machine()}


def versions_text(v: Mapping[str, str | None]) -> str:
    """'accelopt 0.1.0, torch 2.4.0, Python 3.11.7' of a record's versions; one the record lacks (a run file
    written by hand or by another tool) reads 'not recorded', never this machine's."""
    def one(name: str, none: str) -> str:
        return "not recorded" if name not in v else str(v[name] or none)

    return (f"accelopt {one('accelopt', 'unknown')}, torch {one('torch', 'not installed')}, "
            f"Python {one('python', 'unknown')}")


def host_text(h: Mapping[str, str | None]) -> str:
    """'name (platform)' of a record's host; what it lacks reads 'not recorded'."""
    return f"{h.get('name') or 'host not recorded'} ({h.get('platform') or 'platform not recorded'})"


def _warn(text: str) -> None:
    from accelopt.report.console import printable

    print(f"warning: {printable(text)}", file=sys.stderr)


# ---------------------------------------------------------------- validating a record (file or row)
_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _stamp(t: _dt.datetime) -> str:
    """A UTC time as the store writes it, 'YYYY-MM-DDTHH:MM:SS.ffffffZ'. isoformat pads the year to 4 digits
    (strftime('%Y') writes 999, and the store compares times as text)."""
    return t.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _time_utc(text: Any) -> _dt.datetime:
    """Any ISO 8601 time ('...Z', '+00:00', naive = UTC) as a naive UTC datetime."""
    if not isinstance(text, str):
        raise ValueError(f"time is {type(text).__name__}, not an ISO 8601 string")
    try:
        t = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if t.tzinfo is not None:  # OverflowError: '9999-12-31T23:00-05:00' is in year 10000 in UTC
            t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"time {text!r} is not an ISO 8601 time") from None
    except OverflowError:
        raise ValueError(f"time {text!r} is out of range (years 1 to 9999 in UTC)") from None
    return t


class NotARunRecord(ValueError):
    """A file of an imported folder that is not an accelopt run record at all (not a regular file, not JSON, not an
    object, another command's --json document, or an object without a run record's fields): skipped and named by
    `history import`, not counted as a run file, where a damaged run record (ValueError) stops the import."""


RUN_RECORD_KEYS = ("id", "command", "time", "result")
"""The fields every run record holds (accelopt <= 0.1's files and `history show --json`'s document); a JSON object
holding fewer than two of them, and no run record schema, is not taken for a (damaged) run record."""


def record_from_json(doc: Any, default_id: str | None = None, *, time_is_stored: bool = False) -> RunRecord:
    """A RunRecord from its JSON form; ValueError naming the first field that is wrong. `time_is_stored`: the
    time comes from the store, already in its normal form (checked by pattern, not re-parsed: listing speed)."""
    if not isinstance(doc, dict):
        raise NotARunRecord(f"a run record is a JSON object, not {type(doc).__name__}")
    # a command's --json document, not a run: `history compare --json` and an `error` document hold a "command" too
    # (the compared runs' command, the command line that failed), so the schema alone tells them from a run record
    # ('"schema" 'accelopt.history-compare' is not a run record schema (this accelopt writes 1)' named no fix)
    if (isinstance(doc.get("schema"), str) and doc["schema"].startswith("accelopt.")
            and doc["schema"] != SHOW_SCHEMA):
        kind = doc["schema"].removeprefix("accelopt.")
        article = "an" if kind[:1] in tuple("aeiou") else "a"
        export = ("`accelopt history show ID --json > FOLDER/ID.json` on the machine that ran it writes a run file "
                  "that imports")
        if kind == "error":
            raise NotARunRecord("is an error document (the --json output of a command that stopped on bad input), not "
                             f"a run record: a command that stops records no run; to move a recorded run, {export}")
        if _is_document_kind(kind):  # env, catalog list, history list ...: never recorded, nothing to import
            raise NotARunRecord(f"is {article} {kind} document (a command's --json output), not a run record: that "
                             "command records no run (only results do: accelopt schema --list names them); to move "
                             f"a recorded run, {export}")
        raise NotARunRecord(f"is {article} {kind} result (a command's --json output), not a run record: the command "
                         f"recorded its run when it ran (accelopt history list); {export}")
    _check_record_schema(doc.get("schema"), doc.get("schema_version"))
    run_id = doc.get("id", default_id)
    # a run record of accelopt <= 0.1 always held these: a file without one was skipped as '"time" is NoneType'
    missing = [k for k, v in (("id", run_id), ("command", None), ("result", None), ("time", None))
               if v is None and doc.get(k) is None]
    if missing:
        raise ValueError(f"{', '.join(chr(34) + k + chr(34) for k in missing)} missing or null (a run record "
                         "holds id, command, time and result)")
    checks = (("id", run_id, str), ("command", doc.get("command"), str), ("result", doc.get("result"), dict),
              ("argv", doc.get("argv", []), list), ("versions", doc.get("versions") or {}, dict),
              ("host", doc.get("host") or {}, dict))
    for name, value, kind in checks:
        if not isinstance(value, kind):
            raise ValueError(f'"{name}" is {type(value).__name__}, not {kind.__name__}')
    if not run_id or any(c in run_id for c in "/\\\x00"):
        raise ValueError(f'"id" {run_id!r} is not a run id')
    argv = doc.get("argv", [])
    if not all(isinstance(a, str) for a in argv):
        raise ValueError('"argv" holds a non-string')
    stamp = doc.get("time")
    if time_is_stored:
        if not (isinstance(stamp, str) and _STORED_TIME.fullmatch(stamp)):
            raise ValueError(f'"time" {stamp!r} is not a UTC time as the store writes it')
    else:
        _check_result_kind(doc["command"], doc["result"])
        try:
            _check_figures(doc["result"], "result")
        except RecursionError:  # nested deeper than any result: json.loads read it, the walk cannot
            raise ValueError('"result" is nested too deeply to be a result') from None
        when = _time_utc(stamp)
        # a later time would list as the newest run (and be `show latest`) for ever; a day covers clock skew
        tomorrow = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None) + _dt.timedelta(days=1)
        if when > tomorrow:
            raise ValueError(f'"time" {doc.get("time")!r} is in the future')
        stamp = _stamp(when)
    return RunRecord(id=run_id, command=doc["command"], argv=list(argv), time_utc=stamp,
                     versions=dict(doc.get("versions") or {}), host=dict(doc.get("host") or {}),
                     result=doc["result"])


def _is_document_kind(kind: str) -> bool:
    from accelopt.report import schema

    return kind in schema.DOCUMENT_CLASSES and kind != "history-show"


SHOW_SCHEMA = "accelopt.history-show"
"""The `schema` of `history show --json` (report.history_documents.HistoryShowDocument): a run record with the
same fields plus its key figures, so a run shown on one machine imports on another."""


def _check_record_schema(version: Any, show_version: Any = None) -> None:
    """ValueError for a run record of a newer or unknown record format (its fields may mean something else);
    a record without "schema" is accelopt 0.1's, the format this one reads, and a `history show --json` document
    of version 1 (`show_version`) holds the same fields."""
    if version is None or version == RECORD_SCHEMA:
        return
    if version == SHOW_SCHEMA:
        if show_version == 1:
            return
        raise ValueError(f"is a history-show document of version {show_version!r}; this accelopt reads version 1"
                         + (" (upgrade accelopt to import it)" if isinstance(show_version, int) and show_version > 1
                            else ""))
    if isinstance(version, int) and not isinstance(version, bool) and version > RECORD_SCHEMA:
        raise ValueError(f"was written by a newer accelopt (run record schema {version}; this one reads "
                         f"{RECORD_SCHEMA}): upgrade accelopt to import it")
    raise ValueError(f'"schema" {version!r} is not a run record schema (this accelopt writes {RECORD_SCHEMA})')


_NON_NEGATIVE_SUFFIXES = ("_bytes", "_s", "_ms", "_us")
"""A figure whose field name ends so is a byte count, a time or a rate per second (units.py's naming grid:
latency_s, step_time_s, mem_total_bytes, tokens_per_s): never negative in a result accelopt wrote."""
_SIGNED_WORDS = ("overhead", "delta", "diff", "error", "offset")
"""Words naming a figure that may be negative though its unit is one of the above (a fitted intercept, a
difference): not checked for sign."""


def _check_figures(value: Any, where: str) -> None:
    """ValueError for a figure no command writes (a hand-edited run file): a non-finite number anywhere (emit
    writes a non-finite figure as null, so NaN or Infinity in the file was typed there) or a negative byte count,
    time or rate (_NON_NEGATIVE_SUFFIXES); it would list and compare as a measurement."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            path = f"{where}.{name}"
            if (isinstance(item, int | float) and not isinstance(item, bool) and math.isfinite(item) and item < 0
                    and name.endswith(_NON_NEGATIVE_SUFFIXES) and not any(w in name for w in _SIGNED_WORDS)):
                raise ValueError(f'"{path}" is {item!r}, a negative {_unit_word(name)} (no command writes one: a '
                                 "hand-edited file); restore the figure the command wrote, or re-run it")
            _check_figures(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_figures(item, f"{where}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f'"{where}" is {value!r}, not a finite number (a result writes a figure it lacks as null); '
                         "restore the figure the command wrote, or write null")


def _unit_word(name: str) -> str:
    return "byte count" if name.endswith("_bytes") else "rate" if name.endswith("_per_s") else "time"


def _check_result_kind(command: str, result: dict[str, Any]) -> None:
    """ValueError for a run file whose result names another command's schema (a profile result filed as a plan
    run): stored, it would list and show as that command's run with nothing readable in it; likewise for a result
    that claims its command's schema and a version this accelopt reads but is not shaped like it (a hand-edited
    file): it was imported and counted, then listed as unreadable and `show`/`compare`/`show latest` stopped on it.
    A result of another version (older, newer, before schemas) is kept: `show` prints its JSON and says why."""
    from accelopt.report import schema

    name = result.get("schema")
    if command not in schema.CLASSES:
        return
    if isinstance(name, str) and name.startswith("accelopt.") and name != schema.schema_name(command):
        raise ValueError(f'"result" is schema {name}, not the {command} result "command" names '
                         f"({schema.schema_name(command)})")
    try:
        schema.load(command, result)
    except schema.OtherVersionError:
        return
    except schema.SchemaError as e:
        raise ValueError(f'"result" is not shaped like a {command} result ({e.problem})') from None


def _from_row(row: tuple[Any, ...]) -> RunRecord:
    """A row of the runs table; ValueError when a column does not hold what the schema says."""
    run_id, command, time_utc, argv, vers, hst, result = row
    try:
        doc = {"id": run_id, "command": command, "time": time_utc, "argv": json.loads(argv),
               "versions": json.loads(vers), "host": json.loads(hst), "result": json.loads(result)}
    except (TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"a column is not valid JSON ({e})") from None
    except RecursionError:  # json.loads recurses once per nesting level
        raise ValueError("a column is JSON nested too deeply to be read") from None
    return record_from_json(doc, time_is_stored=True)


# ---------------------------------------------------------------- the store
def _damage_hint(path: Path) -> str:
    q = shlex.quote(str(path))
    return (f"accelopt left it untouched: move it aside to start a new history (mv {q} {q}.damaged), or "
            f"restore it from a backup; sqlite3's `.recover` command can save its readable rows")


def _store_error(path: Path, e: Exception) -> HistoryStoreError:
    msg = str(e)
    if isinstance(e, sqlite3.DatabaseError) and any(s in msg for s in ("not a database", "malformed", "corrupt")):
        return HistoryStoreError(f"history store {path} is damaged ({msg})", _damage_hint(path))
    if isinstance(e, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg):
        return HistoryStoreError(f"history store {path} stayed locked by another process for {BUSY_TIMEOUT_S:g} s "
                                 f"({msg})", "run again when the other accelopt (or sqlite3 session) holding it has "
                                 "finished; ACCELOPT_NO_HISTORY=1 stops recording")
    return HistoryStoreError(f"history store {path} cannot be used: {msg}",
                             "make $ACCELOPT_HOME a folder you can write to (or set ACCELOPT_HOME elsewhere); "
                             "ACCELOPT_NO_HISTORY=1 stops recording")


def _check_place(path: Path) -> bool:
    """Whether the store file exists; a HistoryStoreError when its folder is a file or the store a folder."""
    # else `list` would say "no runs" of a store never read; a file above the home too (ACCELOPT_HOME=notes.txt/h,
    # or HOME a file: ~/.accelopt under it), which said "no runs recorded" with exit 0 where the home itself erred
    above = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if above is not None and not above.is_dir():
        where = f"$ACCELOPT_HOME {above}" if above == path.parent else f"{above}, above $ACCELOPT_HOME {path.parent},"
        raise HistoryStoreError(f"history store {path} cannot be used: {where} is a file, not a folder",
                                "set ACCELOPT_HOME to a folder you can write to (or move the file aside); "
                                "ACCELOPT_NO_HISTORY=1 stops recording")
    if path.is_dir():
        raise HistoryStoreError(f"history store {path} is a folder", _damage_hint(path))
    return path.exists()


@contextlib.contextmanager
def _store(*, create: bool) -> Iterator[sqlite3.Connection | None]:
    """An open, checked connection (None when there is no store and `create` is False). Every sqlite or OS
    error inside becomes a HistoryStoreError naming the store."""
    path = store_path()
    try:  # os.stat raises past Path.exists for e.g. a name too long (ENAMETOOLONG) or an I/O error
        nothing_to_read = not _check_place(path) and not create and not _legacy_files()
    except OSError as e:
        raise _store_error(path, e) from e
    if nothing_to_read:
        yield None
        return
    con: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; each write below opens its own BEGIN IMMEDIATE
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            _prepare(con, path)
        except sqlite3.OperationalError as e:
            if create or not _read_only_place(path, e):
                raise
            con.close()
            con = _connect_read_only(path)
            _prepare(con, path)
        yield con
    except (sqlite3.Error, OSError) as e:
        raise _store_error(path, e) from e
    finally:
        if con is not None:
            con.close()


def _read_only_place(path: Path, e: sqlite3.OperationalError) -> bool:
    """Whether `e` is SQLite failing to open the store `path` for want of a writable folder: a WAL store is read
    through its -shm file, which SQLite creates beside it, so a store on a read-only mount (a backup, a colleague's
    home shared read-only) or in a folder this user cannot write could not even be listed ('unable to open
    database file'). Only when the store has no -wal file: then the database file holds every committed run."""
    return ("unable to open database file" in str(e) and path.is_file()
            and not path.with_name(path.name + "-wal").exists())


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """The store opened read-only and immutable (SQLite reads the file without the -shm file it cannot create;
    a write through it fails with 'attempt to write a readonly database'): `history list`, `show` and `compare`
    of a store in a folder this user cannot write."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=BUSY_TIMEOUT_S,
                           isolation_level=None)


@contextlib.contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE (takes the write lock up front, so two writers queue instead of deadlocking) ... COMMIT."""
    _begin_immediate(con)
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


WAIT_NOTE_S = 1.0
"""A writer that waits this long for another process's transaction says so on stderr, then waits the rest of
BUSY_TIMEOUT_S."""


def _begin_immediate(con: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting up to BUSY_TIMEOUT_S for another process's write; past WAIT_NOTE_S a line on stderr
    says what the command waits for. The command's own output comes after its run is recorded, and it waited the
    whole 30 s behind a store another process held (a `history import`, a sqlite3 session) without a word (ut3io)."""
    first = min(WAIT_NOTE_S, BUSY_TIMEOUT_S)
    rest = BUSY_TIMEOUT_S - first
    con.execute(f"PRAGMA busy_timeout = {int(first * 1000)}")
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        if rest <= 0 or not ("locked" in str(e) or "busy" in str(e)):
            raise
        from accelopt.report.console import printable

        print(printable(f"history: {store_path()} is locked by another process; waiting up to {rest:g} s more to "
                        "write it (ACCELOPT_NO_HISTORY=1 skips recording)"), file=sys.stderr)
        con.execute(f"PRAGMA busy_timeout = {int(rest * 1000)}")
        con.execute("BEGIN IMMEDIATE")
    finally:
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


def _prepare(con: sqlite3.Connection, path: Path) -> None:
    """Check an existing store (read only); create the tables in an empty one (and import the legacy folder)."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" in tables:
        _check_version(con, path)
        return
    if tables - {"sqlite_sequence"}:
        raise HistoryStoreError(f"{path} is an SQLite file but not an accelopt history store (tables: "
                                f"{', '.join(sorted(tables))})", _damage_hint(path))
    con.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table: lets prune give space back
    _set_wal(con)
    report: ImportReport | None = None
    with _transaction(con):
        for statement in _DDL.split(";"):  # not executescript: it would COMMIT the open transaction
            if statement.strip():
                con.execute(statement)
        if con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 0:  # this process creates it
            con.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            if legacy_dir().is_dir():
                report = _import_folder(con, legacy_dir())
    if report is not None and (report.imported or report.skipped):
        from accelopt.report.console import printable

        print(printable(f"history: imported {runs_text(report.imported)} from {report.folder} into {path} (the JSON "
                        "files are left in place)"), file=sys.stderr)
        _warn_skipped(report)
    _check_version(con, path)


def _set_wal(con: sqlite3.Connection) -> None:
    """WAL journal (persistent in the file). Switching needs a moment alone with the file: retry while another
    process creating the store at the same time holds it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + secrets.randbelow(20) / 1000)


def _check_version(con: sqlite3.Connection, path: Path) -> None:
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    version = row[0] if row else None
    if version is None:
        raise HistoryStoreError(f"history store {path} has no schema version", _damage_hint(path))
    if not isinstance(version, int) or version < 1:  # a text or a version no accelopt wrote: not ours to read
        raise HistoryStoreError(f"history store {path} has schema version {version!r}, which no accelopt writes "
                                f"(this one reads {SCHEMA_VERSION})", _damage_hint(path))
    if version > SCHEMA_VERSION:
        raise HistoryStoreError(f"history store {path} was written by a newer accelopt (schema {version}; this "
                                f"one reads {SCHEMA_VERSION})", "upgrade accelopt, or set ACCELOPT_HOME elsewhere")
    columns = {r[1] for r in con.execute("PRAGMA table_info(runs)")}  # empty when there is no runs table
    missing = [c for c in ("seq", *_COLUMNS.split(", ")) if c not in columns]
    if missing:  # else every read says 'no such column' and is blamed on the folder's permissions
        what = "no runs table" if not columns else f"a runs table without {', '.join(missing)}"
        raise HistoryStoreError(f"history store {path} has {what}: it is not shaped like an accelopt history "
                                f"store (schema {version})", _damage_hint(path))


# ---------------------------------------------------------------- recording
def _new_id(command: str, now: _dt.datetime) -> str:
    """'20261126T220034.123Z-plan-serve-3fa9c2': sorts by time; the random part keeps concurrent runs apart."""
    stamp = now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
    return f"{stamp}-{command.replace(' ', '-')}-{secrets.token_hex(3)}"


def runs_text(n: int) -> str:
    """'1 run', '3 runs' (history import and prune said 'imported 1 runs')."""
    return f"{n:,} run{'' if n == 1 else 's'}"


_ID_TIME = re.compile(r"(\d{8}T\d{6})\.(\d{3})Z-")


def time_of_id(run_id: str) -> _dt.datetime | None:
    """The UTC time a run id was drawn at ('20261206T130042.878Z-validate-219de3' -> 2026-12-06 13:00:42.878), the
    run's recorded time to the millisecond (record draws both from one clock reading); None for another shape."""
    m = _ID_TIME.match(run_id)
    if m is None:
        return None
    try:
        when = _dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    return when.replace(microsecond=int(m.group(2)) * 1000, tzinfo=_dt.timezone.utc)


def _insert(con: sqlite3.Connection, rec: RunRecord) -> str:
    """Insert one run in its own transaction; its id (a new random part if the id is taken, which the
    uniqueness of the id column detects even between processes)."""
    values = (rec.command, rec.time_utc, json.dumps(rec.argv), json.dumps(rec.versions), json.dumps(rec.host),
              json.dumps(rec.result, allow_nan=False))
    run_id = rec.id
    for _ in range(8):
        try:
            with _transaction(con):
                con.execute(f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", (run_id, *values))
            return run_id
        except sqlite3.IntegrityError:
            run_id = _new_id(rec.command, _dt.datetime.now(_dt.timezone.utc))
    raise sqlite3.IntegrityError("no free run id after 8 tries")


def record(command: str, argv: list[str], result: Any) -> str | None:
    """Record one run; its id, or None when recording is off or failed (then a warning on stderr says why, and
    the caller prints its result as usual)."""
    if not enabled():
        return None
    from accelopt.report.jsonout import to_jsonable

    now = _dt.datetime.now(_dt.timezone.utc)
    rec = RunRecord(id=_new_id(command, now), command=command, argv=[str(a) for a in argv],
                    time_utc=_stamp(now), versions=versions(), host=host(),
                    result=to_jsonable(result))
    try:
        with _store(create=True) as con:
            assert con is not None
            return _insert(con, rec)
    except (AcceloptError, TypeError, ValueError, OSError, sqlite3.Error) as e:  # the result is printed anyway
        why = f"{e.problem}; {e.fix}" if isinstance(e, AcceloptError) else str(e)
        stop = "" if "ACCELOPT_NO_HISTORY" in why else "; ACCELOPT_NO_HISTORY=1 stops recording"
        _warn(f"run not saved to history: {why}. The result is complete{stop}")
        return None


# ---------------------------------------------------------------- reading
def count() -> int:
    with _store(create=False) as con:
        return 0 if con is None else int(con.execute("SELECT count(*) FROM runs").fetchone()[0])


def run_ids() -> list[str]:
    """All run ids, oldest first."""
    with _store(create=False) as con:
        if con is None:
            return []
        return [r[0] for r in con.execute("SELECT id FROM runs ORDER BY time_utc, seq")]


def list_runs(limit: int | None = None, offset: int = 0) -> list[RunRecord]:
    """The valid runs among the `limit` rows (all when None) after the `offset` newest, newest first. A row that is
    not a valid run is skipped with a warning on stderr but keeps its place in the page, so that pages of
    `history list --offset` neither overlap nor leave rows out (a page that read on past a damaged row showed the
    next page's first run twice, and with 3 rows, 1 damaged, pointed to a page at --offset 20 that was empty)."""
    with _store(create=False) as con:
        if con is None:
            return []
        rows = con.execute(f"SELECT {_COLUMNS} FROM runs {_NEWEST_FIRST} LIMIT ? OFFSET ?",
                           (-1 if limit is None else min(limit, _SQLITE_MAX_INT), min(offset, _SQLITE_MAX_INT)))
        return [run for run in map(_valid_or_none, rows) if run is not None]


def _valid_or_none(row: tuple[Any, ...]) -> RunRecord | None:
    """The run of a store row, or None (with a warning on stderr) when the row is damaged."""
    try:
        return _from_row(row)
    except ValueError as e:
        _warn(f"skipped run {row[0]!r}: it is damaged ({e})")
        return None


def _newest_valid(con: sqlite3.Connection) -> RunRecord | None:
    """The newest run that is not damaged (`show latest`), or None; damaged newer rows are skipped with a warning."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM runs {_NEWEST_FIRST}")  # streamed: read up to the first valid row
    return next((run for run in map(_valid_or_none, rows) if run is not None), None)


def load(run_id: str) -> RunRecord:
    """A run by id, unique id prefix, or 'latest' (the newest valid run); an unknown id is an error naming the
    closest ids, a damaged one an error saying what is wrong."""
    if not run_id.strip():
        raise InputError("the run id is empty", "give a run id from `accelopt history list`, a unique prefix of one, "
                         "or latest")
    with _store(create=False) as con:
        if con is None or con.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is None:
            raise InputError(f"no runs recorded in {store_path()}",
                             "run a command such as `accelopt plan ...` first (and leave ACCELOPT_NO_HISTORY unset)")
        if run_id == "latest":
            newest = _newest_valid(con)
            if newest is None:
                raise InputError(f"every run in {store_path()} is damaged", _damage_hint(store_path()))
            return newest
        rows = con.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchall() or con.execute(
            f"SELECT {_COLUMNS} FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
            (run_id, run_id + "\U0010ffff")).fetchall()  # ids starting with run_id, through the id index
        if len(rows) > 1:
            raise InputError(f"run id {run_id!r} matches {'more than 5' if len(rows) > 5 else len(rows)} runs",
                             "give more of the id: " + ", ".join(r[0] for r in rows[:5]))
        if not rows:
            raise unknown_name("run id", run_id, [r[0] for r in con.execute("SELECT id FROM runs")],
                               listed_by="accelopt history list")
    try:
        return _from_row(rows[0])
    except ValueError as e:
        raise InputError(f"run {rows[0][0]} in {store_path()} is damaged ({e})",
                         "show or compare another run (accelopt history list skips damaged ones)") from None


# ---------------------------------------------------------------- import and prune
def _legacy_files() -> bool:
    folder = legacy_dir()
    return folder.is_dir() and any(folder.glob("*.json"))


def _read_json_file(path: Path) -> RunRecord:
    import stat

    from accelopt.userio import MAX_INPUT_BYTES

    try:
        # a named pipe 'x.json' (mkfifo) blocked the import forever in read_bytes(), waiting for a writer; a huge
        # file was read whole: a regular file only, read no further than the input limit
        if not (stat.S_ISREG(path.stat().st_mode) or path.is_dir()):
            raise NotARunRecord("is a named pipe, socket or device, not a regular file")
        with open(path, "rb") as f:
            raw = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror or e})") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise NotARunRecord(f"is larger than {MAX_INPUT_BYTES // 2**20} MiB, past any run record")
    try:  # bytes: json reads UTF-8 with or without a BOM, UTF-16 and UTF-32 (RFC 8259 8.1 lets a reader skip a BOM):
        # Windows PowerShell 5.1's `accelopt history show ID --json > run.json` writes UTF-16 LE with a BOM
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NotARunRecord(f"is not JSON ({e})") from None
    except RecursionError:  # json.loads recurses once per nesting level
        raise NotARunRecord("is JSON nested too deeply to be a run record") from None
    if (isinstance(doc, dict) and doc.get("schema") != SHOW_SCHEMA
            and not str(doc.get("schema", "")).startswith("accelopt.")  # another command's document: said below
            and sum(k in doc for k in RUN_RECORD_KEYS) < 2):
        # a package.json or any other JSON of a shared folder: 'N of the N run files are not a valid run' counted it
        held = ", ".join(chr(34) + k + chr(34) for k in RUN_RECORD_KEYS)
        raise NotARunRecord(f"is not an accelopt run record (a run record holds {held}; this JSON object holds "
                            f"{sum(k in doc for k in RUN_RECORD_KEYS)} of them)")
    return record_from_json(doc, default_id=path.stem)


def _read_folder(folder: Path) -> tuple[list[tuple[str, RunRecord]], list[tuple[str, str]], list[tuple[str, str]]]:
    """Every .json file of `folder`, read and checked before anything is written: ([(file name, run)], [(file name,
    why this run record is not a valid run)], [(file name, why it is not a run record at all)]: NotARunRecord),
    each sorted by file name."""
    runs: list[tuple[str, RunRecord]] = []
    invalid: list[tuple[str, str]] = []
    not_runs: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            runs.append((path.name, _read_json_file(path)))
        except NotARunRecord as e:
            not_runs.append((path.name, str(e)))
        except ValueError as e:
            invalid.append((path.name, str(e)))
    return runs, invalid, not_runs


def _import_folder(con: sqlite3.Connection, folder: Path) -> ImportReport:
    """Insert every valid run file of `folder` (inside the caller's transaction), skipping invalid ones and files
    that are no run record (the legacy folder imported when the store is created)."""
    runs, invalid, not_runs = _read_folder(folder)
    return _insert_runs(con, folder, runs, sorted(invalid + not_runs))


def _insert_runs(con: sqlite3.Connection, folder: Path, runs: list[tuple[str, RunRecord]],
                 skipped: list[tuple[str, str]]) -> ImportReport:
    """Insert `runs` (inside the caller's transaction). A run whose id is stored with the same content is already
    there; one whose id the store holds for a different run gets a new id (ImportReport.renamed)."""
    imported = already = 0
    renamed: list[tuple[str, str]] = []
    for name, rec in runs:
        stored_as = _insert_imported(con, rec)
        if stored_as is None:
            already += 1
            continue
        imported += 1
        if stored_as != rec.id:
            renamed.append((name, stored_as))
    return ImportReport(str(folder), imported, already, skipped, renamed)


def _insert_imported(con: sqlite3.Connection, rec: RunRecord) -> str | None:
    """Store an imported run; the id it is stored under, or None when the store already holds this very run (under
    its id, or under the new id an earlier import gave it)."""
    values = (rec.command, rec.time_utc, json.dumps(rec.argv), json.dumps(rec.versions), json.dumps(rec.host),
              json.dumps(rec.result))
    if con.execute(f"INSERT OR IGNORE INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (rec.id, *values)).rowcount:
        return rec.id
    if _stored_already(con, rec):
        return None
    # the id is another run's (two machines can draw the same id): a new one, sorting at this run's time
    when = _dt.datetime.fromisoformat(rec.time_utc.removesuffix("Z"))
    for _ in range(8):
        run_id = _new_id(rec.command, when)
        if con.execute(f"INSERT OR IGNORE INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (run_id, *values)).rowcount:
            return run_id
    raise sqlite3.IntegrityError("no free run id after 8 tries")


def _stored_already(con: sqlite3.Connection, rec: RunRecord) -> bool:
    """Whether the store holds `rec`, whatever its id there (runs of the same command and time compared whole; a
    damaged stored row is not `rec`)."""
    for row in con.execute(f"SELECT {_COLUMNS} FROM runs WHERE time_utc = ? AND command = ?",
                           (rec.time_utc, rec.command)):
        try:
            if replace(_from_row(row), id=rec.id) == rec:
                return True
        except ValueError:
            continue
    return False


def _warn_skipped(report: ImportReport) -> None:
    for name, why in report.skipped:
        _warn(f"skipped {Path(report.folder) / name}: {why}")


_INVALID_NAMED = 5
"""Invalid run files named one by one in `history import`'s error; more are counted."""


def import_json(folder: Path | None = None, *, skip_invalid: bool = False) -> ImportReport:
    """Import a folder of one-JSON-file-per-run records (default: the legacy history folder), in one
    transaction; idempotent. Every file is read and checked before the store is written: an invalid one is an
    InputError naming each such file and why, and nothing is imported (the store is unchanged), unless
    `skip_invalid`, which imports the valid files and skips the others with a warning each. A folder given that does
    not exist is an error (a mistyped source); the default one missing is not: a home that never ran accelopt <= 0.1
    has no legacy files, so nothing is imported and the report's note says so (the store is not created)."""
    if folder is None and not legacy_dir().exists():
        return ImportReport(folder=str(legacy_dir()), imported=0, already_present=0, skipped=[],
                            note=(f"nothing to import: {legacy_dir()} does not exist (accelopt <= 0.1 kept its "
                                  "one-file-per-run history there; newer runs are recorded in the store directly); "
                                  "give FOLDER to import run .json files from another folder"))
    given = folder is not None
    folder = Path(folder) if folder is not None else legacy_dir()
    if folder.is_file():  # e.g. the `history show ID --json > run.json` README says imports on another machine
        try:  # a file that is no run record (a config.json) was told to be moved into a runs folder (uttrial)
            _read_json_file(folder)
        except (NotARunRecord, ValueError) as e:
            raise InputError(f"{folder} is a file, not a folder of runs, and it {e}",
                             "give a folder of run .json files, as `accelopt history show ID --json > FOLDER/ID.json` "
                             "writes them") from None
        raise InputError(f"{folder} is a file: history import reads every run .json file of a folder",
                         f"put it in a folder of its own and import that, e.g. mkdir runs && mv {folder} runs/ "
                         "&& accelopt history import runs")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder", "give the folder holding the run .json files "
                         f"(accelopt <= 0.1 wrote them to {legacy_dir()})")
    runs, invalid, not_runs = _read_folder(folder)
    if not runs and not invalid and given:  # no run record here: 'imported 0 runs' would hide a wrong folder
        raise _no_run_records_error(folder, not_runs)
    if invalid and not skip_invalid:
        raise _invalid_files_error(folder, len(runs) + len(invalid), invalid)
    with _store(create=True) as con:
        assert con is not None
        with _transaction(con):
            report = _insert_runs(con, folder, runs, sorted(invalid + not_runs))
    _warn_skipped(report)
    return report


def _no_run_records_error(folder: Path, not_runs: list[tuple[str, str]]) -> InputError:
    """The error of an import whose folder holds no run record: each .json file named (the first _INVALID_NAMED)
    with why it is not one."""
    fix = ("give the folder holding the run files: `accelopt history show ID --json > FOLDER/ID.json` writes one per "
           f"run (accelopt <= 0.1 wrote them to {legacy_dir()})")
    if not not_runs:
        return InputError(f"{folder} holds no .json file, so nothing was imported", fix)
    named = "; ".join(f"{folder / name}: {why}" for name, why in not_runs[:_INVALID_NAMED])
    more = f"; and {len(not_runs) - _INVALID_NAMED} more" if len(not_runs) > _INVALID_NAMED else ""
    n = len(not_runs)
    return InputError(f"none of the {n} .json file{'s' if n != 1 else ''} in {folder} is an accelopt run record, so "
                      f"nothing was imported: {named}{more}", fix)


def _invalid_files_error(folder: Path, files: int, invalid: list[tuple[str, str]]) -> InputError:
    """The error of an import that found invalid run files: each named (the first _INVALID_NAMED) with why."""
    named = "; ".join(f"{folder / name}: {why}" for name, why in invalid[:_INVALID_NAMED])
    more = f"; and {len(invalid) - _INVALID_NAMED} more" if len(invalid) > _INVALID_NAMED else ""
    return InputError(f"{len(invalid)} of the {files} run files in {folder} {'is' if len(invalid) == 1 else 'are'} "
                      f"not a valid run, so nothing was imported (the store is unchanged): {named}{more}",
                      "correct those files as each reason says (or move them out of the folder) and import again; "
                      "or add --skip-invalid to import the valid files and skip these")


def _give_space_back(con: sqlite3.Connection) -> None:
    """Return free pages to the file system (the file shrinks at the next checkpoint). `PRAGMA incremental_vacuum`
    frees one page per sqlite3_step, and Python's sqlite3 steps a statement without result columns only once,
    so it runs once per free page (inside the caller's transaction: no sync per page)."""
    free_pages = int(con.execute("PRAGMA freelist_count").fetchone()[0])
    for _ in range(free_pages):
        con.execute("PRAGMA incremental_vacuum(1)")


def prune(keep: int | None = None, older_than_days: float | None = None) -> PruneReport:
    """Delete runs: with `keep`, all but the newest `keep`; with `older_than_days`, those older than that; with
    both, only runs outside the newest `keep` AND older than the age (each option protects what it names)."""
    if keep is None and older_than_days is None:
        raise InputError("history prune needs --keep N and/or --older-than DAYS",
                         "e.g. accelopt history prune --keep 1000, or --older-than 90")
    if keep is not None and keep < 0:
        raise InputError(f"--keep {keep} must be >= 0", "give the number of newest runs to keep, e.g. --keep 1000")
    if older_than_days is not None and not math.isfinite(older_than_days):
        raise InputError(f"--older-than {older_than_days} is not a finite number of days",
                         "give an age in days, e.g. --older-than 90 (or --keep N to keep the newest N runs)")
    if older_than_days is not None and older_than_days < 0:
        raise InputError(f"--older-than {older_than_days:g} must be >= 0 days", "e.g. --older-than 90")
    where: list[str] = []
    params: list[int | str] = []
    if keep is not None:
        where.append(f"seq NOT IN (SELECT seq FROM runs {_NEWEST_FIRST} LIMIT ?)")
        params.append(min(keep, _SQLITE_MAX_INT))
    if older_than_days is not None:
        try:
            cutoff = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=older_than_days)
            where.append("time_utc < ?")
            params.append(_stamp(cutoff))
        except OverflowError:  # an age reaching before year 1: no run is that old
            where.append("0")
    with _store(create=False) as con:
        if con is None:
            return PruneReport(0, 0)
        with _transaction(con):
            deleted = con.execute(f"DELETE FROM runs WHERE {' AND '.join(where)}", params).rowcount
            _give_space_back(con)
        remaining = int(con.execute("SELECT count(*) FROM runs").fetchone()[0])
    return PruneReport(deleted, remaining)
