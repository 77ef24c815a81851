"""A runs-file cell that `validate --runs` cannot read as written exits 2 with error:/fix:, never a silent default:
0/1 columns (parallel, tied, overlap, flash, p2p_overlap, tp_overlap), the mlp column and recompute's '+sp' suffix."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.predict.validation import read_runs, run_query

# palm-540b-1pod: a row with head_dim and parallel set, so every cell below exists in it
ROW = next(r for r in read_runs() if r["id"] == "palm-540b-1pod")


@pytest.mark.parametrize(("key", "value"), [("parallel", "2"), ("tied", "3"), ("overlap", "2"), ("flash", "5"),
                                            ("p2p_overlap", "2"), ("tp_overlap", "7"), ("mlp", "swiglue"),
                                            ("mlp", "SwiGLU"), ("recompute", "full+cp"), ("recompute", "selective+"),
                                            ("head_dim", "0")])
def test_bad_cell_is_an_input_error(key: str, value: str) -> None:
    run_query(ROW)  # the row as published reads
    with pytest.raises(InputError) as e:
        run_query({**ROW, key: value})
    assert key in e.value.problem and e.value.fix


def test_bad_cell_exits_2_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(ROW))
    w.writeheader()
    w.writerow({**ROW, "parallel": "2"})
    path = tmp_path / "runs.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 2 and "error:" in err and "parallel" in err and "fix:" in err


def test_config_head_dim_zero_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # head_dim 0 was read as absent (hidden / heads) without a word
    cfg = tmp_path / "config.json"
    cfg.write_text('{"model_type": "gemma", "hidden_size": 3072, "num_attention_heads": 16, "head_dim": 0, '
                   '"num_hidden_layers": 28, "intermediate_size": 24576, "vocab_size": 256000}', encoding="utf-8")
    argv = ["plan", "explain", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "8"]
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "head_dim = 0" in err and "fix:" in err


def test_a_cell_error_is_said_once_with_its_own_fix() -> None:
    """A cell error raised inside the row reader keeps its own problem and fix: it is not wrapped again as
    "run X is malformed: run X is malformed: ..." with the generic "check the CSV columns" (it was, twice)."""
    with pytest.raises(InputError) as e:
        run_query({**ROW, "head_dim": "abc"})
    assert "malformed" not in e.value.problem and e.value.problem.count(ROW["id"]) == 1
    assert "head_dim" in e.value.fix and "check the CSV columns" not in e.value.fix
