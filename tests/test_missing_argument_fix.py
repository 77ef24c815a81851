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


def test_the_usage_names_every_argument_of_a_two_argument_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`history compare ID_A` (one id of two) printed the usage `history compare ID_B`, as if compare took one id
    (utsim's trial); the usage now lists both arguments in order."""
    code, out, err = run_main(["history", "compare", "20261204T015241.447Z-simulate-run-b38ec1"], capsys)
    assert code == 2 and out == "", (code, out, err)
    joined = " ".join(err.split())
    assert "pass ID_B:" in joined and "history compare ID_A ID_B`" in joined, err
