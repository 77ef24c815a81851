"""`probe --collectives --sizes 1kib,4mib` was refused with the syntax alone ("cannot read '1kib' as a number of
bytes"), leaving the user to find that units are case-sensitive (KiB = 1024 B, kB = 1000 B), and '1e3' the same with no
word that an exponent needs a unit (ut4dist, 2026-12-06). The refusal stays (a guessed unit would time other sizes than
asked); its fix names the spelling meant where one is clear."""

from __future__ import annotations

import pytest

from accelopt.distributed.collectives import parse_sizes
from accelopt.errors import InputError


def _fix(text: str) -> str:
    with pytest.raises(InputError) as e:
        parse_sizes(text)
    return e.value.fix


@pytest.mark.parametrize(("bad", "meant"), [("1kib", "1KiB"), ("4 MIB", "4MiB"), ("2 gib", "2GiB"), ("1e3", "1000"),
                                            ("1.5e3", "1500")])
def test_the_fix_names_the_spelling_meant(bad: str, meant: str) -> None:
    fix = _fix(f"{bad},64MiB")
    assert fix.startswith(f"did you mean {meant}? ") and "write a comma list of byte sizes" in fix, fix
    assert len(parse_sizes(f"{meant},64MiB")) == 2  # and that spelling is read


@pytest.mark.parametrize("text", ["1b,2B", "abc,1KiB", "1K,4MiB", "1.5e0,4MiB"])
def test_no_guess_where_none_is_clear(text: str) -> None:
    assert not _fix(text).startswith("did you mean")  # 1b: bits; 1K: kB or KiB; 1.5 B: not whole bytes
