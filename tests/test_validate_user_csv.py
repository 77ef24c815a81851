"""`validate --runs` with a user's own minimal CSV (only the columns a run needs): each missing column is named
up front with the fix, not reported as a Python KeyError from deep in the row reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = "id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,dtype"
ROW = "my-run-1,our cluster 2026,h100-sxm,8,32,4096,32,11008,32000,4096,64,1,1,8,none,5.1,bf16"


def test_a_csv_without_the_mlp_column_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "run 'my-run-1' is malformed: 'mlp'" / "check the CSV columns": the reader needs mlp (gelu|swiglu)
    in every row, yet the required-column check did not list it."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert "lacks the column(s) mlp" in err and "malformed" not in err and "fix:" in err


def test_the_minimal_csv_with_mlp_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER},mlp\n{ROW},swiglu\n")
    out, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    assert '"my-run-1"' in out
