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
