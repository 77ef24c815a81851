"""The published-runs CSV format shared by `validate --inference` and `validate --serving`: one row per published
figure under a header, and `# key = citation` comment lines naming each source key; and the check of a training
row's architecture cells against its published parameter count (params_b), which `validate` runs."""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import math
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from accelopt import dtypes
from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.units import MAX_COUNT, unit
from accelopt.userio import looks_like_file, near_files, read_user_text
from accelopt.workload.transformer import TransformerConfig


def bundled_runs_text(name: str) -> str:
    """The text of the bundled runs file predict/data/`name`."""
    return (resources.files("accelopt.predict") / "data" / name).read_text("utf-8")


@dataclass(frozen=True, kw_only=True)
class InputFile:
    """One file a validate report read, as `history compare` tells two reports' inputs apart: two runs of one
    command on different runs files (or calibration files) were compared as one change (ut3io's leftover)."""

    role: str
    """'runs' or 'calibration'."""
    path: str
    """As given on the command line; 'bundled predict/data/NAME' for the bundled file."""
    sha256: str
    """Hex SHA-256 of the file's text as read (UTF-8): the same path edited between runs reads another digest."""


def input_files(runs_path: Path | str | None, bundled_runs: str, calibration: Path | str | None) -> list[InputFile]:
    """The runs file and calibration file a validate report read (the bundled ones when None)."""
    import hashlib

    from accelopt.predict.calibration import bundled_text

    def one(role: str, path: Path | str | None, bundled: str, bundled_read: Callable[[], str]) -> InputFile:
        text = bundled_read() if path is None else read_user_text(path, f"{role} file", "check the path")
        return InputFile(role=role, path=f"bundled {bundled}" if path is None else str(path),
                         sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())

    return [one("runs", runs_path, f"predict/data/{bundled_runs}", lambda: bundled_runs_text(bundled_runs)),
            one("calibration", calibration, "predict/data/calibration.toml", bundled_text)]


_T = TypeVar("_T")


def kept_copy(store: dict[Hashable, _T], key: Hashable, compute: Callable[[], _T]) -> _T:
    """A deep copy of store[key], computed on first use and kept alone (a new key drops the old value): the bundled
    validate reports, keyed on the texts they are computed from, so that a process asking again (a test suite) does
    not reproduce every row again, and a caller may change what it gets."""
    if key not in store:
        value = compute()
        store.clear()
        store[key] = value
    return copy.deepcopy(store[key])


