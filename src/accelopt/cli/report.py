"""`accelopt history`: list, show (and re-render as HTML), compare, prune and import recorded runs."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accelopt.cli.html_first import HTML_RULE
from accelopt.errors import InputError
from accelopt.report.console import printable

if TYPE_CHECKING:
    from accelopt.report.history import RunRecord
    from accelopt.report.history_documents import ComparedRun, HistoryCompareDocument, HistoryShowDocument

# one line per paragraph: the help printer keeps a line break inside a paragraph, folding it mid-sentence
HELP = ("Recorded runs: list, show (re-render as HTML), compare two, prune, import.\n\n"
        "Runs of probe, profile, optimize, plan (search, explain, serve, infer), validate, simulate (run, sweep, "
        "published) and catalog compare are recorded in the SQLite store $ACCELOPT_HOME/history.sqlite3 (default "
        "~/.accelopt); JSON run files of older versions ($ACCELOPT_HOME/history/*.json) are imported when the store "
        "is created. ACCELOPT_NO_HISTORY=1 stops recording. Options go after the subcommand (history list --json).")


# What reading a stored result of the wrong shape raises (a run written by hand, another version, a bug):
# the record is valid JSON, but a field is not what its command writes.
_SHAPE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def _misshapen(run: RunRecord, e: Exception) -> InputError:
    return InputError(f"run {run.id} is damaged: its result is not shaped like a {run.command} result "
                      f"({type(e).__name__}: {e})", "show or compare another run (accelopt history list)")


def _figures(run: RunRecord) -> list[Any]:
    """The run's key figures; InputError (not a traceback) when its stored result has the wrong shape."""
    from accelopt.report.figures import key_figures

    try:
        return key_figures(run.command, run.result)
    except _SHAPE_ERRORS as e:
        raise _misshapen(run, e) from None


def _summary(run: RunRecord, n: int = 3) -> str:
    from accelopt.report.figures import fmt, typed, unreadable_note

    try:
        # a figure a run has no number for (a device without a catalog price: cost NaN) is left out, not 'n/a*'
        figs = [f for f in _figures(run) if f.value is not None and not math.isnan(f.value)][:n]
        if not figs and typed(run.command, run.result) is None:  # another version's: say so, not a blank cell
            return f"n/a ({unreadable_note(run.result, run.command)})"
    except InputError as e:  # listed all the same, with a warning
        typer.echo(f"warning: {printable(e.problem)}", err=True)
        return "n/a (result unreadable)"
    text = "; ".join(f"{f.label} {fmt(f.value, f.unit)}" + ("*" if f.estimate else "") for f in figs)
    mark = _stopped(run.command, run.result)
    if mark:  # a run stopped before its first figure said 'FAILED in the warm-up pass, partial:' and nothing after
        return f"{mark}: {text or 'no figure measured'}"
    return text


INTERRUPTED = "INTERRUPTED ({by}), partial"
"""How `history list` and `show` mark a run stopped by Ctrl-C or SIGTERM (an optimize or simulate sweep result with
`interrupted: true`, an interrupted profile-partial), `by` the signal its record names (interrupts.recorded_stop:
a partial profile's stopped_by, else 'Ctrl-C or SIGTERM'): its figures read as a finished run's ('recommended speed-up
1x' of a run stopped before its first technique)."""


def _stopped(command: str, result: Any) -> str:
    """The mark of a run that did not finish: INTERRUPTED, or for a profile whose model raised in a later pass
    (profile-partial with `failed` set) the pass it failed in, for a distributed run a rank failed in
    (profile-distributed-partial with `failed` set) that run; '' for a finished run."""
    from accelopt.report.figures import typed

    r = typed(command, result)
    if getattr(r, "failed", ""):
        during = getattr(r, "interrupted_during", None)
        return (f"FAILED in the {during} pass, partial" if during is not None else
                f"FAILED in the {r.nproc * r.nnodes}-rank run, partial")
    if not getattr(r, "interrupted", False):
        return ""
    from accelopt.interrupts import recorded_stop

    return INTERRUPTED.format(by=recorded_stop(r))  # a partial profile's record says which signal; others do not


