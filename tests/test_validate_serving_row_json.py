"""ut5val: `validate --serving --row ID` had no --json (exit 2, 'a serving row's command is printed as text'), where
the training `validate --row ID --json` prints the validate-row document. The serving --row now prints its own
document, validate-serving-row, through the same code path (cli.validate._finish_rows): the runs predicted, the
report's --calibration warnings as input_notes, and not_predicted naming each run that cannot be predicted with its
error and fix (exit 2)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import jsonschema
import pytest
from conftest import run_main, run_main_expect

from accelopt.predict.serving_validation import read_serving_runs, reproduce
from accelopt.report.schema import load

_RID = "trt10-h200-qwen3-235b-ep8-128-128"  # a max-load MoE row of the bundled file
# s-tp3: --tp 3 does not divide Llama 3 8B's 32 heads (not predicted); s-70b: 140 GB of bf16 weights on one H100
_CSV = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
        "role\n"
        "s1,lab,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n"
        "s-tp3,lab,vllm,h100-sxm,llama3-8b,3,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n"
        "s-70b,lab,vllm,h100-sxm,llama3-70b,1,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n")


def _checked(out: str, capsys: pytest.CaptureFixture[str]) -> dict:
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.validate-serving-row" and doc["schema_version"] == 1, doc
    jsonschema.Draft202012Validator(json.loads(run_main_expect(capsys, "schema", "validate-serving-row")[0])
                                    ).validate(doc)
    return doc


def test_json_is_the_validate_serving_row_document(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "validate", "--serving", "--row", _RID, "--json")
    doc = _checked(out, capsys)
    [run] = doc["runs"]
    row = {r["id"]: r for r in read_serving_runs()[0]}[_RID]
    assert run["result"]["id"] == _RID and run["result"]["predicted"] == pytest.approx(reproduce(row).predicted)
    text, _ = run_main_expect(capsys, "validate", "--serving", "--row", _RID)
    assert text.splitlines()[1] == f"  {run['command']}"  # the text's command line, as the document's
    assert run["argv"] == shlex.split(run["command"])[1:] and run["argv"][:2] == ["plan", "serve"]
    assert doc["input_notes"] == [] and doc["not_predicted"] == []
    assert load("validate-serving-row", doc).runs[0].result.id == _RID


def test_json_names_the_runs_not_predicted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "srv.csv"
    runs.write_text(_CSV, encoding="utf-8")
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--row", "s1", "--row", "s-tp3",
                               "--row", "s-70b", "--json"], capsys)
    assert code == 2, err
    doc = _checked(out, capsys)
    assert [r["result"]["id"] for r in doc["runs"]] == ["s1", "s-70b"]
    assert [r["result"]["fits"] for r in doc["runs"]] == [True, False]  # the text's memory line, in the document
    [problem] = doc["not_predicted"]
    assert problem["id"] == "s-tp3" and "--tp 3 does not divide the 32 attention heads" in problem["error"], problem
    assert problem["fix"]
    flat = " ".join(err.split())
    assert "not predicted: s-tp3; the other 2 run(s) named by --row are in the JSON document" in flat, flat


def test_json_carries_the_reports_calibration_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A [serving.NAME] table fitting no device ('h100-sx') and a fitted_on id naming no run ('s11'): the report's
    warnings, on stderr as before and in the document's input_notes."""
    import tomllib

    from accelopt.predict.calibration import bundled_text

    table = {k: v for k, v in tomllib.loads(bundled_text())["serving"]["nvidia-hopper"].items()
             if k not in ("fitted_on", "derived_on", "reference_device", "engine")}  # engine: peng's overlay subtables
    lines = [f"{k} = {json.dumps(v)}" for k, v in {**table, "match": ["h100-sx"], "fitted_on": ["s11"]}.items()]
    cal, runs = tmp_path / "mine.toml", tmp_path / "srv.csv"
    cal.write_text("[serving.mine]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    runs.write_text(_CSV.replace("s-tp3,", "s-ok,").replace(",3,1,bf16", ",2,1,bf16"), encoding="utf-8")
    inputs = ["validate", "--serving", "--runs", str(runs), "--calibration", str(cal)]
    _, err = run_main_expect(capsys, *inputs)
    report = [ln for ln in err.splitlines() if ln.startswith("warning:") and "[serving.mine]" in ln]
    assert len(report) == 2, err
    out, err = run_main_expect(capsys, *inputs, "--row", "s1", "--json")
    doc = _checked(out, capsys)
    assert doc["input_notes"] == report and all(ln in err.splitlines() for ln in report), err



def test_the_report_says_1_row_not_1_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The serving report's held-out line read '(1 rows)' of a file with one held-out row (the training report's
    '(1 run)' was fixed in s32; ut5val)."""
    runs = tmp_path / "srv.csv"
    runs.write_text(_CSV.splitlines()[0] + "\n" + _CSV.splitlines()[1] + "\n", encoding="utf-8")
    out, _ = run_main_expect(capsys, "validate", "--serving", "--runs", str(runs))
    [line] = [ln for ln in out.splitlines() if ln.startswith("held-out median |error|:")]
    assert "% (1 row); worst " in line, line
