"""`--devices 3..9` (and serve/infer's `--batch LOW..HIGH`) doubles from LOW and ends at HIGH: 3, 6, 9. The help
said '(powers of two)', which is true only from 1; it now says what the parser does, with examples checked here."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app
from accelopt.cli.plan import RANGE_SYNTAX
from accelopt.units import parse_int_range


def test_range_examples_are_what_the_parser_gives() -> None:
    assert "3..9 = 3,6,9" in RANGE_SYNTAX
    assert parse_int_range("3..9") == [3, 6, 9]
    assert parse_int_range("512..8192") == [512, 1024, 2048, 4096, 8192]


@pytest.mark.parametrize(("cmd", "flag"), [(["plan"], "--devices"), (["plan", "serve"], "--batch"),
                                           (["plan", "infer"], "--batch")])
def test_help_says_doubling_not_powers_of_two(cmd: list[str], flag: str) -> None:
    out = CliRunner().invoke(app, [*cmd, "--help"], env={"COLUMNS": "400"}).stdout
    line = next(ln for ln in out.splitlines() if ln.lstrip("│ ").startswith(flag))
    assert "doubles from LOW" in line and "3..9 = 3,6,9" in line, line
    assert not re.search(r"\.\.\d+ \(powers of two\)", line), line


@pytest.mark.parametrize("text", ["abc", "3..x", "x..9"])
def test_a_bad_range_s_fix_says_what_the_parser_does(text: str) -> None:
    """`plan --devices abc` said "write 512..8192 (powers of two)": the parser doubles from LOW and ends at HIGH.
    A bad bound of a range ('3..x') gave parse_count's fix for token counts ("such as 15e12, 15T, 7B")."""
    from accelopt.errors import InputError

    with pytest.raises(InputError) as e:
        parse_int_range(text, "--devices")
    assert "powers of two" not in e.value.fix and "3..9 = 3,6,9" in e.value.fix and "15e12" not in e.value.fix
    assert parse_int_range("3..9") == [3, 6, 9]  # what the fix says
