"""A result's JSON shape does not change under the same schema version (accelopt.report.schema: "Bump a kind's
SCHEMA_VERSION whenever its shape changes").

`validate --serving --json` kept declaring version 1 after its rows gained `fits`, `memory_bytes_per_device` and
`usable_memory_bytes_per_device`. SHAPES records each kind's version with a fingerprint of its JSON Schema (field
names, types, units, required fields; descriptions left out): a change of shape without a new version fails here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from accelopt.report import schema

SHAPES = {  # kind -> (schema version, shape fingerprint at that version)
    "probe": (4, "00b438c0a264eb51"),  # 3: collectives figures p10_s/p90_s/spread, collectives.contention;
    # 4: a figure's spread is that of its rates (same shape, new meaning; older documents upgraded)
    "profile": (1, "aef12fdaa8195a47"),
    "plan": (1, "95fd9bd67483f9bb"),
    "plan-workload": (2, "e81b2084fab37915"),
    "plan-explain": (1, "b809fff50120102b"),
    "plan-serve": (4, "342b2cd93e05f4f5"),  # 3: calibration.published_runs_of_device; 4: calibration.tp_allreduce
    "validate": (2, "c0684c6441827ec5"),
    "simulate-run": (1, "1525c02807062d93"),
    "simulate-sweep": (1, "94c9aaca46b0185f"),
    "catalog-compare": (1, "47d86a7e0fa5e8d4"),
    "optimize": (1, "a6565ee218f02c8d"),
    "plan-infer": (1, "9f008c7304f97da5"),
    "validate-inference": (1, "d185ee4c43d2f233"),
    "validate-serving": (2, "fc6bd12356071b58"),  # 2: rows gained fits and the two memory fields
    "profile-distributed": (4, "461fc53c385c2264"),  # 2: prediction_left_out; 3: unused_parameters, contention, notes;
    # 4: partition.unlimited (the split without --stage-memory-gib)
    "profile-partial": (1, "a0b3948b5b9c3f59"),
    "simulate-published": (2, "b4b91263632e28a1"),
}


def _shape(node: Any) -> Any:
    """The JSON Schema without its prose (description, title) and the version constant."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k not in ("description", "title", "schema_version")}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def fingerprint(kind: str) -> str:
    text = json.dumps(_shape(schema.json_schema(kind)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_every_kind_is_recorded() -> None:
    assert set(SHAPES) == set(schema.KINDS)


@pytest.mark.parametrize("kind", schema.KINDS)
def test_a_new_shape_has_a_new_version(kind: str) -> None:
    version, recorded = SHAPES[kind]
    now = schema.result_class(kind)[1]
    shape = fingerprint(kind)
    assert now >= version, f"{kind}: schema version {now} is below the recorded {version}"
    if now == version:
        assert shape == recorded, (
            f"{kind}'s JSON shape changed under version {now}: bump its SCHEMA_VERSION, list {now} in READS_VERSIONS "
            f"(fields added with defaults) or UPGRADES, regenerate docs/schemas.md, and record "
            f'"{kind}": ({now + 1}, "{shape}") here')
    else:  # a bump not yet recorded
        pytest.fail(f'{kind} is now version {now}: record "{kind}": ({now}, "{shape}") here')


def test_validate_serving_version_1_document_still_loads() -> None:
    from accelopt.predict.serving_validation import GroupError, ServingRunResult, ServingValidateResult

    row = ServingRunResult(id="r", source="s", engine="trtllm", hardware="h100-sxm", family="nvidia-hopper",
                           calibration="nvidia-hopper", model="llama3-8b", tp=1, precision="fp8/fp8", prompt_len=128,
                           output_len=128, batch=8, metric="output_tok_s", published=100.0, predicted=110.0,
                           role="test", memory_bytes_per_device=40e9, usable_memory_bytes_per_device=70e9)
    res = ServingValidateResult(runs=[row], median_abs_error_held_out=0.1, worst_abs_error_held_out=0.1,
                                worst_held_out_id="r", median_abs_error_fit=float("nan"),
                                groups=[GroupError(group="family", name="nvidia-hopper", rows=1, median_abs_error=0.1,
                                                   worst_abs_error=0.1, worst_id="r")], sources={"s": "cited"})
    doc = schema.dump("validate-serving", res)
    assert doc["schema_version"] == 2 and doc["runs"][0]["fits"] is True
    added = ("fits", "memory_bytes_per_device", "usable_memory_bytes_per_device")
    v1 = {**doc, "schema_version": 1, "runs": [{k: v for k, v in r.items() if k not in added} for r in doc["runs"]]}
    old = schema.load("validate-serving", v1)
    assert old.runs[0].memory_bytes_per_device is None and old.runs[0].fits is None
    assert old.runs[0].error == pytest.approx(0.1)
