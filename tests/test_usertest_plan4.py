"""Findings of a new user's review of the prediction commands (ut_plan4, 2026-12-02), each typed at the command line.
"""

from __future__ import annotations

import pytest

from accelopt.cli.main import main

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8"]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("text", "shown"), [("65537", "8.0001"), ("4194305tok", "512.0001"), ("4M", "488.3")])
def test_a_token_batch_that_is_no_whole_number_of_sequences_shows_its_fraction(
        capsys: pytest.CaptureFixture[str], text: str, shown: str) -> None:
    """`--global-batch 65537` at --seq-len 8192 said 'is not a whole number of 8192-token sequences (8 sequences)':
    65537 / 8192 = 8.000122 printed to 4 digits, a whole number beside the claim that it is not one. It now
    prints the digits that show the fraction, and that a bare number above 65536 was read as tokens."""
    err = _error(capsys, [*EXPLAIN, "--global-batch", text])
    assert f"({shown} sequences" in err, err
    assert ("a bare number above 65536 is read as tokens" in err) == (not text.endswith("tok")), err
