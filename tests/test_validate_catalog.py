"""`validate --catalog FILE`: a user's runs file may name a device of their own catalog file (as `plan`, `plan
explain`, `plan serve` and `plan infer` take --catalog). Without it such a row could only give the spec's path;
with it the row reproduces through the same path as `plan explain --catalog`, number for number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, row_explain_argv, run_main

CATALOG = str(Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml")  # my-asic, bf16 65.5 TF
ROW = {"id": "asic-1", "source": "our lab 2026-11", "hardware": "my-asic", "devices": "8", "layers": "16",
       "hidden": "2048", "heads": "16", "ffn": "5632", "vocab": "32000", "seq": "2048", "global_batch": "64",
       "tp": "1", "pp": "1", "dp": "8", "cp": "1", "vp": "1", "mbs": "1", "zero": "1", "recompute": "selective",
       "step_s": "4.0", "dtype": "bf16", "mlp": "swiglu", "flash": "1", "overlap": "1", "stack": "megatron"}


def _runs(tmp_path: Path) -> Path:
    p = tmp_path / "runs.csv"
    p.write_text(",".join(ROW) + "\n" + ",".join(ROW.values()) + "\n", encoding="utf-8")
    return p


def test_a_run_on_a_device_of_the_users_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _runs(tmp_path)
    code, out, err = run_main(["validate", "--runs", str(runs), "--catalog", CATALOG, "--json"], capsys)
    assert code == 0, err
    (got,) = json.loads(out)["runs"]
    code, out, err = run_main(row_explain_argv(ROW, tmp_path, (CATALOG,)), capsys)
    assert code in (0, 2), err
    plan = json.loads(out)
    assert got["hardware"] == plan["hardware"] == "my-asic"
    assert got["predicted_step_s"] == explain_terms(plan)["step_time_s"]  # exactly: one code path


@pytest.mark.parametrize("flag", ["--serving", "--inference"])
def test_catalog_with_another_runs_kind_is_refused(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["validate", flag, "--catalog", CATALOG], capsys)
    assert code == 2 and "Traceback" not in err and f"--catalog with {flag}" in err


def test_without_catalog_the_device_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["validate", "--runs", str(_runs(tmp_path))], capsys)
    assert code == 2 and "Traceback" not in err and "unknown device 'my-asic'" in err and "--catalog FILE" in err


def test_a_missing_catalog_file_is_the_flags_error_not_a_rows(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A missing --catalog file was reported as the first bundled row's error ("run 'meg-t1-1.7b': ..., a --flag here
    is the cell of the same name in that row"): the file is loaded once before any row is predicted."""
    code, _, err = run_main(["validate", "--catalog", str(tmp_path / "nope.toml")], capsys)
    assert code == 2 and "nope.toml" in err and "run '" not in err and "Traceback" not in err, err
