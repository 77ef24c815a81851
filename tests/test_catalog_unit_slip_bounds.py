"""The unit-slip bounds of a catalog file (hardware/spec.py UNIT_SLIPS) refuse no real device: an 8-bit MCU with
2 KB of SRAM and a software-float fp32 peak of ~1e5 FLOP/s, a 0.15 s cross-region link. Before, memory under 10 kB,
a peak under 1e6 FLOP/s and a latency over 0.1 s were refused with a wrong fix ("write 2048e9 if 2048 is in GB").
The slips themselves stay refused (tests/test_catalog_unit_slips.py); `simulate export` names the flag or design
field that set a slipped figure (--dram-bytes for memory_bytes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import load_file

# ATmega328P (Microchip datasheet DS40002061): 2 KB SRAM, 16 MHz, 8-bit; fp32 in software (~100-150 cycles an op)
MCU = """[[device]]
name = "atmega328p"
kind = "cpu"
peak_flop_per_s = { fp32 = [1.2e5, "16 MHz / ~130 cycles per soft-float op"], int8 = [1.6e7, "1 op a cycle"] }
memory_bytes = [2048, "datasheet: 2 KB SRAM"]
sram_bytes = [2048, "datasheet: 2 KB SRAM"]
memory_bandwidth_byte_per_s = [1.6e7, "1 byte a cycle at 16 MHz"]
scaleout_bandwidth_byte_per_s = [11520, "115200-baud UART"]
scaleout_latency_s = [0.15, "a cross-region hop"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mcu.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_real_mcu_on_a_slow_far_link_loads(tmp_path: Path) -> None:
    [spec] = load_file(_write(tmp_path, MCU))
    assert spec.memory_bytes == 2048 and spec.peak("fp32") == 1.2e5 and spec.scaleout_latency_s == 0.15


@pytest.mark.parametrize("old, new, field", [
    ("[2048, \"datasheet: 2 KB SRAM\"]\nsram", "[80, \"ds\"]\nsram", "memory_bytes"),
    ("fp32 = [1.2e5", "fp32 = [1979", "peak_flop_per_s.fp32"),
    ("[0.15,", "[2.4,", "scaleout_latency_s"),
    ("[11520,", "[400,", "scaleout_bandwidth_byte_per_s"),
])
def test_the_slips_are_still_refused(tmp_path: Path, old: str, new: str, field: str) -> None:
    with pytest.raises(InputError) as e:
        load_file(_write(tmp_path, MCU.replace(old, new, 1)))
    assert field in e.value.problem


def test_export_names_dram_bytes_for_a_memory_slip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.toml"
    code, _out, err = run_main(["simulate", "export", "-d", "examples/my_design.toml", "--dram-bytes", "80",
                                "--out", str(out)], capsys)
    assert code == 2 and not out.exists(), err
    flat = " ".join(err.split())
    assert "memory_bytes" in flat and "--dram-bytes is in bytes: give 80e9 if 80 is in GB" in flat
    assert "rows, cols" not in flat  # the old fix: scale the array up, which leaves the slip in place
