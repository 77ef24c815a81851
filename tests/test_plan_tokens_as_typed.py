"""`plan --tokens 0.5` (or 1.5k, a fraction of a step) was told '--tokens 0 is less than one step': the message
rounded the value typed to a whole number (':,.0f'), so it named a figure the user never gave. It prints the value
as read now (fmt_count: 0.5, 1,500)."""

from __future__ import annotations

import pytest
from conftest import run_main

ARGV = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64"]


@pytest.mark.parametrize(("typed", "printed"), [("0.5", "0.5"), ("1.5k", "1,500"), ("2.5", "2.5")])
def test_tokens_below_one_step_are_named_as_typed(capsys: pytest.CaptureFixture[str], typed: str,
                                                  printed: str) -> None:
    code, out, err = run_main([*ARGV, "--tokens", typed], capsys)
    assert code == 2, out
    assert f"--tokens {printed} is less than one step" in err and "fix:" in err