def _list(limit: int, offset: int, as_json: bool) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    if limit < 1:
        raise InputError(f"--limit {limit} lists no run (it is the number of runs on a page)",
                         "give --limit 1 or more, e.g. --limit 20")
    if offset < 0:
        raise InputError(f"--offset {offset} is negative (it is the number of newest runs to skip)",
                         "give --offset 0 or more (runs to skip, newest first)")
    runs = history.list_runs(limit, offset)
    total = history.count()
    if as_json:
        from accelopt.report.history_documents import HistoryListDocument, HistoryRunLine

        emit(HistoryListDocument(store=str(history.store_path()), total=total, offset=offset,
                                 runs=[HistoryRunLine(id=r.id, command=r.command, time=r.time_utc, argv=list(r.argv),
                                                      summary=_summary(r), busy_machine=_disturbed(r))
                                       for r in runs]))
        return
    from accelopt.report.console import make_console

    con = make_console()
    last_row = min(offset + limit, total)  # a page is `limit` rows of the store, damaged ones included (list_runs)
    if not runs and total > offset:  # the page's rows are all damaged (each named in a warning above)
        con.print(f"no readable run among runs {offset + 1}-{last_row} of {total:,} in {history.store_path()}")
    elif not runs and total:  # past the last page: 'no runs recorded ... after the newest 1000' of a 28-run store
        con.print(f"no runs recorded in {history.store_path()} past --offset {offset}: it holds {total:,} "
                  f"run{'' if total == 1 else 's'}; the oldest page: accelopt history list --offset "
                  f"{max(total - limit, 0)} --limit {limit}")
    elif not runs:
        con.print(f"no runs recorded in {history.store_path()}")
    else:
        con.print(_list_table(runs, offset, last_row, total, str(history.store_path())))
    if offset + limit < total:
        con.print(f"older runs: accelopt history list --offset {offset + limit} --limit {limit}")


def _list_table(runs: list[RunRecord], offset: int, last_row: int, total: int, store: str) -> Any:
    from rich.table import Table

    first = f"runs {offset + 1}-{last_row}" if offset else f"last {last_row}"
    skipped = last_row - offset - len(runs)
    t = Table(title=f"{first} of {total:,} runs in {store}" + (f" ({skipped} damaged: skipped)" if skipped else ""))
    t.add_column("id", no_wrap=True)
    t.add_column("command", overflow="fold")
    t.add_column("key figures (* = estimate)", overflow="fold")
    for r in runs:
        t.add_row(r.id, r.command_line(), _busy_mark(r) + _summary(r))
    return t


BUSY = "BUSY machine"
"""How `history list` marks a run whose measured result carries busy-machine warnings (probe, profile, optimize): its
figures may reflect the machine; `history compare` and `show` name the warnings."""


def _busy_mark(run: RunRecord) -> str:
    """'BUSY machine (N warnings): ' before a disturbed run's figures, '' for a quiet run or a prediction."""
    n = len(_disturbed(run))
    return f"{BUSY} ({n} warning{'s' if n > 1 else ''}): " if n else ""


def show_document(run: RunRecord) -> HistoryShowDocument:
    """The typed `history show` of a run: its text view, its --json and the note of an unreadable result all come
    from it. A result of another version has no figures and says why; a damaged one too (its JSON is still shown:
    it is all there is to read of it)."""
    from accelopt.report.figures import other_version, typed
    from accelopt.report.history_documents import HistoryShowDocument

    note = None
    try:
        figures = _figures(run)
        if not figures:  # an empty table would say nothing about why
            note = (other_version(run.result, run.command) if typed(run.command, run.result) is None
                    else f"the {run.command} result holds no key figures")
    except InputError as e:
        figures, note = [], e.problem
    return HistoryShowDocument(id=run.id, command=run.command, command_line=run.command_line(), argv=list(run.argv),
                               time=run.time_utc, versions=_texts(run.versions), host=_texts(run.host),
                               figures=figures, figures_note=note, result=run.result)


