"""`validate --catalog my.toml --runs my.csv`: a run on a device no calibration family matches showed its family as
`default` and never said "uncalibrated", which `plan` and `plan explain` say of the same device. Each run now carries
its calibration basis (calibration_tag, calibration_basis: plan explain's CurveBasis); the table's family cell and a
line under it say it, in the text, the JSON and the HTML page alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import row_explain_argv, run_main
from test_validate_catalog import CATALOG, ROW

H100_ROW = {**ROW, "id": "h100-1", "hardware": "h100-sxm", "step_s": "0.5"}


def _runs(tmp_path: Path) -> Path:
    p = tmp_path / "runs.csv"
    p.write_text("\n".join(",".join(r) for r in (ROW, ROW.values(), H100_ROW.values())) + "\n", encoding="utf-8")
    return p


def test_a_run_on_an_uncalibrated_device_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs, page = _runs(tmp_path), tmp_path / "v.html"
    code, text, err = run_main(["validate", "--runs", str(runs), "--catalog", CATALOG, "--html", str(page)], capsys)
    assert code == 0, err
    assert "default (uncalibrated: default curve)" in text  # the family cell
    line = next(ln for ln in text.splitlines() if ln.startswith("calibration of 1 run(s) on my-asic (asic-1)"))
    assert "no calibration family matches my-asic" in line and "uncalibrated estimate" in line
    assert "h100-1" not in line and "calibration of 1 run(s) on h100-sxm" not in text  # a fitted family: no label
    html = page.read_text(encoding="utf-8")
    assert "default (uncalibrated: default curve)" in html and "no calibration family matches my-asic" in html

    code, out, err = run_main(["validate", "--runs", str(runs), "--catalog", CATALOG, "--json"], capsys)
    asic, h100 = json.loads(out)["runs"]
    assert (asic["family"], asic["calibration_tag"]) == ("default", "uncalibrated: default curve")
    assert h100["calibration_tag"] == "" and h100["calibration_basis"] == ""
    # the same basis `plan explain` prints for the row's layout, word for word
    code, out, err = run_main(row_explain_argv(ROW, tmp_path, (CATALOG,)), capsys)
    assert json.loads(out)["calibration_basis"]["text"] == asic["calibration_basis"]


def test_a_version_3_document_still_loads() -> None:
    from accelopt.predict.validation import RunResult, ValidateResult
    from accelopt.report import schema

    row = RunResult(id="r", source="s", hardware="my-asic", devices=8, published_step_s=2.0, predicted_step_s=2.2,
                    published_mfu=None, predicted_mfu=0.4, fitted=False, family="default",
                    calibration_tag="uncalibrated: default curve", calibration_basis="the default curve")
    res = ValidateResult(runs=[row], median_abs_error_held_out=0.1, median_abs_error_all=0.1,
                         median_abs_error_held_out_by_source={}, by_source=[], by_family=[], by_precision=[])
    doc = schema.dump("validate", res)
    v3 = {**doc, "schema_version": 3, "runs": [{k: v for k, v in r.items() if not k.startswith("calibration_")}
                                               for r in doc["runs"]]}
    old = schema.load("validate", v3).runs[0]
    assert (old.calibration_tag, old.family_text) == ("", "default")
