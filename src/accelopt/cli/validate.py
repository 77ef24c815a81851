"""`accelopt validate`: predicted vs published training runs, with the error."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from accelopt.cli.catalog import CATALOG_HELP
from accelopt.cli.html_first import HTML_RULE
from accelopt.errors import InputError


@dataclass(frozen=True, kw_only=True)
class ValidateOptions:
    """Every option of `accelopt validate`."""

    runs: str | None = None
    """CSV of runs in the bundled format (None: the bundled file)."""
    calibration: str | None = None
    """Calibration TOML overriding the bundled one."""
    as_json: bool = False
    html: str | None = None
    """Also write a self-contained HTML report here."""
    inference: bool = False
    """Reproduce published inference latencies instead."""
    serving: bool = False
    """Reproduce published LLM serving figures instead."""
    catalog: tuple[Path, ...] = ()
    """Extra catalog TOML files whose devices the runs' hardware cells may name (training runs)."""
    rows: tuple[str, ...] = ()
    """Run ids whose `plan explain` command (with `serving`: `plan serve` command) is printed instead of the report."""
    config_dir: str = "."
    """Where --row writes each run's architecture cells as ID.config.json."""


def register(app: typer.Typer) -> None:
    @app.command("validate", help="Reproduce published training runs (bundled CSV, cited) and print the error: "
                 "per run, then the held-out median and worst |error| per source, per device family and per "
                 "precision; each run uses the calibration of its software stack (the CSV's stack column). "
                 "--serving does the same for published LLM serving figures (throughput, TTFT, TPOT through plan "
                 "serve's model), --inference for published inference latencies (through plan infer's model; per "
                 "source, inference family and precision too). "
                 "--row ID prints the `accelopt plan explain` command that reproduces a training run's prediction "
                 "(with --serving: the `accelopt plan serve` command of a serving run).")
    def validate(
        runs: str = typer.Option(None, "--runs", help="CSV of runs in the bundled format (default: bundled); "
                                 "its columns, the required ones and what a blank cell means: docs/runs_files.md; "
                                 "a relative spec TOML / config.json path in a hardware or model cell is read "
                                 "relative to the CSV's folder"),
        calibration: str = typer.Option(None, "--calibration", help="calibration TOML overriding the bundled one: "
                                        "its family.NAME tables for the training runs, its serving.NAME tables "
                                        "with --serving (as `plan serve --calibration`); not with --inference"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
        html: str = typer.Option(None, "--html", help="also write a self-contained HTML report (tables, SVG plots)"
                                                      + HTML_RULE),
        inference: bool = typer.Option(False, "--inference", help="reproduce published inference latencies "
                                       "instead (predict/data/published_inference_runs.csv; --runs picks another "
                                       "CSV of that format)"),
        serving: bool = typer.Option(False, "--serving", help="reproduce published LLM serving figures instead "
                                     "(predict/data/published_serving_runs.csv, through plan serve's model): per-row "
                                     "error, held-out median and worst |error| per source, family and precision"),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP + " A --runs row's hardware cell may "
                                           "name its devices (training runs; not with --serving or --inference)."),
        row: list[str] = typer.Option([], "--row", help="run id (repeatable): instead of the report, print that "
                                      "training run's published and predicted step time and the `accelopt plan "
                                      "explain` command that reproduces the prediction, its architecture cells "
                                      "written as a config.json under --config-dir (an existing different file is "
                                      "not overwritten); --json: the validate-row document (`accelopt schema "
                                      "validate-row`); with --serving: a serving run's published and predicted "
                                      "figure and the `accelopt plan serve` command that gives it (--json: the "
                                      "validate-serving-row document); "
                                      "either way a run that cannot be predicted is named with its problem and "
                                      "fix after the others are printed, and the exit status is 2"),
        config_dir: str = typer.Option(".", "--config-dir", help="with --row: the folder its ID.config.json files "
                                       "are written to (default: the current folder)"),
    ) -> None:
        run_validate(ValidateOptions(runs=runs, calibration=calibration, as_json=as_json, html=html,
                                     inference=inference, serving=serving, catalog=tuple(catalog),
                                     rows=tuple(row), config_dir=config_dir))


