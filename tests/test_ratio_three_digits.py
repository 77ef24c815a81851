"""A compare ratio of 0.0104 printed as '0.01x' (two decimals from 0.01 up): every ratio goes through units.fmt_ratio,
which now keeps up to three significant digits below 1 (0.0104x, 0.523x), two decimals from 1 up (1.37x)."""
from __future__ import annotations

import pytest

from accelopt.cli.report import ratio_cell
from accelopt.report.optimize_view import ratio_text


@pytest.mark.parametrize(("ratio", "shown"), [(0.0104, "0.0104x"), (0.523, "0.523x"), (0.5, "0.50x"),
                                              (1.374, "1.37x"), (0.0028, "0.0028x")])
def test_a_ratio_below_one_keeps_three_significant_digits(ratio: float, shown: str) -> None:
    assert ratio_cell(ratio) == shown == ratio_text(ratio)
