"""A Ctrl-C that a command does not handle itself (plan, validate, simulate, catalog, or profile still importing
torch) ended the run with status 130 and not a word: typer turns KeyboardInterrupt into a silent exit 130. Every
command now prints a line naming itself, and exits 130 without a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main


def _interrupt(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize(("target", "argv", "name"), [
    ("accelopt.cli.env.collect", ["env"], "accelopt env"),
    ("accelopt.cli.catalog.run_list", ["catalog", "list"], "accelopt catalog list"),
])
def test_an_unhandled_ctrl_c_says_so_and_exits_130(target: str, argv: list[str], name: str,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(target, _interrupt)
    code, out, err = run_main(argv, capsys)
    assert code == 130 and out == ""
    assert f"interrupted (Ctrl-C) before `{name}` finished" in err
    assert "Traceback" not in err


def test_a_command_that_handles_ctrl_c_keeps_its_own_line(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    def kept(*_: Any, **__: Any) -> None:
        print("interrupted: 3 figures kept", file=__import__("sys").stderr)
        raise typer.Exit(130)

    monkeypatch.setattr("accelopt.cli.env.collect", kept)
    code, _, err = run_main(["env"], capsys)
    assert code == 130 and "3 figures kept" in err and "before `accelopt env` finished" not in err
