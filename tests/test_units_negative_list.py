"""A negative value in a list or range flag (`plan infer --batch 1,-2`, `simulate sweep --sram-kib -1`) was
answered "cannot read ... write a list such as 8,16,64", as if the syntax were wrong; `--batch 0` got the real
problem, "every value must be >= 1". A negative number now gets that answer too."""

from __future__ import annotations

import pytest

from accelopt.errors import InputError
from accelopt.units import parse_int_range


@pytest.mark.parametrize("text", ["1,-2", "-1", " - 4 ", "-4..8", "8,-1k"])
def test_a_negative_value_is_named_as_below_one(text: str) -> None:
    with pytest.raises(InputError) as e:
        parse_int_range(text, "--batch")
    assert "must be >= 1" in e.value.problem or "need 1 <= low" in e.value.problem, e.value.problem


@pytest.mark.parametrize("text", ["1,x", "8..y", "a-b"])
def test_a_malformed_list_still_says_it_cannot_be_read(text: str) -> None:
    with pytest.raises(InputError, match="cannot read"):
        parse_int_range(text, "--batch")


def test_a_count_past_any_machine_is_shown_as_typed_not_as_its_digits() -> None:
    """uttrial: `--devices 1e99` said '999,999,999,999,999,967,336,168,...' (the float's 100 digits)."""
    with pytest.raises(InputError) as e:
        parse_int_range("1e99", "--devices")
    assert "1e+99 is more than 2,147,483,647" in e.value.problem and "999,999" not in e.value.problem
    with pytest.raises(InputError) as e:
        parse_int_range("4096,3000000000", "--devices")
    assert "3,000,000,000 is more than 2,147,483,647" in e.value.problem
