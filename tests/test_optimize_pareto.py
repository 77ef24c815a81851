"""The Pareto front of `optimize` ranks step time by the same A/B speed-up the recommendation uses. It ranked by
each variant's p50, which the machine's load moves between stretches of the run: on a busy machine
prune-structured+onnx-fp32 was recommended at 3.21x (rounds 3.18-3.40x) while the table marked it off the front,
dominated by distill+onnx-fp32 at 3.14x whose p50 happened to be lower (397 us vs 460 us)."""

from __future__ import annotations

from accelopt.optimize.results import OptimizeResult, Quality, VariantResult
from accelopt.optimize.runner import pareto_flags, recommend


def _variant(name: str, speedup: float, p50_s: float, accuracy: float) -> VariantResult:
    return VariantResult(name=name, techniques=[] if name == "baseline" else name.split("+"), family="",
                         status="measured", step_time_p50_s=p50_s, speedup=speedup, speedup_low=speedup * 0.95,
                         speedup_high=speedup * 1.05, memory_bytes=1000.0,
                         quality=Quality(metric="accuracy", value=accuracy, within_tolerance=True))


def _result() -> OptimizeResult:
    # the busy run's figures: the baseline's p50 over the whole run, each variant's over its own rounds
    variants = [_variant("baseline", 1.0, 2.12e-3, 0.0), _variant("distill+onnx-fp32", 3.14, 397e-6, 0.75),
                _variant("prune-structured+onnx-fp32", 3.21, 460e-6, 0.75)]
    return OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="accuracy",
                          higher_is_better=True, quality_tolerance=0.5, quality_tolerance_unit="points",
                          variants=variants)


def test_the_recommended_variant_is_on_the_front_when_its_speedup_is_the_best() -> None:
    result = _result()
    pareto_flags(result.variants, True)
    front = {r.name for r in result.variants if r.pareto}
    assert recommend(result).name == "prune-structured+onnx-fp32"
    assert front == {"prune-structured+onnx-fp32"}  # same accuracy and memory, faster by the A/B rounds


def test_a_variant_without_a_speedup_falls_back_to_its_p50() -> None:
    """A variant measured without rounds (speed-up None) is still placed, by its p50 against the baseline's."""
    base, slow = _variant("baseline", 1.0, 1e-3, 0.5), _variant("bf16", 1.0, 2e-3, 0.5)
    slow.speedup = None
    pareto_flags([base, slow], True)
    assert base.pareto and not slow.pareto


def test_with_no_variant_measured_the_reason_does_not_say_none_was_faster() -> None:
    """Ctrl-C during the first technique (or no technique applying) left the baseline alone, and the reason read
    'no variant was faster in nearly every interleaved round while keeping accuracy within 0.5 points': no variant
    had been timed at all."""
    result = _result()
    result.variants = [result.variants[0],
                       VariantResult(name="distill", techniques=["distill"], family="distillation", status="not-run",
                                     reason="interrupted (Ctrl-C) while it ran")]
    rec = recommend(result)
    assert rec.name == "baseline" and "faster" not in rec.reason and "no variant was measured" in rec.reason

