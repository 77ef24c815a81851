"""AMD Instinct CDNA3 (MI300X) serving: the `[serving.amd-instinct-cdna3]` fit and its held-out rows (issue 10).

Rows: the s-amdsrv block of predict/data/published_serving_runs.csv (the OCI blog's vLLM Llama 3.1 405B FP8 runs on
8 x MI300X, and the AMD performance-results page's vLLM 0.10.2 Llama 3.1 70B FP8 latency rows). The fit rule was
declared in calibration.toml before any of them was predicted. The bound is the issue's serving target, stated before
the rows were predicted: held-out median |error| <= 15%; a held-out row beyond 25% carries a checked reason whose
numbers are recomputed here from the model, so a model change that moves them fails until the note is rewritten.
"""

from __future__ import annotations

import re
import statistics

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.predict.serving_validation import (
    ServingRunResult,
    read_serving_runs,
    reproduce,
    row_calibration,
)
from accelopt.workload.presets import get_model

FAMILY = "amd-instinct-cdna3"
SERVING_MEDIAN_TARGET = 0.15  # issue 10, "Done when": serving median <= 15%
NOTE_BEYOND = 0.25  # issue 10: a row beyond 25% carries a note with a specific, checked reason
ROWS, SOURCES = read_serving_runs()
AMD = [r for r in ROWS if r["hardware"].startswith(("mi300", "mi325"))]
ROW = {r["id"]: r for r in AMD}


@pytest.fixture(scope="module")
def results() -> list[ServingRunResult]:
    return [reproduce(r, SOURCES) for r in AMD]


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", text)]


def _static(row_id: str) -> sv.ServingPrediction:
    """The row's prediction object (static batch), as validate --serving makes it."""
    r = ROW[row_id]
    spec = get_device(r["hardware"])
    return sv.predict_serving(get_model(r["model"]), spec, tp=int(r["tp"]), pp=int(r["pp"]), batch=int(r["batch"]),
                              prompt_len=int(r["prompt_len"]), output_len=int(r["output_len"]),
                              weight_dtype=r["weight_dtype"], kv_dtype=r["kv_dtype"],
                              calibration=row_calibration(r, spec), allow_oom=True)


def _work_s(p: sv.ServingPrediction, step_s: float) -> float:
    """Seconds of one static batch (prefill + output_len - 1 decode steps of step_s), the model's latency."""
    return p.prefill.total_s + (p.output_len - 1) * step_s


def _additive_step_s(p: sv.ServingPrediction) -> float:
    s = p.decode_step
    return s.compute_s + s.memory_s + s.comm_s + s.overhead_s


def test_amd_rows_use_the_fitted_family_table(results: list[ServingRunResult]) -> None:
    assert len(AMD) >= 10 and {r.family for r in results} == {FAMILY}
    assert {r.calibration for r in results} == {FAMILY}
    cal = sv.calibration_for_spec(get_device("mi300x"))
    assert cal.family == FAMILY and cal.fitted
    assert sv.calibration_for_spec(get_device("mi325x")).family == FAMILY  # matched as [family.amd-instinct-cdna3]


def test_fit_rows_are_at_most_a_third_and_mi300x_only() -> None:
    fit = [r for r in AMD if r["role"] == "fit"]
    assert 1 <= len(fit) <= len(AMD) / 3
    assert all(r["hardware"] == "mi300x" for r in fit)


def test_held_out_median_meets_the_serving_target(results: list[ServingRunResult]) -> None:
    held = [abs(r.error) for r in results if r.role == "test" and r.error is not None]
    assert len(held) >= 10
    assert statistics.median(held) <= SERVING_MEDIAN_TARGET


def test_rows_beyond_25_percent_carry_a_checked_note(results: list[ServingRunResult]) -> None:
    far = [r for r in results if r.role == "test" and r.error is not None and abs(r.error) > NOTE_BEYOND]
    assert far  # the three rows below: if they come within 25%, their notes are stale
    assert all("Checked" in r.note and "tests/test_serving_amd.py" in r.note for r in far), [r.id for r in far]
    # since 2026-12-01 (the custom all-reduce timed as measured, the table re-run): OCI batch 128 beyond, batch-2 page
    # row within (its note is still recomputed below)
    assert {r.id for r in far} == {"oci-mi300x-405b-b64-128-128", "oci-mi300x-405b-b128-128-128",
                                   "amdperf-mi300x-l3-70b-b4-128-2048"}


