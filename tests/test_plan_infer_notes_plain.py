"""`plan infer` prints a spec's own op-size curve with its source (predict.inference.spec_curve_note, since
2026-12-02), as plain text: the note quotes the user's spec file, so markup in it must print literally (the project's
console has markup off, report/console.make_console; this guards the note's wording and that setting)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect

SOURCE = "fitted on [bold]my[/bold] ladder"
SPEC = f"""
[[device]]
name = "my-npu"
kind = "asic"
peak_flop_per_s = {{ fp32 = [60e12, "datasheet"] }}
memory_bytes = [8e9, "8 GB"]
memory_bandwidth_byte_per_s = [100e9, "datasheet"]
inference_curve = {{ matmul_eff_max = [0.8, "{SOURCE}"], matmul_half_flop = [1e6, "{SOURCE}"] }}
"""


def test_a_notes_source_from_the_spec_prints_literally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "npu.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out, _ = run_main_expect(capsys, "plan", "infer", "mlp", "--hardware", str(spec), "--dtype", "fp32",
                             "--batch", "1")
    text = " ".join(out.split())
    assert f"matmul_eff_max 0.8 and matmul_half_flop 1e+06: {SOURCE}" in text