def run_validate(opts: ValidateOptions) -> None:
    """One library call (predict.validation.validate_report), then rendering."""
    _refuse_mixed(opts)
    if opts.rows and opts.serving:
        _print_serving_commands(opts)
        return
    if opts.rows:
        _print_commands(opts)
        return
    if opts.serving:
        from accelopt.cli.plan_serve import validate_serving_cmd

        validate_serving_cmd(opts.runs, opts.as_json, opts.html, opts.calibration)
        return
    if opts.inference:
        from accelopt.cli.plan_infer import validate_inference_cmd

        validate_inference_cmd(opts.runs, opts.as_json, opts.html)
        return
    from accelopt.predict.validation import validate_report
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run

    if opts.catalog:  # a missing or bad --catalog file is the flag's error, not the first row's
        from accelopt.hardware.catalog import load_catalog

        load_catalog(opts.catalog)
    data = validate_report(opts.runs, opts.calibration, tuple(str(p) for p in opts.catalog))
    if opts.runs is not None:  # the model cells' config keys the predictor leaves out: in the result too
        from accelopt.cli.plan import busy_row_lines
        from accelopt.predict.validation import read_runs

        # a hardware cell's spec probed on a busy machine: warned of as plan / plan explain warn of such a
        # --hardware, and as validate --inference / --serving warn of it (0d86dc81); training validate said nothing
        busy = busy_row_lines(read_runs(opts.runs), opts.catalog)
        data = dataclasses.replace(data, input_notes=[*busy, *data.input_notes, *_model_key_lines(opts.runs)])
    from accelopt.predict.runs_csv import input_files
    from accelopt.predict.validation import read_runs

    # with the report's other input notes (JSON, page, and stderr below): said on stderr alone, --json and --html
    # lost them
    cal = _calibration_notes(opts, read_runs(opts.runs))
    files = input_files(opts.runs, "published_training_runs.csv", opts.calibration)  # history compare tells them apart
    data = dataclasses.replace(data, input_files=files, input_notes=[*cal, *data.input_notes])
    finish_run("validate", data, opts.html)
    _warn_params(data)
    if opts.as_json:
        emit(data)
    else:
        _print(data)
        from accelopt.cli.plan import console
        from accelopt.report.console import plain

        console().print(plain("each run's prediction as an `accelopt plan explain` command: accelopt validate"
                              f"{_inputs_argv(opts)} --row RUN_ID"), soft_wrap=True)
    _say_notes(data.input_notes)  # on stderr as before, and now in the JSON document and the page too


def _say_notes(lines: list[str]) -> None:
    """Input notes on stderr, a warning in yellow, one line each (a wrapped line split a run id or a flag)."""
    from accelopt.report.console import make_console, plain

    err = make_console(stderr=True)
    for line in lines:
        err.print(plain(line, "yellow" if line.startswith("warning:") else ""), soft_wrap=True)


def _calibration_notes(opts: ValidateOptions, rows: list[dict[str, str]]) -> list[str]:
    """The warnings on the --calibration file that concern `rows` (the report's, or those --row names): a
    [family.NAME] table dropping the bundled stack tables or whose match fits none of the rows' devices. One code
    path for the report and --row, which said them on stderr alone (ut4left)."""
    from accelopt.cli.plan import calibration_warning_lines, row_specs

    return calibration_warning_lines(opts.calibration, row_specs(rows, opts.catalog))


def _inputs_argv(opts: ValidateOptions) -> str:
    """The options that decide the report's predictions (--runs, --calibration, each --catalog), as flags: the
    `--row RUN_ID` line without them named other predictions (the bundled calibration) or no device at all."""
    pairs = [("--runs", opts.runs), ("--calibration", opts.calibration),
             *(("--catalog", str(p)) for p in opts.catalog)]
    return "".join(f" {flag} {shlex.quote(value)}" for flag, value in pairs if value is not None)


