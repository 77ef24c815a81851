"""`validate --runs FILE` with a relative config.json / spec TOML cell that names nothing reported only the path
joined to the runs file's folder ("--model '/abs/x/config.json': no such file"), a path the user never wrote: it
names both now, what was written and where it was looked for (runs_csv.missing_path_cell)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main, write_csv
from test_validate_catalog import ROW

ARCH = ("layers", "hidden", "heads", "ffn", "vocab", "mlp")


@pytest.mark.parametrize(("col", "written"), [("model", "x/config.json"), ("hardware", "specs/npu.toml")])
def test_a_missing_relative_path_cell_names_what_was_written_and_where_it_was_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], col: str, written: str) -> None:
    row = {**ROW, "id": "r1", "model": "", col: written}
    if col == "model":
        row.update({c: "" for c in ARCH})
    runs = write_csv(tmp_path / "sub" / "runs.csv", [row])
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2, out
    joined = tmp_path / "sub" / written
    assert (f"{col} cell '{written}' (resolved against the runs file's folder: {joined}) not found" in flat), flat
    assert str(tmp_path / "sub") in flat.split("fix:")[1]


def test_a_serving_rows_missing_config_json_names_both_paths(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    base = dict(next(r for r in rows if r["metric"] == "ttft_ms" and r["model"] == "llama3-8b"
                     and r["weight_dtype"] == "bf16" and not r["int4_group_size"]))
    row = {**base, "id": "tiny-run", "model": "tiny/config.json", "role": "test", "note": "",
           "source": sources.get(base["source"], base["source"])}
    runs = write_csv(tmp_path / "sub" / "serving.csv", [row])
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2, out
    joined = tmp_path / "sub" / "tiny" / "config.json"
    assert f"model cell 'tiny/config.json' (resolved against the runs file's folder: {joined}) not found" in flat, flat
