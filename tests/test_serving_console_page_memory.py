"""`plan serve`'s mem/dev column reads as on its --html page: the console printed 31.6 GB where the page showed the
same bytes as 29.4 GiB (and the fit error and `plan`'s own mem/dev column use GiB)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


def test_mem_dev_cells_match_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1,16",
                               "--html", str(page)], capsys)
    assert code == 0, err
    header = next(line for line in out.splitlines() if "mem/dev" in line and line.startswith("┃"))
    col = [c.strip() for c in header.split("┃")].index("mem/dev")
    rows = [line for line in out.splitlines() if line.startswith("│")]
    cells = [[c.strip() for c in row.split("│")][col] for row in rows]
    text = page.read_text(encoding="utf-8")
    assert len(cells) == 2 and all(c.endswith("GiB") and f">{c}<" in text for c in cells), cells
