"""newfam (2026-12-04, issue 10): public training runs for the catalog families that had none (the runs file's
'newfam' block). AMD MI355X (CDNA4): one row, MLPerf Training v5.1 AMD's MI355X_EPYC_9575F_pytorch llama31_8b
(mlcommons/training_results_v5.1 at 4da2d1cd71eb30c855dad12712480ae5ac90dd89), held out, committed before it was
predicted. AWS Trainium2: no public training run with a throughput and its layout was found
(tests/test_validate_trainium.py keeps it 'uncalibrated').

The integrator's rule (2026-12-04, declared before any of these rows existed): a new family is fitted only with >= 3
expressible rows; with fewer, no fit, the rows stay held out against the uncalibrated values and `plan` keeps saying
'uncalibrated'. MI355X had one row, so no [family.*] matched it. Since cdna4 (2026-12-04) the family amd-instinct-cdna4
matches it with DERIVED (not fitted) values and the row stays held out; the newfam figures below are its prediction at
[family.default] (the calibrations without that family), its cdna4 figures are tests/test_cdna4_rows.py's.
"""

from __future__ import annotations

import functools
import statistics

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.validation import RunResult, read_runs, reproduce

ROWS = {r["id"]: r for r in read_runs()}
MI355X = "mlperf51-mi355x-llama31-8b-fp8"

# result_0.txt (AMD/results/MI355X_EPYC_9575F_pytorch/llama31_8b): the 14 'tracked_stats' throughputs, samples per
# second, one per 12288-sample block between evaluations.
TRACKED_THROUGHPUT = (30.15030683672662, 30.61911039028611, 30.61936200299813, 30.630860559915867, 30.631176901711576,
                      30.64640447576866, 30.652591202836195, 30.669467908106597, 30.665033329283624, 30.661641469732537,
                      30.668221021377747, 30.675074055468844, 30.70695883444753, 30.694098572187265)
GLOBAL_BATCH, SEQ = 32, 8192  # config_MI355X_1x8x1_8b.sh GBS=32; MLLOG max_sequence_length 8192
# The figures the row's note quotes (signed error, and the model's FLOPs as a share of the FP8 peak).
ERROR_PCT, PUBLISHED_MFU_PCT, PREDICTED_MFU_PCT = -20.2, 36.1, 45.3


@functools.cache
def _result() -> RunResult:
    # the newfam prediction: the bundled calibrations less the family cdna4 added, so mi355x falls to [family.default]
    cals = {k: v for k, v in load_calibrations(None).items() if k != "amd-instinct-cdna4"}
    return reproduce(ROWS[MI355X], cals)


def test_step_is_the_global_batch_over_the_median_tracked_throughput() -> None:
    row = ROWS[MI355X]
    assert (int(row["global_batch"]), int(row["seq"]), int(row["devices"])) == (GLOBAL_BATCH, SEQ, 8)
    assert float(row["step_s"]) == round(GLOBAL_BATCH / statistics.median(TRACKED_THROUGHPUT), 4)


def test_row_is_held_out_uncalibrated_and_says_so() -> None:
    r = _result()
    assert not r.fitted and r.family == "default" and r.calibration_tag == "uncalibrated: default curve"
    assert "Held out (newfam, 2026-12-04; committed before it was predicted)" in ROWS[MI355X]["note"]


def test_note_figures_are_the_prediction() -> None:
    r = _result()
    assert round(100.0 * r.error, 1) == ERROR_PCT
    assert round(100.0 * r.predicted_mfu * r.predicted_step_s / r.published_step_s, 1) == PUBLISHED_MFU_PCT
    assert round(100.0 * r.predicted_mfu, 1) == PREDICTED_MFU_PCT
    note = ROWS[MI355X]["note"]
    for figure in (f"{ERROR_PCT:+.1f}%", f"{PUBLISHED_MFU_PCT}% of the FP8 peak", f"at {PREDICTED_MFU_PCT}%"):
        assert figure in note, figure


def test_no_family_is_fitted_on_one_row() -> None:
    # one expressible row (two since cdna4) < the rule's 3: the family that matches mi355x is derived, fitted on no row
    cals = load_calibrations(None)
    cal = calibration_for(get_device("mi355x"), cals)
    assert cal.family == "amd-instinct-cdna4" and not cal.calibrated("bf16") and not cal.calibrated("fp8")
    assert not any(MI355X in c.fitted_on for c in cals.values())


@pytest.mark.parametrize("dtype", ["bf16", "fp8"])
def test_plan_says_derived_not_fitted_for_mi355x(dtype: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "mi355x", "--devices", "8", "--top", "1",
                               "--dtype", dtype], capsys)
    assert code == 0, err
    out = " ".join(out.split())
    assert "mi355x (not fitted: derived)" in out
    assert "[family.amd-instinct-cdna4] (megatron stack): derived, not fitted:" in out
