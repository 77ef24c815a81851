"""A runs file with several bad rows (`validate --runs`, `validate --serving --runs`, `validate --inference --runs`)
names every bad row in one error (exit 2): each row's id, the column and the fix, up to runs_csv.MAX_ROW_PROBLEMS
lines, then 'and N more'. It stopped at the first bad row: fixed, the next one stopped the run again (a user trial,
uttrialC, session 34)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.errors import InputError
from accelopt.predict.runs_csv import MAX_ROW_PROBLEMS, rows_error

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,dtype,"
          "mlp")
CELLS = dict(zip(HEADER.split(","), ("r0", "our cluster 2026", "h100-sxm", "8", "24", "2048", "16", "8192", "50257",
                                     "2048", "256", "1", "1", "8", "none", "1.2", "bf16", "gelu"), strict=True))


def _training_file(tmp_path: Path, changes: list[dict[str, str]]) -> Path:
    """A training runs file of one row per `changes` entry (the good row CELLS with those cells changed)."""
    p = tmp_path / "mine.csv"
    rows = [",".join({**CELLS, "id": f"r{i}", **ch}.values()) for i, ch in enumerate(changes)]
    p.write_text("\n".join([HEADER, *rows]) + "\n")
    return p


def test_every_bad_training_row_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad cell (tp), an unknown device and a unit in a figure, around good rows: all three named, the good ones
    not; was the first (r1's tp) alone."""
    p = _training_file(tmp_path, [{}, {"tp": "two"}, {}, {"hardware": "h100-sxn"}, {"step_s": "5.9s"}])
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert f"runs file {p}: 3 of the 5 runs have a problem" in err
    assert "run 'r1': tp = 'two' is not a whole number" in err and "(in the tp cell of row 'r1')" in err
    assert "run 'r3': unknown device 'h100-sxn'" in err and "did you mean 'h100-sxm'" in err
    assert "run 'r4': step_s = '5.9s' is not a positive number" in err
    assert "'r0'" not in err and "'r2'" not in err
    # one line per bad row, in the file's order
    lines = err.splitlines()
    at = [next(i for i, ln in enumerate(lines) if f"run '{rid}'" in ln) for rid in ("r1", "r3", "r4")]
    assert at == sorted(at) and len(set(at)) == 3


def test_a_params_b_row_and_a_bad_cell_are_named_together(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The params_b check ran only after every row reproduced: its bad cell came one run later."""
    p = _training_file(tmp_path, [{"tp": "two"}, {}])
    text = p.read_text().splitlines()
    p.write_text("\n".join([text[0] + ",params_b", text[1] + ",1.3", text[2] + ",1e9"]) + "\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert "all 2 runs have a problem" in err
    assert "run 'r0': tp = 'two'" in err and "run 'r1': params_b = '1e9' is not written as a decimal" in err


def test_the_table_checks_name_every_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A row without an id, a row with a surplus cell and a duplicate id: all three in one error."""
    p = _training_file(tmp_path, [{}, {"id": ""}, {}, {}])
    lines = p.read_text().splitlines()
    lines[3] += ",extra"
    lines[4] = lines[4].replace("r3,", "r0,", 1)
    p.write_text("\n".join(lines) + "\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert f"runs file {p}: 3 of the 4 runs have a problem" in err
    assert "run 2 (counting data rows from 1, after the header) has no id" in err
    assert "run 'r2' has more cells than the header" in err and "run id 'r0' appears twice" in err


SERVING_HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                  "published,role,note")
SERVING_CELLS = dict(zip(SERVING_HEADER.split(","), ("s0", "our lab", "vllm", "h100-sxm", "llama3-8b", "1", "1", "bf16",
                                                    "bf16", "128", "128", "1", "output_tok_s", "100", "test", ""),
                         strict=True))


def _serving_file(tmp_path: Path, changes: list[dict[str, str]]) -> Path:
    p = tmp_path / "serving.csv"
    rows = [",".join({**SERVING_CELLS, "id": f"s{i}", **ch}.values()) for i, ch in enumerate(changes)]
    p.write_text("\n".join([SERVING_HEADER, *rows]) + "\n")
    return p


def test_every_bad_serving_row_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cell the row check refuses (tp) and a device the reproduction refuses: both, in one error."""
    p = _serving_file(tmp_path, [{"tp": "two"}, {}, {"hardware": "h100-sxn"}])
    _, err = _cli(capsys, "validate", "--serving", "--runs", str(p), code=2)
    assert f"serving runs file {p}: 2 of the 3 runs have a problem" in err
    assert "serving run 's0': tp = 'two' is not a whole number" in err
    assert "serving run 's2': hardware = 'h100-sxn' unknown device" in err and "'s1'" not in err


def test_many_bad_rows_are_capped_with_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = MAX_ROW_PROBLEMS + 5
    p = _serving_file(tmp_path, [{"published": "x"}] * n)
    out, err = _cli(capsys, "validate", "--serving", "--runs", str(p), "--json", code=2)
    assert f"all {n} runs have a problem" in err
    assert sum("published = 'x' is not a positive number" in ln for ln in err.splitlines()) == MAX_ROW_PROBLEMS
    assert "and 5 more" in err and f"serving run 's{MAX_ROW_PROBLEMS - 1}'" in err
    assert f"serving run 's{MAX_ROW_PROBLEMS}'" not in err
    assert "and 5 more" in json.loads(out)["error"]  # the --json error document carries the same lines


def test_one_bad_row_reads_as_before() -> None:
    """A single problem is raised as it was (its own class and words); a problem every row repeats once."""
    one = InputError("run 'a': tp = 'x' is not a whole number", "write a whole number")
    assert rows_error([one], 3) is one
    same = [InputError("catalog file c.toml is not TOML", "fix it") for _ in range(3)]
    assert rows_error(same, 3) is same[0]
    two = rows_error([one, *same], 4)
    assert two.problem.count("\n") == 2 and two.problem.startswith("all 4 runs have a problem")