def _texts(recorded: dict[str, Any]) -> dict[str, str | None]:
    """A record's versions or host as text (a hand-written run file may hold a number there)."""
    return {str(k): None if v is None else str(v) for k, v in recorded.items()}


def _show(run_id: str, as_json: bool, html: Path | None) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    run = history.load(run_id)
    if html is not None:
        from accelopt.report.html import write_html
        from accelopt.report.runs import default_title
        from accelopt.userio import check_writable

        check_writable(html, "--html", "report.html")  # the path's own error, before the shape errors below
        try:
            path = write_html(html, run.command, run.result, title=default_title(run.command, run.result),
                              argv=run.argv, run=run.to_dict())
        except _SHAPE_ERRORS as e:
            raise _misshapen(run, e) from None
        typer.echo(f"HTML report written to {printable(path)}", err=True)
    if as_json:
        emit(show_document(run))
        return
    if html is not None:
        return
    _figures(run)  # a misshapen run is one error before anything is printed, not half a page
    _print_show(show_document(run))


def _print_show(doc: HistoryShowDocument) -> None:
    from rich.table import Table

    from accelopt.report import history
    from accelopt.report.console import line, make_console, plain
    from accelopt.report.figures import fmt

    con = make_console()
    con.print(line((doc.id, "bold"), f": {doc.command_line}"))
    con.print(plain(f"  {doc.time} on {history.host_text(doc.host)}; {history.versions_text(doc.versions)}"))
    if doc.figures_note is not None:
        con.print(plain(f"{doc.figures_note}; only its JSON is shown: accelopt history show {doc.id} --json"))
        return
    mark = _stopped(doc.command, doc.result)
    t = Table(title=f"key figures ({mark})" if mark else "key figures")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for f in doc.figures:
        t.add_row(f.label + (" (estimate)" if f.estimate else ""), fmt(f.value, f.unit))
    con.print(t)
    # the run's own id, ready to paste (a `show latest` printed the placeholder ID, to be looked up in the line above)
    con.print(plain(f"all of it: accelopt history show {doc.id} --json; as a page: accelopt history show {doc.id} "
                    "--html PATH"))


def _days(text: str | None) -> float | None:
    """--older-than as typed: a number of days, read here so that an error names the text the user wrote (1e400 is
    infinity once click has read it as a float, and was refused as '--older-than inf'); history.prune checks the
    rest (negative)."""
    import math

    if text is None:
        return None
    fix = "give an age in days, e.g. --older-than 90 (or --keep N to keep the newest N runs)"
    try:
        days = float(text)
    except ValueError:
        raise InputError(f"--older-than {text!r} is not a number of days", fix) from None
    if not math.isfinite(days):
        past = "" if text.strip().lower().lstrip("+-") in ("inf", "infinity", "nan") else \
            " (past about 1.8e308, the largest number a float holds)"
        raise InputError(f"--older-than {text.strip()} is not a finite number of days{past}", fix)
    return days


def _prune(keep: int | None, older_than: float | None, as_json: bool) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    rep = history.prune(keep, older_than)
    if as_json:
        from accelopt.report.history_documents import HistoryPruneDocument

        emit(HistoryPruneDocument(store=str(history.store_path()), deleted=rep.deleted, remaining=rep.remaining))
    else:
        typer.echo(f"pruned {history.runs_text(rep.deleted)}; {rep.remaining} left in "
                   f"{printable(history.store_path())}")


