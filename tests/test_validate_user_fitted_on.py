"""`validate --runs mine.csv --calibration mine.toml`: the fit rows a user's calibration declares (a family's
`fitted_on`) are checked against the runs of the report. A training row has no `role` cell, so an id the table
misspells, or one of a run predicted with another family's table, left the run the user meant as a fit row among
the held-out ones without a word (uttrial3, 2026-12-05)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import USER_FAMILY_TABLE as TABLE
from conftest import USER_RUNS_HEADER as HEADER
from conftest import USER_RUNS_ROWS as ROWS
from conftest import run_main_expect as _cli


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
