"""`history import` of a damaged run file without its "time" (or "command") said '"time is NoneType, not an ISO
8601 string"' / '"command" is NoneType, not str': the Python type of a value the file does not have. The skip
reason names the missing fields now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main


def test_the_skip_reason_names_the_missing_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "no-time.json").write_text(json.dumps({"id": "a", "command": "plan", "result": {}}))
    (folder / "no-command.json").write_text(json.dumps({"id": "b", "time": None, "result": {}}))
    code, out, err = run_main(["history", "import", str(folder), "--skip-invalid", "--json"], capsys)
    assert code == 0, err
    why = {s["file"]: s["why"] for s in json.loads(out)["skipped"]}
    assert why["no-time.json"].startswith('"time" missing or null'), why
    assert why["no-command.json"].startswith('"command", "time" missing or null'), why
    assert "NoneType" not in " ".join(why.values())
