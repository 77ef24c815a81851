"""`history prune --older-than 1e400` was refused as '--older-than inf is not a finite number of days': click had
read the text as a float (infinity) before the check, so the error named a value the user never typed. The age is
now read as typed: the error names 1e400 and says why it is not finite; inf, nan, a negative age and text are refused
as before, and an age past year 1 (1e30 days) still deletes nothing (tests/test_report_history.py)."""

from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize(("typed", "said"), [
    ("1e400", "--older-than 1e400 is not a finite number of days (past about 1.8e308"),
    ("-1e999", "--older-than -1e999 is not a finite number of days (past about 1.8e308"),
    ("inf", "--older-than inf is not a finite number of days"),
    ("NaN", "--older-than NaN is not a finite number of days"),
    ("ninety", "--older-than 'ninety' is not a number of days"),
])
def test_the_age_is_named_as_typed(typed: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["history", "prune", "--older-than", typed], capsys)
    assert code == 2 and out == "", err
    assert said in err and "Traceback" not in err
    if typed in ("inf", "NaN"):
        assert "1.8e308" not in err


def test_a_finite_age_prunes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["history", "prune", "--older-than", "90"], capsys)
    assert code == 0 and out.startswith("pruned 0 runs"), err
