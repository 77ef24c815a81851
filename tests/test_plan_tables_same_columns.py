"""ut3misc (2026-12-06), a leftover of ut3plan's trial: `plan --model llama3-8b --hardware h100-sxm --devices 16
--top 20` ranks hybrid-sharded rows (hsdp 8, 4, 2) in its best table, whose console showed an hsdp column, while the
Pareto front's one row has none and its table dropped the column (each table chose its own); the HTML page showed no
hsdp column at all. Now every layout table of a result shows the same hsdp / etp columns, after ep, console and page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main

ARGV = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16", "--top", "20"]


def _heads(table_text: str) -> list[str]:
    """The header cells of the first rich table in `table_text` (its line with the most '┃' separators)."""
    line = next(x for x in table_text.splitlines() if x.count("┃") > 5)
    return [c.strip() for c in line.strip("┃ ").split("┃")]


def test_the_pareto_table_keeps_the_best_tables_hsdp_column(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    """Before: the console's Pareto table had no hsdp column (its one row has no shard group) under a best table
    with one; the page had none in either table."""
    page = tmp_path / "plan.html"
    code, out, err = run_main([*ARGV, "--html", str(page)], capsys)
    assert code == 0, err
    best, front = out.split("Pareto front: time, cost, energy")
    best = best[best.index("best 20 by"):]
    assert _heads(best)[6:9] == ["ep", "hsdp", "vp"], _heads(best)  # this search does rank hybrid-sharded rows
    assert _heads(front) == _heads(best)
    body = page.read_text(encoding="utf-8")
    tables = {html.unescape(m.group(1)): re.findall(r"<th[^>]*>([^<]*)", m.group(2))
              for m in re.finditer(r"<h2>([^<]*)</h2><div class=\"tw\"><table>(.*?)</table>", body, re.S)}
    page_best = tables["best 20 by time"]
    assert page_best[6:9] == ["ep", "hsdp", "vp"], page_best
    assert tables["Pareto front: time, cost, energy"] == page_best
