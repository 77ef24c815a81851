"""`history list --offset K` past the last page of a small store said 'no runs recorded in STORE after the newest
1000' of a store holding 2 runs: it read as if 1000 runs were there. It says how many runs there are and which
offset shows the oldest page (utreport 2026-12-05)."""

from __future__ import annotations

import pytest
from conftest import run_main_expect as _cli


def test_an_offset_past_the_end_names_the_runs_there(capsys: pytest.CaptureFixture[str]) -> None:
    for devices in ("h100-sxm mi300x", "h100-sxm b200"):
        _cli(capsys, "catalog", "compare", *devices.split(), "--json")
    out, _ = _cli(capsys, "history", "list", "--offset", "1000", "--limit", "1")
    out = " ".join(out.split())
    assert "past --offset 1000: it holds 2 runs; the oldest page" in out
    assert "newest 1000" not in out
    assert "the oldest page: accelopt history list --offset 1 --limit 1" in out
    oldest, _ = _cli(capsys, "history", "list", "--offset", "1", "--limit", "1")
    assert "runs 2-2 of 2 runs" in " ".join(oldest.split())


def test_an_empty_store_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _cli(capsys, "history", "list", "--offset", "5")
    assert "no runs recorded in" in out and "past --offset" not in out
