"""Printed figures read as the numbers they stand for: rounding never makes a value read as another (a spread above
its threshold as equal to it), and text and HTML print one figure of one result the same way."""

from __future__ import annotations

import re

from accelopt.measure.contention import SPREAD_MAX, ContentionReport, check_samples
from accelopt.measure.timing import Stats


def _printed_pct(message: str) -> float:
    m = re.search(r"= ([0-9.]+)% \((?:above the )?threshold", message)
    assert m is not None, message
    return float(m.group(1))


def test_spread_just_above_threshold_reads_above_it() -> None:
    """probe printed 'stream.triad: spread ... = 50% (threshold 50%)' beside a table cell of 50.3%: the warning
    rounded to whole percents, so a spread above the threshold read as equal to it."""
    samples = [1.0 + 0.916 * i / 10 for i in range(11)]  # evenly spread: one cluster, spread 0.5026
    spread = Stats.of(samples).spread
    assert SPREAD_MAX < spread < SPREAD_MAX + 0.005
    report = ContentionReport()
    check_samples(report, "step time", samples)
    assert len(report.warnings) == 1
    assert _printed_pct(report.warnings[0]) > 100 * SPREAD_MAX
    assert "above the threshold" in report.warnings[0]  # says so where one decimal cannot (50.03% -> 50.0%)
