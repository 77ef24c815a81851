"""`plan serve` over more devices than a scale-up domain, on a device whose spec has no scale-out figure, names that
missing figure; a device with no link at all is told apart.

Before: both stopped with 'the catalog lists no link bandwidth for this device' and 'fix: ... give
scaleup_bandwidth_byte_per_s in a --catalog TOML file', also for MI300X at --tp 16, whose catalog entry lists its
Infinity Fabric (scale-up, 8 devices) and lacks only the scale-out network: the fix named a figure already given.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device

# odd but plausible: 4 devices per scale-up domain, no scale-out network listed (every figure a made-up datasheet's)
ZETA = """
[sources]
ds = "Zeta NPU datasheet rev B (2026-03), table 1"

[[device]]
name = "zeta-npu"
display_name = "Zeta NPU"
kind = "npu"
vendor = "Zeta"
peak_flop_per_s = { bf16 = [400e12, "ds"] }
memory_bytes = [24e9, "ds"]
memory_bandwidth_byte_per_s = [0.9e12, "ds"]
scaleup_domain_devices = [4, "ds"]
scaleup_bandwidth_byte_per_s = [100e9, "ds"]
tdp_w = [300, "ds"]
"""


def _serve(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--batch", "1", "--prompt", "128", "--output",
                             "16", *args], capsys)
    assert code == 2 and "Traceback" not in err, err
    return " ".join(err.split())


def test_a_group_past_the_domain_names_the_missing_scale_out(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cat = tmp_path / "zeta.toml"
    cat.write_text(ZETA)
    err = _serve(capsys, "--hardware", "zeta-npu", "--catalog", str(cat), "--tp", "8")
    assert "8 devices span 2 scale-up domains of 4" in err, err
    assert "scaleout_bandwidth_byte_per_s" in err and "lists no link bandwidth" not in err, err
    assert "give scaleup_bandwidth_byte_per_s" not in err, err  # the file gives it
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--batch", "1", "--prompt", "128", "--output",
                             "16", "--hardware", "zeta-npu", "--catalog", str(cat), "--tp", "4"], capsys)
    assert code == 0, err  # inside the domain its scale-up link serves


def test_mi350x_tp16_names_the_scale_out(capsys: pytest.CaptureFixture[str]) -> None:
    # was MI300X until 2026-12-05 (rcatlinks gave it Azure's ND MI300X v5 network), then MI325X (utcat, 2026-12-05, gave
    # it MLPerf's 2-node MI325X network: test_catalog_scaleout_links); MI350X is where they were: its Infinity Fabric
    # (8 per domain), no scale-out network
    mi = get_device("mi350x")
    assert mi.scaleup_bandwidth_byte_per_s and mi.scaleout_bandwidth_byte_per_s is None
    assert mi.scaleup_domain_devices == 8
    err = _serve(capsys, "--hardware", "mi350x", "--tp", "16")
    assert "16 devices span 2 scale-up domains of 8" in err and "scaleout_bandwidth_byte_per_s" in err, err


def test_a_device_without_any_link_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    # a Jetson module: no link at all (l4 until pcielink gave the PCIe cards their PCIe link)
    orin = get_device("jetson-agx-orin")
    assert orin.scaleup_bandwidth_byte_per_s is None and orin.scaleout_bandwidth_byte_per_s is None
    err = _serve(capsys, "--hardware", "jetson-agx-orin", "--tp", "2")
    assert "lists no link between devices" in err and "scaleup_bandwidth_byte_per_s" in err, err
