"""The same custom design: `plan infer resnet50 --hardware npu.toml` (the design exported by `simulate export`)
printed 118 ms while `simulate run -d DESIGN -m resnet50` gives 22.9 ms, with nothing beside 118 ms saying the device
is uncalibrated: an exported design falls into family 'default', whose op-size curve (half of peak at 0.5 GFLOP
per op) was set on large GPUs. plan infer now marks the latency of a simulated design and says, per device, that
it is uncalibrated and that `simulate run` gives the cycle-level figure. Since simcal, `simulate export` fits the
design's own curve on its simulator (tests/test_simulate_export_calibration.py); a spec written without it
(--no-calibration, or by an earlier accelopt) keeps the label, which this file checks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accelopt.cli.main import app

DESIGN = """[design]
name = "npu16"
rows = 16
cols = 16
dataflow = "os"
dtype = "int8"
clock_hz = 800e6
ifmap_sram_bytes = 65536
filter_sram_bytes = 65536
ofmap_sram_bytes = 32768
dram_bandwidth_byte_per_s = 12.8e9
tech_node_nm = 28
"""


def _exported(tmp_path: Path) -> Path:
    design, spec = tmp_path / "d.toml", tmp_path / "npu.toml"
    design.write_text(DESIGN)
    out = CliRunner().invoke(app, ["simulate", "export", "-d", str(design), "--out", str(spec), "--dram-bytes", "8e9",
                                      "--no-calibration"])
    assert out.exit_code == 0, out.output
    return spec


def test_simulated_design_latency_says_uncalibrated(tmp_path: Path) -> None:
    spec = _exported(tmp_path)
    args = ["plan", "infer", "resnet50", "--hardware", str(spec), "--batch", "1"]
    doc = json.loads(CliRunner().invoke(app, [*args, "--json"]).output)
    notes = " ".join(doc["devices"][0]["notes"])
    assert "uncalibrated" in notes and "simulate run" in notes, notes
    table = CliRunner().invoke(app, args).output
    row = next(ln for ln in table.splitlines() if ln.startswith("│ npu16"))
    assert " ms (u)" in row, row
    assert "(u) = " in table and "simulate run -d" in table, table


def test_catalog_device_latency_unmarked() -> None:
    table = CliRunner().invoke(app, ["plan", "infer", "resnet50", "--hardware", "edge-tpu", "--batch", "1"]).output
    assert "(u)" not in table, table
