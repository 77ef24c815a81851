"""`plan explain` prints tokens/s alike on the console and on the page of the same run (user trial, session 33):
the console's summary line read 'tokens/s 418,443' where the page's key figure and arithmetic table read
'418 ktok/s' (accelopt.units' tok/s rule)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main


def test_console_and_page_print_one_tokens_per_s(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "explain.html"
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                               "--zero", "3", "--html", str(page)], capsys)
    assert code == 0, err
    console = re.search(r"^tokens/s ([^;]+);", out, flags=re.M)
    assert console is not None, out[-600:]
    shown = re.search(r">tokens/s(?:<span[^>]*>estimate</span>)?</td><td[^>]*>([^<]*)</td>", page.read_text())
    assert shown is not None
    assert html.unescape(shown.group(1)) == console.group(1)
    assert console.group(1).endswith("tok/s")
