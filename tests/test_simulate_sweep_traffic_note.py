"""`simulate sweep` said 'DRAM traffic from a tiling model' in its --json notes and HTML page for every sweep, also
where its points replayed SCALE-Sim's USER-mode buffers (--convention scalesim-code at a finite bandwidth: the
engine replaces the tiling model's traffic and stalls, accelopt.simulate.engine._replay_scalesim_buffers) or ran
the row-stationary mapping (--dataflow rs); the console named no traffic model at all. The note now says which model
gave each kind of point, on the console, in the JSON and on the page alike (utsim's trial)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.simulate.design import get_design
from accelopt.simulate.engine import simulate
from accelopt.simulate.memory import MAX_REPLAY_ELEMS
from accelopt.simulate.topology import read_topology


def _sweep(capsys: pytest.CaptureFixture[str], tmp_path: Path, *flags: str) -> tuple[str, str]:
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 30, 50, 70,\n")
    argv = ["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "4", "--cols", "8",
            "--sram-kib", "1", *flags]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    code, doc, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    return " ".join(out.split()), json.loads(doc)["notes"][0]


def test_scalesim_code_sweep_names_the_replayed_buffers(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    # the premise: a 4x8 os point at 10 GB/s replays SCALE-Sim's buffers, so its traffic is not the tiling model's
    d = get_design("edge-npu").with_(rows=4, cols=8, dataflow="os", ifmap_sram_bytes=1024, filter_sram_bytes=1024,
                                     ofmap_sram_bytes=1024, dram_bandwidth_byte_per_s=10e9, sources={})
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 30, 50, 70,\n")
    layers = read_topology(tmp_path / "g.csv")
    replayed = simulate(d, layers, "scalesim-code")
    assert replayed.cols["scalesim_replayed"].all()
    assert replayed.total("dram_bytes") != simulate(d, layers, "paper").total("dram_bytes")

    text, note = _sweep(capsys, tmp_path, "--dataflow", "os", "--bandwidth-gbps", "10",
                        "--convention", "scalesim-code")
    for said in (text, note):
        assert "replay SCALE-Sim 3.0.0's USER-mode buffers" in said and "scalesim_trace" in said
        assert f"a demand matrix of at most {MAX_REPLAY_ELEMS:,} entries" in said  # larger layers: tiling model
    assert "DRAM traffic from a tiling model" not in note


def test_paper_sweep_names_the_tiling_model_and_rs_its_mapping(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    text, note = _sweep(capsys, tmp_path, "--dataflow", "ws,rs", "--bandwidth-gbps", "10")
    for said in (text, note):
        assert "ws points from a buffer-aware tiling model (accelopt.simulate.memory)" in said
        assert "rs points from the row-stationary mapping (accelopt.simulate.rowstationary)" in said
        assert "SCALE-Sim" not in said.split("DRAM traffic and stalls:")[1]


def test_scalesim_code_at_unlimited_bandwidth_is_the_tiling_model(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")  # CALC mode: nothing to replay
    _, note = _sweep(capsys, tmp_path, "--dataflow", "is", "--bandwidth-gbps", "inf", "--convention", "scalesim-code")
    assert "is points from a buffer-aware tiling model" in note and "replay" not in note
