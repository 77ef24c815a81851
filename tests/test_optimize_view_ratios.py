"""optimize's table printed a bf16 variant 360 times slower on CPU (22.2 ms against 62 µs: 0.0028x) as
"0.00x (0.00-0.00)", which reads as a speed-up of zero. Every ratio of the view follows one rule: two decimals
from 0.01 up, two significant digits below."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from accelopt.optimize.results import OptimizeResult, VariantResult
from accelopt.report.optimize_view import ratio_digits, render


@pytest.mark.parametrize(("ratio", "shown"), [(1.0, "1.00"), (1.374, "1.37"), (0.01, "0.01"), (0.0028, "0.0028"),
                                              (0.00051, "0.00051"), (0.0, "0.00"), (123.456, "123.46")])
def test_a_ratio_keeps_two_significant_digits_below_a_hundredth(ratio: float, shown: str) -> None:
    assert ratio_digits(ratio) == shown


def test_a_variant_hundreds_of_times_slower_is_not_printed_as_zero() -> None:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0)
    slow = VariantResult(name="bf16", techniques=["bf16"], family="precision", status="measured",
                         speedup=62e-6 / 22.2e-3, speedup_low=0.0026, speedup_high=0.0031, gain_bound=0.0042,
                         above_bound=False)
    result = OptimizeResult(name="dictmodel", mode="inference", device="cpu", dtype="fp32", batch_size=8,
                            metric="loss", higher_is_better=False, quality_tolerance=1.0,
                            quality_tolerance_unit="percent", variants=[base, slow])
    buf = io.StringIO()
    render(result, Console(file=buf, width=250))
    row = next(line for line in buf.getvalue().splitlines() if "bf16" in line)
    assert "0.0028x (0.0026-0.0031)" in row and "0.0042x" in row, row
    assert "0.00x" not in row and "0.00-" not in row, row
