"""`history import FOLDER` skipped a file that is not a valid run (a negative time or byte count, NaN, a wrong field
type) with a warning and exited 0, importing the rest: a script that imports runs from another machine never learnt
that some were left behind. Now every file is read and checked before the store is written: an invalid one is an
error (exit 2) naming each such file, the field and the fix, and nothing is imported (the runs already stored are
untouched); `--skip-invalid` imports the valid files and skips the others, as before. The import writes in one
transaction: a failure while storing leaves the store as it was. Before the change the first tests fail (exit 0)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import run_main, run_main_expect

from accelopt.report import history


def _simulated_run(capsys: pytest.CaptureFixture[str]) -> dict:
    """A real `simulate run` recorded in the history, as `history show ID --json` exports it."""
    run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--json")
    return json.loads(run_main_expect(capsys, "history", "show", "latest", "--json")[0])


def _copy(doc: dict, suffix: str, latency_s: float | None = None) -> dict:
    """`doc` under another id; with `latency_s`, its total latency replaced (a hand edit)."""
    totals = dict(doc["result"]["totals"])
    if latency_s is not None:
        assert "latency_s" in totals
        totals["latency_s"] = latency_s
    return {**doc, "id": doc["id"][:-6] + suffix, "result": {**doc["result"], "totals": totals}}


def test_an_invalid_file_stops_the_import_and_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    before = history.run_ids()
    (tmp_path / "a-good.json").write_text(json.dumps(_copy(good, "aaaaaa")))
    (tmp_path / "b-edited.json").write_text(json.dumps(_copy(good, "bbbbbb", latency_s=-2.0)))
    code, out, err = run_main(["history", "import", str(tmp_path), "--json"], capsys)
    assert code == 2 and json.loads(out)["schema"] == "accelopt.error"  # no import document: the error's (uthf)
    text = " ".join(err.split())
    assert f"1 of the 2 run files in {tmp_path} is not a valid run, so nothing was imported" in text
    assert f'{tmp_path / "b-edited.json"}: "result.totals.latency_s" is -2.0, a negative time' in text
    assert "a-good.json" not in text and "--skip-invalid" in text and "fix:" in err
    assert history.run_ids() == before  # the good copy was not imported either: the store is as it was
    (tmp_path / "b-edited.json").unlink()  # the fix: correct or move the file, then import again
    rep = json.loads(run_main_expect(capsys, "history", "import", str(tmp_path), "--json")[0])
    assert (rep["imported"], rep["skipped"]) == (1, [])
    assert history.count() == len(before) + 1


def test_skip_invalid_imports_the_valid_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    (tmp_path / "a-good.json").write_text(json.dumps(_copy(good, "aaaaaa")))
    (tmp_path / "b-edited.json").write_text(json.dumps(_copy(good, "bbbbbb", latency_s=-2.0)))
    out, err = run_main_expect(capsys, "history", "import", str(tmp_path), "--skip-invalid")
    assert "imported 1 run " in out and "1 skipped" in out and "b-edited.json" in err
    assert history.count() == 2


def test_many_invalid_files_are_counted_past_the_first_five(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(7):  # damaged run records ("time" missing); files that are not JSON are no run records since
        # rvs32b, 2026-12-05 (tests/test_history_import_only_run_records.py), named in another error
        (tmp_path / f"bad{i}.json").write_text(json.dumps({"id": f"r{i}", "command": "plan", "result": {}}))
    code, _, err = run_main(["history", "import", str(tmp_path)], capsys)
    text = " ".join(err.split())
    assert code == 2 and "7 of the 7 run files" in text and "are not a valid run" in text
    assert "bad4.json" in text and "bad5.json" not in text and "and 2 more" in text
    assert history.count() == 0


def test_a_failure_while_storing_leaves_the_store_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The valid files are inserted in one transaction: the store refusing the second one rolls back the first."""
    good = _simulated_run(capsys)
    before = history.run_ids()
    for suffix in ("aaaaaa", "bbbbbb"):
        (tmp_path / f"{suffix}.json").write_text(json.dumps(_copy(good, suffix)))
    real = history._insert_imported
    calls = []

    def second_fails(con: sqlite3.Connection, rec: history.RunRecord) -> str | None:
        calls.append(rec.id)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(con, rec)

    monkeypatch.setattr(history, "_insert_imported", second_fails)
    code, _, err = run_main(["history", "import", str(tmp_path)], capsys)
    assert code == 2 and "disk is full" in err and len(calls) == 2
    monkeypatch.setattr(history, "_insert_imported", real)
    assert history.run_ids() == before
