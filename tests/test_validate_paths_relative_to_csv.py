"""`validate --runs sub/runs.csv` read a relative spec TOML / config.json path in the CSV's hardware or model cell
relative to the folder validate ran in, not to the CSV's, so the same runs file (with its spec beside it) failed
with 'no such file' when validated from anywhere but its own folder. Relative path cells are read relative to the
CSV's folder now (runs_csv.resolve_path_cells); absolute paths and catalog / preset names are kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_main, write_csv
from test_validate_catalog import ROW

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_a_training_rows_spec_toml_is_read_beside_the_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(EXAMPLES / "my_accelerator.toml", tmp_path / "sub" / "spec.toml")
    absolute = {**ROW, "id": "abs", "hardware": str(EXAMPLES / "my_accelerator.toml")}
    runs = write_csv(tmp_path / "sub" / "runs.csv", [{**ROW, "hardware": "spec.toml"}, absolute])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    got = {r["id"]: r for r in json.loads(out)["runs"]}
    assert got["asic-1"]["hardware"] == got["abs"]["hardware"] == "my-asic"
    assert got["asic-1"]["predicted_step_s"] == got["abs"]["predicted_step_s"]


def test_a_serving_rows_config_json_is_read_beside_the_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    base = dict(next(r for r in rows if r["metric"] == "ttft_ms" and r["model"] == "llama3-8b"
                     and r["weight_dtype"] == "bf16" and not r["int4_group_size"]))
    shutil.copytree(EXAMPLES / "hf_tiny_llama", tmp_path / "sub" / "tiny")
    row = {**base, "id": "tiny-run", "model": "tiny/config.json", "role": "test", "note": "",
           "source": sources.get(base["source"], base["source"])}
    runs = write_csv(tmp_path / "sub" / "serving.csv", [row])
    monkeypatch.chdir(tmp_path)  # not the CSV's folder: tiny/config.json is not here
    assert not Path("tiny/config.json").exists()
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    (got,) = json.loads(out)["runs"]
    assert got["id"] == "tiny-run" and got["predicted"] > 0


def test_names_and_absolute_paths_are_kept(tmp_path: Path) -> None:
    from accelopt.predict.runs_csv import resolve_path_cells

    (tmp_path / "spec.toml").write_text("")
    rows = [{"hardware": "h100-sxm", "model": "llama3-8b"},
            {"hardware": "spec.toml", "model": str(tmp_path / "x" / "config.json")},
            {"hardware": "specs/b.toml", "model": "models/m"}]
    resolve_path_cells(rows, tmp_path / "runs.csv")
    assert rows == [{"hardware": "h100-sxm", "model": "llama3-8b"},
                    {"hardware": str(tmp_path / "spec.toml"), "model": str(tmp_path / "x" / "config.json")},
                    {"hardware": str(tmp_path / "specs" / "b.toml"), "model": str(tmp_path / "models" / "m")}]
    bundled = [{"hardware": "spec.toml", "model": "m.json"}]
    resolve_path_cells(bundled, None)
    assert bundled == [{"hardware": "spec.toml", "model": "m.json"}]


def test_a_folder_named_like_the_device_beside_the_csv_leaves_the_name_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A runs file beside a folder of logs named after its device, h100-sxm/: the catalog name in the hardware cell
    was read as the path '.../h100-sxm' and refused as 'unknown device', with the fix 'did you mean h100-sxm?', the
    very name written. Only a file (or, for a model cell, a folder holding config.json) makes a bare name a path."""
    (tmp_path / "h100-sxm").mkdir()
    (tmp_path / "h100-sxm" / "log.txt").write_text("step 1: 4.1 s\n")
    row = {**ROW, "id": "lab-1", "hardware": "h100-sxm"}
    runs = write_csv(tmp_path / "runs.csv", [row])
    monkeypatch.chdir(tmp_path.parent)
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    (got,) = json.loads(out)["runs"]
    assert got["hardware"] == "h100-sxm"


def test_the_columns_table_says_where_a_relative_spec_is_read() -> None:
    """docs/runs_files.md's hardware row still said a relative spec TOML is read 'from the folder `validate` runs
    in', the opposite of its own intro and of resolve_path_cells (the CSV's folder)."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "runs_files.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| `hardware` | required"))  # training
    assert "relative one from the CSV's folder" in row and "runs in" not in row
