"""Display units picked from the data (accelopt.units.axis_scale, fmt_quantity): plot axes and table cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt import units


@pytest.mark.parametrize(("values", "unit", "want"), [
    ([4.2e4, 9.1e4], "J", (1e3, "kJ")),  # the bug this replaces: kJ values on an axis labelled MWh
    ([2.6e10, 3.4e10], "J", (3.6e9, "MWh")),
    ([6.8e-4, 9.4e-4], "J", (1e-6, "µJ")),
    ([5.4e-4, 2e-3], "s", (1e-3, "ms")),
    ([1.0e6], "s", (86400.0, "days")),
    ([7.7e6, 6.7e13], "FLOP/s", (1e12, "TFLOP/s")),
    ([2**30 * 74.5], "B", (2**30, "GiB")),
    ([0.41], "fraction", (100.0, "%")),
])
def test_axis_scale(values: list[float], unit: str, want: tuple[float, str]) -> None:
    assert units.axis_scale(values, unit) == want


def test_fmt_quantity_uses_the_declared_unit() -> None:
    assert units.fmt_quantity(446016.5, "tok/s") == "446 ktok/s"  # a throughput, never hours
    assert units.fmt_quantity(3.8e8, "B/s") == "380 MB/s"
    assert units.fmt_quantity(6.84e-4, "J") == "684 µJ"
    assert units.fmt_quantity(None, "s") == "n/a" and units.fmt_quantity(float("nan"), "J") == "n/a"
    with pytest.raises(ValueError, match="unknown unit"):
        units.unit("hours")


@pytest.mark.parametrize(("fraction", "want"), [
    (0.0, "0%"),
    (0.45312, "45.3%"),
    (0.001, "0.1%"),
    (0.00012, "0.012%"),  # an MFU of 0.012% printed as 0.0% before: a tiny fraction is not zero
    (0.0000999, "0.010%"),  # rounds up to the next decade: still two significant digits
    (0.0000045, "0.00045%"),
    (-0.00012, "-0.012%"),
    (1.2e-13, "1.2e-11%"),
    (None, "n/a"),
])
def test_fmt_pct_keeps_small_fractions_visible(fraction: float | None, want: str) -> None:
    assert units.fmt_pct(fraction) == want
    if fraction is not None:
        assert units.fmt_quantity(fraction, "fraction") == want  # tables and HTML cells read the same


@pytest.mark.parametrize(("usd", "want"), [
    (0.0, "$0"),
    (1.2e-5, "$0.000012"),  # read "$1.2e-05"
    (0.0042, "$0.0042"),
    (0.0123, "$0.0123"),
    (1234.5, "$1.23k"),
    (2.5e6, "$2.5M"),
    (-0.5, "-$0.5"),  # read "$-0.5"
    (-1234.5, "-$1.23k"),
])
def test_fmt_usd_small_and_negative(usd: float, want: str) -> None:
    assert units.fmt_usd(usd) == want


@pytest.mark.parametrize(("value", "want"), [
    (19002.4, "19,002"), (12.0, "12"), (2.5, "2.5"), (123.456, "123.5"), (0.01234, "0.01234"),
    (1.2e-5, "1.2e-05"),  # cli/plan.py's fmt_num printed 1.20e-05 here: three digits where every other table has four
    (1e18, "1e+18"),  # fmt_num printed 1,000,000,000,000,000,000
    (2.048615488472e30, "2.049e+30"),  # fmt_num printed 31 digits, the last 15 of them float noise
    (None, "n/a"), (float("nan"), "n/a"),
])
def test_fmt_count_is_the_one_count_format(value: float | None, want: str) -> None:
    assert units.fmt_count(value) == want
    if value is not None and value == value:
        assert units.fmt_quantity(value, "count") == want  # JSON, HTML and console print a count alike


def test_plan_prints_counts_with_the_units_formatter() -> None:
    """cli/plan.py had its own fmt_num, which disagreed with units' count format below 1e-4 and from 1e18 up; plan
    infer and plan serve now import units.fmt_count themselves, and no second name for it is left to drift."""
    from accelopt.cli import plan, plan_infer, plan_serve

    assert not hasattr(plan, "fmt_num")
    assert all("fmt_num" not in Path(m.__file__).read_text() for m in (plan_infer, plan_serve))


@pytest.mark.parametrize(("value", "unit", "want"), [
    (19002.4, "samples/s", "19,002 samples/s"),  # a rate of a count: the count's text, then the rate
    (87.5, "inferences/s", "87.5 inferences/s"),
    (0.0123, "inferences/J", "0.0123 inferences/J"),
    (332.0, "mW", "332 mW"), (16.5, "ms", "16.5 ms"), (5.0, "MB", "5 MB"),
])
def test_rates_and_published_units_print_with_their_unit(value: float, unit: str, want: str) -> None:
    assert units.fmt_quantity(value, unit) == want
    assert units.axis_scale([value], unit) == (1.0, unit)  # never 'ksamples/s' on an axis


@pytest.mark.parametrize(("fmt", "value", "want"), [
    # plan explain --model llama3-405b --devices 16384 --tp 8 --pp 16 --tokens 1e18 printed these three
    (units.fmt_usd, 1.5873774e13, "$15.9T"),  # was $15873774M
    (units.fmt_usd, 2.5e9, "$2.5B"),
    (units.fmt_usd, -2.5e9, "-$2.5B"),
    (units.fmt_joules, 5582059 * 3.6e12, "5,582,059 GWh"),  # was 5582059 GWh
    (units.fmt_seconds, 44387 * 365.25 * 86400, "44,387 years"),  # was 44387 years
    (units.fmt_seconds, 0.99996, "1000 ms"),  # below 10,000: no separator (as before)
])
def test_huge_values_past_the_largest_prefix_are_readable(fmt: object, value: float, want: str) -> None:
    assert fmt(value) == want  # type: ignore[operator]


@pytest.mark.parametrize(("value", "unit", "want"), [
    (1.414e12, "FLOP/J", "1.41 TFLOP/J"),  # catalog compare's page read 1.414e+12 FLOP/J
    (2.9e15, "FLOP/USD", "2.9 PFLOP/USD"),
    (6375009551164.0, "device-h", "6,375,009,551,164 device-h"),  # as `plan explain` prints it (was 6.375e+12)
    (2048615488472.0, "kg CO2e", "2,048,615,488,472 kg CO2e"),
    (295.2, "FLOP/B", "295.2 FLOP/B"), (12.0, "B/param", "12 B/param"), (0.5, "MAC/B", "0.5 MAC/B"),
])
def test_other_units_print_without_scientific_notation(value: float, unit: str, want: str) -> None:
    assert units.fmt_quantity(value, unit) == want


@pytest.mark.parametrize("fmt", [units.fmt_usd, units.fmt_seconds, units.fmt_bytes, units.fmt_pct, units.fmt_joules,
                                 units.fmt_count, units.fmt_flops, units.fmt_flop_per_s, units.fmt_watts])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_number_that_is_not_finite_prints_n_a_everywhere(fmt: object, value: float) -> None:
    """'$infT', 'inf years', 'inf EB', 'inf%', 'inf GWh' in the console where the page and fmt_quantity print n/a."""
    assert fmt(value) == "n/a" == units.fmt_quantity(value, "s")  # type: ignore[operator]


@pytest.mark.parametrize(("ratio", "shown"), [(float("nan"), "n/a"), (None, "n/a"), (0.0028, "0.0028"),
                                              (-0.0028, "-0.0028"), (0.00995, "0.00995"), (0.0104, "0.0104"),
                                              (0.523, "0.523"), (0.5, "0.50"), (1.37, "1.37"),
                                              (0.0, "0.00"), (1.2e-11, "1.2e-11"), (float("inf"), "inf")])
def test_fmt_ratio_prints_nan_as_not_applicable(ratio: float | None, shown: str) -> None:
    """fmt_ratio printed a NaN ratio (0/0) as 'nan', where every other formatter prints 'n/a'; its small ratios are
    up to three significant digits (units._three_digits_fixed)."""
    from accelopt.units import fmt_ratio

    assert fmt_ratio(ratio) == shown


@pytest.mark.parametrize(("fmt", "value", "want"), [
    # plan serve --rate 1e-300 printed $/M out tok as $2,701,822,...(396 digits)T and J/out tok likewise
    (units.fmt_usd, 2.7e290, "$2.7e+278T"),
    (units.fmt_joules, 2.77e300, "7.69e+287 GWh"),  # GWh = 3.6e12 J
    (units.fmt_seconds, 1e300, "3.17e+292 years"),
    (units.fmt_flop_per_s, 1e40, "1e+22 EFLOP/s"),
    (units.fmt_count, 1e15, "1e+15"), (units.fmt_count, 999_999_999_999_999.0, "999,999,999,999,999"),
    (units.fmt_pct, 1e300, "1e+302%"),
    (units.fmt_ratio, 1e300, "1e+300"), (units.fmt_ratio, -1e300, "-1e+300"),
])
def test_a_number_past_the_fixed_point_width_prints_in_scientific_notation(fmt: object, value: float,
                                                                           want: str) -> None:
    assert fmt(value) == want  # type: ignore[operator]


def test_plan_serve_at_a_vanishing_rate_keeps_every_cell_compact(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --rate 1e-300`: the idle device's cost and energy per output token are astronomically large (a
    device held for 1e300 s per request), and were printed as 300-digit numbers filling the terminal."""
    from conftest import run_main_expect

    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm",
                             "--rate", "1e-300")
    cells = [c.strip() for row in out.splitlines() if row.startswith("│") for c in row.split("│")]
    assert max(len(c) for c in cells) <= 24, max(cells, key=len)
    assert any("e+" in c and c.startswith("$") for c in cells)  # the $/M out tok cell, in scientific notation


