"""`plan serve --pp 2 --pp-microbatches 8` counted the per-forward overhead (per_step_overhead_s, or the launch floor)
once per pipeline cycle, inside one micro-batch's own pass, though each of the 8 micro-batches' forwards pays it:
the fullest stage's bound was m x share x roofline alone, an underestimate of TPOT wherever m x share > 1. The stage
bound is m x share x (roofline + overhead) now (serving._decode_cycle_s: the slowest stage sets a pipeline's
throughput, Narayanan et al. 2021 sec. 2.2; each stage launches its own layers' kernels for each micro-batch), and
with one micro-batch per stage on evenly split layers nothing changes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import calibration_for_spec, predict_serving
from accelopt.workload.presets import get_model

TOLERANCE = 0.02
"""Stated before measuring, as tests/test_serving_pp_microbatches.py: 32 layers split evenly over 2 stages; the
one-sequence activation hops (8 KB over NVLink) are microseconds against a cycle of tens of ms."""

KW: dict[str, Any] = {"prompt_len": 2048, "output_len": 256}
OVERHEAD_S = 0.010  # a per-forward overhead of 10 ms, the top of the fitted tables' range (serving._SECONDS_LIMITS)


def _cal(overhead_s: float, m: int | None) -> Any:
    return replace(calibration_for_spec(get_device("h100-sxm")), per_step_overhead_s=overhead_s, pp_microbatches=m)


def test_each_micro_batch_pays_the_overhead_when_the_stage_bounds_the_cycle() -> None:
    model, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    piped = predict_serving(model, h100, pp=2, batch=8, calibration=_cal(OVERHEAD_S, 8), **KW)
    roof = predict_serving(model, h100, pp=1, batch=1, calibration=_cal(0.0, None), **KW)  # one micro-batch's work
    assert piped.pp_microbatches == 8
    # the fullest stage (16 of 32 layers) runs 8 one-sequence micro-batches a cycle, each its work and its overhead
    assert piped.tpot_s == pytest.approx(8 * 16 / 32 * (roof.tpot_s + OVERHEAD_S), rel=TOLERANCE)
    assert piped.decode_step.overhead_s == pytest.approx(8 * 16 / 32 * OVERHEAD_S, rel=TOLERANCE)
    assert piped.decode_tokens_per_s == pytest.approx(8 / piped.tpot_s, rel=TOLERANCE)


def test_one_micro_batch_per_stage_is_unchanged() -> None:
    """m = pp on evenly split layers: the stage bound is one pass plus the LM head's read on the last stage (it holds
    the head beside its layers, tests/test_serving_pp_end_stages.py: 0.26 GB here, ~1% of the cycle), so the cycle
    pays the overhead once, as before."""
    model, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    two = predict_serving(model, h100, pp=2, batch=2, calibration=_cal(OVERHEAD_S, None), **KW)
    one = predict_serving(model, h100, pp=1, batch=1, calibration=_cal(OVERHEAD_S, None), **KW)
    assert two.pp_microbatches == 2
    assert two.tpot_s == pytest.approx(one.tpot_s, rel=TOLERANCE) and two.tpot_s >= one.tpot_s
    # the overhead is stretched with the roofline terms to the cycle (serving._pipelined), by the head's H / (M + O)
    assert two.decode_step.overhead_s == pytest.approx(OVERHEAD_S, rel=TOLERANCE)
