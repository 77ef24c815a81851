"""The recommendation's reason prints quality figures as the results table does."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from accelopt.optimize.results import OptimizeResult, Quality, VariantResult
from accelopt.optimize.runner import recommend
from accelopt.report.optimize_view import quality_text


def _result(metric: str, base_q: float, q: float, unit: str) -> OptimizeResult:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0,
                         step_time_p50_s=1.0e-3, quality=Quality(metric=metric, value=base_q, worse_by=0.0,
                                                                 within_tolerance=True))
    v = VariantResult(name="prune-structured", techniques=["prune-structured"], family="pruning", status="measured",
                      speedup=1.5, speedup_low=1.4, speedup_high=1.6, step_time_p50_s=0.7e-3,
                      quality=Quality(metric=metric, value=q, worse_by=0.3, within_tolerance=True))
    return OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric=metric,
                          higher_is_better=metric == "accuracy", quality_tolerance=100.0,
                          quality_tolerance_unit=unit, variants=[base, v])


def test_the_reason_prints_accuracy_in_percent_as_the_table() -> None:
    """The reason read 'accuracy 0.375 vs baseline 0.5781' (and 'accuracy 1 vs baseline 1') under a table showing
    37.50% and 57.81%."""
    result = _result("accuracy", 0.578125, 0.375, "points")
    rec = recommend(result)
    assert rec.name == "prune-structured"
    table = [quality_text(r, result).split(" ")[0] for r in result.variants]
    assert table == ["57.81%", "37.50%"]
    assert "accuracy 37.50% vs baseline 57.81%" in rec.reason, rec.reason


def test_the_reason_prints_a_loss_as_the_table() -> None:
    result = _result("loss", 0.77466, 0.58139, "percent")
    rec = recommend(result)
    assert "loss 0.5814 vs baseline 0.7747" in rec.reason, rec.reason
