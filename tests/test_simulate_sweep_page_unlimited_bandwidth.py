"""`simulate sweep --bandwidth-gbps 10,inf --html` showed an unlimited-bandwidth point's DRAM BW as 'n/a' on the page
(a figure not known) where the console prints 'inf' and the point's name ends '-infGBps' (utsim's trial); the page now
reads 'inf', fresh and re-rendered from the history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_main


def _bandwidth_cells(page: Path) -> list[str]:
    rows = re.findall(r"<tr>(.*?)</tr>", page.read_text(encoding="utf-8"), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return [c[5] for c in cells if len(c) == 11 and "GBps" in c[0]]


def test_unlimited_bandwidth_reads_inf_on_the_sweep_page(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 256, 256, 256,\n")
    page = tmp_path / "s.html"
    code, _, err = run_main(["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "8",
                               "--cols", "8", "--sram-kib", "1", "--dataflow", "os", "--bandwidth-gbps", "1,inf",
                               "--html", str(page)], capsys)
    assert code == 0, err
    cells = _bandwidth_cells(page)
    assert "inf" in cells and "n/a" not in cells and "1 GB/s" in cells, cells
    again = tmp_path / "again.html"
    code, _, err = run_main(["history", "show", "latest", "--html", str(again)], capsys)
    assert code == 0, err
    assert _bandwidth_cells(again) == cells