def serving_row_hint(runs: str | None, calibration: str | None) -> str:
    """The serving report's last line: the command that prints a row's `plan serve` command (as the training
    report's `--row RUN_ID` line), with the report's --runs and --calibration."""
    return ("each run's prediction as an `accelopt plan serve` command: accelopt validate --serving"
            f"{_inputs_argv(ValidateOptions(runs=runs, calibration=calibration))} --row RUN_ID")


def _model_key_lines(runs: str, ids: tuple[str, ...] | None = None) -> list[str]:
    """The unused-config-keys warning of `plan explain --model`, once per config a `model` cell names, with the runs
    that name it (as `validate --serving` words it: 'model CELL of run(s) A, B: ...'): a row typed from a config.json
    is told what the predictor leaves out of it, as the command tells (ValidateResult.input_notes; it was printed on
    stderr only). The line named the config's model alone ('warning: dsv3: ...'), not the cell or the runs, where a
    file's rows may name several configs (uttrialC). `ids`: of those rows only (--row)."""
    from accelopt.errors import InputError
    from accelopt.predict.runs_csv import as_written
    from accelopt.predict.validation import read_runs
    from accelopt.workload.presets import get_model

    by_cell: dict[str, list[str]] = {}
    lines = []
    try:  # a second read of the file (its rows were checked by the report; a model the cells name is read again)
        for r in read_runs(runs):
            if (ids is None or r.get("id") in ids) and (r.get("model") or "").strip():
                by_cell.setdefault(r["model"], []).append(str(r.get("id")))
        for cell, run_ids in by_cell.items():
            if keys := get_model(cell.strip()).unused_keys:
                lines.append(f"warning: model {as_written(cell).strip()!r} of run(s) {', '.join(run_ids)}: config "
                             f"key(s) not modelled by the predictor, ignored: {', '.join(keys)}")
    except InputError:
        return lines
    return lines


def _refuse_mixed(opts: ValidateOptions) -> None:
    """--inference and --serving pick one runs file each (one would be dropped unsaid), and --inference reads the
    bundled calibration only (--serving reads the file's [serving.NAME] tables): exit 2 rather than ignore a flag."""
    from accelopt.errors import InputError

    if opts.inference and opts.serving:
        raise InputError("--inference and --serving given together: each validates its own runs file",
                         "run `accelopt validate --inference` and `accelopt validate --serving` one at a time")
    if opts.catalog and (opts.inference or opts.serving):
        flag = "--inference" if opts.inference else "--serving"
        raise InputError(f"--catalog with {flag}: only the training runs' hardware cells read the catalog files",
                         f"leave --catalog out with {flag}"
                         + (", and write your device's spec TOML path in the row's hardware cell (relative to the "
                            "CSV's folder)" if opts.serving else "")
                         + ", or validate training runs (`accelopt validate --runs FILE --catalog FILE`)")
    row_only = [flag for flag, given in (("--html", opts.html is not None),
                                         ("--inference", opts.inference)) if given]
    if opts.rows and row_only:
        raise InputError(f"--row with {', '.join(row_only)}: --row prints the `plan explain` command of training "
                         "runs (with --serving: the `plan serve` command of serving runs; no report or page; "
                         "--json: the validate-row document)",
                         f"leave {', '.join(row_only)} out with --row")
    if opts.rows and opts.serving and opts.config_dir != ".":
        raise InputError("--row --serving with --config-dir: a serving row's model cell is a preset or a config.json "
                         "path, so no config file is written",
                         "leave --config-dir out")
    if opts.config_dir != "." and not opts.rows:
        raise InputError("--config-dir without --row: only --row writes config files",
                         "add --row RUN_ID, or leave --config-dir out")
    if opts.calibration is not None and opts.inference:
        raise InputError("--calibration with --inference: --inference uses the bundled calibration (the file's "
                         "[family.NAME] tables apply to training runs, its [serving.NAME] tables to --serving)",
                         "leave --calibration out with --inference")