OCI_B64 = "oci-mi300x-405b-b64-128-128"
OCI_B128 = "oci-mi300x-405b-b128-128-128"
AMDPERF_BATCHES = (2, 4)
RECOMPUTED_IDS = frozenset((OCI_B64, OCI_B128, *(f"amdperf-mi300x-l3-70b-b{b}-128-2048" for b in AMDPERF_BATCHES)))
"""The rows whose notes the two tests below recompute (tests/test_row_notes_checked.py)."""


def test_oci_batch_64_note_recomputes() -> None:
    note = ROW[OCI_B64]["note"]
    p = _static(OCI_B64)
    s = p.decode_step
    published_ratio = 6.919 / 3.530  # the blog's average latencies at batch 64 and 1
    one = _static("oci-mi300x-405b-b1-128-128")
    assert f"{published_ratio:.2f}x" in note
    assert f"compute {s.compute_s * 1e3:.1f} ms" in note and f"reads {s.memory_s * 1e3:.1f} ms" in note
    assert f"{s.comm_s * 1e3:.1f} ms of all-reduce" in note and f"= {p.tpot_s * 1e3:.1f} ms" in note
    assert f"row is {_work_s(p, p.tpot_s):.2f} s ({_work_s(p, p.tpot_s) / _work_s(one, one.tpot_s):.2f}x)" in note
    add = _additive_step_s(p)
    assert f"= {add * 1e3:.1f} ms per step) it is {_work_s(p, add):.2f} s" in note
    assert f"({6.919 / _work_s(p, add) - 1:+.0%})" in note
    # every OCI static row within the stated bound with steps added instead of overlapped
    bound = _numbers(note.split("is within ")[1])[0] / 100
    for rid, r in ROW.items():
        if r["source"] == "oci-mi300x-405b" and r["batch"] != "max":
            q = _static(rid)
            latency_s = int(r["batch"]) * 128 / float(r["published"])
            assert abs(latency_s / _work_s(q, _additive_step_s(q)) - 1) <= bound, rid


def test_oci_batch_128_note_recomputes() -> None:
    note, p = ROW[OCI_B128]["note"], _static(OCI_B128)
    s, add = p.decode_step, _additive_step_s(p)
    published_s = 128 * 128 / float(ROW[OCI_B128]["published"])
    assert (f"max(compute {s.compute_s * 1e3:.1f} ms, weight and KV reads {s.memory_s * 1e3:.1f} ms) + "
            f"{s.comm_s * 1e3:.1f} ms of all-reduce + {s.overhead_s * 1e3:.2f} ms per-step overhead = "
            f"{p.tpot_s * 1e3:.1f} ms, so the row is {_work_s(p, p.tpot_s):.2f} s") in note
    assert f"= {add * 1e3:.1f} ms per step) it is {_work_s(p, add):.2f} s ({published_s / _work_s(p, add) - 1:+.0%})" \
        in note


@pytest.mark.parametrize("batch", AMDPERF_BATCHES)
def test_amd_page_latency_notes_recompute(batch: int, results: list[ServingRunResult]) -> None:
    rid = f"amdperf-mi300x-l3-70b-b{batch}-128-2048"
    note = ROW[rid]["note"]
    published = {1: 15.882, 2: 17.934, 4: 18.487}  # the page's Latency (sec) at batch 1, 2, 4
    one, p = _static("amdperf-mi300x-l3-70b-b1-128-2048"), _static(rid)
    assert f"rises {published[batch] / published[1] * 100 - 100:.1f}% from batch 1" in note
    assert f"latency rises {(_work_s(p, p.tpot_s) / _work_s(one, one.tpot_s) - 1) * 100:.1f}%" in note
    assert f"weight reads {one.decode_step.memory_s * 1e3:.2f} ms" in note
    assert p.decode_step.compute_s < 0.3e-3
    b1 = next(r for r in results if r.id == "amdperf-mi300x-l3-70b-b1-128-2048")
    assert b1.error is not None and f"{b1.error:+.1%}" in note


def test_plan_serve_on_mi300x_is_not_uncalibrated(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "mi300x", "--tp", "8",
                               "--weight-dtype", "fp8", "--batch", "1,64"], capsys)
    assert code == 0, err
    flat = " ".join(out.split())  # the caption wraps
    assert f"[serving.{FAMILY}]" in flat and "uncalibrated" not in flat
