"""A positional argument that may be left out, typed empty (an unset shell variable), was read as a path to the
current folder: `history import ""` imported from `.` (exit 0, 'imported 0 runs from .'), `plan infer ""` loaded `.`
as a model and listed profile's models, not plan infer's. It is now refused as an empty option value is (exit 2,
naming it). Required arguments keep their own checks ('an empty device name', 'the run id is empty')."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.parametrize(("argv", "name"), [
    (["history", "import", ""], "FOLDER"),
    (["history", "import", " ", "--json"], "FOLDER"),
    (["plan", "infer", ""], "MODEL"),
    (["schema", ""], "KIND"),
])
def test_an_empty_optional_argument_is_refused_naming_it(argv: list[str], name: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(argv, capsys)
    assert code == 2, (out, err)
    blank = next(a for a in argv[1:] if not a.strip())
    assert f"{name} {blank!r} is empty" in err and f"give {name} a value" in err
    # stdout: nothing, or with --json the error document (uthf), never a result
    assert (json.loads(out)["schema"] == "accelopt.error") if "--json" in argv else out == ""
    assert "imported" not in err
    assert not (tmp_path / "home" / "history.sqlite3").exists()  # no store made for nothing


def test_required_arguments_keep_their_own_messages(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["catalog", "show", ""], capsys)
    assert code == 2 and "an empty device name" in err
