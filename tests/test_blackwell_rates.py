"""Blackwell matmul rates per device (issue 10; bwrate, 2026-12-02).

- B200, GB200 and B300 carry the measured GEMM rates of stas00/ml-engineering compute/accelerator/README.md, 'Maximum
  Achievable Matmul FLOPS comparison table' (the version dated 'as of 2026-07-31'), each cited by its own table row:
  value, theoretical peak, efficiency, best shape and torch version (catalog sources mamf-b200, mamf-gb200, mamf-b300).
- GB300 has no public measured GEMM rate (searched 2026-12-02: the table has no GB300 row; the aiconfigurator GB300
  GEMM tables are Git LFS pointers in the stored copies): plan keeps the nvidia-blackwell family's B200 efficiencies for
  it, unscaled, and says so beside the result (the printed default).
- The NeMo 25.02 DGX-B200 Nemotron-4 340B row's userbuffers config is the one its 25.02-era script names.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.validation import read_runs

# (device, dtype, MAMF TFLOP/s, the table's Theory and Efficiency columns, best shape, torch version): the table rows
MAMF_ROWS = [
    ("b200", "bf16", 1745.0, 2250, "77.6%", "1792x16128x3072", "2.7.1+cu128"),
    ("b200", "fp8", 3432.5, 4500, "76.3%", "15360x4096x3072", "2.7.1+cu128"),
    ("gb200", "bf16", 1822.0, 2500, "72.9%", "4096x9728x2048", "2.10.0.dev20250916+cu130"),
    ("gb200", "fp8", 3615.6, 5000, "72.3%", "19456x5120x1536", "2.10.0.dev20250916+cu130"),
    ("b300", "bf16", 1769.0, 2250, "78.6%", "12288x18432x1024", "2.9.1+cu130"),
    ("b300", "fp8", 3353.3, 4500, "74.5%", "3072x6144x7168", "2.9.1+cu130"),
]


@pytest.mark.parametrize(("name", "dtype", "tflops", "theory", "eff", "shape", "torch"), MAMF_ROWS)
def test_measured_rate_is_its_mamf_row_cited_by_shape_and_software(name: str, dtype: str, tflops: float, theory: int,
                                                                    eff: str, shape: str, torch: str) -> None:
    """The rate, the table's Theory column as the catalog's dense peak, its Efficiency column as rate / peak, and a
    source that quotes the row (shape and torch version: the table warns rows mix software versions)."""
    spec = get_device(name)
    assert spec.measured_matmul_flop_per_s[dtype] == pytest.approx(tflops * 1e12)
    assert spec.peak(dtype) == pytest.approx(theory * 1e12)
    assert f"{100 * tflops / theory:.1f}%" == eff
    src = spec.source_of(f"measured_matmul_flop_per_s.{dtype}") or ""
    assert f"{tflops:.1f}" in src and shape in src and torch in src and "as of 2026-07-31" in src, src


def test_gb300_has_no_measured_rate_and_the_catalog_says_what_was_searched() -> None:
    spec = get_device("gb300")
    assert not spec.measured_matmul_flop_per_s
    assert "searched again 2026-12-02" in spec.notes and "aiconfigurator" in spec.notes


@pytest.mark.parametrize("dtype", ["bf16", "fp8"])
def test_gb300_keeps_the_b200_efficiencies_unscaled(dtype: str) -> None:
    cals = load_calibrations()
    gb300, b200 = calibration_for(get_device("gb300"), cals), calibration_for(get_device("b200"), cals)
    # gb3 (2026-12-06): the fp8 curve carries the family's fitted GB300 fp8_device_factor (no measured rate still)
    f = cals["nvidia-blackwell"].fp8_device_factor
    assert gb300.matmul_eff_max == b200.matmul_eff_max
    assert gb300.fp8_matmul_eff_max == pytest.approx(min(1.0, b200.fp8_matmul_eff_max * f)) and f > 1.0
    assert (gb300.device_ratio, gb300.device_ratio_fp8) == (1.0, f)
    note = gb300.device_note_fp8 if dtype == "fp8" else gb300.device_note
    assert "not scaled to gb300" in note and "no measured matmul rate" in note


def test_plan_prints_the_gb300_default_beside_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    """Through the public path: plan explain's JSON names the default (GB300 unscaled), where B300 gets its ratio."""
    args = ["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--tp", "1", "--pp", "1", "--zero", "1",
            "--mbs", "2", "--seq-len", "8192", "--global-batch", "128seq", "--dtype", "fp8", "--json"]
    _, out, _ = run_main([*args, "--hardware", "gb300"], capsys)
    basis = json.loads(out)["calibration_basis"]
    f = load_calibrations()["nvidia-blackwell"].fp8_device_factor  # gb3 (2026-12-06): its fitted fp8 factor, named
    assert basis["device_ratio"] == f and "not scaled to gb300" in basis["text"], basis
    assert "fp8_device_factor, FITTED on" in basis["text"], basis
    _, out, _ = run_main([*args, "--hardware", "b300"], capsys)
    basis = json.loads(out)["calibration_basis"]
    assert basis["device_ratio"] == pytest.approx((3353.3 / 4500) / (3432.5 / 4500)), basis
    assert "scaled to b300" in basis["text"]


def test_nemo2502_nemotron4_340b_ub_cfg_is_the_25_02_scripts() -> None:
    """NVIDIA/NeMo scripts/llm/performance/pretrain_nemotron4_340b.py (the 25.02-era path; stored 2221c8a and
    bf2c0d1) sets tp_comm_overlap_cfg = userbuffers_bf16_b200_h18432_tp8_mbs1_seqlen4096 on b200 whatever the compute
    dtype; the same commit's GPT-3 175B / Llama 3 70B / Llama 3.1 405B scripts key the config by compute dtype."""
    row = {r["id"]: r for r in read_runs(None)}["nemo2502-b200-nemotron4-340b"]
    assert row["tp_overlap_cfg"] == "bf16_b200_h18432_tp8_mbs1_seqlen4096"
    assert all(w in row["note"] for w in ("scripts/llm/performance/pretrain_nemotron4_340b.py", "2221c8a", "bf2c0d1",
                                         "(bwrate, 2026-12-02)"))
