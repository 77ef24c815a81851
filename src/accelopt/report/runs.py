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
          "plan": "plan: training layouts", "plan-explain": "plan explain: one layout's arithmetic",
          "plan-serve": "plan serve: LLM serving", "validate": "validate: predicted vs published runs",
          "simulate-run": "simulate run: systolic-array design", "simulate-sweep": "simulate sweep: design space",
          "catalog-compare": "catalog compare"}
HTML_HELP = "also write a self-contained HTML report (tables, SVG plots) to this file"


def default_title(kind: str, result: dict[str, Any]) -> str:
    """'accelopt plan: training layouts — llama3-8b' from the result's main subject."""
    device = result.get("device")
    subject = (result.get("model") or result.get("workload") or result.get("name")
               or (device.get("name") if isinstance(device, dict) else None))
    if kind == "plan-explain":
        subject = result.get("hardware")
    elif kind == "plan-serve":
        subject = ", ".join(f"{s.get('model')} on {s.get('device')}" for s in result.get("results", []))
    elif kind == "simulate-run":
        subject = f"{(result.get('design') or {}).get('name')} — {result.get('source')}"
    elif kind == "catalog-compare":
        subject = " vs ".join(result.get("devices", []))
    base = "accelopt " + TITLES.get(kind, kind)
    return f"{base} — {subject}" if subject else base


def current_argv() -> list[str]:
    """The command line of the running command, rebuilt from the click contexts (works the same when
    called as `accelopt ...` or through cli.main.main([...])): subcommand names, then every option or
    argument whose value differs from its default."""
    ctx = _current_context()
    if ctx is None:
        return list(sys.argv[1:])
    chain = []
    while ctx is not None:
        chain.append(ctx)
        ctx = ctx.parent
    argv: list[str] = []
    for i, c in enumerate(reversed(chain)):
        if i > 0 and c.info_name:
            argv.append(c.info_name)
        argv += _params_argv(c)
    return argv


def _current_context() -> Any:
    """The running command's click context: typer >= 0.2x vendors click as typer._click, older typer uses click."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


def _params_argv(ctx: Any) -> list[str]:
    out: list[str] = []
    for p in ctx.command.params:
        if not p.expose_value or p.name not in ctx.params:
            continue
        value = ctx.params[p.name]
        if value is None or value == p.default or (isinstance(value, list | tuple) and not value):
            continue
        values = list(value) if isinstance(value, list | tuple) else [value]
        kind = getattr(p, "param_type_name", "")  # duck-typed: works for click's and typer's vendored classes
        if kind == "argument":
            out += [str(v) for v in values]
        elif kind == "option" and getattr(p, "is_flag", False):
            if value:
                out.append(p.opts[0])
        elif kind == "option":
            for v in values:
                out += [p.opts[0], str(v)]
    return out


def finish_run(command: str, result: Any, html: Path | str | None = None, *, title: str | None = None) -> None:
    """Record `result` (what --json prints) as a `command` run; with `html`, write the page once the command's
    output is printed. Call it right after the result is computed, in the JSON and console paths alike.
    Without `html`, the running command's `--html` option (its context's `html` parameter) is used."""
    from accelopt.report import history
    from accelopt.report.jsonout import to_jsonable

    ctx = _current_context()
    if html is None and ctx is not None:  # the command's own --html option, so callers need not pass it down
        html = ctx.params.get("html")
    argv = current_argv()
    data = to_jsonable(result)
    saved = history.record(command, argv, data)
    if html is None:
        return
    run = {"id": saved.stem} if saved else None

    def write() -> None:
        from accelopt.errors import InputError
        from accelopt.report.html import write_html

        try:
            path = write_html(Path(html), command, data, title=title or default_title(command, data), argv=argv,
                              run=run)
        except InputError as e:
            if saved:
                e.fix += f"; the run is in the history: accelopt history show {saved.stem} --html PATH"
            raise
        print(f"HTML report written to {path}", file=sys.stderr)

    if ctx is None:
        write()
    else:
        ctx.call_on_close(write)
