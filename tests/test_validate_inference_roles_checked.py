"""An inference runs file's role cell is the user's word for whether the runtime values were fitted on the row; a row
marked 'fit' that its family in predict/data/inference.toml was not fitted on (its fitted_on) counted in no
held-out figure, and a row the family was fitted on marked 'test' counted in the held-out median as if unseen, both
without a word (utval, 2026-12-05). `validate --inference` now warns, naming the rows and the family (stderr, the
--json document's input_warnings, schema version 3, and the page).

Rows: Coral 'Edge TPU performance benchmarks' Table 1, Dev Board column (the bundled coral-bench rows): MobileNet v1
2.4 ms (coral-devboard-mobilenet-v1, one of [family.edge-tpu]'s fitted_on) and MobileNet v2 2.6 ms (held out there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import schema

HEADER = "id,hardware,model,input_size,batch,dtype,metric,published,role,source,note"
FITTED = "coral-devboard-mobilenet-v1,edge-tpu,mobilenet-v1,224,1,int8,latency_ms,2.4,{role},coral-bench,"
HELD = "my-mobilenet-v2,edge-tpu,mobilenet-v2,224,1,int8,latency_ms,2.6,{role},coral-bench,"


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *rows: str,
              html: bool = False) -> tuple[str, dict, str]:
    path = tmp_path / "inference.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    page = tmp_path / "v.html"
    code, out, err = run_main(["validate", "--inference", "--runs", str(path), "--json",
                               *(["--html", str(page)] if html else [])], capsys)
    assert code == 0, err
    return " ".join(err.split()), json.loads(out), " ".join(page.read_text("utf-8").split()) if html else ""


def test_roles_the_runtime_values_contradict_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, doc, page = _validate(tmp_path, capsys, FITTED.format(role="test"), HELD.format(role="fit"), html=True)
    assert doc["schema_version"] == 3
    warnings = doc["input_warnings"]
    fit = next((w for w in warnings if "role fit" in w), None)
    assert fit is not None, warnings
    assert "my-mobilenet-v2" in fit and "[family.edge-tpu]" in fit and "no held-out figure" in fit
    test = next((w for w in warnings if "role test" in w), None)
    assert test is not None, warnings
    assert "coral-devboard-mobilenet-v1" in test and "held-out median" in test
    for line in (fit, test):
        assert " ".join(line.split()) in err and " ".join(line.split()) in page


def test_roles_as_fitted_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, doc, _ = _validate(tmp_path, capsys, FITTED.format(role="fit"), HELD.format(role="test"))
    assert doc["input_warnings"] == [] and "role " not in err


def test_the_bundled_file_agrees_with_its_families(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--inference", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["input_warnings"] == []


def test_a_version_2_document_still_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, doc, _ = _validate(tmp_path, capsys, FITTED.format(role="fit"))
    v2 = {k: v for k, v in doc.items() if k != "input_warnings"}
    v2["schema_version"] = 2
    assert schema.load("validate-inference", v2).input_warnings == []