def _print_commands(opts: ValidateOptions) -> None:
    """`validate --row ID`: each run's figures and the command line that reproduces its prediction (plain text)."""
    from accelopt.predict.run_command import row_commands

    if opts.catalog:  # a missing or bad --catalog file is the flag's error, not the first row's
        from accelopt.hardware.catalog import load_catalog

        load_catalog(opts.catalog)
    failed: list[InputError] = []  # rows that cannot be predicted: named after the others are printed
    found = row_commands(opts.rows, Path(opts.config_dir), opts.runs, opts.calibration,
                         tuple(str(p) for p in opts.catalog), failed=failed)
    if opts.runs is not None:  # its busy-probed spec and its model cell's unmodelled config.json keys, as the
        # report's input notes say them (run_validate)
        from accelopt.cli.plan import busy_row_lines
        from accelopt.predict.validation import read_runs

        rows = read_runs(opts.runs)
        found = [dataclasses.replace(one, notes=[
            *busy_row_lines([r for r in rows if r.get("id") == one.result.id], opts.catalog), *one.notes,
            *_model_key_lines(opts.runs, (one.result.id,))]) for one in found]
    from accelopt.predict.validation import calibration_fit_lines, read_runs

    # the report's notes on the --calibration file (a table dropping bundled stack tables or fitting no named row's
    # device, a fitted_on id naming no run): stderr, and the JSON document's input_notes, as the report's
    every = read_runs(opts.runs)
    notes = [*_calibration_notes(opts, [r for r in every if r["id"] in opts.rows]),
             *calibration_fit_lines(opts.calibration, [one.result for one in found], [r["id"] for r in every])]
    from accelopt.predict.run_command import ValidateRowDocument

    _finish_rows(opts, [one.result.id for one in found], failed, notes,
                 lambda problems: ValidateRowDocument(runs=found, input_notes=notes, not_predicted=problems),
                 lambda: _print_rows(found))


def _finish_rows(opts: ValidateOptions, printed: list[str], failed: list[InputError], notes: list[str],
                 document: Callable[[list[Any]], Any], print_text: Callable[[], None]) -> None:
    """The end of `validate --row` (training, and with --serving): with --json the one document (the runs predicted,
    `notes` as input_notes, and not_predicted: each run that cannot be predicted with its error and fix), else the
    text; then `notes` on stderr, and exit 2 naming the runs not predicted. One code path for both: the serving
    --row had no --json (ut5val)."""
    from accelopt.predict.run_command import RowProblem
    from accelopt.predict.runs_csv import naming_file

    if opts.as_json and printed:  # none predicted: the error alone (with --json its error document, exit 2)
        from accelopt.report.jsonout import emit

        # the runs not predicted in the document too: its stdout held the others alone, the error only on stderr
        emit(document([RowProblem(id=rid, error=e.problem, fix=e.fix)
                       for rid, e in zip(_missing(opts.rows, printed), failed, strict=True)]))
    else:
        print_text()
    _say_notes(notes)
    if failed:
        with naming_file("serving runs file" if opts.serving else "runs file", opts.runs):
            # as the report's errors name the user's file (--row's did not)
            raise _not_predicted(failed, opts.rows, printed,
                                 "in the JSON document" if opts.as_json else "printed above")


def _missing(named: tuple[str, ...], printed: list[str]) -> list[str]:
    """The ids --row names, once each and in their order, less those `printed` (predicted)."""
    return [rid for rid in dict.fromkeys(named) if rid not in printed]


def _not_predicted(failed: list[InputError], named: tuple[str, ...], printed: list[str],
                   where: str = "printed above") -> InputError:
    """The one error (exit 2) for the --row runs that cannot be predicted (`named` less the `printed` ids), after
    the others were printed (`where` they are: above, or with --json in the document on stdout)."""
    from accelopt.predict.runs_csv import rows_error

    e = rows_error(failed, len(failed) + len(printed))
    if not printed:
        return e
    return InputError(f"{e.problem}\n  (not predicted: {', '.join(_missing(named, printed))}; the other "
                      f"{len(printed)} run(s) named by --row are {where})", e.fix)


