"""`env --json` documents of older versions read back through the schema (report/schema.load), as other kinds'.

env 2 added usable_cores and usable_cores_note with defaults but listed no READS_VERSIONS: a version-1 document
(written before the cores were counted) was 'schema version 1, not version 2', and had it been read, the default
would have put 1 usable core into it. Version 3 reads 1 with usable_cores null (not recorded) and 2 as it is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main

from accelopt.report import schema


def _current(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run_main(["env", "--json"], capsys)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_a_version_1_env_document_reads_with_its_cores_not_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _current(capsys)
    old = {k: v for k, v in doc.items() if k not in ("usable_cores", "usable_cores_note")}
    old["schema_version"] = 1
    got = schema.load("env", old)
    assert got.usable_cores is None and got.usable_cores_note == ""  # not 1: version 1 counted none
    assert got.python == doc["python"] and got.platform == doc["platform"]


def test_a_version_2_env_document_reads_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _current(capsys)
    assert doc["schema_version"] == schema.version_of(schema.result_class("env")[0])
    two = {**doc, "schema_version": 2, "usable_cores": 6, "usable_cores_note": "its CPU affinity, of this "
                                                                              "machine's 8 logical CPUs"}
    got = schema.load("env", two)
    assert got.usable_cores == 6 and got.usable_cores_note.startswith("its CPU affinity")
    with pytest.raises(schema.OtherVersionError):  # a version this accelopt never wrote
        schema.load("env", {**doc, "schema_version": 99})
