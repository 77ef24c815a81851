"""A number option given a value the parser could not read said only "Invalid value for '--top': Input should be a
valid integer, unable to parse string as an integer" and pointed at --help. The error now names the value as typed
and how to write it: '1,000' (a thousands separator), '2.5' or '1e3' for a count, a word."""

from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize(("argv", "problem", "fix"), [
    (["plan", "--model", "llama3-8b", "--top", "1,000"], "--top '1,000' is not a whole number: ',' is not read as "
     "a thousands separator", "write --top 1000 (or --top 1_000)"),
    (["plan", "--model", "llama3-8b", "--top=1,000"], "--top '1,000' is not a whole number", "write --top 1000"),
    # '1e3' IS a whole number, in a form a count does not read: the message said 'not a whole number'
    (["plan", "--model", "llama3-8b", "--top", "1e3"], "--top '1e3' is 1000 written in a form this count does not "
     "read (an exponent)", "write the digits, e.g. --top 1000"),
    (["plan", "--model", "llama3-8b", "--top", "2.5"], "--top '2.5' is not a whole number (--top takes a count)",
     "e.g. --top 2"),
    (["plan", "--model", "llama3-8b", "--top", "nan"], "--top 'nan' is not a whole number", "e.g. --top 8"),
    (["plan", "--model", "llama3-8b", "--budget-usd", "1,000.50"], "--budget-usd '1,000.50' is not a number",
     "write --budget-usd 1000.50 (or --budget-usd 1_000.50)"),
    (["plan", "--model", "llama3-8b", "--budget-usd", "lots"], "--budget-usd 'lots' is not a number",
     "give --budget-usd a number"),
    (["profile", "mlp", "--batch-size", "1,024"], "--batch-size '1,024' is not a whole number",
     "write --batch-size 1024 (or --batch-size 1_024)"),
])
def test_an_unreadable_number_is_named_with_how_to_write_it(argv: list[str], problem: str, fix: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and out == ""
    assert f"error: {problem}" in err and fix in err.split("fix:", 1)[1]
    assert "Traceback" not in err


def test_other_usage_errors_keep_their_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--nope", "3"], capsys)
    assert code == 2 and "No such option: --nope" in err and "--help" in err
