"""`accelopt history`: list, show (and re-render as HTML) and compare recorded runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

HELP = """Recorded runs: list, show (re-render as HTML), compare two.

Runs of probe, profile, plan (search, explain, serve), validate, simulate (run, sweep), catalog compare:

one JSON file each in $ACCELOPT_HOME/history (default ~/.accelopt/history); ACCELOPT_NO_HISTORY=1 stops recording."""


def _summary(run: dict[str, Any], n: int = 3) -> str:
    from accelopt.report.figures import fmt, key_figures

    figs = [f for f in key_figures(run["command"], run.get("result") or {}) if f.value is not None][:n]
    return "; ".join(f"{f.label} {fmt(f.value, f.unit)}" + ("*" if f.estimate else "") for f in figs)


def _list(limit: int, as_json: bool) -> None:
    from accelopt.errors import InputError
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    if limit < 1:
        raise InputError(f"--limit {limit}", "give --limit >= 1")
    runs = history.list_runs(limit)
    if as_json:
        emit({"history_dir": str(history.history_dir()), "total": len(history.run_ids()),
              "runs": [{"id": r.get("id"), "command": r.get("command"), "time": r.get("time"), "argv": r.get("argv"),
                        "summary": _summary(r)} for r in runs]})
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not runs:
        con.print(f"no runs recorded in {history.history_dir()}")
        return
    t = Table(title=f"last {len(runs)} of {len(history.run_ids())} runs in {history.history_dir()}")
    t.add_column("id", no_wrap=True)
    t.add_column("command", overflow="fold")
    t.add_column("key figures (* = estimate)", overflow="fold")
    for r in runs:
        t.add_row(str(r.get("id")), "accelopt " + " ".join(r.get("argv") or [str(r.get("command"))]), _summary(r))
    con.print(t)


def _show(run_id: str, as_json: bool, html: Path | None) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    run = history.load(run_id)
    if html is not None:
        from accelopt.report.html import write_html
        from accelopt.report.runs import default_title

        path = write_html(html, run["command"], run["result"], title=default_title(run["command"], run["result"]),
                          argv=run.get("argv") or [], run=run)
        typer.echo(f"HTML report written to {path}", err=True)
    if as_json:
        emit(run)
        return
    if html is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from accelopt.report.figures import fmt, key_figures

    con = Console()
    v, h = run.get("versions") or {}, run.get("host") or {}
    con.print(f"[bold]{run['id']}[/]: accelopt {' '.join(run.get('argv') or [])}")
    con.print(f"  {run.get('time')} on {h.get('name')}; accelopt {v.get('accelopt')}, torch {v.get('torch')}, "
              f"Python {v.get('python')}")
    t = Table(title="key figures")
    t.add_column("figure")
    t.add_column("value", justify="right")
    for f in key_figures(run["command"], run["result"]):
        t.add_row(f.label + (" (estimate)" if f.estimate else ""), fmt(f.value, f.unit))
    con.print(t)
    con.print("all of it: accelopt history show ID --json; as a page: --html PATH")


def compare_data(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Key figures of two runs of the same command side by side, with b / a."""
    from accelopt.errors import InputError
    from accelopt.report.figures import key_figures

    if a["command"] != b["command"]:
        raise InputError(f"runs {a['id']} ({a['command']}) and {b['id']} ({b['command']}) are different commands",
                         "compare two runs of the same command (see accelopt history list)")
    fa = {f.label: f for f in key_figures(a["command"], a["result"])}
    fb = {f.label: f for f in key_figures(b["command"], b["result"])}
    rows = []
    for label in [*fa, *(k for k in fb if k not in fa)]:
        x, y = fa.get(label), fb.get(label)
        va, vb = (x.value if x else None), (y.value if y else None)
        ratio = vb / va if va not in (None, 0) and vb is not None else None
        either = x or y
        unit = either.unit if either else ""
        rows.append({"figure": label, "unit": unit, "a": va, "b": vb, "ratio_b_over_a": ratio,
                     "estimate": bool((x and x.estimate) or (y and y.estimate))})
    return {"command": a["command"], "a": {"id": a["id"], "argv": a.get("argv")},
            "b": {"id": b["id"], "argv": b.get("argv")}, "figures": rows}


def _compare(id_a: str, id_b: str, as_json: bool) -> None:
    from accelopt.report import history
    from accelopt.report.jsonout import emit

    data = compare_data(history.load(id_a), history.load(id_b))
    if as_json:
        emit(data)
        return
    from rich.console import Console
    from rich.table import Table

    from accelopt.report.figures import fmt

    con = Console()
    con.print(f"[bold]A[/] {data['a']['id']}: accelopt {' '.join(data['a']['argv'] or [])}")
    con.print(f"[bold]B[/] {data['b']['id']}: accelopt {' '.join(data['b']['argv'] or [])}")
    t = Table(title=f"{data['command']}: B vs A")
    for col in ("figure", "A", "B", "B / A"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    for r in data["figures"]:
        ratio = f"{r['ratio_b_over_a']:.3g}x" if r["ratio_b_over_a"] is not None else "n/a"
        t.add_row(r["figure"] + (" (estimate)" if r["estimate"] else ""), fmt(r["a"], r["unit"]),
                  fmt(r["b"], r["unit"]), ratio)
    con.print(t)


def register(app: typer.Typer) -> None:
    hist = typer.Typer(help=HELP, add_completion=False, no_args_is_help=False)

    @hist.callback(invoke_without_command=True)
    def history_cmd(
        ctx: typer.Context,
        limit: int = typer.Option(20, "--limit", help="newest runs to list"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
    ) -> None:
        if ctx.invoked_subcommand is None:
            _list(limit, as_json)

    @hist.command("list", help="List the newest runs with their key figures (* = estimate).")
    def list_cmd(
        limit: int = typer.Option(20, "--limit", help="newest runs to list"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
    ) -> None:
        _list(limit, as_json)

    @hist.command("show", help="Show one run (id, unique id prefix, or 'latest'); --html re-renders its page.")
    def show_cmd(
        run_id: str = typer.Argument(..., help="run id from `accelopt history list`, a unique prefix, or latest"),
        as_json: bool = typer.Option(False, "--json", help="the whole record as JSON on stdout"),
        html: Path | None = typer.Option(None, "--html", help="write the run's self-contained HTML page here"),
    ) -> None:
        _show(run_id, as_json, html)

    @hist.command("compare", help="Key figures of two runs of the same command side by side, with B / A ratios.")
    def compare_cmd(
        id_a: str = typer.Argument(..., help="run A (id, unique prefix or latest)"),
        id_b: str = typer.Argument(..., help="run B"),
        as_json: bool = typer.Option(False, "--json", help="JSON only on stdout"),
    ) -> None:
        _compare(id_a, id_b, as_json)

    app.add_typer(hist, name="history", help=HELP)
