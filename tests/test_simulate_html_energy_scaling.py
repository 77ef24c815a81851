"""`simulate run --html`: the page says which supply and node factor the energies used, as the console does.

Before, a design without `vdd_v` (the usual case: the node's nominal supply is the default) showed `vdd_v n/a` in
the page's design table, and the page never said how the 45 nm / 0.9 V energies were scaled, while the console's
footer printed "scaled to 16 nm at 0.85 V (nominal) by Stillmaker & Baas 2017 (x...)"."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

from accelopt.simulate.energy import node_factor, nominal_vdd_v


def _page_text(path: Path) -> str:
    t = path.read_text()
    t = re.sub(r"<(svg|style|details).*?</\1>", " ", t, flags=re.S)  # plots, CSS and the folded JSON
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], design_toml: str) -> tuple[str, str]:
    (tmp_path / "d.toml").write_text(design_toml)
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    page = tmp_path / "run.html"
    code, out, err = run_main(["simulate", "run", "-d", str(tmp_path / "d.toml"), "--topology",
                               str(tmp_path / "g.csv"), "--html", str(page)], capsys)
    assert code == 0, err
    return out, _page_text(page)


def test_nominal_supply_is_shown_not_na(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    out, page = _run(tmp_path, capsys, SMALL_DESIGN_TOML)
    vdd = nominal_vdd_v(16)  # PTM-MG 16 nm: 0.85 V (simulate/energy.py)
    assert f"at {vdd:.2f} V (nominal)" in out  # the console's footer
    assert "vdd_v n/a" not in page
    assert f"vdd_v {vdd:g} V default: the node's nominal supply (PTM)" in page
    factor = f"x{node_factor(16):.3g}"
    assert f"scaled to 16 nm at {vdd:.2f} V (nominal) by Stillmaker & Baas 2017 ({factor})" in page


def test_a_given_supply_is_shown_with_its_factor(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    out, page = _run(tmp_path, capsys, SMALL_DESIGN_TOML + "vdd_v = 0.7\n")
    factor = f"x{node_factor(16, 0.7):.3g}"
    assert f"at 0.70 V by Stillmaker & Baas 2017 ({factor})" in out
    assert f"scaled to 16 nm at 0.70 V by Stillmaker & Baas 2017 ({factor})" in page


def test_design_table_shows_the_designs_own_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's design table rounded the inputs: edge-npu's 1395.2 MHz clock read '1.4 GHz' (the console prints
    1395.2 MHz) and its 32e9 B DRAM '29.8 GiB' beside a source saying 32 GB. Each now reads back as the design's
    figure: the clock in MHz as the console prints it, a rounded figure with its exact value beside it."""
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    page = tmp_path / "run.html"
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "--topology", str(tmp_path / "g.csv"),
                               "--html", str(page)], capsys)
    assert code == 0, err
    assert "1395.2 MHz" in out  # the console's design line
    text = _page_text(page)
    assert "clock_hz 1395.2 MHz NVIDIA" in text, text[:3000]
    assert "dram_bytes 29.8 GiB (32,000,000,000 B) NVIDIA" in text
    assert "ifmap_sram_bytes 256 KiB NVDLA" in text  # exact as shown: nothing added
    assert "dram_bandwidth_byte_per_s 137 GB/s NVIDIA" in text
