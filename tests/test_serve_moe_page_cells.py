"""`plan serve --html` shows the expert-parallelism table's cells as the console prints them (a user trial, uttrialC,
2026-12-06). The console printed the table's two counts at '.2f' / '.1f' and the page at fmt_count's four digits:
Mixtral-8x7B at batch 1 (top-2 of 8 experts, ep 2) gets 0.25 token copies per expert, which the console printed as
'0.2' and the page as '0.25'; a grouped-GEMM time of 0 (a family without grouped-GEMM figures: the routed experts
run at the step's dense efficiencies) read 'dense eff.' on the console and '0 s' on the page; a batch of 1024 read
'1024' on the console and '1,024' on the page. Both now take their cells from report.plan_warnings.serve_moe_cells."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main


def _page_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    cell = r"<t[dh][^>]*>(.*?)</t[dh]>"
    return [[html.unescape(re.sub("<[^>]+>", "", c)).strip() for c in re.findall(cell, tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", text, re.S)]


def _rows_after(rows: list[list[str]], head: str, n: int) -> list[list[str]]:
    """The n rows after the first row holding `head` (a table's header)."""
    at = next(i for i, r in enumerate(rows) if head in r)
    return rows[at + 1:at + 1 + n]


def _console_rows(out: str) -> list[list[str]]:
    """Every table line's cells, header lines (┃) and rows (│) alike."""
    return [[c.strip() for c in re.split("[│┃]", ln)[1:-1]] for ln in out.splitlines() if ln.startswith(("│", "┃"))]


@pytest.mark.parametrize("device", ["h100-sxm", "mi300x"])
def test_the_expert_table_has_the_consoles_cells(device: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", device, "--tp", "2",
                               "--ep", "2", "--batch", "1,1024", "--prompt", "128", "--output", "64",
                               "--html", str(page)], capsys)
    assert code == 0, err
    page_moe = _rows_after(_page_rows(page), "tokens/expert/step", 2)
    console_moe = _rows_after(_console_rows(out), "tokens/expert/step", 2)
    assert page_moe == console_moe, (page_moe, console_moe)
    head = next(r for r in _page_rows(page) if "tokens/expert/step" in r)
    cells = dict(zip(head, page_moe[0], strict=True))
    assert cells["tokens/expert/step"] == "0.25"  # batch 1 x top 2 / 8 experts
    assert page_moe[1][0] == "1,024"
    # the batch column of the main table reads the same on both
    assert [r[0] for r in _rows_after(_console_rows(out), "TTFT", 2)] == ["1", "1,024"]
    assert [r[0] for r in _rows_after(_page_rows(page), "TTFT", 2)] == ["1", "1,024"]
    # mi300x has no grouped-GEMM figures ([serving.amd-cdna3]): its experts run at the dense efficiencies, not in 0 s
    gemm = [r[-1] for r in page_moe]
    assert (gemm == ["dense eff."] * 2) is (device == "mi300x"), gemm
    assert "0 s" not in gemm
