"""main() builds typer's click command of the app once per process (cli.commands._command): typer reads every
command's signature and type hints to build it, about half of an in-process `plan explain`'s time, and the test
suite runs thousands of commands in process. The command built once still serves every run alike."""

from __future__ import annotations

from typing import Any

import pytest
import typer
import typer.main
from conftest import run_main
from typer.models import CommandInfo

from accelopt.cli.main import app


def _counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every app typer.main.get_command builds from, from now on (the builds happen as before)."""
    built: list[Any] = []
    real = typer.main.get_command

    def counting(typer_app: Any) -> Any:
        built.append(typer_app)
        return real(typer_app)

    monkeypatch.setattr(typer.main, "get_command", counting)
    return built


def test_three_runs_build_the_command_at_most_once(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    built = _counting_builds(monkeypatch)
    runs = [["schema", "--help"], ["plan", "serve", "-m", "llama2-7b", "--batch", ""],  # an error: exit 2
            ["plan", "--bogus-flag"]]  # click's usage error, whose command path is looked up (_command_path)
    codes = [run_main(argv, capsys)[0] for argv in runs]
    assert codes == [0, 2, 2]
    assert [b for b in built if b is app] in ([], [app])  # int's main() built it on each of the 3 runs: 3


def test_the_command_built_once_refuses_an_empty_value_on_every_run(capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):  # its options' wrappers, put on once, work on each run (and are not stacked)
        code, out, err = run_main(["plan", "serve", "-m", "llama2-7b", "--batch", ""], capsys)
        assert code == 2 and out == ""
        assert err.count("--batch '' is empty") == 1, err


def test_a_command_registered_later_is_built(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    run_main(["schema", "--help"], capsys)  # the app's command built (or kept) before the registration

    def hello() -> None:
        print("hello from a command registered later")

    monkeypatch.setattr(app, "registered_commands", [*app.registered_commands, CommandInfo(name="hello-later",
                                                                                           callback=hello)])
    code, out, err = run_main(["hello-later"], capsys)
    assert code == 0, err
    assert out == "hello from a command registered later\n"
    monkeypatch.undo()
    code, _, err = run_main(["hello-later"], capsys)
    assert code == 2 and "hello-later" in err  # gone again: the command of the app as registered now
