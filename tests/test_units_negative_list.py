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
