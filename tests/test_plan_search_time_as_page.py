"""`plan`'s search time reads alike on the console and on the page of the same run (user trial, session 33): the
console printed 'layouts evaluated in 0.56 s' (two decimals of a second) where the page's search table printed
the same figure as '558 ms' (accelopt.units.fmt_seconds)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main


def test_console_and_page_print_one_search_time(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "plan.html"
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--tokens", "1e11", "--hardware", "h100-sxm",
                               "--devices", "8", "--html", str(page)], capsys)
    assert code == 0, err
    console = re.search(r"layouts evaluated in (\S+ \S+?),", " ".join(out.split()))
    assert console is not None, out[:400]
    cell = re.search(r">search time</td><td[^>]*>([^<]*)</td>", page.read_text())
    assert cell is not None
    assert html.unescape(cell.group(1)) == console.group(1)
