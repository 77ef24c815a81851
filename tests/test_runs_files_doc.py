"""docs/runs_files.md lists every column each runs-file reader takes, and marks required exactly the columns the
reader refuses a file without. The README said only "your own runs in the bundled CSV format": which columns a
user's file needs, what a blank cell means (flash 0 where `plan` assumes 1) and how a published TFLOP/s figure is
read (Narayanan et al. 2021 eq. 3 hardware FLOPs) were written nowhere a user reads."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict import inference_validation, serving_validation, validation
from accelopt.predict.runs_csv import bundled_header

DOC = Path(__file__).resolve().parents[1] / "docs" / "runs_files.md"
READERS = {  # doc section title -> (bundled file, the reader's required columns, columns read beyond its header)
    "Training runs": ("published_training_runs.csv", validation._REQUIRED_COLUMNS, validation._READ_BEYOND_HEADER),
    "Serving runs": ("published_serving_runs.csv", serving_validation._REQUIRED, ()),
    "Inference runs": ("published_inference_runs.csv", inference_validation._REQUIRED, ()),
}


def _table(section: str) -> dict[str, bool]:
    """{column: required} of the doc's table under the '## `section` ...' heading."""
    text = DOC.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [ln.split("|")[1:3] for ln in text.splitlines() if ln.startswith("| `")]
    return {name.strip().strip("`"): req.strip() == "required" for name, req in rows}


@pytest.mark.parametrize("section", list(READERS))
def test_every_column_read_is_documented(section: str) -> None:
    bundled, required, beyond = READERS[section]
    table = _table(section)
    assert set(table) == set(bundled_header(bundled)) | set(beyond)
    assert {c for c, req in table.items() if req} == set(required)


def test_the_readme_points_to_it() -> None:
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/runs_files.md" in readme


def test_the_worked_example_gives_validates_step_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The doc's example row and the `plan explain` command it says is the same run give the same step time."""
    text = DOC.read_text(encoding="utf-8")
    header, row = [ln.strip() for ln in text.split("A row and its command: the row", 1)[1].splitlines()
                   if ln.startswith("    ")][:2]
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{header}\n{row}\n", encoding="utf-8")
    config = {"num_hidden_layers": 80, "hidden_size": 8192, "num_attention_heads": 64, "num_key_value_heads": 8,
              "intermediate_size": 28672, "vocab_size": 128256, "hidden_act": "silu", "tie_word_embeddings": False,
              "max_position_embeddings": 8192}  # the keys the doc lists (and the row's seq as the positions)
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    command = " ".join(text.split("false), `accelopt ", 1)[1].split("`", 1)[0].split())
    argv = [str(tmp_path / "config.json") if a == "config.json" else a for a in shlex.split(command)]
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    want = json.loads(out)["runs"][0]["predicted_step_s"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["prediction"]["step_time_s"] == want
