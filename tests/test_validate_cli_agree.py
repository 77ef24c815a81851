"""`validate` and the command line agree on every row of the runs file: each row, written down as a user would
(a Hugging Face config.json and `plan explain` flags: the command `validate --row ID` prints,
predict.run_command), gives exactly the numbers `validate` reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import explain_terms, row_explain_argv, run_main

from accelopt.predict.validation import read_runs, reproduce

ROWS = read_runs()


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_cli_matches_validate(row: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kept: dict[int, tuple[Any, Any]] = {}
    want = reproduce(row, kept=kept)  # kept: its predict_layout(run_query(row)) result, not computed a second time
    code, out, err = run_main(row_explain_argv(row, tmp_path), capsys)
    assert code in (0, 2), err  # 2: the layout overflows memory; its terms are still in the JSON
    got = json.loads(out)
    assert explain_terms(got)["step_time_s"] == want.predicted_step_s  # exactly: one code path
    assert explain_terms(got)["hfu" if want.utilization == "HFU" else "mfu"] == want.predicted_mfu
    assert got["stack"] == want.stack and got["hardware"] == want.hardware
    # memory too (the fits tests read the library's): the same bytes from the flags as from the row
    _, library = kept[id(row)]
    assert explain_terms(got)["mem_total_bytes"] == library.terms["mem_total_bytes"]
