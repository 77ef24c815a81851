"""A loss equal to the baseline's is worse by 0, not -0 (utopt3, 2026-12-05).

`optimize m.py:grulm --html page.html` (a loss metric): the page's 'worse by (%)' column read '-0' for compile,
compile-max-autotune, input-pipeline and onnx-fp32, whose held-out loss equalled the baseline's, and the JSON said
"worse_by": -0.0: -1 * (base - value) is -0.0 for a lower-is-better metric."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

pytest.importorskip("torch")

from accelopt.optimize.results import Quality, VariantResult
from accelopt.optimize.runner import worse_by
from accelopt.report.html import q


@pytest.mark.parametrize("metric, higher", [("loss", False), ("accuracy", True), ("bleu", True), ("mse", False)])
def test_an_unchanged_quality_is_worse_by_plus_zero(metric: str, higher: bool) -> None:
    bundle = SimpleNamespace(metric=metric, higher_is_better=higher)
    w = worse_by(bundle, 5.317254424095154, 5.317254424095154)  # type: ignore[arg-type]
    assert w == 0.0 and math.copysign(1.0, w) == 1.0, w
    assert json.dumps(w) == "0.0"


def test_the_page_cell_of_an_unchanged_loss_reads_0() -> None:
    bundle = SimpleNamespace(metric="loss", higher_is_better=False)
    qual = Quality(metric="loss", value=5.317, worse_by=worse_by(bundle, 5.317, 5.317),  # type: ignore[arg-type]
                   within_tolerance=True)
    v = VariantResult(name="compile", techniques=["compile"], family="compilation", status="measured", quality=qual)
    assert q(v.quality, "worse_by") == "0"


def test_a_worse_loss_stays_positive_and_a_better_one_negative() -> None:
    bundle = SimpleNamespace(metric="loss", higher_is_better=False)
    assert worse_by(bundle, 5.5, 5.0) == pytest.approx(10.0)  # type: ignore[arg-type]
    assert worse_by(bundle, 4.5, 5.0) == pytest.approx(-10.0)  # type: ignore[arg-type]
