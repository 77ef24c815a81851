"""`plan --top` past the console table's rows (utplan2, 2026-12-05): rich renders a layout row in 15-35 ms, so
`plan --model llama3-8b --devices 8..64 --top 100000` printed its 14,219 rows for 494 s. The console table stops at
cli.plan.TABLE_ROWS_MAX rows and a line says how many more there are and that --json lists them; the JSON keeps every
row. The Pareto table, cut at 20 rows without a word before, says so the same way. The speed itself is measured by
benchmarks/bench_plan_table.py, not here."""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_main

from accelopt.cli import plan as plan_cli

ARGS = ["plan", "--model", "qwen2.5-0.5b", "--hardware", "h100-sxm", "--devices", "8..32", "--seq-len", "2048",
        "--global-batch", "256"]
LIMIT = 200  # the table's row limit, as the --top help states it


def _layout_rows(text: str) -> int:
    """Data rows of the 'best N by time' table: its lines between the header rule and the bottom rule."""
    block = text.split("best ", 1)[1].split("Pareto front", 1)[0]
    return sum(1 for ln in block.splitlines() if re.match(r"^[│|] h100-sxm", ln))


def test_console_table_stops_and_says_how_many_more(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGS, "--top", "100000", "--json"], capsys)
    assert code == 0, err
    total = len(json.loads(out)["best"])
    assert total > LIMIT  # the JSON lists every ranked layout
    code, out, err = run_main([*ARGS, "--top", "100000"], capsys)
    assert code == 0, err
    assert _layout_rows(out) == LIMIT
    said = " ".join(out.split())
    assert (f"{total - LIMIT:,} more row(s) not printed: the table shows the first {LIMIT} of {total:,} — give --json "
            "for every row") in said
    assert plan_cli.TABLE_ROWS_MAX == LIMIT
    assert f"at most {LIMIT}" in " ".join(run_main(["plan", "--help"], capsys)[1].split()).replace("│", "")


def test_top_within_the_limit_prints_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGS, "--top", "7"], capsys)
    assert code == 0, err
    assert _layout_rows(out) == 7 and "not printed" not in out


def test_pareto_table_says_what_it_leaves_out(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """With the Pareto table's limit at 1, the rows past it are said, not dropped without a word."""
    code, out, err = run_main([*ARGS, "--json"], capsys)
    front = len(json.loads(out)["pareto_front"])
    assert front >= 2
    monkeypatch.setattr(plan_cli, "PARETO_ROWS_MAX", 1)
    code, out, err = run_main(ARGS, capsys)
    assert code == 0, err
    assert f"{front - 1:,} more row(s) not printed: the table shows the first 1 of {front:,}" in " ".join(out.split())
