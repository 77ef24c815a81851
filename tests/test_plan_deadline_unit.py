"""`plan --deadline 30` (no unit) was read as 30 seconds without a word: every layout of a training run missed it,
and the table was titled 'closest to --deadline 30'. A bare number now exits 2 asking for the unit; with one it
reads as before (README: `--deadline 30d`)."""

from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.units import parse_duration_s

ARGV = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64", "--tokens", "1e12", "--top", "2"]


def test_a_bare_deadline_asks_for_its_unit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGV, "--deadline", "30"], capsys)
    assert code == 2, out
    assert "--deadline '30' has no unit" in err and "30d for days" in err
    assert "closest to --deadline" not in out


def test_a_deadline_with_its_unit_still_plans(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGV, "--deadline", "30d"], capsys)
    assert code == 0, err
    assert "best 2 by time" in out


@pytest.mark.parametrize(("text", "seconds"), [("30d", 30 * 86400), ("36h", 36 * 3600), ("90min", 5400),
                                               ("2w", 14 * 86400), ("45 s", 45.0), ("1.5days", 1.5 * 86400)])
def test_durations_with_units(text: str, seconds: float) -> None:
    assert parse_duration_s(text, "--deadline") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["30", "1e6", " 7 "])
def test_bare_numbers_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="has no unit"):
        parse_duration_s(text, "--deadline")


@pytest.mark.parametrize("text", ["-3d", "0d", "1e400", "1e400d", "-30", "0"])
def test_a_duration_not_above_zero_or_not_finite_is_named_as_such(text: str) -> None:
    """'-3d' was "cannot read"; a bare '1e400' was told to write '1e400d', refused in turn (tests/test_cli_walk_bad_
    values.py found it)."""
    with pytest.raises(InputError, match="must be a finite duration > 0") as e:
        parse_duration_s(text, "--deadline")
    assert "1e400d" not in e.value.fix
