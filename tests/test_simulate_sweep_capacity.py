"""`simulate sweep` on a design whose dram_bytes a layer's data exceeds said nothing, where `simulate run` on the same
design notes the layer ('DRAM capacity is not modelled, these figures assume the design holds them'; engine
SimResult.capacity_notes). The sweep now carries the same note, once, on the console and in the --json notes
(utleft, 2026-12-06)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

EXAMPLE_DESIGN = Path(__file__).parent.parent / "examples" / "my_design.toml"


def _files(tmp_path: Path, dram_bytes: str) -> tuple[str, str]:
    text = EXAMPLE_DESIGN.read_text()
    assert "dram_bytes = 4e9" in text  # the premise: the example's line, replaced below
    design = tmp_path / "small.toml"
    design.write_text(text.replace("dram_bytes = 4e9", f"dram_bytes = {dram_bytes}"))
    # one GEMM of int8 (the example's dtype): inputs 1000 x 1000 + weights 1000 x 1000 + outputs 1000 x 1000 = 3 MB
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 1000, 1000, 1000,\n")
    return str(design), str(tmp_path / "g.csv")


def test_a_layer_over_the_designs_dram_is_said_by_sweep_as_by_run(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    design, topo = _files(tmp_path, "1e6")
    code, out, err = run_main(["simulate", "run", "-d", design, "--topology", topo], capsys)
    assert code == 0, err
    said = "layer 'g1' needs 3 MB in DRAM at once"
    assert said in " ".join(out.split())  # the premise: run says it
    sweep = ["simulate", "sweep", "-d", design, "--topology", topo, "--rows", "16,32", "--dataflow", "os,ws"]
    code, out, err = run_main(sweep, capsys)
    flat = " ".join(out.split())
    assert code == 0, err
    assert flat.count(said) == 1 and "DRAM capacity is not modelled" in flat, flat  # once for the 4 designs
    code, doc, err = run_main([*sweep, "--json"], capsys)
    assert code == 0, err
    notes = [n for n in json.loads(doc)["notes"] if "DRAM capacity is not modelled" in n]
    assert len(notes) == 1 and said in notes[0], notes


def test_a_design_that_holds_the_layer_gets_no_capacity_note(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    design, topo = _files(tmp_path, "4e6")  # 3 MB fits
    code, doc, err = run_main(["simulate", "sweep", "-d", design, "--topology", topo, "--rows", "16,32", "--json"],
                              capsys)
    assert code == 0, err
    assert not [n for n in json.loads(doc)["notes"] if "DRAM capacity" in n]
