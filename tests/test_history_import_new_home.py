"""`accelopt history import` on a home that never had `$ACCELOPT_HOME/history` (a new user: no accelopt <= 0.1 run
files) exited 2 with '... is not a folder'. The default folder missing means there is nothing to import: exit 0,
0 imported, a note on stderr saying why and how to import another folder, and no store created for it. A folder the
user names that does not exist is still an error (a mistyped source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import history


def test_import_on_a_new_home_imports_nothing_and_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "new"))
    code, out, err = run_main(["history", "import"], capsys)
    assert code == 0, err
    assert "imported 0 runs" in out
    said = " ".join(err.split())
    assert f"note: nothing to import: {tmp_path / 'new' / 'history'} does not exist" in said
    assert "give FOLDER to import run .json files from another folder" in said
    assert not history.store_path().exists()  # nothing read, nothing written
    code, out, err = run_main(["history", "import", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["imported"] == 0 and "nothing to import" in err


def test_a_named_folder_that_does_not_exist_is_still_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "new"))
    code, out, err = run_main(["history", "import", str(tmp_path / "typo")], capsys)
    assert code == 2 and out == ""
    assert "typo is not a folder" in " ".join(err.split())
