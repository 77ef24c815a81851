"""An unknown model name in profile/optimize/plan infer suggests the trained examples (digits, chargpt) too and says
which other forms are accepted (before: `optimize digitz` -> "did you mean 'gpt'?", `profile examples` -> "known
models: bert, gpt, mlp, resnet"); errors.unknown_name lists the nearest names, not the first 40, when many."""
from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.errors import unknown_name


@pytest.mark.parametrize("command", ["optimize", "profile"])
def test_a_misspelt_example_is_suggested(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([command, "digitz"], capsys)
    assert code == 2 and "did you mean 'digits'" in " ".join(err.split())


def test_unknown_model_lists_the_examples_and_the_other_forms(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "zzzz"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "chargpt" in text and "digits" in text
    assert "file.py:factory" in text and "config.json" in text


def test_plan_infer_knows_the_trained_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "infer", "digitz", "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "did you mean 'digits'" in " ".join(err.split())


def test_a_long_list_gives_the_nearest_and_the_command_that_lists_all() -> None:
    known = [f"name{i:03d}" for i in range(100)] + ["zq-x"]
    err = unknown_name("thing", "zqwvutsr", known, listed_by="accelopt things --list")  # none close (ratio < 0.4)
    assert "zq-x" in err.fix  # the nearest, the 101st in alphabetical order: it was cut off at 40
    assert "101 known things" in err.fix and "`accelopt things --list` lists them all" in err.fix
    few = unknown_name("thing", "qqq", ["alpha", "beta"])
    assert few.fix == "known things: alpha, beta"