def _import(folder: Path | None, as_json: bool, skip_invalid: bool) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    rep = history.import_json(folder, skip_invalid=skip_invalid)
    if rep.note:  # stderr: --json keeps stdout to the document
        typer.echo(printable(f"note: {rep.note}"), err=True)
    if as_json:
        from accelopt.report.history_documents import HistoryImportDocument, RenamedFile, SkippedFile

        emit(HistoryImportDocument(store=str(history.store_path()), folder=str(rep.folder), imported=rep.imported,
                                   already_present=rep.already_present,
                                   skipped=[SkippedFile(file=f, why=w) for f, w in rep.skipped],
                                   renamed=[RenamedFile(file=f, id=i) for f, i in rep.renamed]))
        return
    typer.echo(printable(f"imported {history.runs_text(rep.imported)} from {rep.folder} ({rep.already_present} "
                         f"already in the store, {len(rep.skipped)} skipped) into {history.store_path()}"))
    for name, run_id in rep.renamed:
        typer.echo(printable(f"  {name}: its id was a different run's in the store; stored as {run_id}"))


def compare_data(a: RunRecord, b: RunRecord) -> HistoryCompareDocument:
    """Key figures of two runs of the same command side by side, with b / a (the --json and the table print it)."""
    from accelopt.report.history_documents import (
        ComparedFigure,
        DisturbedRuns,
        HistoryCompareDocument,
        validate_changes,
    )

    if a.command != b.command:
        raise InputError(f"runs {a.id} ({a.command}) and {b.id} ({b.command}) are different commands",
                         "compare two runs of the same command (see accelopt history list)")
    fa = {f.label: f for f in _figures(a)}
    fb = {f.label: f for f in _figures(b)}
    for run, figs in ((a, fa), (b, fb)):
        _check_readable(run, figs)
    side_a, side_b = _side(a), _side(b)
    fa, fb = _join_devices(fa, fb, side_a.device, side_b.device)
    pairs = {label: (fa.get(label), fb.get(label)) for label in [*fa, *(k for k in fb if k not in fa)]}
    rows = []
    for label, (x, y) in _pair_by_subject(pairs).items():
        va, vb = (x.value if x else None), (y.value if y else None)
        # a ratio of two finite figures only: n/a (NaN) or infinity on either side read '0x' or 'infx'
        ratio = vb / va if va is not None and vb is not None and _finite(va) and _finite(vb) and va != 0 else None
        either = x or y
        rows.append(ComparedFigure(figure=label, unit=either.unit if either else "", a=va, b=vb, ratio_b_over_a=ratio,
                                   estimate=bool((x and x.estimate) or (y and y.estimate))))
    return HistoryCompareDocument(command=a.command, a=side_a, b=side_b, figures=rows,
                                  disturbed=DisturbedRuns(a=_disturbed(a), b=_disturbed(b)),
                                  subject_warning=subject_warning(side_a, side_b), inputs_warning=inputs_warning(a, b),
                                  validate=(validate_changes(a.result, b.result) if a.command.startswith("validate")
                                            else None))


_INPUT_FLAGS = {"runs": "--runs", "calibration": "--calibration"}
"""The input files a validate run records (runs_csv.InputFile roles) and the flags that name them."""


def _input_files(run: RunRecord) -> dict[str, tuple[str, str | None]]:
    """role -> (path, SHA-256) of the files a validate run read: its result's input_files; for a run recorded
    before them, the path its command line names ('bundled' without the flag) and no digest."""
    got = run.result.get("input_files") if isinstance(run.result, dict) else None
    if isinstance(got, list) and got:
        return {f["role"]: (str(f.get("path")), str(f.get("sha256"))) for f in got
                if isinstance(f, dict) and f.get("role") in _INPUT_FLAGS}
    out: dict[str, tuple[str, str | None]] = {}
    for role, flag in _INPUT_FLAGS.items():
        path = "bundled"
        for i, arg in enumerate(run.argv):
            if arg == flag and i + 1 < len(run.argv):
                path = run.argv[i + 1]
            elif arg.startswith(flag + "="):
                path = arg.split("=", 1)[1]
        out[role] = (path, None)
    return out


def _bundled_as_one(path: str) -> str:
    """'bundled' for any spelling of the bundled file (an older record's command line gives 'bundled', a newer
    result 'bundled predict/data/NAME'), the path otherwise."""
    return "bundled" if path == "bundled" or path.startswith("bundled ") else path


