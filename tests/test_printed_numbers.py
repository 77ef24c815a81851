"""Printed figures read as the numbers they stand for: rounding never makes a value read as another (a spread above
its threshold as equal to it), and text and HTML print one figure of one result the same way."""

from __future__ import annotations

import re

import pytest

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


def test_profile_samples_per_s_same_in_text_and_html() -> None:
    """profile mlp printed '1.9e+04 samples/s' in its text (.3g) and '1.393e+04' in the HTML (.4g) of one kind of
    result: two precisions of one field, both in scientific notation for 19,002 samples/s."""
    import dataclasses

    from test_report_html import _profile_result

    from accelopt.measure.timing import Stats
    from accelopt.report.html import render_html
    from accelopt.report.profile_view import step_table

    r = _profile_result(False)
    r = dataclasses.replace(r, batch_size=16, step_time=Stats(median=842e-6, p10=590e-6, p90=15.6e-3, min=590e-6,
                                                              max=15.6e-3, n=20))
    assert pytest.approx(19002.4, abs=0.1) == 16 / 842e-6
    caption = str(step_table(r).caption)
    page = render_html("profile", r, title="profile", argv=["profile", "mlp"])
    assert caption.startswith("19,002 samples/s")
    assert "19,002" in page and "e+04" not in page
