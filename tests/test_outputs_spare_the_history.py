"""An output option naming the run history's SQLite file (or its WAL / shared-memory / journal companions)
overwrote it: `catalog compare ... --html ~/.accelopt/history.sqlite3` replaced every recorded run with one HTML
page, and said 'HTML report written'. Every output path goes through userio.check_writable, which now refuses
the store, before any work and without touching it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_html_onto_the_history_store_is_refused_and_the_store_kept(suffix: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The store stays readable, its one run in it.

    2026-12-05, htmlsafe: the catalog compare itself was run and recorded (2 runs) before its page was refused;
    every command's --html is now checked before the work (cli/html_first.py), so nothing is run or recorded."""
    history.record("validate", [], {"runs": []})
    target = Path(str(history.store_path()) + suffix)
    _, err = _cli(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--html", str(target), code=2)
    assert "run history" in err and "fix:" in err
    assert history.store_path().read_bytes().startswith(b"SQLite format 3") and history.count() == 1
    assert [r.command for r in history.list_runs()] == ["validate"]


def test_a_link_to_the_store_is_refused_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history.record("validate", [], {"runs": []})
    link = tmp_path / "page.html"
    os.symlink(history.store_path(), link)
    _, err = _cli(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--html", str(link), code=2)
    assert "run history" in err and history.count() == 1  # 2026-12-05, htmlsafe: 2 (refused after the run) -> 1
