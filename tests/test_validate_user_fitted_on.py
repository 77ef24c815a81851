"""`validate --runs mine.csv --calibration mine.toml`: the fit rows a user's calibration declares (a family's
`fitted_on`) are checked against the runs of the report. A training row has no `role` cell, so an id the table
misspells, or one of a run predicted with another family's table, left the run the user meant as a fit row among
the held-out ones without a word (uttrial3, 2026-12-05)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,mlp,"
          "flash,overlap,zero")
ROWS = ("my-fit,our lab,h100-sxm,8,32,4096,32,11008,32000,4096,64,1,1,8,none,5.1,swiglu,1,1,1\n"
        "my-test,our lab,h100-sxm,8,32,4096,32,11008,32000,4096,128,1,1,8,none,10.0,swiglu,1,1,1\n"
        "my-a100,our lab,a100-sxm-80gb,8,32,4096,32,11008,32000,4096,64,1,1,8,none,15.0,swiglu,1,1,1\n")
TABLE = """[family.my-h100]
match = ["h100-sxm"]
matmul_eff_max = 0.6
matmul_half_flop = 0.5e9
memory_eff = 0.80
scaleup_bw_eff = 0.80
scaleout_bw_eff = 0.80
overlap_eff = 0.80
kernel_overhead_s = 4e-6
framework_overhead_bytes = 2.5e9
fitted_on = {fitted_on}
"""


def _report(tmp_path: Path, capsys: pytest.CaptureFixture[str], fitted_on: str) -> tuple[dict, str]:
    runs, cal = tmp_path / "mine.csv", tmp_path / "mine.toml"
    runs.write_text(f"{HEADER}\n{ROWS}")
    cal.write_text(TABLE.format(fitted_on=fitted_on))
    out, err = _cli(capsys, "validate", "--runs", str(runs), "--calibration", str(cal), "--json")
    return json.loads(out), err


def test_a_misspelt_fit_row_is_named_with_the_id_meant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, err = _report(tmp_path, capsys, '["my-fitt"]')
    said = "[family.my-h100] fitted_on names 'my-fitt', a run in neither the runs validated nor the bundled file"
    assert said in " ".join(err.split()) and "did you mean 'my-fit'?" in err
    assert any(said in n for n in doc["input_notes"])  # the JSON carries the line the console prints
    assert not any(r["fitted"] for r in doc["runs"])  # the warning tells the truth: nothing was fitted


def test_a_fit_row_of_another_family_is_named_as_held_out(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    doc, err = _report(tmp_path, capsys, '["my-fit", "my-a100"]')
    said = ("[family.my-h100] fitted_on names 'my-a100', which this report holds out: it is predicted with "
            "[family.nvidia-ampere]")
    assert said in " ".join(err.split())
    assert {r["id"]: r["fitted"] for r in doc["runs"]} == {"my-fit": True, "my-test": False, "my-a100": False}


def test_declared_fit_rows_and_bundled_ids_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A table copied from the bundled file names bundled runs a user's file does not hold: no warning for them."""
    doc, err = _report(tmp_path, capsys, '["my-fit", "meg-t1-145.6b"]')
    assert "fitted_on names" not in err and not any("fitted_on names" in n for n in doc["input_notes"])
    assert {r["id"]: r["fitted"] for r in doc["runs"]}["my-fit"] is True