@pytest.mark.parametrize(("fmt", "value", "want"), [
    (units.fmt_flop_per_s, 999.7e9, "1 TFLOP/s"),  # printed '1000 GFLOP/s': the rounding reached the next prefix
    (units.fmt_watts, 999.7, "1 kW"),
    (units.fmt_bytes, 999.96e6, "1 GB"),
    (units.fmt_flop_per_s, 998e9, "998 GFLOP/s"),
    (units.fmt_byte_per_s, 0.5, "0.5 B/s"),
    (units.fmt_si_count, 1e15, "1P"),  # simulate's cycles column printed '1e+03T'
    (units.fmt_si_count, 999_700, "1M"),
])
def test_a_value_rounding_up_to_the_next_prefix_reads_in_it(fmt: object, value: float, want: str) -> None:
    assert fmt(value) == want  # type: ignore[operator]


@pytest.mark.parametrize(("seconds", "want"), [(0.0, "0 s"), (-0.0, "0 s"), (5e-9, "5 ns"), (2.5e-3, "2.5 ms")])
def test_zero_duration_reads_0_s_everywhere(seconds: float, want: str) -> None:
    """utmisc: fmt_seconds(0) printed '0 ns' (zero fell in the below-a-microsecond branch) where simulate's sweep and
    the design notes printed '0 s' for the same zero; fmt_joules and fmt_bytes print '0 J' and '0 B'."""
    assert units.fmt_seconds(seconds) == want
    assert units.fmt_quantity(seconds, "s") == want
