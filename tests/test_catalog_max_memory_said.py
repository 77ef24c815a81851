"""A CPU entry's memory_bytes is the most its socket supports (memory_is_max_supported), not installed memory:
`catalog list` showed 'epyc-9654 memory 6 TB' and `catalog compare h100 epyc-9654` 'memory 6 TB (70.16x)' with no
word of it (`catalog show` alone said so, in its notes). Both now mark it (2026-12-05, utprobe)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device


def test_list_marks_a_maximum_supported_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert get_device("epyc-9654").memory_is_max_supported and not get_device("h100-sxm").memory_is_max_supported
    code, out, err = run_main(["catalog", "list"], capsys)
    assert code == 0, err
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│")}
    assert "6 TB max*" in rows["epyc-9654"] and "max*" not in rows["h100-sxm"]
    assert "max*: the most memory the socket supports, not what a server has installed" in out


def test_compare_says_whose_memory_is_a_maximum(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["catalog", "compare", "h100", "epyc-9654", "--json"], capsys)
    assert code == 0, err
    note = json.loads(out)["note"]
    assert ("memory of epyc-9654 is the most the socket supports, not what a server has installed "
            "(memory_is_max_supported): its ratio compares that maximum") in note
    code, out, _ = run_main(["catalog", "compare", "h100", "mi300x", "--json"], capsys)
    assert "most the socket supports" not in json.loads(out)["note"]
