"""profile's 'test it with' printed `accelopt optimize MODEL --only compile`: not the model the user typed, and
without the shape the profile measured (a user file profiled at --batch-size 24 --mode train; optimize's default
--mode is inference, another step). Now it prints MODEL as typed (shell-quoted) with the flags that set the step."""

from __future__ import annotations

import dataclasses
import io
import shlex

import pytest
from test_report_html import _profile_result

from accelopt.cli.profile import ProfileOptions, optimize_command
from accelopt.measure.diagnose import diagnose
from accelopt.report.console import make_console
from accelopt.report.html import render_html
from accelopt.report.profile_view import render


def test_the_command_names_the_model_as_typed_and_the_shape_flags() -> None:
    cmd = optimize_command(ProfileOptions(model="my models/m.py:build", batch_size=24, seq_len=7, threads=1))
    assert cmd == "accelopt optimize 'my models/m.py:build' --mode train --batch-size 24 --seq-len 7 --threads 1"
    assert shlex.split(cmd)[2] == "my models/m.py:build"  # one word for the shell
    cmd = optimize_command(ProfileOptions(model="gpt", size="tiny", mode="inference", dtype="bf16", device="cuda:1"))
    assert cmd == "accelopt optimize gpt --size tiny --mode inference --dtype bf16 --device cuda:1"


def test_the_optimize_command_takes_each_flag() -> None:
    """Every flag the command may carry is an option of `accelopt optimize` (a renamed one would print a command
    that fails)."""
    import typer.main

    from accelopt.cli.main import app

    group = typer.main.get_command(app)
    opt = group.commands["optimize"]  # type: ignore[attr-defined]
    names = {n for p in opt.params for n in p.opts}
    full = optimize_command(ProfileOptions(model="m", size="s", batch_size=2, seq_len=3, dtype="bf16",
                                           device="cuda:0", threads=1))
    assert {w for w in shlex.split(full) if w.startswith("--")} <= names


def test_the_console_and_page_print_it_with_only() -> None:
    cmd = optimize_command(ProfileOptions(model="[red]m.py:build[/red]", batch_size=24))
    r = dataclasses.replace(_profile_result(False), optimize_command=cmd)
    d = diagnose(r)
    techniques = next(rec.techniques for rec in d.recommendations if rec.techniques)
    out = io.StringIO()
    render(r, make_console(file=out, width=600))
    assert f"{cmd} --only {','.join(techniques)}" in out.getvalue()  # plain text: the brackets are not markup
    assert "accelopt optimize MODEL" not in out.getvalue()
    page = render_html("profile", r, title="p", argv=["profile", "m"]).split("full result (JSON)")[0]
    assert f"--mode train --batch-size 24 --only {','.join(techniques)}" in page


def test_a_result_without_the_command_says_the_same_on_the_console_and_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored result from before optimize_command: both the console and the page print one constant."""
    from accelopt.report import profile_view

    monkeypatch.setattr(profile_view, "OPTIMIZE_COMMAND_UNKNOWN", "accelopt optimize THE-MODEL")
    r = dataclasses.replace(_profile_result(False), optimize_command=None)
    techniques = next(rec.techniques for rec in diagnose(r).recommendations if rec.techniques)
    out = io.StringIO()
    render(r, make_console(file=out, width=600))
    assert f"accelopt optimize THE-MODEL --only {','.join(techniques)}" in out.getvalue()
    page = render_html("profile", r, title="p", argv=["profile", "m"]).split("full result (JSON)")[0]
    assert f"accelopt optimize THE-MODEL --only {','.join(techniques)}" in page
