"""`plan --list-models --json` and `plan infer --list-models --json` printed a bare JSON list, with no
"schema"/"schema_version" and no `accelopt schema KIND` to check it against, unlike every other --json document.
Each now names its kind (plan-models, plan-infer-models) and validates against the schema `accelopt schema` prints;
the text lists are unchanged."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import run_main_expect

from accelopt.workload.inference_zoo import EXAMPLES
from accelopt.workload.presets import list_models


@pytest.mark.parametrize(("kind", "args", "names"), [
    ("plan-models", ["plan", "--list-models", "--json"], sorted(list_models())),
    ("plan-infer-models", ["plan", "infer", "--list-models", "--json"], list(EXAMPLES)),
])
def test_list_models_json_is_a_versioned_document(kind: str, args: list[str], names: list[str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(run_main_expect(capsys, *args)[0])
    assert isinstance(doc, dict) and doc["schema"] == f"accelopt.{kind}" and doc["schema_version"] == 1, doc
    jsonschema.Draft202012Validator(json.loads(run_main_expect(capsys, "schema", kind)[0])).validate(doc)
    listed = [m if isinstance(m, str) else m["name"] for m in doc["models"]]
    assert listed == names and doc["count"] == len(names)


def test_the_text_lists_name_the_same_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main_expect(capsys, "plan", "--list-models")[0].split() == sorted(list_models())
    lines = run_main_expect(capsys, "plan", "infer", "--list-models")[0].splitlines()
    assert [ln.split()[0] for ln in lines] == list(EXAMPLES)
    resnet = EXAMPLES["resnet50"]
    assert lines[0].split(None, 1)[1].startswith(resnet.domain) and resnet.source in lines[0]
