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


def test_probe_spread_same_in_text_and_html() -> None:
    """probe's text printed the spread with '.1f' (a steady 0.040% read 0.0%) where its HTML printed 0.040%."""
    from accelopt.cli.probe import _table
    from accelopt.hardware.detect import find_device
    from accelopt.measure.probe import Figure, ProbeResult
    from accelopt.report.html import render_html

    fig = Figure(metric="matmul.fp32", unit="FLOP/s", median=1e11, p10=0.99998e11, p90=1.00002e11,
                 spread=0.0004, n=10, detail="test")
    r = ProbeResult(device=find_device("cpu"), host="h", date="2026-01-01", torch_version="x", quick=True, threads=1,
                    figures=[fig])
    row = [c._cells[0] for c in _table(r).columns]
    assert row[4] == "0.040%"  # two significant digits (fmt_pct)
    assert "0.040%" in render_html("probe", r, title="probe", argv=["probe"])


@pytest.mark.parametrize("utilization", [0.2475, 0.004])
def test_energy_estimate_note_recomputes(utilization: float) -> None:
    """profile's energy note printed 'idle + (TDP 360 W - idle) x utilization 0.25 = 116.2 W': 36 + 324 x 0.25 is
    117.0 W; the utilization was 0.2475, rounded by '.2f' (which also printed 0.004 as 0.00)."""
    from accelopt.hardware.catalog import load_catalog
    from accelopt.measure.energy import EstimateMeter

    spec = load_catalog().get("epyc-9654")  # TDP 360 W, no idle_w: idle 36 W (10% of TDP)
    _, note = EstimateMeter(spec, utilization).power_w(utilization)
    m = re.search(r"TDP ([0-9.]+) W - idle\) x utilization ([0-9.e-]+) = ([0-9.]+) W.*?idle ([0-9.]+) W", note)
    assert m is not None, note
    tdp, u, printed_w, idle = (float(m.group(i)) for i in (1, 2, 3, 4))
    assert u > 0
    assert idle + (tdp - idle) * u == pytest.approx(printed_w, abs=0.05)


@pytest.mark.parametrize(("fraction", "text"), [(0.9996, "99.96%"), (0.99996, "99.996%"), (0.9995, "99.95%"),
                                                 (0.99949, "99.9%"), (1.0, "100.0%"), (0.453, "45.3%")])
def test_pct_just_under_one_is_not_100(fraction: float, text: str) -> None:
    """optimize printed a top-1 agreement of 0.9996 (4 of 10,000 answers changed by quantization) as 'top-1 100.0%'
    in text and HTML: one decimal rounded a difference to none."""
    from accelopt.units import fmt_pct

    assert fmt_pct(fraction) == text


def test_optimize_agreement_text_as_html() -> None:
    from types import SimpleNamespace

    from accelopt.report.optimize_view import agreement_cell as _agreement

    r = SimpleNamespace(quality=SimpleNamespace(max_abs_diff=0.012, top1_agreement=0.9996))
    assert _agreement(r).endswith("top-1 99.96%")


@pytest.mark.parametrize(("worse_by", "shown"), [(0.004, "(-0.004pt)"), (-4.17, "(+4.17pt)"), (0.0, "(+0.00pt)")])
def test_optimize_quality_change_never_rounds_to_zero(worse_by: float, shown: str) -> None:
    """A variant 0.004 accuracy points worse printed "(-0.00pt)", a change of nothing; no change printed "-0.00pt"."""
    from types import SimpleNamespace

    from accelopt.report.optimize_view import quality_text

    q = SimpleNamespace(value=0.9, finite=True, worse_by=worse_by, within_tolerance=True)
    r = SimpleNamespace(quality=q, name="int8")
    result = SimpleNamespace(metric="accuracy", quality_tolerance_unit="points", higher_is_better=True)
    assert quality_text(r, result).endswith(shown)


@pytest.mark.parametrize(("energy_j", "page"), [(3.2e7, "8.89 kWh"), (0.9997, "1 J"), (9.996e-7, "1 µJ")])
def test_console_energy_reads_as_the_page(energy_j: float, page: str) -> None:
    """simulate's table had its own energy formatter: '32 MJ' where the --html page (units.fmt_quantity, unit 'J')
    said '8.89 kWh', and '1e+03 mJ' (the '.3g' of 999.7) where the page said '1000 mJ'
    (since rvC, s33: '1 J' on both)."""
    from accelopt.cli.simulate import _energy
    from accelopt.units import fmt_quantity

    assert _energy(energy_j) == fmt_quantity(energy_j, "J") == page


@pytest.mark.parametrize(("cycles", "shown"), [(999_700, "1M"), (999.6, "1k"), (1_380_000, "1.38M"), (12, "12"),
                                               (950_000, "950k")])
def test_simulate_cycle_counts_never_read_in_scientific_notation(cycles: float, shown: str) -> None:
    """simulate's table printed 999,700 cycles as '1e+03k' (the '.3g' of 999.7 before its prefix)."""
    from accelopt.cli.simulate import _count

    assert _count(cycles) == shown


@pytest.mark.parametrize(("ratio", "shown"), [(1234.5, "1234.50x"), (1.5, "1.50x"), (0.0012, "0.0012x"),
                                              (None, "n/a")])
def test_history_compare_ratio_reads_as_every_ratio(ratio: float | None, shown: str) -> None:
    """history compare printed its B / A ratio with '.3g' ('1.23e+03x'), not units.fmt_ratio as every other ratio."""
    from accelopt.cli.report import ratio_cell

    assert ratio_cell(ratio) == shown


def test_simulate_presets_print_peak_and_dram_as_run_does(capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate presets` said 'peak 91.75 TOPS' and 'DRAM 34 GB/s' by its own arithmetic, where `simulate run` on
    the same design said 'roofline: peak 91.8 TOP/s' (units.fmt_quantity)."""
    from conftest import run_main_expect

    from accelopt.simulate.design import load_preset
    from accelopt.units import fmt_byte_per_s, fmt_quantity

    out, _ = run_main_expect(capsys, "simulate", "presets")
    d = load_preset("tpu-v1")
    assert f"peak {fmt_quantity(d.peak_op_per_s, 'OP/s')}, " in out and "peak 91.8 TOP/s" in out
    assert f"DRAM {fmt_byte_per_s(d.dram_bandwidth_byte_per_s)}, " in out and " TOPS," not in out
