"""`validate --inference` gives the held-out |error| per source, device family and precision, as `validate` and
`validate --serving` do (issue #10: every validate kind); it printed per-row errors and one held-out median only.
The tables come from the typed result's by_source / by_family / by_precision, in text, --json and --html alike."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import schema

RUNS = """id,hardware,model,input_size,batch,dtype,metric,published,role,source,note
a,edge-tpu,mobilenet-v1,224,1,int8,latency_ms,2.4,test,lab one,
b,edge-tpu,mobilenet-v2,224,1,int8,latency_ms,2.6,test,lab two,
c,edge-tpu,vgg16,224,1,int8,latency_ms,343,fit,lab one,
d,t4,resnet50,224,8,int8,throughput_per_s,3000,test,lab two,
"""


def _groups(doc: dict, key: str) -> dict[str, dict]:
    return {g["group"]: g for g in doc[key]}


def test_json_groups_follow_the_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(RUNS, encoding="utf-8")
    code, out, err = run_main(["validate", "--inference", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 3  # 3: input_warnings (test_validate_inference_roles_checked.py)
    rows = {r["id"]: r for r in doc["runs"]}
    assert {r["source_key"] for r in rows.values()} == {"lab one", "lab two"}
    assert rows["a"]["family"] == "edge-tpu" and rows["d"]["family"] != "edge-tpu"
    assert {r["dtype"] for r in rows.values()} == {"int8"}
    for key, field in (("by_source", "source_key"), ("by_family", "family"), ("by_precision", "dtype")):
        groups = _groups(doc, key)
        assert set(groups) == {r[field] for r in rows.values()}, key
        for name, g in groups.items():
            held = [abs(r["error"]) for r in rows.values() if r[field] == name and not r["fitted"]]
            assert g["held_out_runs"] == len(held)
            assert g["median_abs_error"] == pytest.approx(statistics.median(held))
            assert g["worst_abs_error"] == pytest.approx(max(held))
    # the fitted row 'c' is no group's held-out row: 'lab one' holds one held-out row (a)
    assert _groups(doc, "by_source")["lab one"]["held_out_runs"] == 1
    assert _groups(doc, "by_source")["lab one"]["worst_run"] == "a"


def test_text_and_html_print_the_same_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(RUNS, encoding="utf-8")
    page = tmp_path / "v.html"
    code, out, err = run_main(["validate", "--inference", "--runs", str(runs), "--html", str(page)], capsys)
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    for title in ("held-out |error| by source", "held-out |error| by family", "held-out |error| by precision"):
        assert title in out and title in html, title
    assert "lab two" in out and "lab two" in html


def test_a_version_1_document_still_loads() -> None:
    # written before the groups: no by_* lists, no source_key / dtype / family in its rows
    v1 = {"schema": "accelopt.validate-inference", "schema_version": 1,
          "runs": [{"id": "a", "hardware": "edge-tpu", "model": "vgg16", "metric": "latency_ms", "published": 343.0,
                    "predicted": 346.8, "fitted": True, "source": "x", "note": ""}],
          "median_abs_error_held_out": float("nan"), "median_abs_error_all": 0.011, "worst_held_out": None,
          "estimate": True}
    r = schema.load("validate-inference", v1)
    assert r.by_source == [] and r.runs[0].family == ""
