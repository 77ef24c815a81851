"""optimize recommends on the Pareto front. A user trial (2026-12-05, a GRU language model: Embedding, LayerNorm,
2-layer GRU, tied head, metric loss) had onnx-fp32 recommended 'within noise, lossless' over onnx-int8, which was
ahead of it on every figure the table printed (5.12x against 3.19x, 362 KiB against 480 KiB, loss 5.3164 against
5.3173) and was the only one of the two starred on the front. Now:
- a lossy variant whose measured quality is no worse than the baseline's counts as lossless, and the reason says so
  with the figures;
- a candidate that another is ahead of beyond noise (rounds' brackets apart, memory or energy over
  MEMORY_NOISE_FRACTION apart, a smaller quality loss), and behind on none, is not recommended;
- where the lossless-first rule passes over a faster lossy variant, the reason gives what that one loses;
- a recommendation left off the starred front says which variant's figures are ahead of it, and why that does not
  count.

The figures are typed objects as the runner hands them to recommend (the trial's own, from its --json), so nothing
here is timed."""

from __future__ import annotations

from typing import Any

import pytest

from accelopt.optimize.results import OptimizeResult, Quality, VariantResult
from accelopt.optimize.runner import pareto_flags, recommend
from accelopt.report import html
from accelopt.report.jsonout import dumps
from accelopt.report.optimize_view import render

BASE_LOSS = 5.317254424095154
"""The trial's baseline held-out loss."""
RUN: dict[str, Any] = {"name": "grulm", "mode": "inference", "device": "cpu", "dtype": "fp32", "batch_size": 8,
                       "metric": "loss", "higher_is_better": False, "quality_tolerance": 1.0,
                       "quality_tolerance_unit": "percent"}
"""The trial's run: `optimize m.py:grulm` (inference, batch 8, the default 1% tolerance on the loss)."""


def _v(name: str, speedup: tuple[float, float, float], memory_bytes: float, loss: float) -> VariantResult:
    worse = (loss - BASE_LOSS) / BASE_LOSS * 100
    return VariantResult(name=name, techniques=[] if name == "baseline" else name.split("+"), family="",
                         status="measured", speedup=speedup[0], speedup_low=speedup[1], speedup_high=speedup[2],
                         step_time_p50_s=1e-3 / speedup[0], memory_bytes=memory_bytes,
                         quality=Quality(metric="loss", value=loss, worse_by=worse, within_tolerance=worse <= 1.0))


def _grulm(*extra: VariantResult) -> OptimizeResult:
    """The trial's measured variants that matter here (from its --json; the others were slower than the baseline)."""
    variants = [_v("baseline", (1.0, 1.0, 1.0), 529792.0, BASE_LOSS),
                _v("onnx-fp32", (3.1851404207715635, 2.7334707496291437, 4.079912305596326), 491401.0, BASE_LOSS),
                _v("onnx-int8", (5.11900112876012, 3.4313830374576453, 5.911288813108375), 371008.0,
                   5.316356182098389),
                *extra]
    return OptimizeResult(variants=variants, **RUN)


def test_the_trials_dominated_onnx_fp32_is_not_recommended() -> None:
    result = _grulm()
    result.get("onnx-int8").quality.top1_agreement = 0.986  # the trial's figure: the outputs did change
    pareto_flags(result.variants, False)
    rec = recommend(result)
    assert rec.name == "onnx-int8", rec.reason
    assert result.get("onnx-int8").pareto and not result.get("onnx-fp32").pareto  # the recommendation is starred
    assert rec.reason.startswith("fastest inside the tolerance (1 %): 5.12x (rounds 3.43-5.91x), loss 5.316 vs "
                                 "baseline 5.317"), rec.reason
    assert ("; onnx-fp32 (lossless, 3.19x, rounds 2.73-4.08x) is within noise of it, and onnx-int8 measured no "
            "quality loss (0%: loss 5.316 vs baseline 5.317; its top-1 predictions agree with the baseline's on "
            "98.6%), so it counts as lossless") in rec.reason, rec.reason
    assert "off the Pareto front" not in rec.reason


def test_a_lossy_variant_that_loses_still_yields_to_the_lossless_one_with_the_figures() -> None:
    """The documented rule stays for a lossy variant that does lose: within noise, the lossless one is recommended,
    and the reason now gives what the faster one loses."""
    result = _grulm()
    result.get("onnx-int8").quality = Quality(metric="loss", value=5.33, worse_by=(5.33 - BASE_LOSS) / BASE_LOSS * 100,
                                              within_tolerance=True)
    rec = recommend(result)
    assert rec.name == "onnx-fp32", rec.reason
    assert ("chose onnx-fp32, lossless (onnx-int8 loses 0.24%: loss 5.33 vs baseline 5.317), inside the tolerance "
            "(1 %)") in rec.reason, rec.reason
    # onnx-int8 has the faster median and less memory, but a worse loss: neither dominates, both are starred
    assert "off the Pareto front" not in rec.reason


