"""Intel Gaudi 2 published training runs, the intel-gaudi2 calibration, and 'uncalibrated' on the families without one.

Source of the gaudi2-* rows: Intel, "Model Performance Data for Intel Gaudi 2 AI Accelerators", training table "Large
Language Model (LLM) Throughput: Intel Gaudi 2 Accelerator" (Intel Gaudi software 1.19.0): Llama 3.1 8B on 8 HPUs and
70B on 64 HPUs, sequence 8192, FP8, batch 128, throughput 37,440 and 43,332 tokens/s; layouts from the recipe of
HabanaAI/Megatron-LM examples/llama/README.md (8B: TP 2 DP 4; 70B: TP 8 DP 8; selective recompute, no sequence
parallel). Rule declared in calibration.toml before fitting: only fp8_matmul_eff_max of intel-gaudi2, on the 8-card
8B row; the 64-card 70B row is held out.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.validation import LARGE_ERROR, fit_fp8_eff_max, read_runs, run_setup, validate_report

REPORT = validate_report()
RESULTS = {r.id: r for r in REPORT.runs}
ROWS = {r["id"]: r for r in read_runs()}
GAUDI2 = sorted(k for k in RESULTS if k.startswith("gaudi2-"))
FITTED = {"gaudi2-llama31-8b-fp8"}
PUBLISHED_TOKENS_PER_S = {"gaudi2-llama31-8b-fp8": 37440, "gaudi2-llama31-70b-fp8": 43332}  # Intel's table, 1.19.0


def test_gaudi2_rows_are_the_published_throughputs() -> None:
    assert sorted(PUBLISHED_TOKENS_PER_S) == GAUDI2
    for run_id, tok_s in PUBLISHED_TOKENS_PER_S.items():
        row = ROWS[run_id]
        # step_s = Batch Size x Sequence Length / Throughput (the table's own columns), rounded to 10 ms
        assert float(row["step_s"]) == pytest.approx(128 * 8192 / tok_s, abs=0.005)
        assert (row["global_batch"], row["seq"], row["dtype"]) == ("128", "8192", "fp8")


def test_gaudi2_rows_parse_as_the_recipe_layouts() -> None:
    setup, lay = run_setup(ROWS["gaudi2-llama31-8b-fp8"])
    assert (lay.tp, lay.pp, lay.dp, lay.zero, lay.recompute, lay.sp, lay.m) == (2, 1, 4, 1, "selective", False, 32)
    assert setup.dtype == "fp8" and setup.flash and setup.model.kv_heads == 8 and not setup.model.tied_embeddings
    _, lay = run_setup(ROWS["gaudi2-llama31-70b-fp8"])
    assert (lay.tp, lay.pp, lay.dp, lay.zero, lay.sp, lay.m) == (8, 1, 8, 1, False, 16)


def test_only_the_declared_row_is_fitted_and_the_family_is_gaudi2_only() -> None:
    assert {k for k in GAUDI2 if RESULTS[k].fitted} == FITTED
    assert all(RESULTS[k].family == "intel-gaudi2" and RESULTS[k].stack == "megatron" for k in GAUDI2)
    cals = load_calibrations()
    fam = cals["intel-gaudi2"]
    assert set(fam.fp8_fitted_on) == FITTED and fam.fitted_on == ()
    # the 16-bit curve is the Ampere one, not fitted here
    assert (fam.matmul_eff_max, fam.matmul_half_flop) == (cals["nvidia-ampere"].matmul_eff_max,
                                                          cals["nvidia-ampere"].matmul_half_flop)
    assert calibration_for(get_device("gaudi3"), cals).family == "default"  # another generation: not this fit


def test_bundled_gaudi2_fp8_value_is_what_the_declared_fit_gives() -> None:
    fit = fit_fp8_eff_max("intel-gaudi2", sorted(FITTED))
    assert fit.fp8_matmul_eff_max == load_calibrations()["intel-gaudi2"].fp8_matmul_eff_max
    assert 0.30 < fit.fp8_matmul_eff_max < 0.98  # an interior grid point, not an edge
    assert abs(RESULTS["gaudi2-llama31-8b-fp8"].error) < 0.02  # the fit reproduces its own row


def test_gaudi2_by_family_summary_and_note() -> None:
    fam = next(g for g in REPORT.by_family if g.group == "intel-gaudi2")
    assert fam.held_out_runs == 1 and fam.worst_run == "gaudi2-llama31-70b-fp8"
    r = RESULTS["gaudi2-llama31-70b-fp8"]
    assert abs(r.error) <= LARGE_ERROR or r.note  # beyond 25% the row says what was checked


# Tolerance stated before measuring: the bound, no family's held-out median above 12%.
@pytest.mark.xfail(reason="the one held-out Gaudi 2 row (Llama 3.1 70B, 64 cards) is predicted +46% slow: Intel's "
                          "table gives 326 model TFLOP/s per card there against 271 on the 8-card 8B fit row, while "
                          "the model charges the 70B run 5.9 s of TP 8 all-reduces; compute alone at the fitted FP8 "
                          "efficiency is already 28.5 s of the published 24.2 s (see the row's note)", strict=True)
def test_gaudi2_held_out_within_family_bound() -> None:
    fam = next(g for g in REPORT.by_family if g.group == "intel-gaudi2")
    assert fam.median_abs_error <= 0.12


@pytest.mark.parametrize(("device", "dtype", "calibrated"), [
    ("gaudi2", "fp8", True), ("gaudi2", "bf16", False),  # fitted on FP8 runs only
    ("gaudi3", "fp8", False), ("mi300x", "bf16", False), ("mi300x", "fp8", False), ("mi325x", "bf16", False),
    ("mi250x", "bf16", False), ("trainium2", "bf16", False)])
def test_calibrated_only_where_a_published_run_was_fitted(device: str, dtype: str, calibrated: bool) -> None:
    assert calibration_for(get_device(device), load_calibrations()).calibrated(dtype) is calibrated


def test_plan_says_uncalibrated_beside_gaudi3_and_amd_not_gaudi2_fp8(capsys: pytest.CaptureFixture[str]) -> None:
    for hw, flagged in (("gaudi2", False), ("gaudi3", True), ("mi300x", True)):
        code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", hw, "--devices", "8", "--dtype", "fp8",
                                   "--top", "1"], capsys)
        assert code == 0, err
        assert (f"{hw} (uncalibrated)" in " ".join(out.split())) is flagged, hw
    code, out, _ = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "gaudi2", "--devices", "8",
                             "--json"], capsys)
    assert code in (0, 2) and json.loads(out)["prediction"]["calibrated"] is False  # bf16: not fitted on Gaudi 2
