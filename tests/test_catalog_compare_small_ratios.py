"""`catalog compare` prints every ratio by the project's one rule (units.fmt_ratio), in the table and on the HTML
page: a simulated design (8 GB of DRAM) against the Edge TPU (8 MB) printed the Edge TPU's memory as '(0.00x)',
a ratio of zero, for 0.001."""
from __future__ import annotations

import html
from pathlib import Path

import pytest
from conftest import run_main

DEVICE = """[[device]]
name = "big-mem-npu"
kind = "asic"
vendor = "ACME"
peak_flop_per_s = { int8 = [4.1e11, "design"] }
memory_bytes = [8e9, "design"]
memory_bandwidth_byte_per_s = [12.8e9, "design"]
"""


def test_a_thousandth_is_not_printed_as_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "npu.toml"
    spec.write_text(DEVICE)
    page = tmp_path / "cmp.html"
    code, out, err = run_main(["catalog", "compare", str(spec), "edge-tpu", "--dtype", "int8", "--html", str(page)],
                              capsys)
    assert code == 0, err
    memory = next(line for line in out.splitlines() if line.startswith("│ memory "))
    assert "(0.001x)" in memory and "0.00x" not in memory  # edge-tpu 8 MB / 8 GB = 0.001 (catalog: 8e6 B)
    text = html.unescape(page.read_text())
    assert "(0.001x)" in text and "(0.00x)" not in text
