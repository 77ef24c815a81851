"""`simulate sweep` printed only '(base edge-npu)' beside its front: not the clock, dtype, node, cores and DRAM latency
every point keeps from the base design (its latencies and energies rest on them), nor that the base's DRAM latency
is an assumption, which `simulate run` prints beside its result (utsim's trial). The sweep now prints, under its grid,
what is fixed at the base's values and the base's assumptions on those fields; both are among the --json notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main


def _sweep(capsys: pytest.CaptureFixture[str], tmp_path: Path, *flags: str) -> tuple[str, list[str]]:
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    argv = ["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "4", "--cols", "8",
            "--sram-kib", "1", "--dataflow", "os", *flags]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    code, doc, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    return " ".join(out.split()), json.loads(doc)["notes"]


def test_sweep_prints_the_base_designs_fixed_fields_and_assumptions(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    text, notes = _sweep(capsys, tmp_path)  # the default base, edge-npu: 1395.2 MHz, int8, 12 nm, latency assumed
    fixed = "fixed at edge-npu's: 1 core, 1395.2 MHz, int8, 12 nm, the node's nominal supply, DRAM latency 0 s"
    assert fixed in text and fixed in notes
    assert "dram_latency_s: assumption: left out of the design" in text
    assert any(n.strip().startswith("dram_latency_s: assumption") for n in notes)
    # the ofmap buffer's assumption does not hold for the swept points (each sets its own SRAM): not printed
    assert "ofmap_sram_bytes" not in text


def test_sweep_of_a_design_file_names_its_own_fixed_fields(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML.replace("rows = 16", "rows = 16\ncores = 2\n"
                                                                             "dram_latency_s = 1e-7"))
    text, notes = _sweep(capsys, tmp_path, "-d", str(tmp_path / "d.toml"), "--bandwidth-gbps", "10")
    fixed = "fixed at small-os's: 2 cores, 800 MHz, int8, 16 nm, the node's nominal supply, DRAM latency 100 ns"
    assert fixed in text and fixed in notes
    assert "assumption" not in text


def test_sweep_json_notes_carry_no_console_indentation(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fin1 (2026-12-05): the base's assumption notes were built as '  dram_latency_s: ...' for the console's indent
    under 'fixed at ...', and --json carried those leading spaces. The JSON note is the text alone; the console
    still indents it under the fixed-fields line."""
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    argv = ["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "4", "--cols", "8",
            "--sram-kib", "1", "--dataflow", "os"]
    code, doc, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    notes = json.loads(doc)["notes"]
    assert any(n.startswith("dram_latency_s: assumption") for n in notes), notes
    assert all(n == n.strip() for n in notes), notes
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "\n  dram_latency_s: assumption" in out, out
