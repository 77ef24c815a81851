"""docs/runs_files.md lists every column each runs-file reader takes, and marks required exactly the columns the
reader refuses a file without. The README said only "your own runs in the bundled CSV format": which columns a
user's file needs, what a blank cell means (flash 0 where `plan` assumes 1) and how a published TFLOP/s figure is
read (Narayanan et al. 2021 eq. 3 hardware FLOPs) were written nowhere a user reads."""

from __future__ import annotations

from pathlib import Path

import pytest

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