def test_a_lossy_variant_with_no_loss_measured_is_not_called_lossless() -> None:
    """int8-dynamic (declared lossy) measured the baseline's loss and is chosen within noise over a faster chain that
    loses: the reason says 'no quality loss measured', not 'lossless'."""
    result = _grulm(_v("int8-dynamic", (1.50, 1.44, 1.57), 500_000.0, BASE_LOSS),
                    _v("int8-dynamic+compile", (1.52, 1.45, 1.60), 500_000.0, 5.33))
    result.variants = [r for r in result.variants if not r.name.startswith("onnx")]
    rec = recommend(result)
    assert rec.name == "int8-dynamic", rec.reason
    assert ("chose int8-dynamic, no quality loss measured, 1 technique instead of 2 (int8-dynamic+compile loses "
            "0.24%: loss 5.33 vs baseline 5.317)") in rec.reason, rec.reason


def test_a_candidate_ahead_beyond_noise_on_memory_wins_over_the_simpler_one() -> None:
    """Two lossless variants within noise on speed-up: the simpler one used to win, though the other needed 2.5x
    less memory (beyond MEMORY_NOISE_FRACTION): that one is recommended, the reason giving both figures."""
    result = _grulm(_v("channels-last", (1.50, 1.44, 1.57), 1_000_000.0, BASE_LOSS),
                    _v("compile+channels-last", (1.52, 1.45, 1.60), 400_000.0, BASE_LOSS))
    result.variants = [r for r in result.variants if not r.name.startswith("onnx")]
    rec = recommend(result)
    assert rec.name == "compile+channels-last", rec.reason
    assert rec.reason.startswith("fastest inside the tolerance"), rec.reason


def test_the_simpler_one_is_chosen_ahead_of_the_faster_median_on_memory_says_so() -> None:
    """The fastest median needs over twice the memory of a simpler variant within noise of it: the simpler one is
    recommended, and the reason names the measure and the figures."""
    result = _grulm(_v("channels-last", (1.50, 1.44, 1.57), 400_000.0, BASE_LOSS),
                    _v("compile+channels-last", (1.52, 1.45, 1.60), 1_000_000.0, BASE_LOSS))
    result.variants = [r for r in result.variants if not r.name.startswith("onnx")]
    rec = recommend(result)
    assert rec.name == "channels-last", rec.reason
    assert ("chose channels-last, ahead of it beyond noise on memory, 1 technique instead of 2 (memory 391 KiB vs "
            "977 KiB, over 30% apart)") in rec.reason, rec.reason


def test_ahead_within_noise_the_simpler_one_stays_and_the_reason_says_why_it_is_off_the_front() -> None:
    """Memory 10% apart is within noise: the simpler one is still recommended, but the table leaves it unstarred (the
    chain's figures are ahead on every measure), and the reason says why that does not count."""
    result = _grulm(_v("channels-last", (1.50, 1.44, 1.57), 1_000_000.0, BASE_LOSS),
                    _v("compile+channels-last", (1.52, 1.45, 1.60), 900_000.0, BASE_LOSS))
    result.variants = [r for r in result.variants if not r.name.startswith("onnx")]
    pareto_flags(result.variants, False)
    rec = recommend(result)
    assert rec.name == "channels-last", rec.reason
    assert not result.get("channels-last").pareto
    assert ("; off the Pareto front (no *): compile+channels-last's figures (1.52x) are ahead of it on every measure, "
            "by less than each measure's noise (speed-up rounds overlapping, memory and energy within 30%, quality no "
            "worse)") in rec.reason, rec.reason


def test_off_the_front_for_a_variant_that_is_not_a_candidate() -> None:
    """A variant ahead on every figure that is not a candidate (its rounds disagree: 1.1x-2.9x) is named as such."""
    result = _grulm(_v("compile", (2.0, 1.1, 2.9), 300_000.0, BASE_LOSS))
    result.variants = [r for r in result.variants if r.name != "onnx-int8"]
    result.get("onnx-fp32").speedup, result.get("onnx-fp32").speedup_low = 1.8, 1.7
    result.get("onnx-fp32").speedup_high = 1.9
    rec = recommend(result)
    assert rec.name == "onnx-fp32", rec.reason
    assert ("off the Pareto front (no *): compile's figures (2.00x) are ahead of it on every measure, but it is not "
            "a candidate") in rec.reason, rec.reason


def test_console_json_and_html_carry_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    result = _grulm()
    pareto_flags(result.variants, False)
    result.recommendation = recommend(result)
    said = "onnx-int8 measured no quality loss (0%: loss 5.316 vs baseline 5.317), so it counts as lossless"
    render(result)
    out = " ".join(capsys.readouterr().out.split())
    assert said in out and "* onnx-int8" in out and "* onnx-fp32" not in out
    assert said in dumps(result)
    page = html.render_html("optimize", result, title="t", argv=["optimize"])
    assert html.esc(said) in page
