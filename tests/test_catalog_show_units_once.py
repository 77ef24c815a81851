"""`catalog show` prints each byte figure once with its unit: memory and SRAM read in GB and GiB both (85.5 GB
(79.6 GiB)), which under 1 kB printed the same text twice, '300 B (300 B)', for a small user device (an edge NPU's
SRAM, a design exported by `simulate export`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.cli.catalog import fmt_value

TINY = """
[sources]
ds = "My MCU NPU datasheet rev 1, table 1"

[[device]]
name = "my-mcu-npu"
kind = "npu"
vendor = "Me"
peak_flop_per_s = { int8 = [1e9, "ds"] }
memory_bytes = [512, "ds"]
memory_bandwidth_byte_per_s = [1e9, "ds"]
sram_bytes = [300, "ds"]
"""


@pytest.mark.parametrize(("value", "want"), [
    (300.0, "300 B"), (512.0, "512 B"),
    (1000.0, "1 kB (1000 B)"), (64e6, "64 MB (61 MiB)"), (85.5e9, "85.5 GB (79.6 GiB)"),
])
def test_bytes_read_in_both_prefixes_only_where_they_differ(value: float, want: str) -> None:
    assert fmt_value("sram_bytes", value) == want
    assert fmt_value("memory_bytes", value) == want


def test_catalog_show_prints_a_small_sram_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cat = tmp_path / "mcu.toml"
    cat.write_text(TINY, encoding="utf-8")
    out, _ = run_main_expect(capsys, "catalog", "show", "my-mcu-npu", "--catalog", str(cat))
    assert "300 B (300 B)" not in out and "512 B (512 B)" not in out
    sram = next(line for line in out.splitlines() if "sram_bytes" in line)
    assert sram.count("300 B") == 1, sram


def test_compare_says_when_no_device_has_the_dtype(capsys: pytest.CaptureFixture[str]) -> None:
    """utmisc: `catalog compare h100-sxm mi300x --dtype int4` printed its int4 rows (ridge, per joule, per dollar) as
    '—' with nothing saying that neither device lists an int4 peak."""
    out, _ = run_main_expect(capsys, "catalog", "compare", "h100-sxm", "groq-lpu", "--dtype", "int4", "--json")
    note = json.loads(out)["note"]
    assert note.endswith("; none of the devices compared gives a peak for int4, so the rows derived from it are "
                         "empty; pick another --dtype (all of them give fp16, int8)"), note
    out, _ = run_main_expect(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--json")
    assert "none of the devices" not in json.loads(out)["note"]
