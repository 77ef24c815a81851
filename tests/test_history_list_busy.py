"""`history list` showed a profile measured on a busy machine like a quiet one, though the run's own page flagged
it and `history compare` prints its warnings: the list now marks it 'BUSY machine (N warning(s)): ' before its
figures, and --json (schema history-list version 2) gives each run's warnings in `busy_machine`."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history, schema

WARNING = "other processes used 1.50 cores [on average]"


def test_history_list_marks_a_run_measured_on_a_busy_machine(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_cli(capsys, "profile", "mlp", "--steps", "3", "--warmup", "0", "--json")[0])
    quiet = {**doc, "contention": {**doc["contention"], "warnings": [], "disturbed": []}}
    busy = {**doc, "contention": {**doc["contention"], "warnings": [WARNING], "disturbed": ["step time"]}}
    id_quiet = history.record("profile", ["profile", "mlp"], quiet)
    id_busy = history.record("profile", ["profile", "mlp"], busy)
    out, _ = _cli(capsys, "history", "list")
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    assert "BUSY machine (1 warning): " in lines[id_busy]
    assert "BUSY" not in lines[id_quiet]
    listed = json.loads(_cli(capsys, "history", "list", "--json")[0])
    jsonschema.Draft202012Validator(schema.json_schema("history-list")).validate(listed)
    assert listed["schema_version"] == 2
    runs = {r["id"]: r for r in listed["runs"]}
    assert runs[id_busy]["busy_machine"] == [WARNING] and runs[id_quiet]["busy_machine"] == []
