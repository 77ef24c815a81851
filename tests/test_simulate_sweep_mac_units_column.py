"""`simulate sweep`'s table names its design-size column "MAC units", not "MACs".

Before, the sweep's console table and HTML page headed the column of rows x cols x cores "MACs" (16 on a 4x4 array),
the word `simulate run` uses for the work done ("total: 10,840,192 MACs"), so a front read as designs doing 16 MACs;
the JSON field says "MAC units". Now both tables say "MAC units" and the value is rows x cols x cores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main


def test_mac_units_column(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML.replace("rows = 16", "rows = 16\ncores = 2"))
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    page = tmp_path / "s.html"
    code, out, err = run_main(["simulate", "sweep", "-d", str(tmp_path / "d.toml"), "--topology",
                               str(tmp_path / "g.csv"), "--rows", "4", "--cols", "8", "--sram-kib", "1",
                               "--dataflow", "os", "--html", str(page)], capsys)
    assert code == 0, err
    header = next(line for line in out.splitlines() if "dataflow" in line and "latency" in line)
    assert "MAC units" in header and not re.search(r"\bMACs\b", header)
    row = next(line for line in out.splitlines() if re.search(r"│\s+4 │\s+8 │", line))
    assert re.search(r"│\s+64 │", row)  # 4 x 8 x 2 cores
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", page.read_text())
    assert "MAC units" in heads and "MACs" not in heads
