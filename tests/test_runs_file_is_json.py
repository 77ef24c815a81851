"""`validate --runs config.json` (a model's config given where a runs table goes) listed every column of the runs
file as missing, without saying the file is JSON (uttrial, a user trial); the serving and inference runs too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.parametrize("indent", [2, None])  # None: a one-line JSON, read as a header alone ('holds no runs', rvB)
@pytest.mark.parametrize("extra", [[], ["--serving"], ["--inference"]])
def test_a_json_file_given_as_runs_is_named_json(extra: list[str], indent: int | None, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "llama", "hidden_size": 4096}, indent=indent), encoding="utf-8")
    code, out, err = run_main(["validate", *extra, "--runs", str(cfg)], capsys)
    assert code == 2 and not out, err
    assert "is JSON (it opens with '{'), not a comma-separated runs file" in err and "lacks the column" not in err, err


def test_a_csv_without_the_columns_still_lists_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("id,source\nx,y\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 2 and "lacks the column(s)" in err and "is JSON" not in err, err


def test_a_toml_file_is_not_called_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A TOML table opens with '[' too: it keeps the missing-columns error (test_bad_inputs_fixed_cases)."""
    cal = tmp_path / "cal.toml"
    cal.write_text("[family.x]\nmatmul_eff_max = 0.5\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(cal)], capsys)
    assert code == 2 and "lacks the column(s)" in err and "is JSON" not in err, err
