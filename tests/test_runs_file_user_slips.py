"""ut5val (issue 10, a demanding user's runs file): the slips a person makes typing runs into a CSV, each named so that
one reading of the error is enough to fix it.

- a cell left out in the middle of a row that then ends before an optional trailing column only: the row was taken, and
  the error named the shifted cell ("step_s = 'swiglu' is not a positive number") without saying the row is short;
- a number written with its unit ("5.1 s", "45%"): 'is not a positive number, write a positive, finite number', with
  no word of the unit that made it so;
- a run id written twice: the error named the id, not the rows;
- `validate --row MY-RUN` without --runs: the fix offered the bundled ids nearest by spelling, not --runs FILE;
- a name written in another case ('vLLM' in a serving engine cell): the fix listed every name, not the one meant;
- a required column left out, or an empty file: the fix sent the user to 'predict/data/published_training_runs.csv',
  a folder of the source tree, not of a pip installation."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import USER_RUNS_HEADER as HEADER
from conftest import USER_RUNS_ROWS as ROWS
from conftest import run_main


def _err(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    runs = tmp_path / "mine.csv"
    runs.write_text(text, encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 2 and not out, out
    return " ".join(err.split())


def test_a_short_row_says_so_beside_its_shifted_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """my-fit's step_s (5.1) left out: its 19 cells under a header of 20 put 'swiglu' under step_s."""
    short = ROWS.replace(",none,5.1,swiglu,", ",none,swiglu,", 1)
    flat = _err(tmp_path, capsys, f"{HEADER}\n{short}")
    assert "run 'my-fit': step_s = 'swiglu' is not a positive number" in flat, flat
    assert ("the row has 19 cells, the header 20 columns: a cell left out before this one would put it under the "
            "wrong column; trailing cells may be left out") in flat, flat


def test_a_full_row_says_nothing_of_its_cell_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = _err(tmp_path, capsys, f"{HEADER}\n{ROWS.replace(',5.1,', ',fast,', 1)}")
    assert "step_s = 'fast' is not a positive number" in flat and "cells, the header" not in flat, flat


@pytest.mark.parametrize(("cell", "unit"), [("5.1 s", "s"), ("5.1s", "s"), ("5100 ms", "ms")])
def test_a_number_with_its_unit_is_told_to_drop_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str,
                                                   unit: str) -> None:
    flat = _err(tmp_path, capsys, f"{HEADER}\n{ROWS.replace(',5.1,', f',{cell},', 1)}")
    assert f"step_s = {cell!r} is not a positive number" in flat, flat
    assert (f"write the number alone, in the column's unit ({unit!r} is a unit: drop it, converting the number first "
            "if the column's unit is another; docs/runs_files.md gives each column's unit)") in flat, flat


def test_a_whole_number_with_its_unit_is_told_to_drop_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = _err(tmp_path, capsys, f"{HEADER}\n{ROWS.replace(',8,32,4096,', ',8 GPUs,32,4096,', 1)}")
    assert "devices = '8 GPUs' is not a whole number" in flat and "('GPUs' is a unit: drop it" in flat, flat


def test_a_duplicate_id_names_its_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twice = ROWS.replace("my-a100,", "my-fit,", 1)
    flat = _err(tmp_path, capsys, f"{HEADER}\n{twice}")
    assert "run id 'my-fit' appears twice (data rows 1 and 3, counting from 1 after the header)" in flat, flat


def test_a_missing_column_names_the_installed_bundled_file(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.runs_csv import bundled_header

    cut = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 14)
                    for line in [HEADER, *ROWS.splitlines()])  # the recompute column out
    flat = _err(tmp_path, capsys, cut + "\n")
    assert "lacks the column(s) recompute" in flat, flat
    [installed] = [w.rstrip(";") for w in flat.split() if w.endswith("published_training_runs.csv;")]
    path = Path(installed)
    assert path.is_absolute() and path.is_file() and "recompute" in bundled_header(path.name), flat


def test_an_empty_file_names_the_installed_bundled_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat = _err(tmp_path, capsys, "# my runs, to be typed in\n")
    assert "holds no runs" in flat, flat
    [installed] = [w.rstrip(";") for w in flat.split() if w.rstrip(";").endswith("/published_training_runs.csv")]
    assert Path(installed).is_absolute() and Path(installed).is_file(), flat


def test_a_name_in_another_case_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "srv.csv"
    runs.write_text("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                    "published,role\n"
                    "s1,lab,vLLM,h100-sxm,llama3-8b,1,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n",
                    encoding="utf-8")
    code, _, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "engine = 'vLLM' is not one of trtllm," in flat, flat
    assert "fix: write 'vllm' (the names are matched as written, in that case)" in flat, flat


@pytest.mark.parametrize("serving", [[], ["--serving"]])
def test_an_own_id_without_runs_is_told_to_add_runs(capsys: pytest.CaptureFixture[str], serving: list[str]) -> None:
    code, out, err = run_main(["validate", *serving, "--row", "my-own-run-1"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and not out and "run id 'my-own-run-1'" in flat, flat
    assert flat.endswith("; a run of your own runs file: add --runs FILE"), flat


def test_an_unknown_id_of_a_runs_file_is_not_told_to_add_runs(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "mine.csv"
    runs.write_text(f"{HEADER}\n{ROWS}", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs), "--row", "my-fitt"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "did you mean 'my-fit'" in flat and "add --runs" not in flat, flat
