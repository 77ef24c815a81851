"""`history list/prune/import --json`, `env --json`, `catalog list/show --json` printed documents with no
"schema"/"schema_version" and no `accelopt schema KIND` to check them against (catalog list's peak was under a key
named by --dtype, peak_bf16_flop_per_s). Each now names its kind and validates against the schema `accelopt schema`
prints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_history_documents_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    _json(["catalog", "compare", "h100-sxm", "a100", "--json"])  # a recorded run to list
    folder = tmp_path / "old"
    folder.mkdir()
    # a damaged run record ("time" missing): a folder of files that are no run record is an error since rvs32b,
    # 2026-12-05 (tests/test_history_import_only_run_records.py); "not json" was here before
    (folder / "bad.json").write_text(json.dumps({"id": "x", "command": "plan", "result": {}}))
    docs = {"history-list": _json(["history", "list", "--json"]),
            "history-import": _json(["history", "import", str(folder), "--skip-invalid", "--json"]),
            "history-prune": _json(["history", "prune", "--keep", "5", "--json"])}
    assert docs["history-list"]["total"] >= 1 and docs["history-import"]["skipped"]
    versions = {"history-list": 2, "history-import": 1, "history-prune": 1}  # history-list 2: busy_machine (utsmall)
    for kind, doc in docs.items():
        assert doc["schema"] == f"accelopt.{kind}" and doc["schema_version"] == versions[kind], doc
        jsonschema.Draft202012Validator(_json(["schema", kind])).validate(doc)


@pytest.mark.parametrize(("kind", "args"), [
    ("env", ["env", "--json"]),
    ("catalog-list", ["catalog", "list", "--json"]),
    ("catalog-list", ["catalog", "list", "--kind", "fpga", "--dtype", "int8", "--json"]),
    ("catalog-show", ["catalog", "show", "h100-sxm", "--json"]),
    ("catalog-show", ["catalog", "show", "edge-tpu", "--json"])])
def test_machine_and_catalog_documents_validate(kind: str, args: list[str]) -> None:
    doc = _json(args)
    version = 3 if kind == "env" else 2  # catalog-list / -show 2: compute_capability (utcc); env 2: usable_cores
    # (utmisc), 3: usable_cores null in a version-1 document read back (utleftmisc)
    assert doc["schema"] == f"accelopt.{kind}" and doc["schema_version"] == version, doc
    jsonschema.Draft202012Validator(_json(["schema", kind])).validate(doc)


def test_catalog_list_peak_is_in_the_named_dtype() -> None:
    doc = _json(["catalog", "list", "--dtype", "fp8", "--json"])
    h100 = next(d for d in doc["devices"] if d["name"] == "h100-sxm")
    assert doc["dtype"] == "fp8" and h100["peak_flop_per_s"] == pytest.approx(1978.9e12, rel=0.01)
