"""`simulate presets --json`, `simulate export --json` and `schema --list --json` printed JSON with no "schema" /
"schema_version" and no `accelopt schema KIND` to check it against (a bare list, unnamed objects), unlike every other
--json document. Each now names its kind (simulate-presets, simulate-export, schema-list) and validates against the
schema `accelopt schema` prints; the text outputs are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import run_main_expect

from accelopt.report import schema
from accelopt.simulate.design import preset_names
from accelopt.simulate.published import nvdla_names


def _checked(capsys: pytest.CaptureFixture[str], kind: str, *args: str) -> dict:
    doc = json.loads(run_main_expect(capsys, *args)[0])
    assert isinstance(doc, dict) and doc["schema"] == f"accelopt.{kind}" and doc["schema_version"] == 1, doc
    jsonschema.Draft202012Validator(json.loads(run_main_expect(capsys, "schema", kind)[0])).validate(doc)
    return doc


def test_simulate_presets_json_is_a_versioned_document(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _checked(capsys, "simulate-presets", "simulate", "presets", "--json")
    names = [d["name"] for d in doc["designs"]]
    assert names == [*preset_names(), *nvdla_names()] and doc["count"] == len(names)


@pytest.mark.parametrize(("suffix", "fmt"), [(".toml", "catalog-toml"), (".cfg", "scalesim-cfg")])
def test_simulate_export_json_is_a_versioned_document(tmp_path: Path, suffix: str, fmt: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"my [bold]design{suffix}"
    doc = _checked(capsys, "simulate-export", "simulate", "export", "-d", "tpu-v1", "--out", str(out), "--json")
    assert doc["written"] == str(out) and out.is_file() and doc["format"] == fmt and doc["design"]["name"] == "tpu-v1"
    if fmt == "catalog-toml":
        assert doc["spec"]["name"] == "tpu-v1" and doc["not_in_cfg"] == []
    else:
        assert doc["spec"] is None and doc["not_in_cfg"]


def test_schema_list_json_is_a_versioned_document(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _checked(capsys, "schema-list", "schema", "--list", "--json")
    listed = [k["kind"] for k in doc["kinds"]]
    assert listed == [*schema.KINDS, *schema.DOCUMENT_KINDS] and doc["count"] == len(listed)
    assert {"simulate-presets", "simulate-export", "schema-list"} <= set(listed)
