"""`plan` where no layout fits memory (issue 10: 'see the memory terms above', which were not in the JSON): the error
says what its rows carry, memory per device against capacity, where the JSON holds it, and that `plan explain` on a
listed layout gives the terms (it said 'listed with their memory terms', which no row of `plan` shows)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

_ARGS = ["plan", "--model", "llama3.1-405b", "--hardware", "l4", "--devices", "8", "--tokens", "1e9"]


def test_error_says_what_the_rows_carry(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(_ARGS, capsys)
    text = " ".join(err.split())
    assert code == 2
    assert "with their memory terms" not in text
    assert "closest_by_memory[].mem_total_bytes against mem_capacity_bytes" in text
    assert "`accelopt plan explain` on a listed layout" in text and "for its memory terms" in text


def test_the_json_rows_hold_those_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main([*_ARGS, "--json"], capsys)
    assert code == 2
    rows = json.loads(out)["closest_by_memory"]
    assert rows and all(r["mem_total_bytes"] > r["mem_capacity_bytes"] for r in rows)
