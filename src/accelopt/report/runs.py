"""The one call every results command makes once its result is computed: `finish_run`.

It records the run in the history (accelopt.report.history) and, with --html PATH, writes the
self-contained page (accelopt.report.html) AFTER the command has printed its console tables or
JSON: the write is deferred to the close of the click context, so a bad path fails (exit 2, problem +
fix) only once the output is on screen and the run is already in the history.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

TITLES = {"probe": "probe: what this device delivers", "profile": "profile: where the step goes",
          "optimize": "optimize: techniques measured on the model",
          "plan": "plan: training layouts", "plan-workload": "plan: a profiled workload, data parallel",
          "plan-explain": "plan explain: one layout's arithmetic",
          "plan-serve": "plan serve: LLM serving",
          "plan-infer": "plan infer: inference on edge and data-center devices",
          "validate": "validate: predicted vs published runs",
          "validate-inference": "validate --inference: predicted vs published inference",
          "simulate-run": "simulate run: systolic-array design", "simulate-sweep": "simulate sweep: design space",
          "catalog-compare": "catalog compare", "profile-distributed": "profile: a distributed run",
          "profile-partial": "profile: an interrupted or failed run",
          "profile-distributed-partial": "profile: an interrupted or failed distributed run",
          "validate-serving": "validate --serving: predicted vs published serving",
          "simulate-published": "simulate published: the simulator vs a chip's published figures"}
"""Every result kind (accelopt.report.schema.KINDS) has one: a page re-rendered from the history read
'accelopt profile-partial' as its heading."""
HTML_HELP = "also write a self-contained HTML report (tables, SVG plots) to this file"


def default_title(kind: str, result: Any) -> str:
    """'accelopt plan: training layouts — llama3-8b' from the result's main subject (a typed result or its
    JSON document)."""
    from accelopt.report.figures import typed

    base = "accelopt " + TITLES.get(kind, kind)
    r = typed(kind, result)
    subject = _subject(kind, r) if r is not None else None
    return f"{base} — {subject}" if subject else base


def _subject(kind: str, r: Any) -> str | None:
    subjects = {
        "probe": lambda: r.device.name, "profile": lambda: r.name, "plan": lambda: r.model,
        "profile-partial": lambda: r.name, "profile-distributed": lambda: r.name,
        "profile-distributed-partial": lambda: r.name,
        "optimize": lambda: r.name, "plan-infer": lambda: r.model, "simulate-published": lambda: r.chip,
        "plan-workload": lambda: r.workload,
        "plan-explain": lambda: f"{r.model} on {r.hardware}",
        "plan-serve": lambda: ", ".join(f"{s.model} on {s.device}" for s in r.results),
        "validate": lambda: None, "simulate-run": lambda: f"{r.design.name} — {r.source}",
        "simulate-sweep": lambda: f"{r.base_design} — {r.source}", "catalog-compare": lambda: " vs ".join(r.devices)}
    return subjects[kind]() if kind in subjects else None


_COMMAND_LINE: list[str] | None = None


def set_command_line(argv: list[str]) -> None:
    """The command line as the user typed it (after `accelopt`); cli.main.main sets it before parsing, so the
    history and the HTML page store what was typed, not a reconstruction from the parsed options."""
    global _COMMAND_LINE
    _COMMAND_LINE = [str(a) for a in argv]


def current_argv() -> list[str]:
    """The running command line: what cli.main.main was given, else this process's sys.argv[1:]."""
    return list(_COMMAND_LINE) if _COMMAND_LINE is not None else list(sys.argv[1:])


def current_context() -> Any:
    """The running command's click context: typer >= 0.2x vendors click as typer._click, older typer uses click."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


def finish_run(command: str, result: Any, html: Path | str | None = None, *, title: str | None = None) -> None:
    """Record `result` (what --json prints) as a `command` run; with `html`, write the page once the command's
    output is printed. Call it right after the result is computed, in the JSON and console paths alike.
    Without `html`, the running command's `--html` option (its context's `html` parameter) is used."""
    from accelopt.report import history
    from accelopt.report.jsonout import to_jsonable

    ctx = current_context()
    if html is None and ctx is not None:  # the command's own --html option, so callers need not pass it down
        html = ctx.params.get("html")
    argv = current_argv()
    data = to_jsonable(result)
    saved = history.record(command, argv, data)  # run id, or None (not recorded: a warning said why)
    if html is None:
        return
    run = {"id": saved} if saved else None

    def write() -> None:
        from accelopt.errors import InputError
        from accelopt.report.html import write_html

        try:
            path = write_html(Path(html), command, result, title=title or default_title(command, result), argv=argv,
                              run=run)
        except InputError as e:
            if saved:
                e.fix += f"; the run is in the history: accelopt history show {saved} --html PATH"
            raise
        from accelopt.report.console import printable

        print(f"HTML report written to {printable(path)}", file=sys.stderr)  # a user's path: ESC shown, not sent

    if ctx is None:
        write()
    else:
        ctx.call_on_close(write)
