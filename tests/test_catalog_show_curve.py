"""`catalog show` lists a spec's op-size curve (`[device.inference_curve]`, written by `simulate export` and
`probe --save`) with its sources, as it lists every other number: the console table showed none of it while the
JSON document's `device` carried it, so the figures `plan infer` times ops by were invisible where a user looks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

SPEC = """
[sources]
doc = "our design review"
fit = "fitted on our simulator, mean |log error| 0.2"

[[device]]
name = "curve-asic"
kind = "asic"
vendor = "Us"
peak_flop_per_s = { int8 = [1e14, "doc"] }
memory_bytes = [8e9, "doc"]
memory_bandwidth_byte_per_s = [1e11, "doc"]
inference_curve = { matmul_eff_max = [0.62, "fit"], matmul_half_flop = [3.4e7, "fit"], op_overhead_s = [1e-6, "doc"] }
"""


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "curve.toml"
    path.write_text(SPEC)
    return path


def test_show_prints_the_curve_with_its_sources(capsys: pytest.CaptureFixture[str], spec_path: Path) -> None:
    code, out, err = run_main(["catalog", "show", str(spec_path)], capsys)
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    assert "62.0%" in rows["inference_curve.matmul_eff_max"] and "fitted on our simulator" in rows[
        "inference_curve.matmul_eff_max"]
    assert "34 MFLOP" in rows["inference_curve.matmul_half_flop"]
    assert "1 µs" in rows["inference_curve.op_overhead_s"] and "our design review" in rows[
        "inference_curve.op_overhead_s"]


def test_show_json_lists_the_curve_among_the_numbers(capsys: pytest.CaptureFixture[str], spec_path: Path) -> None:
    code, out, err = run_main(["catalog", "show", str(spec_path), "--json"], capsys)
    assert code == 0, err
    numbers = {n["field"]: n for n in json.loads(out)["numbers"]}
    assert numbers["inference_curve.matmul_half_flop"]["value"] == 3.4e7
    assert numbers["inference_curve.matmul_half_flop"]["source"].startswith("fitted on our simulator")
