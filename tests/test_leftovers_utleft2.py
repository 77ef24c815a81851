"""Leftovers of the s33 user trials (helper utleft2): each test failed before its fix."""

from __future__ import annotations

import json

import pytest
from conftest import run_main


def _plan_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--devices", "64", "--top", "3", "--json", *argv],
                              capsys)
    assert code == 0, err
    data = json.loads(out)
    data.pop("search_s", None)  # the search's own wall time
    return data


@pytest.mark.parametrize(("typed", "plain"), [("20M", "20000000"), ("1.5M", "1500000"), ("2B", "2000000000")])
def test_budget_usd_reads_the_suffixes_tokens_reads(typed: str, plain: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --budget-usd 20M` was refused ('is not a number') while `--tokens 7B` was read."""
    assert _plan_json(["--budget-usd", typed], capsys) == _plan_json(["--budget-usd", plain], capsys)


def test_an_unreadable_budget_names_the_suffixes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--budget-usd", "20Q"], capsys)
    assert code == 2 and "--budget-usd '20Q' is not a number" in err and "20k or 1.5M" in err, err
