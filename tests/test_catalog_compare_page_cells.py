"""`catalog compare` prints its derived per-joule and per-dollar rows as its `--html` page does (a user trial,
uttrialC, 2026-12-06). The console wrote them in a fixed unit, '1414 GFLOP/J' and '2250 GFLOP/J' (H100 SXM's 989.5
TFLOP/s bf16 peak over its 700 W TDP; B200's 2.25 PFLOP/s over 1,000 W) and '1.431 EFLOP/$', where the page wrote
'1.41 TFLOP/J', '2.25 TFLOP/J' and '1.43 EFLOP/USD' (units.fmt_quantity's rule, tests/test_units_display.py)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main


def _page_cells(path: Path, metric: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    for tr in re.findall(r"<tr>(.*?)</tr>", text, re.S):
        cells = [html.unescape(re.sub("<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                                                        tr, re.S)]
        if cells and cells[0] == metric:
            return cells[1:3]
    raise AssertionError(f"no row {metric!r} on the page")


def _console_cells(out: str, metric: str) -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.startswith("│") and ln.split("│")[1].strip().startswith(metric))
    return [" ".join(c.split()) for c in line.split("│")[2:4]]  # the console sets its ratio two spaces off


@pytest.mark.parametrize(("dtype", "op"), [("bf16", "FLOP"), ("int8", "OP")])
def test_per_joule_and_per_dollar_read_as_the_page(dtype: str, op: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "compare.html"
    code, out, err = run_main(["catalog", "compare", "h100-sxm", "b200", "--dtype", dtype, "--html", str(page)],
                              capsys)
    assert code == 0, err
    for metric in (f"{dtype} {op} per joule at TDP", f"{dtype} {op} per dollar at peak"):
        assert _console_cells(out, metric) == _page_cells(page, metric), metric
    if dtype == "bf16":  # 989.5e12 / 700 W = 1.414e12 FLOP/J; 2.25e15 / 1,000 W = 2.25e12
        assert _console_cells(out, "bf16 FLOP per joule at TDP") == ["1.41 TFLOP/J", "2.25 TFLOP/J (1.59x)"]
