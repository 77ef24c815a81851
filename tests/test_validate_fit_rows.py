"""A run counts as a fit row (left out of the held-out figures) only when it is the row a calibration was fitted on:
a user's own run that happens to take a bundled fit row's id is held out. Before, `validate --runs` marked a
torchtitan run named 'dgxc-h100-llama31-8b-bf16-8' (the bundled dgxc Llama 3.1 8B fit row's id) 'fit' and printed
'median |error| on runs the calibration was not fitted on: nan% (0 runs)'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.validation import read_runs

FIT_ID = "dgxc-h100-llama31-8b-bf16-8"  # calibration.toml [family.nvidia-hopper] stacks fitted_on
BUNDLED = next(r for r in read_runs() if r["id"] == FIT_ID)


def _write(tmp_path: Path, row: dict[str, str]) -> Path:
    p = tmp_path / "runs.csv"
    cells = ['"' + (v or "").replace('"', '""') + '"' for v in row.values()]
    p.write_text(",".join(row) + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    return p


def test_a_users_run_with_a_fit_rows_id_is_held_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = {**BUNDLED, "source": "our cluster 2026-12", "step_s": "14.0", "note": ""}
    code, out, err = run_main(["validate", "--runs", str(_write(tmp_path, mine)), "--json"], capsys)
    assert code == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["fitted"] is False


def test_the_fit_row_itself_stays_fit_and_no_nan_is_printed(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--runs", str(_write(tmp_path, BUNDLED)), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["runs"][0]["fitted"] is True
    code, out, err = run_main(["validate", "--runs", str(_write(tmp_path, BUNDLED))], capsys)
    assert code == 0, err
    assert "nan" not in out
    assert "not fitted on: n/a (0 runs)" in " ".join(out.split())
