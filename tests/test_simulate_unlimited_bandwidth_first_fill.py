"""`simulate run` on an unlimited-bandwidth design (dram_bandwidth_byte_per_s = inf, --unlimited-bandwidth) printed
'needs 1.08 GB/s for no stalls beyond each layer's first fill' beside 0 stall cycles: at unlimited bandwidth a first
fill takes no cycle (utsim's trial). The clause is left out there; at a finite bandwidth a single fill cycle reads
'(1 cycle at 34 GB/s)' ('1 cycles' before)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng, 3, 5, 7,\n")
    code, out, err = run_main(["simulate", "run", "--topology", str(tmp_path / "g.csv"), *argv], capsys)
    assert code == 0, err
    return " ".join(out.split())


def test_unlimited_bandwidth_names_no_first_fill(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    design = tmp_path / "d.toml"
    design.write_text(SMALL_DESIGN_TOML)
    for flags in (["-d", str(design), "--unlimited-bandwidth"], ["-d", "tpu-v1", "--unlimited-bandwidth"]):
        doc = json.loads(_run(tmp_path, capsys, *flags, "--json"))
        assert doc["totals"]["stall_cycles"] == 0  # the premise: nothing waits, first fills included
        text = _run(tmp_path, capsys, *flags)
        assert "for no stalls)" in text and "first fill" not in text


def test_one_fill_cycle_is_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "t.csv").write_text("Layer, M, N, K,\ng, 4, 4, 4,\n")  # tpu-v1: 48 B at 34 GB/s, 700 MHz = 1 cycle
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(tmp_path / "t.csv")], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "first fill (1 cycle at 34 GB/s)" in text and not re.search(r"(?<![\d,])1 cycles", text)
