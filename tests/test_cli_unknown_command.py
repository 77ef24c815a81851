"""A word where a group wants a command: `accelopt plan llama2-7b` said "No such command 'llama2-7b'" with the fix
"see `accelopt plan --help` for the options and their values", naming neither --model nor the commands."""

from __future__ import annotations

import pytest

from accelopt.cli.main import main


def _err(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return " ".join(capsys.readouterr().err.split())


def test_a_model_typed_as_a_command_names_the_model_option(capsys: pytest.CaptureFixture[str]) -> None:
    err = _err(capsys, ["plan", "llama2-7b"])
    assert "No such command 'llama2-7b'" in err
    assert " plan --model llama2-7b`" in err and "serve" in err and "infer" in err


def test_an_unknown_command_lists_the_group_s_commands(capsys: pytest.CaptureFixture[str]) -> None:
    err = _err(capsys, ["catalog", "lst"])
    assert "No such command 'lst'" in err and "list, show, compare" in err and "--model" not in err