def _print_rows(found: list[Any]) -> None:
    """Each --row run's figures, its `plan explain` command, and its notes (stderr)."""
    from accelopt.cli.plan import console
    from accelopt.predict.validation import assumed_lines, calibration_lines, memory_line
    from accelopt.report.console import plain
    from accelopt.units import fmt_seconds

    con = console()
    for one in found:
        r, cmd = one.result, one.command
        con.print(plain(f"run {r.id} ({r.source}): published {fmt_seconds(r.published_step_s)}, predicted "
                        f"{fmt_seconds(r.predicted_step_s)} (estimate), error {100 * r.error:+.1f}%; {r.hardware}, "
                        f"{r.dtype}, stack {r.stack}, family {r.family_text}, {'fit' if r.fitted else 'held out'}"),
                  soft_wrap=True)
        if cmd.config_path is not None:
            con.print(plain(f"  the run's architecture cells as a Hugging Face config.json: {cmd.config_path}"),
                      soft_wrap=True)
        con.print(plain(f"  {cmd.command}"), soft_wrap=True)  # one line: copied and run as it stands
        con.print(plain("  its step_time_s term is the predicted step time above (`plan explain` prints every term; "
                        "add --json for them as JSON)" if not cmd.gaps else
                        "  not reproduced by that command: " + "; ".join(cmd.gaps)), soft_wrap=True)
        # the report's lines on this run: a prediction past the devices' memory, an uncalibrated or carried curve,
        # a default in place of a spec's missing link figure; --row printed none of them (ut4left)
        for line in [memory_line([r]), *calibration_lines([r]), *assumed_lines([r])]:
            if line:
                con.print(plain(f"  {line}"), soft_wrap=True)
        _say_notes(one.notes)  # on stderr, as the report prints its input notes


_ROLE_WORDS = {"fit": "fit", "test": "held out",
               "derived": "derived (not held out: its table's values were derived from this run's own measurement)"}
"""How a serving row's role reads on its `validate --serving --row` line ('gap' as it stands)."""


def _role_words(role: str, role_warning: str) -> str:
    """The row's role as _ROLE_WORDS reads it, but a 'derived' row whose table's derived_on does not list it (the
    role warning printed under it says so) is out of the medians by its role cell alone: the line said its table
    was derived from its run, beside the warning that it was not."""
    if role == "derived" and role_warning:
        return "derived (not held out, by its role cell: its table's derived_on does not list it)"
    return _ROLE_WORDS.get(role, role)


def _print_serving_commands(opts: ValidateOptions) -> None:
    """`validate --serving --row ID`: each serving run's figures and the `plan serve` command that reproduces its
    prediction (plain text; --json: the validate-serving-row document)."""
    from accelopt.cli.plan_serve import serving_row_calibration_lines
    from accelopt.predict.serving_validation import (
        ValidateServingRowDocument,
        read_serving_runs,
        serving_row_commands,
    )

    failed: list[InputError] = []  # rows that cannot be predicted: named after the others are printed
    found = serving_row_commands(opts.rows, opts.runs, opts.calibration, failed=failed)
    rows = read_serving_runs(opts.runs)[0]
    notes = serving_row_calibration_lines(opts.calibration, rows, [r for r in rows if r["id"] in opts.rows])
    _finish_rows(opts, [one.result.id for one in found], failed, notes,
                 lambda problems: ValidateServingRowDocument(runs=found, input_notes=notes, not_predicted=problems),
                 lambda: _print_serving_rows(found))


