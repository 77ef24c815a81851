"""`plan serve --html` shows the numbers the console prints: the page wrote decode and end-to-end tokens/s at three
significant digits with a unit ('105 tok/s', '5.04 ktok/s') where the console prints 104.7 and 5,039, and headed a
--concurrency table 'batch' where the console says 'concurrency'."""

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


@pytest.mark.parametrize("load", ["--batch", "--concurrency"])
def test_the_serve_page_has_the_consoles_cells(load: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", load, "1,64",
                               "--prompt", "1024", "--output", "128", "--html", str(page)], capsys)
    assert code == 0, err
    console_cells = {c.strip() for ln in out.splitlines() if ln.startswith("│") for c in ln.split("│")}
    rows = _page_rows(page)
    head = next(r for r in rows if "TTFT" in r)
    assert head[0] == ("concurrency" if load == "--concurrency" else "batch")
    points = [r for r in rows if r and r[0] in ("1", "64") and len(r) == len(head)]
    assert len(points) == 2
    for r in points:
        for col in ("decode tok/s", "e2e tok/s/dev", "TTFT", "TPOT"):
            assert r[head.index(col)] in console_cells, (col, r[head.index(col)], sorted(console_cells))
