"""`history import` of run files from another machine: a run whose id the store already holds for a DIFFERENT run is
stored under a new id (it was counted "already in the store" and dropped: two machines can draw the same id), an
identical run is recognised whatever id it was stored under (importing twice adds nothing), and a record of a newer
or unknown record format is skipped with a warning saying so (it was stored as if it were this format)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history

RESULT = {"runs": [], "median_abs_error_held_out": 0.05, "median_abs_error_all": 0.04}


def _exported(run_id: str) -> dict:
    """The run as `history show ID --json` writes it (what a user copies to another machine)."""
    return history.load(run_id).to_dict()


def test_same_id_different_run_is_kept_under_a_new_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = history.record("validate", ["validate"], RESULT)
    assert mine is not None
    theirs = {**_exported(mine), "argv": ["validate", "--serving"], "result": {**RESULT, "median_abs_error_all": 0.9}}
    (tmp_path / "theirs.json").write_text(json.dumps(theirs))
    out, _ = _cli(capsys, "history", "import", str(tmp_path))
    assert "imported 1 run " in out and "stored as" in out
    assert history.count() == 2
    assert history.load(mine).argv == ["validate"]  # the stored run is untouched
    other = next(r for r in history.list_runs() if r.id != mine)
    assert other.argv == ["validate", "--serving"] and other.result["median_abs_error_all"] == 0.9
    assert other.time_utc == history.load(mine).time_utc  # the new id keeps the run's own time
    rep = json.loads(_cli(capsys, "history", "import", str(tmp_path), "--json")[0])  # twice: nothing more
    assert rep["imported"] == 0 and rep["already_present"] == 1 and rep["renamed"] == []
    assert history.count() == 2


def test_identical_run_is_already_present(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = history.record("validate", ["validate"], RESULT)
    assert mine is not None
    (tmp_path / "same.json").write_text(json.dumps(_exported(mine)))
    rep = json.loads(_cli(capsys, "history", "import", str(tmp_path), "--json")[0])
    assert (rep["imported"], rep["already_present"], rep["renamed"]) == (0, 1, [])


@pytest.mark.parametrize(("schema", "why"), [(7, "newer accelopt"), ("1", "is not a run record schema"),
                                              (0, "is not a run record schema")])
def test_other_record_format_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: object,
                                        why: str) -> None:
    doc = {"schema": schema, "id": "20261126T220034.123Z-validate", "command": "validate", "argv": ["validate"],
           "time": "2026-11-26T22:00:34+00:00", "versions": {"accelopt": "9.0"}, "host": {"name": "h"},
           "result": RESULT}
    (tmp_path / "run.json").write_text(json.dumps(doc))
    rep_text, err = _cli(capsys, "history", "import", str(tmp_path), "--skip-invalid", "--json")
    rep = json.loads(rep_text)
    assert rep["imported"] == 0 and len(rep["skipped"]) == 1 and why in rep["skipped"][0]["why"]
    assert "run.json" in err and why in err
    assert history.count() == 0
