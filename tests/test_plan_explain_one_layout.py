"""`plan explain` takes one device count and one device (uplan3, 2026-12-01). The list syntax of `plan` was read as one
value: `--devices 64,128` as a number with a thousands separator ('write --devices 64128'), `--hardware
h100-sxm,mi300x` as an unknown device, `--hardware all` as a misspelt 'coral'."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

EXPLAIN = ("plan", "explain", "--model", "llama3-8b")


@pytest.mark.parametrize(("args", "problem", "not_in"), [
    (("--devices", "64,128", "--hardware", "h100-sxm"), "--devices '64,128' names more than one device count", "64128"),
    (("--devices", "64..512", "--hardware", "h100-sxm"), "--devices '64..512' names more than one device count",
     "thousands"),
    (("--devices", "64", "--hardware", "h100-sxm,mi300x"), "--hardware 'h100-sxm,mi300x' names more than one device",
     "did you mean"),
    (("--devices", "64", "--hardware", "all"), "--hardware 'all' names more than one device", "coral"),
    (("--devices", "sixty", "--hardware", "h100-sxm"), "--devices 'sixty' is not a whole number", "plan`"),
])
def test_a_list_is_sent_to_plan(args: tuple[str, ...], problem: str, not_in: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*EXPLAIN, *args], capsys)
    assert code == 2, err
    assert problem in err and not_in not in err and "Traceback" not in err
    if "more than one" in problem:
        assert "`accelopt plan` searches and ranks layouts" in err


def test_a_count_written_as_a_float_names_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*EXPLAIN, "--devices", "2.5", "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "--devices '2.5' is not a whole number" in err and "e.g. --devices 2" in err


def test_a_whole_count_with_an_exponent_is_read_as_plan_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --devices 1e3` searched 1000 devices; `plan explain --devices 1e3` said '1e3' is not a whole number."""
    code, out, err = run_main([*EXPLAIN, "--devices", "1e3", "--hardware", "h100-sxm", "--json"], capsys)
    same, out_digits, _ = run_main([*EXPLAIN, "--devices", "1000", "--hardware", "h100-sxm", "--json"], capsys)
    assert code == same and out == out_digits and "not a whole number" not in err


def test_one_count_still_explains(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, "--devices", "1_024", "--hardware", "h100-sxm", "--tp", "8", "--json"],
                              capsys)
    assert code == 0, err
    assert json.loads(out)["prediction"]["devices"] == 1024
