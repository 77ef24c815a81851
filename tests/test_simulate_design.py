"""Design validation, TOML loading, presets against published figures, AcceleratorSpec export."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError, UnknownNameError
from accelopt.hardware.catalog import get_device, load_file
from accelopt.simulate.design import Design, get_design, load_design_file, load_preset, preset_names
from accelopt.simulate.export import write_spec_toml

GOOD = """
[design]
name = "my-npu"
rows = 32
cols = 16
dataflow = "os"
ifmap_sram_bytes = 65536
filter_sram_bytes = 65536
ofmap_sram_bytes = 32768
dram_bandwidth_byte_per_s = 25.6e9
clock_hz = 1e9
dtype = "int8"
tech_node_nm = 28
dram_bytes = 4e9
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "d.toml"
    p.write_text(text)
    return p


def test_presets_load_and_cite_every_field() -> None:
    assert set(preset_names()) >= {"tpu-v1", "eyeriss", "edge-npu"}
    for name in preset_names():
        d = load_preset(name)
        for f in ("rows", "cols", "clock_hz", "dtype", "tech_node_nm", "dram_bandwidth_byte_per_s"):
            assert d.sources.get(f), f"{name}: {f} has no source"


def test_tpu_v1_peak_and_ridge_match_jouppi_2017() -> None:
    # Jouppi et al., ISCA 2017, Table 2: 92 TOPS (8-bit) peak; Sec. 4 / Fig. 5: the roofline ridge is
    # ~1350 (MAC) operations per byte of weight memory at 34 GB/s.
    d = load_preset("tpu-v1")
    assert d.peak_op_per_s == pytest.approx(92e12, rel=0.005)
    assert d.ridge_mac_per_byte() == pytest.approx(1350, rel=0.01)
    assert d.ridge_op_per_byte() == pytest.approx(2 * d.ridge_mac_per_byte())


def test_eyeriss_peak_matches_chen_2016() -> None:
    # Chen et al. ISSCC 2016: 168 PEs at 200 MHz = 33.6 GMAC/s (67.2 GOPS peak).
    d = load_preset("eyeriss")
    assert d.macs == 168
    assert d.peak_mac_per_s == pytest.approx(33.6e9)


def test_load_good_toml(tmp_path: Path) -> None:
    d = load_design_file(_write(tmp_path, GOOD))
    assert (d.rows, d.cols, d.cores, d.dataflow, d.width_bits) == (32, 16, 1, "os", 8)
    assert get_design(str(tmp_path / "d.toml")) == d


def test_defaults_a_design_leaves_out_are_printed_as_assumptions(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A design without cores or dram_latency_s ran with 1 array and no DRAM latency without saying so."""
    from conftest import run_main

    assert load_design_file(_write(tmp_path, GOOD)).sources["dram_latency_s"].startswith("assumption: left out")
    code, out, err = run_main(["simulate", "run", "-d", str(tmp_path / "d.toml"), "-m", "alexnet-conv"], capsys)
    assert code == 0, err
    assert "cores: assumption: left out of the design, 1 array" in out
    assert "dram_latency_s: assumption: left out of the design, 0 s (DRAM latency not modelled)" in out
    given = load_design_file(_write(tmp_path, GOOD + "cores = 2\ndram_latency_s = 1e-7\n"))
    assert "cores" not in given.sources and "dram_latency_s" not in given.sources


@pytest.mark.parametrize(("old", "new", "needle"), [
    ('dataflow = "os"', 'dataflow = "xs"', "dataflow"),
    ("rows = 32", "rows = -4", "rows"),
    ("cols = 16", "cols = 0", "cols"),
    ("clock_hz = 1e9", "clock_hz = -1e9", "clock_hz"),
    ("clock_hz = 1e9", "clock_hz = 1e30", "100 GHz"),  # a typo for 1e9, simulated at "1e+24 MHz" before
    ('dtype = "int8"', 'dtype = "int3"', "dtype"),
    ("tech_node_nm = 28", "tech_node_nm = 28\nwarp_size = 32", "warp_size"),
    ("rows = 32\n", "", "rows"),
    ("ifmap_sram_bytes = 65536", "ifmap_sram_bytes = 1.5", "ifmap_sram_bytes"),
    ("[design]", "[desing]", "[design]"),
    ("rows = 32", "rows = ", "TOML"),
])
def test_bad_toml_names_the_field(tmp_path: Path, old: str, new: str, needle: str) -> None:
    with pytest.raises(InputError) as e:
        load_design_file(_write(tmp_path, GOOD.replace(old, new)))
    assert needle in str(e.value)
    assert e.value.fix


def test_missing_file_and_unknown_preset() -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_design_file("/nonexistent/d.toml")
    with pytest.raises(UnknownNameError, match="tpu-v1"):
        get_design("tpu-v")


def test_design_kwargs_validated() -> None:
    with pytest.raises(InputError, match="dram_latency_s"):
        load_preset("edge-npu").with_(dram_latency_s=-1.0)
    with pytest.raises(InputError, match="cores"):
        Design(name="x", rows=4, cols=4, cores=0, dataflow="ws", ifmap_sram_bytes=1, filter_sram_bytes=1,
               ofmap_sram_bytes=1, dram_bandwidth_byte_per_s=1.0, clock_hz=1.0, dtype="int8", tech_node_nm=7)


def test_accelerator_spec_and_export_roundtrip(tmp_path: Path) -> None:
    d = load_preset("tpu-v1")
    spec = d.to_accelerator_spec()
    assert spec.kind == "asic"
    assert spec.peak("int8") == pytest.approx(2 * 65536 * 700e6)
    assert spec.memory_bandwidth_byte_per_s == 34e9
    assert all("simulated design tpu-v1" in s for s in spec.sources.values())
    out = tmp_path / "spec.toml"
    write_spec_toml(spec, out)
    (back,) = load_file(out)
    assert back.peak("int8") == spec.peak("int8")
    assert back.sram_bytes == spec.sram_bytes
    assert get_device(str(out)).ridge_flop_per_byte("int8") == pytest.approx(d.ridge_op_per_byte())


def test_export_needs_dram_capacity() -> None:
    with pytest.raises(InputError, match="dram_bytes"):
        get_design("nvdla-512").to_accelerator_spec()  # eyeriss (int16) is refused for its dtype first