def _print_serving_rows(found: list[Any]) -> None:
    """Each --serving --row run's figures, its `plan serve` command, and its notes (stderr)."""
    from accelopt.cli.plan import console
    from accelopt.predict.serving_validation import METRIC_FIELDS, serving_memory_line
    from accelopt.report.console import make_console, plain
    from accelopt.units import fmt_count

    con = console()
    for one in found:
        r = one.result
        predicted = ("not predicted (a 'gap' row: its note says what the model cannot express)"
                     if r.predicted is None else f"predicted {fmt_count(r.predicted)} (estimate), error "
                     f"{100 * (r.predicted / r.published - 1):+.1f}%")  # fmt_count: as the report's table
        con.print(plain(f"run {r.id} ({r.source}): {r.metric} published {fmt_count(r.published)}, {predicted}; "
                        f"{r.hardware}, {r.precision}, engine {r.engine}, family {r.family}, "
                        f"{_role_words(r.role, one.role_warning)}"),
                  soft_wrap=True)
        con.print(plain(f"  {one.command}"), soft_wrap=True)  # one line: copied and run as it stands
        con.print(plain(f"  its {r.metric} is {METRIC_FIELDS[r.metric]} of the command's first point (add --json: "
                        "results[0].points[0])"), soft_wrap=True)
        if one.role_warning:  # the fit / held-out label above contradicts the table, as the report warns
            make_console(stderr=True).print(plain(one.role_warning, "yellow"), soft_wrap=True)
        for line in one.notes:  # the report's notes on this row, on stderr as the report prints them
            make_console(stderr=True).print(plain(line), soft_wrap=True)
        if memory := serving_memory_line([r]):  # the report's memory line on this row: a prediction past the
            con.print(plain(f"  {memory}"), soft_wrap=True)  # engine's memory was printed without a word (ut4left)


def _print(data: Any) -> None:
    from rich.table import Table

    from accelopt.cli.plan import console
    from accelopt.predict.validation import assumed_lines, calibration_lines, large_miss_notes, memory_line
    from accelopt.report.console import plain
    from accelopt.units import fmt_count, fmt_pct, fmt_seconds

    tb = Table(title="published vs predicted step time (prediction = estimate)")
    for col in ("run", "source", "family", "stack", "dtype", "hardware", "devices", "published", "predicted", "error",
                "util.", "pub. util.", "pred. util.", "role"):
        tb.add_column(col)
    for r in data.runs:
        tb.add_row(plain(r.id), plain(r.source), r.family_text, r.stack, r.dtype, r.hardware, fmt_count(r.devices),
                   fmt_seconds(r.published_step_s), fmt_seconds(r.predicted_step_s), f"{100 * r.error:+.1f}%",
                   r.utilization, fmt_pct(r.published_mfu), fmt_pct(r.predicted_mfu), "fit" if r.fitted else "test")
    con = console()
    con.print(tb)
    held = sum(not r.fitted for r in data.runs)
    con.print(f"median |error| on runs the calibration was not fitted on: {_pct(data.median_abs_error_held_out)} "
              f"({held} run{'' if held == 1 else 's'}); all runs: {_pct(data.median_abs_error_all)}")
    # n/a, not nan%, with no held-out run; '(1 run)', not '(1 runs)' (s32 utval)
    print_error_groups(con, data, "runs")
    for r in large_miss_notes(data.runs):  # the HTML's "why a held-out run misses by more than 25%"
        con.print(plain(f"note {r.id} ({100 * r.error:+.1f}%): {r.note}"))
    for line in [memory_line(data.runs), *calibration_lines(data.runs), *assumed_lines(data.runs)]:
        if line:
            con.print(plain(line), soft_wrap=True)  # one line each: a run id is never split


def print_error_groups(con: Any, data: Any, what: str) -> None:
    """The held-out |error| tables by source, family and precision of a result with by_source, by_family and
    by_precision (validate's; validate --inference's, whose `what` are 'rows')."""
    from rich.table import Table

    from accelopt.report.console import plain

    for title, groups in (("source", data.by_source), ("family", data.by_family),
                          ("precision", data.by_precision)):
        st = Table(title=f"held-out |error| by {title}")
        for col in (title, f"held-out {what}", "median", "worst", f"worst {what[:-1]}"):
            st.add_column(col)
        for g in groups:
            st.add_row(plain(g.group), str(g.held_out_runs), _pct(g.median_abs_error), _pct(g.worst_abs_error),
                       plain(g.worst_run))
        con.print(st)


def _warn_params(data: Any) -> None:
    """A warning on stderr for each run whose architecture cells miss its params_b (one unexplained by its note)."""
    from accelopt.predict.validation import params_lines, slow_figure_line

    _say_notes([line for line in [*params_lines(data), slow_figure_line(data.runs)] if line])


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"
