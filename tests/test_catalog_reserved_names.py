"""A user device named 'all' loaded, and `--hardware all` then meant every catalog device, so it could never be
picked alone; one named 'chip.toml' was read by --hardware as a file path ('does not exist'). Both are refused when
the file loads, naming the device and what --hardware makes of the name."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import default_catalog, load_catalog

_DEVICE = """[[device]]
name = "{name}"
kind = "fpga"
{extra}
peak_flop_per_s = {{ bf16 = [10e12, "our board manual, sec. 4"] }}
memory_bytes = [16e9, "our board manual, sec. 4"]
memory_bandwidth_byte_per_s = [460e9, "our board manual, sec. 4"]
"""


@pytest.mark.parametrize("name, extra, named", [
    ("all", "", "device name 'all'"),
    ("ALL", "", "device name 'ALL'"),
    ("chip.toml", "", "device name 'chip.toml'"),
    ("chip", 'aliases = ["All"]', "device alias 'All'"),
])
def test_a_name_hardware_reads_otherwise_is_refused(tmp_path: Path, name: str, extra: str, named: str) -> None:
    p = tmp_path / "mine.toml"
    p.write_text(_DEVICE.format(name=name, extra=extra), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_catalog([p])
    assert named in e.value.problem and "cannot be given to --hardware" in e.value.problem


def test_no_built_in_name_is_reserved() -> None:
    names = [n for s in default_catalog() for n in (s.name, *s.aliases)]
    assert not [n for n in names if n.lower() == "all" or n.lower().endswith(".toml")]


def test_export_refuses_a_design_whose_device_would_not_load(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate export` of a design named 'all' wrote a spec every command then refused; now it stops first, naming
    the design, and writes nothing."""
    from conftest import run_main_expect

    design = tmp_path / "all.toml"
    design.write_text('[design]\nname = "all"\nrows = 32\ncols = 32\ndataflow = "ws"\nclock_hz = 1e9\ndtype = "int8"\n'
                      "ifmap_sram_bytes = 65536\nfilter_sram_bytes = 65536\nofmap_sram_bytes = 65536\n"
                      "dram_bandwidth_byte_per_s = 1e10\ndram_bytes = 1e9\ntech_node_nm = 28\n", encoding="utf-8")
    out = tmp_path / "spec.toml"
    _out, err = run_main_expect(capsys, "simulate", "export", "-d", str(design), "-o", str(out),
                                "--no-calibration", code=2)
    assert "design 'all' would export as a device the catalog refuses" in err and not out.exists()