def read_runs_csv(path: Path | str | None, bundled: str, what: str, required: tuple[str, ...],
                  duplicates: dict[int, InputError] | None = None) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(rows, sources) of `path`, or of the bundled predict/data/`bundled` when None. `what` names the file in
    messages ('serving runs file'); a missing `required` column is an InputError naming it; `duplicates`: as
    check_table's."""
    if path is None:
        text = bundled_runs_text(bundled)
        where = f"the bundled {what}"
    else:
        text = read_user_text(path, what, "pass a CSV in the bundled format")
        where = f"{what} {path}"
    sources = {k: v for k, _, v in (ln[1:].strip().partition(" = ") for ln in text.splitlines()
                                    if ln.startswith("#") and " = " in ln) if " " not in k}
    rows = csv_rows([ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")], where, bundled)
    if not rows:
        raise InputError(f"{where} holds no runs", "add a header line and one row per published figure")
    check_columns(rows, required, where, bundled)
    check_table(rows, bundled, where, needed=required, duplicates=duplicates)
    resolve_path_cells(rows, path)
    read_dtype_cells(rows)
    return rows, sources


DTYPE_COLUMNS = ("dtype", "weight_dtype", "kv_dtype")
"""Cells holding a dtype, read as the dtype options read theirs (accelopt.dtypes.canonical)."""


def read_dtype_cells(rows: list[dict[str, str]]) -> None:
    """Rewrite, in place, each DTYPE_COLUMNS cell spelt as canonical reads it (bfloat16, fp8_e4m3, BF16) as accelopt's
    name, as the command-line options read theirs: a user's runs file copying an engine's or torch's spelling was
    refused where `plan serve` took the same word. A cell canonical does not know is left for the row's check."""
    for row in rows:
        for col in DTYPE_COLUMNS:
            if isinstance(v := row.get(col), str) and v.strip() and (read := dtypes.canonical(v)) != v:
                row[col] = read


PATH_COLUMNS = ("hardware", "model")
"""Cells that may hold a file path: a spec TOML (`hardware`), a config.json or model folder (`model`)."""

_PATH_SUFFIXES = (".toml", ".json")


def _readable_beside(p: Path, col: str) -> bool:
    """Whether a bare name in the `col` cell names a file the cell can read beside the CSV: a file, or for `model`
    a Hugging Face model folder (it holds config.json). Any other folder is not: a folder of logs named after the
    device, h100-sxm/, turned the catalog name into the path '.../h100-sxm', refused as an unknown device."""
    return p.is_file() or (col == "model" and (p / "config.json").is_file())


def resolve_path_cells(rows: list[dict[str, str]], path: Path | str | None) -> None:
    """Rewrite, in place, each relative path in a PATH_COLUMNS cell of the runs file `path` as relative to the file's
    folder (it was read relative to the folder `validate` ran in, so the same CSV validated from elsewhere lost its
    spec/config files); absolute paths, names (a catalog device, a preset) and the bundled file (`path` None) are
    kept. A cell is a path when it ends in .toml / .json, holds a path separator, or names a file in that folder (for
    `model`, also a model folder holding config.json)."""
    if path is None:
        return
    base = Path(path).parent
    for row in rows:
        for col in PATH_COLUMNS:
            v = (row.get(col) or "").strip()
            if not v or Path(v).is_absolute():
                continue
            # looks_like_file: a mistyped extension ('qwen3moe.jsn') is a path too, not a preset name the user
            # never meant (it was told 'unknown model', with preset names for the fix: uttrialC)
            looks = v.lower().endswith(_PATH_SUFFIXES) or looks_like_file(v)
            with contextlib.suppress(OSError, ValueError):  # a name too long or odd for a path is a name
                looks = looks or _readable_beside(base / v, col)
            if looks:
                row[col] = PathCell(str(base / v), v, str(base))


class PathCell(str):
    """A path cell resolve_path_cells joined to the runs file's folder: the joined path, and what the user wrote
    (`written`), so that a missing file is reported as both (missing_path_cell)."""

    written: str
    folder: str

    def __new__(cls, joined: str, written: str, folder: str) -> PathCell:
        cell = super().__new__(cls, joined)
        cell.written, cell.folder = written, folder
        return cell


def as_written(cell: str) -> str:
    """A cell as the user wrote it in the runs file: a PathCell's `written` text (not the path joined to the file's
    folder, which the table showed as a path the user never typed); any other cell unchanged."""
    return cell.written if isinstance(cell, PathCell) else cell


def missing_path_cell(what: str, row: Mapping[str, str | None], col: str) -> InputError | None:
    """The InputError for a relative path in the `col` cell that, joined to the runs file's folder, names nothing
    (None when the cell was not joined or the path exists): it names what the user wrote and the path read, as
    'model cell "x/config.json" (resolved against the runs file's folder: /abs/x/config.json) not found' (the
    joined path alone read as a path the user never typed)."""
    cell = row.get(col)
    if not isinstance(cell, PathCell) or Path(cell).exists():
        return None
    rid = (row.get("id") or "").strip()
    near = [_beside(f, cell.folder) for f in near_files(str(cell))]  # as the cell would write them
    meant = f"did you mean {' or '.join(repr(f) for f in near)}? " if near else ""
    return InputError(f"{what} {rid!r}: {col} cell {cell.written!r} (resolved against the runs file's folder: "
                      f"{cell}) not found", f"{meant}write the path relative to the runs file's folder "
                      f"({cell.folder}) or as an absolute path (in the {col} cell of row {rid!r})")


def _beside(path: str, folder: str) -> str:
    """`path` relative to `folder` where it lies inside it, else as it is."""
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return path


def csv_rows(lines: list[str], where: str, bundled: str) -> list[dict[str, str]]:
    """The rows of a runs file's non-comment `lines` under its header. skipinitialspace: a hand-written 'id, source,
    hardware' header (a space after each comma) is the bundled one, not columns ' source', ' hardware' the readers
    never find (they were all reported missing). A row is one line: a cell whose opening quote its line does not
    close, and a column named twice in the header, are refused (check_line_quotes, check_header_names); a JSON file
    too (check_not_json)."""
    check_not_json(lines, where, bundled)
    try:
        check_line_quotes(lines, where)
        if lines:
            check_header_names(next(csv.reader(lines[:1], skipinitialspace=True)), where)
        return [r for r in csv.DictReader(lines, skipinitialspace=True) if not _blank_row(r)]
    except csv.Error as e:  # e.g. a field over csv's 128 KiB limit: not a runs file
        raise InputError(f"{where} is not a readable CSV ({e})",
                         f"pass a CSV in the format of {bundled_ref(bundled)}") from None


def _blank_row(row: Mapping[str, Any]) -> bool:
    """A row whose every cell is blank (',,,,' : a spreadsheet writes its empty rows so), skipped as csv skips an
    empty line; it stopped the file as 'run 2 has no id' (a user trial, uttrialC)."""
    cells = [c for k, v in row.items() for c in (v if k is None and isinstance(v, list) else [v])]
    return all(not (c or "").strip() for c in cells)


def check_not_json(lines: list[str], where: str, bundled: str) -> None:
    """An InputError for a JSON file given as a runs file (a config.json): read as CSV it listed every column as
    missing, or, written on one line, 'holds no runs' (rvB, s33). '{' only: '[' opens a TOML table as well."""
    if lines and lines[0].lstrip().startswith("{"):
        raise InputError(f"{where} is JSON (it opens with '{{'), not a comma-separated runs file",
                         "give a comma-separated file with the header of " + bundled_ref(bundled)
                         + " (--runs reads a table of runs, one per row; a model's config.json is no runs file)")


def unclosed_quote_cell(line: str) -> int | None:
    """The index of the cell of one CSV `line` that opens a quote the line does not close, or None. csv reads the
    file's next lines into such a cell (without a word: a note '"see table 2' swallowed every run after it, which
    then counted in no median); the rules are csv's with skipinitialspace: a cell is quoted when it starts with '"'
    (after spaces), '""' inside it is one quote, and a quote inside an unquoted cell is a plain character."""
    cell, i, n = 0, 0, len(line)
    while True:
        while i < n and line[i] == " ":
            i += 1
        if i < n and line[i] == '"':
            i += 1
            while True:
                j = line.find('"', i)
                if j < 0:
                    return cell
                if line.startswith('""', j):
                    i = j + 2
                    continue
                i = j + 1
                break
        j = line.find(",", i)
        if j < 0:
            return None
        cell, i = cell + 1, j + 1


def check_line_quotes(lines: list[str], where: str) -> None:
    """An InputError naming the first line of `lines` (the header, then one row per line) with a cell whose quote
    the line does not close: the run's id and the column."""
    for n, line in enumerate(lines):
        cell = unclosed_quote_cell(line)
        if cell is None:
            continue
        header = next(csv.reader(lines[:1], skipinitialspace=True)) if n else []
        col = header[cell] if cell < len(header) else f"cell {cell + 1}"
        first = line.split(",", 1)[0].strip()
        what = "its header" if not n else (f"run {first!r}" if first and cell else f"run {n} (counting data rows "
                                           "from 1, after the header)")
        raise InputError(f"{where}: {what}: the {col} cell opens a quote (\") that its line does not close, so the "
                         "rest of the file would be read into that cell (a row is one line)",
                         'close the quote at the end of the cell ("...") or remove it; a quote inside a quoted cell '
                         'is written twice ("")')


def check_header_names(header: list[str], where: str) -> None:
    """An InputError for a column the header names twice: csv keeps the last one's cells and drops the first's
    without a word (a second step_s column replaced every published figure)."""
    seen: set[str] = set()
    for c in header:
        if c in seen and c.strip():  # unnamed columns (trailing commas): check_table names them
            raise InputError(f"{where}: column {c!r} appears {header.count(c)} times in the header; the reader "
                             "would keep the last one's cells and drop the others'",
                             f"keep one {c} column" + ("" if c == "note" else " (put remarks in the note column)"))
        seen.add(c)


def check_columns(rows: list[dict[str, str]], required: tuple[str, ...], where: str, bundled: str) -> None:
    """An InputError naming the `required` columns the header lacks; for a header of one cell holding semicolons or
    tabs (a spreadsheet's export in another locale), the separator instead of every column as missing."""
    header = [c for c in rows[0] if c is not None]
    missing = [c for c in required if c not in header]
    if not missing:
        return
    check_case(header, [*bundled_header(bundled), *required], where, bundled)
    if header and header[0].lstrip().startswith(("[", "{")):  # a TOML table or a JSON document: not columns
        raise InputError(f"{where} is not CSV: its first line starts {','.join(header)[:40]!r}, as TOML or JSON do "
                         f"(it lacks the column(s) {', '.join(missing)})",
                         "write the runs as CSV, one line per run under a header line (docs/runs_files.md; the "
                         f"format of {bundled_ref(bundled)})")
    for sep, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and sep in header[0]:
            raise InputError(f"{where} separates its cells with {name}, not commas (its header is one cell: "
                             f"{header[0][:60]!r}...)", "save it as comma-separated CSV (a spreadsheet's 'CSV "
                             "(comma delimited)'), with the header of " + bundled_ref(bundled))
    kind = _other_kind(header, bundled)
    raise InputError(f"{where} lacks the column(s) {', '.join(missing)}" + (f"; it is {kind[0]}" if kind else ""),
                     f"run `{kind[1]}`" if kind else f"use the header of {bundled_ref(bundled)}; "
                     "docs/runs_files.md lists every column and what a blank cell means)")


def bundled_path(bundled: str) -> str:
    """Where the bundled predict/data/`bundled` lies in this installation: 'predict/data/...' named a folder of the
    source tree a pip user does not have (ut5val)."""
    return str(resources.files("accelopt.predict") / "data" / bundled)


def bundled_ref(bundled: str) -> str:
    """How an error's fix names the bundled data file `bundled`: by name and where it is installed (bundled_path), not
    as 'predict/data/...', a folder of the source tree a pip user does not have (fix5a)."""
    return f"the bundled {bundled}, installed at {bundled_path(bundled)}"


def check_case(header: list[str], columns: list[str], where: str, bundled: str) -> None:
    """An InputError naming each header cell that is one of `columns` written in another case or with spaces around
    it ('Step_s', ' mlp'): the file was refused as lacking `mlp`, or as holding a column 'Step_s' no predictor reads,
    with the column it meant unnamed (ut4left)."""
    lower = {c.lower(): c for c in columns}
    slips = [(c, lower[c.strip().lower()]) for c in header
             if c not in columns and c.strip().lower() in lower]
    if slips:
        raise InputError(f"{where}: column name(s) {', '.join(f'{c!r}' for c, _ in slips)} spelled other than the "
                         "format's (column names are lower case, without spaces around them)",
                         "rename them in the header: " + ", ".join(f"{c!r} -> {m}" for c, m in slips)
                         + f" (the spelling of {bundled_ref(bundled)})")


_KINDS = {"published_training_runs.csv": ("a training runs file", "accelopt validate --runs FILE"),
          "published_serving_runs.csv": ("a serving runs file", "accelopt validate --serving --runs FILE"),
          "published_inference_runs.csv": ("an inference runs file", "accelopt validate --inference --runs FILE")}
"""Each bundled runs file: what a file of its format is called, and the command that reads one."""


def _other_kind(header: list[str], bundled: str) -> tuple[str, str] | None:
    """(kind, command) of the other runs-file format whose columns hold every column of `header` (a serving table
    given to `validate --runs`), or None. The header must also hold a column of that format that `bundled`'s lacks:
    a training file cut to the columns both share (id, source, hardware) was called a serving runs file, and the
    fix sent its user to `validate --serving` (ut3io)."""
    own = set(bundled_header(bundled))
    for other, kind in _KINDS.items():
        theirs = set(bundled_header(other))
        if other != bundled and header and set(header) <= theirs and set(header) - own:
            return kind
    return None


def bundled_header(bundled: str) -> list[str]:
    """The column names of the bundled predict/data/`bundled` (its first line that is not a comment)."""
    text = (resources.files("accelopt.predict") / "data" / bundled).read_text("utf-8")
    return next(csv.reader([ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")][:1]))


def check_table(rows: list[dict[str, str]], bundled: str, where: str, also_read: tuple[str, ...] = (),
                needed: tuple[str, ...] = (), duplicates: dict[int, InputError] | None = None) -> None:
    """An InputError for what the reader would otherwise drop or double without a word: a column the bundled
    format does not have (nothing reads it), a row with more cells than the header (csv.DictReader files the
    surplus under None), a row with fewer cells that ends before a `needed` column (short_row_error), a row without an
    id (nothing could name it), and two rows with the same id (each would count in the error medians). `also_read`:
    columns the reader reads that no bundled row needs (so the bundled header lacks them). `duplicates`, when given:
    where a row repeating an id is recorded (its index in `rows` -> its error) if the table has no other problem,
    for the caller's check of each row's values to name with its own (each_row's `first`): a duplicate id stopped
    the file before its bad values were named, so the user fixed one and met the next (ut5val, fix5a)."""
    known = set(bundled_header(bundled)) | set(also_read)
    unknown = [c for c in rows[0] if c is not None and c not in known]
    check_case(unknown, list(known), where, bundled)
    if unknown:
        named = ", ".join(repr(c) if c.strip() else "an unnamed column (a trailing comma in the header?)"
                          for c in unknown)
        raise InputError(f"{where} has column(s) no predictor reads: {named}",
                         f"remove them, or rename them to a column of {bundled_ref(bundled)}"
                         + (f" or to one of {', '.join(also_read)}" if also_read else "")
                         + " (put remarks in the note column)")
    seen: dict[str, int] = {}  # id -> its first data row (counting from 1)

    def check(numbered: tuple[int, dict[str, str]]) -> None:
        n, row = numbered
        rid = (row.get("id") or "").strip()
        if not rid:  # every message, table and JSON names a run by its id
            raise InputError(f"run {n} (counting data rows from 1, after the header) has no id",
                             "give each row an id in its first column (the name validate reports it and its errors by)")
        if None in row:
            raise InputError(f"run {rid!r} has more cells than the header ({len(row) - 1} columns and "
                             f"{len(row[None])} more cell(s): {', '.join(map(repr, row[None]))})",  # type: ignore[index]
                             "quote a cell that holds a comma, or remove the surplus cells")
        short = short_row_error(row, needed)
        if short:
            raise short
        if rid in seen:  # the rows named: in a long file the id alone left the user to search (ut5val)
            found[n - 1] = InputError(f"run id {rid!r} appears twice (data rows {seen[rid]} and {n}, counting from 1 "
                                      "after the header)",
                                      "give each row its own id (a row counts once in the error medians)")
        seen.setdefault(rid, n)

    found: dict[int, InputError] = {}  # row index -> its repeated id
    bad: dict[int, InputError] = {}  # row index -> its first other problem (then its id is not checked)
    for i, numbered in enumerate(enumerate(rows, start=1)):
        try:
            check(numbered)
        except InputError as e:
            bad[i] = e
    if bad or (found and duplicates is None):
        err = rows_error([{**found, **bad}[i] for i in sorted({**found, **bad})], len(rows))
        raise InputError(f"{where}: {err.problem}", err.fix) from None
    if duplicates is not None:
        duplicates.update(found)


def short_row_error(row: Mapping[str, str | None], needed: Sequence[str],
                    why: str = "which every row needs") -> InputError | None:
    """The InputError for a row with fewer cells than the header that ends before a `needed` column (csv.DictReader
    gives such a column None, a blank cell ''), or None. A row may leave out trailing optional cells (the bundled
    files do), but one cell left out in the middle shifts every cell after it: the error named the first cell that
    then failed ('step_s is blank' of a row ending '...,gelu,0.5'), not the missing cell (ut3io). `why`: what the
    columns are to the row."""
    short = [c for c in row if c in needed and row[c] is None]  # in the header's order
    if not short:
        return None
    cells = sum(v is not None for k, v in row.items() if k is not None)
    rid = (row.get("id") or "").strip()
    return InputError(f"run {rid!r} has {cells} cells, the header {len(row)} columns: the row ends before its "
                      f"{', '.join(short)} column{'s' if len(short) > 1 else ''}, {why}",
                      "write one cell per column of the header (a blank one as nothing between two commas); a cell "
                      "left out in the middle of the row puts every cell after it under the wrong column")


# ---- every bad row of a file in one error ----

MAX_ROW_PROBLEMS = 12
"""The most rows a runs file's error names one by one; the others are counted ('and 5 more')."""

_R = TypeVar("_R")


def each_row(rows: Sequence[_R], check: Callable[[_R], _T], first: Mapping[int, InputError] | None = None) -> list[_T]:
    """[check(row) for row in rows], going on past a row whose check raises an InputError, then one InputError for
    them all (rows_error). A runs file with several bad rows stopped at the first: fixed, the next one stopped the
    run again (a user trial, uttrialC); any other error is raised at once. `first`: a problem already found in a row
    (its index -> the error; check_table's `duplicates`), named as that row's first and its check not run."""
    out: list[_T] = []
    errors: list[InputError] = []
    for i, row in enumerate(rows):
        if first and i in first:
            errors.append(first[i])
            continue
        try:
            out.append(check(row))
        except InputError as e:
            errors.append(e)
    if errors:
        raise rows_error(errors, len(rows))
    return out


def rows_error(errors: Sequence[InputError], runs: int) -> InputError:
    """The one error for the rows of a file of `runs` rows that raised `errors` (one per row, its first problem): a
    single problem as it was raised (its class kept), else one line per problem (the row's id, the column, the fix;
    a problem every row repeats, a bad --catalog file, once) up to MAX_ROW_PROBLEMS, then 'and N more'."""
    unique = list(dict.fromkeys((e.problem, e.fix) for e in errors))
    if len(unique) == 1:
        return errors[0]
    lines = [f"  {problem} — {fix}" if fix else f"  {problem}" for problem, fix in unique[:MAX_ROW_PROBLEMS]]
    if len(unique) > MAX_ROW_PROBLEMS:
        lines.append(f"  and {len(unique) - MAX_ROW_PROBLEMS} more (fix these and run again to see them)")
    many = f"all {runs}" if len(errors) == runs else f"{len(errors)} of the {runs}"
    return InputError(f"{many} runs have a problem (each run's first is named):\n"
                      + "\n".join(lines), "fix each run as its line says after the dash, then run again")


# ---- one cell of a row: a bad value names the row's id, the column and the value, and what to write ----

@contextlib.contextmanager
def naming_file(what: str, path: Path | str | None) -> Iterator[None]:
    """An InputError about a row ("serving run 'r1', column tp ...") prefixed with the user's file `path`, which it
    does not name (`what`: 'serving runs file'); the bundled file's errors stay as they are."""
    try:
        yield
    except InputError as e:
        where = f"{what} {path}"
        if path is None or e.problem.startswith(where):
            raise
        raise InputError(f"{where}: {e.problem}", e.fix) from None


@functools.lru_cache(maxsize=16)
def row_device(name: str) -> AcceleratorSpec:
    """The device a serving or inference row's hardware cell names: the catalog's, or a spec TOML path. Those rows
    read no --catalog (`validate --serving/--inference --catalog` exits 2), so an unknown name's fix offers the
    hardware cell, not the flag (it offered `--catalog FILE`, which the same command then refused), and that alone:
    added after the catalog's own-device sentence, it said so twice, first as a command's argument (rvtrial)."""
    return get_device(name, catalog_flag=False, own="write its spec TOML path in the hardware cell (relative to the "
                      "CSV's folder; --catalog is read for training runs only)")


def cell_error(what: str, row: Mapping[str, str | None], col: str, problem: str, fix: str) -> InputError:
    """The InputError for the bad cell `col` of `row` ("serving run 'r1': tp = 'two' is not a whole number": the
    row's id, the column, the value); `what` names the kind of row ('serving run', 'run')."""
    rid = (row.get("id") or "").strip()
    columns = [k for k in row if k is not None]
    cells = sum(row[k] is not None for k in columns)
    if cells < len(columns):  # a short row that passed short_row_error (it ends before optional columns only):
        # a cell left out earlier shifts this one; the error named the shifted cell alone (ut5val)
        problem += (f" (the row has {cells} cells, the header {len(columns)} columns: a cell left out before this one "
                    "would put it under the wrong column; trailing cells may be left out)")
    return InputError(f"{what} {rid!r}: {col} = {(row.get(col) or '').strip()!r} {problem}",
                      f"{fix} (in the {col} cell of row {rid!r})")


_NUMBER_AND_UNIT = re.compile(r"[-+]?(\d[\d,_]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*([A-Za-z%/][A-Za-z%/ ]*)")


def unit_fix(value: str, fix: str) -> str:
    """`fix`, or where `value` is a number written with a unit ('5.1 s', '45%', '8 GPUs') the word to drop the unit: the
    error said 'is not a positive number' of '5.1 s' with no word of the unit (ut5val). The unit may be another than
    the column's ('5100 ms' in step_s), so the fix says to convert first rather than strip it."""
    m = _NUMBER_AND_UNIT.fullmatch(value.strip())
    if not m:
        return fix
    return (f"write the number alone, in the column's unit ({m.group(3).strip()!r} is a unit: drop it, converting the "
            "number first if the column's unit is another; docs/runs_files.md gives each column's unit)")


def whole_cell(what: str, row: Mapping[str, str | None], col: str, low: int, high: int,
               blank: int | None = None, blank_means: str = "", unit: str = "") -> int:
    """The whole number in `row[col]`, from `low` to `high` (`unit`: what it counts, named in the range); a blank
    cell is `blank` (an error when None), which the fix calls `blank_means` (default: the number)."""
    v = (row.get(col) or "").strip()
    fix = f"write a whole number from {low} to {high:,}" + (f" {unit}" if unit else "")
    if blank is not None:
        fix += f", or leave it blank ({blank_means or blank})"
    if not v:
        if blank is None:
            raise cell_error(what, row, col, "is blank", fix)
        return blank
    try:
        n = int(v)
    except ValueError:
        raise cell_error(what, row, col, "is not a whole number", unit_fix(v, fix)) from None
    if not low <= n <= high:
        raise cell_error(what, row, col, f"is out of range ({low}..{high:,}{f' {unit}' if unit else ''})", fix)
    return n


def positive_cell(what: str, row: Mapping[str, str | None], col: str) -> float:
    """The positive, finite number in `row[col]` (NaN, inf, zero, negative and blank are errors)."""
    v = (row.get(col) or "").strip()
    try:
        x = float(v)
    except ValueError:
        x = math.nan
    if not 0 < x < math.inf:  # NaN fails too
        raise cell_error(what, row, col, "is not a positive number",
                         unit_fix(v, "write a positive, finite number (e.g. 1520.5)"))
    return x


def choice_cell(what: str, row: Mapping[str, str | None], col: str, allowed: tuple[str, ...],
                blank_ok: bool = False) -> str:
    """The cell `row[col]`, one of `allowed` (or blank when `blank_ok`); a DTYPE_COLUMNS cell's fix names the other
    spellings it reads too (dtypes.accepted_spellings)."""
    v = (row.get(col) or "").strip()
    if v in allowed or (blank_ok and not v):
        return v
    also = f" ({dtypes.accepted_spellings(allowed)})" if col in DTYPE_COLUMNS else ""
    fix = f"write one of {', '.join(allowed)}{also}" + (", or leave it blank" if blank_ok else "")
    if same := [a for a in allowed if a.lower() == v.lower()]:  # 'vLLM': the list alone left the case unsaid (ut5val)
        fix = f"write {same[0]!r} (the names are matched as written, in that case)"
    raise cell_error(what, row, col, f"is not one of {', '.join(allowed)}", fix)


def flags_as_cells(text: str, rid: str | None, renamed: Mapping[str, str], columns: frozenset[str]) -> str:
    """' (--global-batch is the global_batch cell, ... of row 'r1')' for each command-line flag `text` names whose
    cell is one of `columns`: `renamed[flag]` where the cell has another name, else the flag's words joined by '_'
    (`rid` None: a note on several rows, without 'of row ...'). The predictors' errors speak in flags; a runs file's
    user edits cells (docs/runs_files.md)."""
    named = []
    for flag in dict.fromkeys(re.findall(r"--[a-z][a-z0-9-]*", text)):
        cell = renamed.get(flag, flag[2:].replace("-", "_"))
        if cell.split(" ")[0] in columns:
            named.append(f"{flag} is the {cell} cell")
    return f" ({', '.join(named)}{'' if rid is None else f' of row {rid!r}'})" if named else ""


# ---- params_b: the published parameter count beside the architecture cells (issue 10) ----

PARAMS_FLOOR = 0.01
"""Least tolerance, as a fraction of the published count: what params_total() leaves out. Biases are about 13/(12 h)
of the 12 l h^2 layer weights and learned position embeddings s/(12 l h) of them (Narayanan et al. 2021 sec. 5.1,
P = 12 l h^2 (1 + 13/(12h) + (V + s)/(12 l h))): under 0.5% each for every published decoder with hidden >= 2048."""

ARCH_CELLS = ("hidden", "layers", "ffn", "vocab", "heads", "kv_heads")
"""The architecture cells a params_b mismatch looks for a slip in (each is the TransformerConfig field so named)."""


@dataclass(frozen=True, kw_only=True)
class ParamsMismatch:
    """A run whose architecture cells count other parameters than its params_b cell (the published figure), beyond
    the tolerance of how that figure is written (params_tolerance)."""

    id: str
    published_params: float = unit("count", "the row's params_b x 1e9")
    counted_params: float = unit("count", "params_total() of the row's architecture cells: the count the predictor "
                                 "uses (all experts, embeddings; no biases or position embeddings)")
    tolerance_params: float = unit("count", "allowed |counted - published|: one unit in the last significant digit "
                                   "of params_b as written, and at least 1% of it")
    likely_cell: str
    """The architecture cell a one-keystroke slip in most likely explains (the tied cell flipped, first; else a digit
    swapped, dropped, doubled or replaced, the value doubled or halved, or kv_heads set to a divisor of heads): the
    cell whose candidate brings the count nearest params_b within the tolerance; '' when none does."""
    likely_value: int | None = unit("count", "that cell's candidate value: a width, layers, heads or tokens, or 0 / 1 "
                                    "for the tied cell (None when likely_cell is '')")
    likely_counted_params: float | None = unit("count", "params_total() with likely_value in likely_cell (None "
                                               "when likely_cell is '')")
    explained: bool
    """True when the row's note names params_b (the note then says why the counts differ: e.g. a nominal size
    in the model's name, replicated KV heads) and the gap is within EXPLAINED_GAP tolerances; an unexplained
    mismatch is printed as a warning."""


EXPLAINED_GAP = 3.0
"""A note naming params_b explains a gap up to this many tolerances (a nominal size, a counting convention: the
MaxText '64B' rows count 62.80 B, 1.2 tolerances); beyond it the row warns all the same (a mistyped cell)."""


def params_tolerance(text: str) -> float:
    """Allowed |count - figure| for a published parameter count written as `text` (any unit, e.g. billions): one
    unit in its last significant digit, at least PARAMS_FLOOR of it. Rounding to that digit moves a count by half a
    unit, and papers also truncate (Llama 3's '405B' is 405.85 B), so one whole unit; an integer's trailing zeros are
    not significant ('70' as in '70B' for 70.55 B: a one-digit figure, +-10; '1000' for '1T': +-1000), digits after a
    decimal point are ('64.86': +-0.01, then the 1% floor: +-0.65)."""
    d = Decimal(text.strip())
    exponent = d.as_tuple().exponent if "." in text else d.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # a finite number (the caller checked it)
    return max(10.0 ** exponent, PARAMS_FLOOR * float(d))


def params_mismatch(run_id: str, params_b: str, note: str, model: TransformerConfig,
                    cells: dict[str, str]) -> ParamsMismatch | None:
    """The mismatch of one row's architecture (`model`, built from `cells`) with its params_b text (billions), or
    None when within params_tolerance."""
    published = float(params_b) * 1e9
    tol = params_tolerance(params_b) * 1e9
    counted = float(model.params_total())
    if abs(counted - published) <= tol:
        return None
    likely = _likely_cell(model, cells, published, tol)
    return ParamsMismatch(id=run_id, published_params=published, counted_params=counted, tolerance_params=tol,
                          likely_cell=likely[0] if likely else "", likely_value=likely[1] if likely else None,
                          likely_counted_params=likely[2] if likely else None,
                          explained="params_b" in note and abs(counted - published) <= EXPLAINED_GAP * tol)


def _likely_cell(model: TransformerConfig, cells: dict[str, str], published: float,
                 tol: float) -> tuple[str, int, float] | None:
    """(cell, value, count): the one-keystroke change of one architecture cell whose count lands nearest
    `published` within `tol`; None when no such change lands there. The tied cell (0 <-> 1) comes first when its flip
    lands within `tol`: a blank cell reads as untied, unlike Qwen2.5's small models, Gemma or GPT-2 (the bundled
    Narayanan rows carried that slip until 2026-11-30), and a row of Qwen2.5 1.5B left untied (1.78 B against its
    1.54) was told 'the layers cell may be mistyped (23 would count 1.54 B)', the nearest count of a digit slip."""
    flipped = _with_cell(model, "tied_embeddings", not model.tied_embeddings).params_total()
    if abs(flipped - published) <= tol:
        return "tied", int(not model.tied_embeddings), float(flipped)
    best: tuple[float, str, int, float] | None = None
    for cell in ARCH_CELLS:
        typed = (cells.get(cell) or "").strip()
        for value in _keystroke_candidates(typed, model.heads if cell == "kv_heads" else None):
            try:
                counted = _with_cell(model, cell, value).params_total()
            except InputError:  # e.g. heads that no longer divide hidden
                continue
            miss = abs(counted - published)
            if miss <= tol and (best is None or miss < best[0]):
                best = (miss, cell, value, float(counted))
    return None if best is None else best[1:]


def _with_cell(model: TransformerConfig, cell: str, value: int | bool) -> TransformerConfig:
    """`dataclasses.replace(model, **{cell: value})` at a fraction of its cost: a copy with the one field set,
    checked by the same __post_init__ (InputError as replace raised it). The same object, since every field of
    TransformerConfig is an __init__ field and its __post_init__ only checks them (it derives and caches nothing);
    replace, which reads and passes all ~30 fields, was 3/4 of check_params' time (_likely_cell tries ~400 values
    for each row whose count misses its params_b: 15,342 replaces, 8.1 s of 10.6 s under cProfile)."""
    changed = copy.copy(model)
    object.__setattr__(changed, cell, value)  # frozen: the way its own __init__ sets a field
    changed.__post_init__()
    return changed


def _keystroke_candidates(typed: str, heads: int | None) -> set[int]:
    """Values one slip away from the cell text `typed`: two neighbouring digits swapped, a digit dropped, added or
    replaced, the value doubled or halved; for kv_heads (`heads` given) also every divisor of heads (a blank cell
    means kv_heads = heads, i.e. grouped-query attention left out)."""
    out: set[int] = set()
    if heads is not None:
        out |= {k for k in range(1, heads + 1) if heads % k == 0}
    if typed.isdigit():
        n = len(typed)
        texts = {typed[:i] + typed[i + 1] + typed[i] + typed[i + 2:] for i in range(n - 1)}
        texts |= {typed[:i] + typed[i + 1:] for i in range(n)}
        texts |= {typed[:i] + c + typed[i:] for i in range(n + 1) for c in "0123456789"}
        texts |= {typed[:i] + c + typed[i + 1:] for i in range(n) for c in "0123456789"}
        out |= {int(t) for t in texts if t and not t.startswith("0")}
        out |= {2 * int(typed), int(typed) // 2}
        out.discard(int(typed))
    return {v for v in out if 0 < v <= MAX_COUNT}


def some_ids(ids: Sequence[str]) -> str:
    """The first three run ids, then '...' when there are more: how every validate note names the runs it concerns
    (one helper; the text was built in six places)."""
    return ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")


def runs_named(ids: Sequence[str], what: str = "run") -> str:
    """'3 serving run(s) (a, b, c)': how many runs of `what` kind, and the first of them (some_ids)."""
    return f"{len(ids)} {what}(s) ({some_ids(ids)})"


def role_lines_of(rows: list[dict[str, str]], what: str, fitted: Callable[[dict[str, str]], tuple[str, Any]],
                  table: Callable[[str], str], fit_fix: Callable[[str], str] = lambda family: "") -> list[str]:
    """Warnings for the rows (not 'gap') whose role cell contradicts the values they are predicted with: 'fit' on a
    row its table was not fitted on (the row counts in no held-out figure), 'test' on one it was fitted on (its
    error counts in the held-out median as if unseen). `fitted(row)`: (the table's family, its fitted_on ids);
    `table(family)`: how the warning names the table; `fit_fix(family)`: more to the fix of a 'fit' row. One builder
    for `validate --serving` and `validate --inference` (their two copies differed only in these)."""
    wrong: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if row["role"] == "gap":
            continue
        family, fitted_on = fitted(row)
        if (row["role"] == "fit") != (row["id"] in fitted_on):
            wrong.setdefault((row["role"], family), []).append(row["id"])
    lines = []
    for (role, family), ids in wrong.items():
        if role == "fit":
            lines.append(f"warning: role fit in {runs_named(ids, what)} that {table(family)} was not fitted on (its "
                         "fitted_on does not list them): they count in no held-out figure — write test (held out)"
                         + fit_fix(family))
        else:
            lines.append(f"warning: role test in {runs_named(ids, what)} that {table(family)} was fitted on (its "
                         "fitted_on lists them): their errors count in the held-out median as if unseen — write fit")
    return lines
