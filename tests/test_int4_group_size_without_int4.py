"""`plan serve --int4-group-size 64 --weight-dtype fp8` ran (exit 0) with the flag read by nothing: the group size
sets only int4 weights' scale bytes (serving.weight_bytes_per_param), so the figures were those of the run without
it, unsaid. A flag that changes nothing is refused as --pp-microbatches at --pp 1 and --expert-imbalance without
--ep are; the serving runs file's `int4_group_size` cell (the same input) on a row whose weights are not int4 too."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import run_main

_SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "128",
          "--output", "16"]


@pytest.mark.parametrize("dtype", ["fp8", "bf16", "nvfp4"])
def test_a_group_size_without_int4_weights_is_refused(dtype: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_SERVE, "--weight-dtype", dtype, "--int4-group-size", "64"], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert f"--int4-group-size 64 with --weight-dtype {dtype}: no weights are int4" in text
    assert "--weight-dtype int4" in text and "leave --int4-group-size out" in text
    assert "Traceback" not in text and "TTFT" not in out  # nothing predicted


def test_int4_weights_still_take_the_group_size(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main([*_SERVE, "--weight-dtype", "int4", "--int4-group-size", "64"], capsys)
    assert code == 0, err


def test_int4_experts_still_take_the_group_size(capsys: pytest.CaptureFixture[str]) -> None:
    """The routed experts' weights alone int4 (--expert-weight-dtype): the group size applies to them."""
    code, _out, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--batch", "1",
                                "--prompt", "128", "--output", "16", "--expert-weight-dtype", "int4",
                                "--int4-group-size", "64"], capsys)
    assert code == 0, err


def test_a_runs_file_row_with_a_group_size_but_no_int4_is_refused(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    row = dict(next(r for r in rows if r["int4_group_size"] and r["weight_dtype"] == "int4"))
    row.update(id="my-bf16-run", weight_dtype="bf16", source=sources.get(row["source"], row["source"]))
    path = tmp_path / "runs.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
    code, out, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert "serving run 'my-bf16-run': int4_group_size" in text and "weight_dtype 'bf16'" in text
    assert "no weights are int4" in text
