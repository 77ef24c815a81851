"""A config.json key given twice with the same NaN says one thing (review of 2026-12-02's one-value-per-key rule).

userio's object_pairs_hook compared the two values with !=, and NaN != NaN, so a key written twice as NaN was refused
as "given twice, nan and then nan", which names no difference; the same value twice is read (as for any other value),
and a NaN size is then judged as a value (hf.py: 'not a number')."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.userio import read_user_json


def _read(tmp_path: Path, text: str) -> object:
    p = tmp_path / "config.json"
    p.write_text(text, encoding="utf-8")
    return read_user_json(p, "config file", "give the model's config.json", one_value_per_key=True)


def test_nan_twice_is_one_value(tmp_path: Path) -> None:
    data = _read(tmp_path, '{"initializer_range": NaN, "initializer_range": NaN, "hidden_size": 8}')
    assert isinstance(data, dict) and math.isnan(data["initializer_range"]) and data["hidden_size"] == 8


@pytest.mark.parametrize(("first", "second"), [("NaN", "0.02"), ("0.02", "NaN"), ("128", "256"), ("[1]", "[2]")])
def test_different_values_are_still_refused(tmp_path: Path, first: str, second: str) -> None:
    with pytest.raises(InputError, match="given twice"):
        _read(tmp_path, f'{{"x": {first}, "x": {second}}}')


def test_equal_values_twice_are_read(tmp_path: Path) -> None:
    assert _read(tmp_path, json.dumps({"a": 1}).replace('"a": 1', '"a": [1, 2], "a": [1, 2]')) == {"a": [1, 2]}