def inputs_warning(a: RunRecord, b: RunRecord) -> str | None:
    """A plain-text warning naming both sides' runs file and calibration file (path and SHA-256, 'not recorded' for
    a run recorded before validate kept it) when two validate runs read different ones: the same path edited
    between the runs, or another path; None when they agree, or for another command."""
    if not a.command.startswith("validate"):
        return None
    fa, fb = _input_files(a), _input_files(b)
    parts = []
    for role in _INPUT_FLAGS:
        (pa, ha), (pb, hb) = fa.get(role, ("bundled", None)), fb.get(role, ("bundled", None))
        # without both digests, the paths: an older record's 'bundled' is the newer one's 'bundled predict/data/...'
        if (ha != hb) if ha is not None and hb is not None else _bundled_as_one(pa) != _bundled_as_one(pb):
            def side(path: str, digest: str | None) -> str:
                return f"{path}, sha256 {digest[:12] if digest else 'not recorded'}"

            parts.append(f"{role} files (A: {side(pa, ha)}; B: {side(pb, hb)})")
    if not parts:
        return None
    return (f"runs A and B read different {' and '.join(parts)}: the B / A ratios compare different inputs, not "
            "the effect of one change")


def _join_devices(fa: dict[str, Any], fb: dict[str, Any], device_a: str | None,
                  device_b: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Figures whose labels name the one device each run ran on ('h100-sxm: max batch', `plan serve`'s) relabelled
    'h100-sxm / a100-sxm-80gb: max batch' on both sides, so that they pair: two serve runs of one model on an H100
    and on an A100 shared no label, and their compare printed every row with one side n/a and no ratio at all (a
    user trial, uttrialC). The subject warning still says the runs differ in device. Runs on several devices (or
    the same one) keep their labels."""
    if not device_a or not device_b or device_a == device_b or "," in device_a + device_b:
        return fa, fb

    def relabel(figures: dict[str, Any], device: str) -> dict[str, Any]:
        prefix = f"{device}: "
        return {f"{device_a} / {device_b}: {label[len(prefix):]}" if label.startswith(prefix) else label: f
                for label, f in figures.items()}

    return relabel(fa, device_a), relabel(fb, device_b)


def _pair_by_subject(pairs: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """Join a figure only A has with one only B has when their labels differ in the point it was read at alone, a
    trailing '(batch N)' or '(concurrency N)' (figures.serve_point_label), or optimize's '(variant NAME)' of the
    recommended variant (two runs recommending different variants read two rows of n/a): `plan serve`'s 'h100-sxm: best
    tok/s/device (batch 198)' against '(batch 395)' (a default sweep ends at the largest batch that fits, which
    --kv-dtype fp8 doubles) was two rows of n/a, the headline figure never compared (utmisc 2026-12-04). The
    joined row names both points: '(A: batch 198, B: batch 395)'; a stem more than one row of a side shares stays
    unjoined, and so does any other parenthesis (a probe's 'ridge point (matmul.bf16 / stream.triad)' names what
    the figure is)."""
    def stem(label: str) -> tuple[str, str] | None:
        m = re.fullmatch(r"(.+) \(((?:batch|concurrency) \d+|variant [^()]+)\)", label)
        return (m.group(1), m.group(2)) if m else None

    only_a = {label: st for label, (x, y) in pairs.items() if y is None and (st := stem(label))}
    only_b = {label: st for label, (x, y) in pairs.items() if x is None and (st := stem(label))}
    stems_a = [st[0] for st in only_a.values()]
    stems_b = [st[0] for st in only_b.values()]
    joined: dict[str, str] = {}  # A's label -> B's label
    for la, (base, _) in only_a.items():
        lbs = [lb for lb, st in only_b.items() if st[0] == base]
        if len(lbs) == 1 and stems_a.count(base) == 1 and stems_b.count(base) == 1:
            joined[la] = lbs[0]
    out: dict[str, tuple[Any, Any]] = {}
    for label, (x, y) in pairs.items():
        if label in joined:
            lb = joined[label]
            out[f"{only_a[label][0]} (A: {only_a[label][1]}, B: {only_b[lb][1]})"] = (x, pairs[lb][1])
        elif label not in joined.values():
            out[label] = (x, y)
    return out


def _side(run: RunRecord) -> ComparedRun:
    from accelopt.report.history_documents import ComparedRun

    return ComparedRun(id=run.id, argv=list(run.argv), command_line=run.command_line(), **_subject(run.result))


# where each command's --json names what it ran: the first of these top-level fields that holds a name
# (profile/optimize: name; plan-workload: workload; plan-infer: workload_mode, requested_dtype; probe: device.name;
# plan explain: hardware; simulate run: design.name, simulate sweep: base_design); plan serve names model and
# device per point (results[]), plan its device per ranked layout (best[].hardware); simulate run and sweep name
# their model in `source` and their dtype in design.dtype (_simulate_subject); simulate published names its chip
# (nvdla, eyeriss: two chips' runs share no figure, and their compare printed every row n/a without a word).
_SUBJECT_FIELDS = {"model": ("model", "name", "workload"), "mode": ("mode", "workload_mode"),
                   "device": ("device", "hardware", "design", "base_design", "chip"),
                   "dtype": ("dtype", "requested_dtype")}
SUBJECT_NAMES = tuple(_SUBJECT_FIELDS)
_POINT_LISTS = ("results", "best")
"""The lists whose entries name a model or device where the top level does not (plan serve: results; plan: best)."""


def _subject(result: Any) -> dict[str, str | None]:
    """The model, mode, device and dtype a stored result names (None for each it does not name)."""
    out: dict[str, str | None] = dict.fromkeys(_SUBJECT_FIELDS)
    if not isinstance(result, dict):
        return out
    points = [p for key in _POINT_LISTS if isinstance(result.get(key), list) for p in result[key]
              if isinstance(p, dict)]
    for what, keys in _SUBJECT_FIELDS.items():
        for key in keys:
            value = result.get(key)
            if isinstance(value, dict):  # probe: the device object
                value = value.get("name")
            if isinstance(value, str) and value:
                out[what] = value
                break
        else:  # plan serve: one model and device per point; plan: a device per ranked layout
            names = sorted({p[key] for p in points for key in keys if isinstance(p.get(key), str)} if what in (
                "model", "device") else set())
            out[what] = ",".join(names) or None
    if "design" in result or "base_design" in result:
        _simulate_subject(result, out)
    return out


def _simulate_subject(result: dict[str, Any], out: dict[str, str | None]) -> None:
    """simulate run / sweep: the model is the name its `source` opens with, before the details that follow it
    (' (', ', batch', ';': 'model file net.py:CNN (nn.Module, batch 4, ...)', 'SCALE-Sim topology t.csv, batch 1'),
    so two batches of one model are one subject; the dtype is the design's. Two runs of different models or designs
    were compared with model, device and dtype null on both sides and no warning."""
    import re

    source = result.get("source")
    if out["model"] is None and isinstance(source, str) and source:
        out["model"] = re.split(r" \(|, batch |;", source, maxsplit=1)[0].strip() or None
    design = result.get("design")
    if out["dtype"] is None and isinstance(design, dict) and isinstance(design.get("dtype"), str):
        out["dtype"] = design["dtype"] or None


def subject_warning(a: ComparedRun, b: ComparedRun) -> str | None:
    """A plain-text warning naming both sides' model, mode, device and dtype when a field both name differs (a
    ratio of two different models' runs reads as the effect of one change); None when they agree."""
    differ = [n for n in SUBJECT_NAMES
              if getattr(a, n) is not None and getattr(b, n) is not None and getattr(a, n) != getattr(b, n)]
    if not differ:
        return None

    def names(side: ComparedRun) -> str:
        return ", ".join(f"{n} {getattr(side, n)}" for n in SUBJECT_NAMES if getattr(side, n) is not None)

    return (f"runs A and B differ in {' and '.join(differ)} (A: {names(a)}; B: {names(b)}): the B / A ratios "
            "compare different subjects, not the effect of one change")


def _check_readable(run: RunRecord, figures: dict[str, Any]) -> None:
    """InputError for a run whose result this accelopt cannot read (another version's, another command's): compared,
    it printed an empty table."""
    from accelopt.report.figures import other_version, typed

    if not figures and typed(run.command, run.result) is None:
        why = other_version(run.result, run.command)
        raise InputError(f"run {run.id} has no figures to compare: {why[:1].lower()}{why[1:]}",
                         f"compare two runs this accelopt can read (accelopt history list); its JSON: accelopt "
                         f"history show {run.id} --json")


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _disturbed(run: RunRecord) -> list[str]:
    """The busy-machine warnings a measured run (probe, profile, optimize) carries in its result: a ratio of its
    measured figures may reflect the machine, not the change between the runs. [] for predictions and quiet runs."""
    from accelopt.report.figures import typed

    try:
        result = typed(run.command, run.result)
    except _SHAPE_ERRORS:
        return []  # _figures already named the damage
    return [str(w) for w in getattr(getattr(result, "contention", None), "warnings", None) or []]


def _compare(id_a: str, id_b: str, as_json: bool, html: Path | None) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    if html is not None:  # the path's own error first, before the runs are read
        from accelopt.userio import check_writable

        check_writable(html, "--html", "compare.html")
    run_a, run_b = history.load(id_a), history.load(id_b)
    if run_a.id == run_b.id:  # `compare latest latest`, or an id and its prefix: a table of 1.00x, without a word
        raise InputError(f"ID_A {id_a!r} and ID_B {id_b!r} are the same run, {run_a.id}: it would be compared with "
                         "itself (every ratio 1.00x)",
                         "give two different runs of one command (accelopt history list names them; `latest` is "
                         "the newest)")
    data = compare_data(run_a, run_b)
    if as_json:
        emit(data)
    else:
        _print_compare(data)
    if html is not None:  # after the output, as every results command writes its page
        from accelopt.report.html import render_compare_html, write_page
        from accelopt.report.runs import current_argv

        path = write_page(html, lambda: render_compare_html(data, argv=current_argv()))
        typer.echo(f"HTML report written to {printable(path)}", err=True)


def _print_compare(data: HistoryCompareDocument) -> None:
    from rich.table import Table

    from accelopt.report.console import line, make_console
    from accelopt.report.figures import fmt

    con = make_console()
    for name, side in (("A", data.a), ("B", data.b)):
        con.print(line((name, "bold"), f" {side.id}: {side.command_line}"))
    for text in data.warning_lines():
        head, sep, rest = text.partition("warning: ")
        con.print(line(("warning: ", "bold yellow"), rest) if sep and not head else line(text))
    t = Table(title=f"{data.command}: B vs A")
    for col in ("figure", "A", "B", "B / A"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    for r in data.figures:
        t.add_row(r.figure + (" (estimate)" if r.estimate else ""), fmt(r.a, r.unit), fmt(r.b, r.unit),
                  ratio_cell(r.ratio_b_over_a))
    con.print(t)
    if data.validate is not None:
        from accelopt.report.history_documents import validate_change_lines

        for text in validate_change_lines(data.validate):
            con.print(line(text))


def ratio_cell(ratio: float | None) -> str:
    """The B / A cell: units.fmt_ratio, the one rule for ratios ('.3g' printed a 1234.5x ratio as '1.23e+03x')."""
    from accelopt.units import fmt_ratio

    return "n/a" if ratio is None else f"{fmt_ratio(ratio)}x"


def _check_no_group_options(ctx: typer.Context) -> None:
    """`history --json list` printed the table: the group's options apply to the bare `history` (the list) only."""
    given = [f"--{n.replace('as_json', 'json')}" for n in ("limit", "offset", "as_json")
             if getattr(ctx.get_parameter_source(n), "name", None) == "COMMANDLINE"]
    if given:
        sub = ctx.invoked_subcommand
        raise InputError(f"{', '.join(given)} before `{sub}` is an option of the bare `accelopt history` (the "
                         "list) and would be ignored", f"write options after the subcommand (see `accelopt "
                         f"history {sub} --help`), e.g. accelopt history list --json")


def register(app: typer.Typer) -> None:
    hist = typer.Typer(help=HELP, add_completion=False, no_args_is_help=False)

    @hist.callback(invoke_without_command=True)
    def history_cmd(
        ctx: typer.Context,
        limit: int = typer.Option(20, "--limit", help="newest runs to list"),
        offset: int = typer.Option(0, "--offset", help="skip this many of the newest runs (next page)"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
    ) -> None:
        if ctx.invoked_subcommand is None:
            _list(limit, offset, as_json)
            return
        _check_no_group_options(ctx)

    @hist.command("list", help="List the newest runs with their key figures (* = estimate; BUSY machine: a measured "
                  "run that carries busy-machine warnings), a page at a time.")
    def list_cmd(
        limit: int = typer.Option(20, "--limit", help="newest runs to list"),
        offset: int = typer.Option(0, "--offset", help="skip this many of the newest runs (next page)"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
    ) -> None:
        _list(limit, offset, as_json)

    @hist.command("show", help="Show one run (id, unique id prefix, or 'latest'); --html re-renders its page.")
    def show_cmd(
        run_id: str = typer.Argument(..., help="run id from `accelopt history list`, a unique prefix, or latest"),
        as_json: bool = typer.Option(False, "--json", help="the whole record as JSON on stdout"),
        html: Path | None = typer.Option(None, "--html", help="write the run's self-contained HTML page here"
                                                              + HTML_RULE),
    ) -> None:
        _show(run_id, as_json, html)

    @hist.command("compare", help="Key figures of two runs of the same command side by side, with B / A ratios; "
                  "a warning names both sides when they ran different models, modes, devices or dtypes. Two validate "
                  "runs also list the runs whose error moved (> 0.05 point, largest first) or role changed, "
                  "held-out counts within 6% / beyond 25% and per-family medians, A -> B.")
    def compare_cmd(
        id_a: str = typer.Argument(..., help="run A (id, unique prefix or latest)"),
        id_b: str = typer.Argument(..., help="run B"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
        html: Path | None = typer.Option(None, "--html", help="also write the comparison as a self-contained HTML "
                                         "page to this file" + HTML_RULE),
    ) -> None:
        _compare(id_a, id_b, as_json, html)

    @hist.command("prune", help="Delete old runs and print how many went; no confirmation asked. With both "
                  "options, a run goes only when it is outside the newest N AND older than DAYS.")
    def prune_cmd(
        keep: int | None = typer.Option(None, "--keep", help="keep the newest N runs"),
        older_than: str | None = typer.Option(None, "--older-than", metavar="DAYS",
                                              help="delete runs older than DAYS days"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
    ) -> None:
        _prune(keep, _days(older_than), as_json)

    @hist.command("import", help="Import a folder of JSON run files (the one-file-per-run history of accelopt "
                  "<= 0.1; done automatically once when the store is created). Ids already stored are left alone. "
                  "Only accelopt run records count: any other .json file is skipped with a warning naming it and "
                  "why, and a FOLDER given that holds no run record is an error (the default folder's is not). "
                  "Every run file is checked first: one that is not a valid run (wrong field types, a negative time "
                  "or byte count, NaN or Infinity) is an error naming it and the field, and nothing is imported; "
                  "--skip-invalid imports the valid files and skips those with a warning each.")
    def import_cmd(
        folder: Path | None = typer.Argument(None, help="folder of run .json files (default "
                                             "$ACCELOPT_HOME/history)"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
        skip_invalid: bool = typer.Option(False, "--skip-invalid", help="import the valid files and skip the "
                                          "invalid ones (a warning names each) instead of stopping"),
    ) -> None:
        _import(folder, as_json, skip_invalid)

    app.add_typer(hist, name="history", help=HELP)
