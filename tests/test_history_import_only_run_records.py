"""`history import FOLDER` counted every .json file of the folder as a "run file": importing from a shared folder
said '103 of the 103 run files in /tmp are not a valid run' of package.json and the like, and a folder holding runs
beside an unrelated JSON file imported nothing until the user moved that file (uttrial4's leftover (b); rvs32b, s32,
2026-12-05). Now only accelopt run records (history show's document, accelopt <= 0.1's files: at least two of id,
command, time, result, or the run record schema) are counted and imported; a file that is no run record at all (not
JSON, not an object, another command's --json document, a pipe) is skipped, named with why on stderr and in the
JSON's `skipped`; a folder with no run record is an error (exit 2) naming each file and why. A damaged run record
still stops the import (tests/test_history_import_all_or_nothing.py). Each test fails before: the first exited 2
('1 of the 2 run files ... is not a valid run'), the second said '2 of the 2 run files'.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, run_main_expect

from accelopt.report import history


def _shown_run(capsys: pytest.CaptureFixture[str]) -> dict:
    run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--json")
    return json.loads(run_main_expect(capsys, "history", "show", "latest", "--json")[0])


def test_other_json_files_are_skipped_and_named_the_runs_imported(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run = _shown_run(capsys)
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({**run, "id": run["id"][:-6] + "aaaaaa"}))
    (folder / "package.json").write_text(json.dumps({"name": "x", "version": "1.0.0"}))
    (folder / "list.json").write_text("[1, 2]")
    code, out, err = run_main(["history", "import", str(folder), "--json"], capsys)
    assert code == 0, err
    rep = json.loads(out)
    assert rep["imported"] == 1
    why = {s["file"]: s["why"] for s in rep["skipped"]}
    assert why == {"list.json": "a run record is a JSON object, not list",
                   "package.json": 'is not an accelopt run record (a run record holds "id", "command", "time", '
                                   '"result"; this JSON object holds 0 of them)'}
    flat = " ".join(err.split())
    assert f"skipped {folder / 'package.json'}: is not an accelopt run record" in flat
    out, _ = run_main_expect(capsys, "history", "import", str(folder))
    assert "imported 0 runs" in out and "1 already in the store, 2 skipped" in " ".join(out.split())


def test_a_folder_without_a_run_record_is_an_error_naming_each_file(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"compilerOptions": {}}))
    (folder / "b.json").write_text("not json")
    before = history.count()
    for extra in ([], ["--skip-invalid"]):
        code, out, err = run_main(["history", "import", str(folder), *extra], capsys)
        flat = " ".join(err.split())
        assert code == 2 and out == "" and "Traceback" not in flat
        assert f"none of the 2 .json files in {folder} is an accelopt run record, so nothing was imported" in flat
        assert f"{folder / 'a.json'}: is not an accelopt run record" in flat
        assert f"{folder / 'b.json'}: is not JSON" in flat
        assert "fix: give the folder holding the run files" in flat and "history show ID --json" in flat
    assert "run files in" not in flat
    assert history.count() == before


def test_an_empty_folder_given_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["history", "import", str(tmp_path)], capsys)
    assert code == 2 and f"{tmp_path} holds no .json file, so nothing was imported" in " ".join(err.split())
