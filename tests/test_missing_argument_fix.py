"""A command called without its positional argument (`accelopt profile` alone) said "Missing argument 'model'" with
the fix 'see `accelopt profile --help` for the options and their values', naming no kind of model; the fix now
names the argument and what it takes, from its own help. Exit 2 as before."""

from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize(("argv", "fix"), [
    (["profile"], "pass MODEL: zoo name, path/file.py:factory, or HF config"),
    (["catalog", "show"], "pass NAME: device name or alias (e.g. h100-sxm)"),
    (["history", "show"], "pass RUN_ID: run id from `accelopt history list`"),
])
def test_a_missing_argument_names_what_to_pass(argv: list[str], fix: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == "", (code, out, err)
    assert fix in " ".join(err.split()), err
