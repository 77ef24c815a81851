"""SCALE-Sim .cfg files: read as a Design (USER and CALC modes, SCALE-Sim's units), written back, and
the written file is one scalesim itself runs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.simulate.design import get_design, load_preset
from accelopt.simulate.scalesim_cfg import parse_scalesim_cfg, scalesim_cfg_text

# scalesim's own configs/scale.cfg layout (scalesim 3.0.0), with spaces around ':' as it writes them
CFG = """[general]
run_name = scale_example_run_32x32_os

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:    64
FilterSramSzkB:   32
OfmapSramSzkB:    16
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : os
Bandwidth : 10
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: {mode}
UseRamulatorTrace: False
"""


def test_user_mode_units() -> None:
    d = parse_scalesim_cfg(CFG.format(mode="USER"), "scale.cfg")
    assert (d.rows, d.cols, d.dataflow) == (32, 32, "os")
    # SCALE-Sim kB = 1024 bytes (single_layer_sim.py: 1024 * ifmap_buf_size_kb); 1-byte words
    assert (d.ifmap_sram_bytes, d.filter_sram_bytes, d.ofmap_sram_bytes) == (65536, 32768, 16384)
    assert d.dtype == "int8"
    # Bandwidth is words per cycle: 10 B/cycle at the assumed 1 GHz clock, and the assumption is recorded
    assert d.dram_bandwidth_byte_per_s == 10 * d.clock_hz
    assert d.sources["clock_hz"].startswith("assumption")


def test_calc_mode_is_unlimited_bandwidth() -> None:
    d = parse_scalesim_cfg(CFG.format(mode="CALC"), "scale.cfg")
    assert d.unlimited_bandwidth and math.isinf(d.dram_bandwidth_byte_per_s)
    with pytest.raises(InputError, match="unlimited"):
        d.to_accelerator_spec()


def test_round_trip_through_text() -> None:
    d = parse_scalesim_cfg(CFG.format(mode="USER"), "scale.cfg")
    back = parse_scalesim_cfg(scalesim_cfg_text(d), "again.cfg")
    for f in ("rows", "cols", "dataflow", "ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes",
              "dram_bandwidth_byte_per_s"):
        assert getattr(back, f) == getattr(d, f)
    calc = parse_scalesim_cfg(scalesim_cfg_text(d.with_(dram_bandwidth_byte_per_s=math.inf)), "c.cfg")
    assert calc.unlimited_bandwidth


def test_non_integer_bandwidth_is_written_down_with_a_note() -> None:
    # TPU v1: 34 GB/s at 700 MHz = 48.57 B/cycle; SCALE-Sim reads an integer
    text = scalesim_cfg_text(load_preset("tpu-v1"))
    assert "Bandwidth: 48\n" in text and "48.5714 words/cycle" in text


def test_a_cfg_under_another_name_is_read_as_one(tmp_path: Path) -> None:
    p = tmp_path / "arch.txt"
    p.write_text(CFG.format(mode="CALC"), encoding="utf-8")
    assert get_design(str(p)).unlimited_bandwidth


@pytest.mark.parametrize(("edit", "match"), [
    (("Dataflow : os", "Dataflow : rs"), "Dataflow"),
    (("InterfaceBandwidth: USER", "InterfaceBandwidth: FAST"), "InterfaceBandwidth"),
    (("ArrayHeight:    32", "ArrayHeight:    0"), "ArrayHeight"),
    (("IfmapSramSzkB:    64", "IfmapSramSzkB:    big"), "IfmapSramSzkB"),
    (("Bandwidth : 10", ""), "Bandwidth"),
])
def test_bad_cfg_names_the_field(edit: tuple[str, str], match: str) -> None:
    text = CFG.format(mode="USER").replace(*edit)
    with pytest.raises(InputError, match=match):
        parse_scalesim_cfg(text, "bad.cfg")


def test_cli_reads_and_writes_cfg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "scale.cfg"
    cfg.write_text(CFG.format(mode="CALC"), encoding="utf-8")
    code, out, err = run_main(["simulate", "run", "-d", str(cfg), "-m", "resnet50", "--max-rows", "1"], capsys)
    assert code == 0, err
    assert "unlimited" in out and "assumption" in out and "0 stall" in out
    written = tmp_path / "tpu.cfg"
    code, out, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(written)], capsys)
    assert code == 0, err
    assert parse_scalesim_cfg(written.read_text(), "tpu.cfg").rows == 256


def test_scalesim_runs_the_written_cfg(tmp_path: Path) -> None:
    pytest.importorskip("scalesim")
    from accelopt.simulate.reference import run_scalesim_files
    from accelopt.simulate.topology import parse_topology, write_topology

    d = parse_scalesim_cfg(CFG.format(mode="CALC"), "scale.cfg").with_(rows=4, cols=4)
    cfg, topo = tmp_path / "w.cfg", tmp_path / "t.csv"
    cfg.write_text(scalesim_cfg_text(d), encoding="utf-8")
    layers = parse_topology("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                            "Num Filter, Strides,\nc1, 6, 6, 3, 3, 2, 4, 1,\n", scalesim_rounding=True)
    write_topology(layers, topo)
    rows = run_scalesim_files(cfg, topo, tmp_path / "out")
    from accelopt.simulate.engine import simulate

    ours = simulate(d, layers, "scalesim-code")
    assert [int(r["Total Cycles"]) for r in rows] == [int(c) for c in ours.cols["compute_cycles"]]


def test_unlimited_bandwidth_flag_and_sweep_inf(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "resnet50", "--unlimited-bandwidth",
                               "--json"], capsys)
    assert code == 0, err
    unlimited = json.loads(out)
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "resnet50", "--json"], capsys)
    limited = json.loads(out)
    # same traffic, no bandwidth stalls: total = stall-free compute cycles (+ accumulator reloads, none here)
    assert unlimited["totals"]["dram_bytes"] == limited["totals"]["dram_bytes"]
    assert unlimited["totals"]["stall_cycles"] == sum(x["reload_cycles"] for x in unlimited["layers"])
    assert unlimited["totals"]["stall_cycles"] < limited["totals"]["stall_cycles"]
    code, out, err = run_main(["simulate", "sweep", "-m", "resnet50", "--rows", "16", "--cols", "16",
                               "--sram-kib", "64", "--bandwidth-gbps", "1,inf", "--dataflow", "ws", "--json"], capsys)
    assert code == 0, err
    front = json.loads(out)["pareto_front"]
    # the unlimited point is faster; the 1 GB/s point provisions less bandwidth: both on the front
    assert len(front) == 2 and front[0]["dram_bandwidth_byte_per_s"] is None


def test_export_cfg_needs_whole_kilobytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    design = tmp_path / "odd.toml"
    design.write_text('[design]\nname = "odd"\nrows = 8\ncols = 8\ndataflow = "ws"\nifmap_sram_bytes = 1000\n'
                      'filter_sram_bytes = 1024\nofmap_sram_bytes = 1024\ndram_bandwidth_byte_per_s = 1e9\n'
                      'clock_hz = 1e9\ndtype = "int8"\ntech_node_nm = 28\n', encoding="utf-8")
    code, _out, err = run_main(["simulate", "export", "-d", str(design), "--out", str(tmp_path / "odd.cfg")], capsys)
    assert code == 2 and "ifmap" in err and "fix:" in err
