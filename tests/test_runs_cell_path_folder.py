"""A runs file's cell naming a file by a relative path (hardware = my.toml, a serving row's model = m/config.json)
resolves against the runs file's folder (tests/test_validate_paths_relative_to_csv.py); the error said only
'catalog file my.toml does not exist' / "--model 'm/config.json': no such file", without the folder a relative path
is read from: it now names it (since utsmall, 2026-12-04, a runs-file cell names the cell as written, the path it was
resolved to and the runs file's folder; plan's --model names the current folder). Absolute paths read as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

TRAIN = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,mlp\n"
         "ours-7b,Our logbook,mine.toml,8,32,4096,32,11008,32000,4096,128,1,1,8,none,30.5,swiglu\n")
SERVE = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
         "role\nours-tiny,Our bench,vllm,l4,tiny/config.json,1,1,bf16,bf16,64,8,1,tpot_ms,2.0,test\n")


def test_a_missing_relative_hardware_file_names_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "runs").mkdir()
    runs = tmp_path / "runs" / "train.csv"
    runs.write_text(TRAIN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["validate", "--runs", "runs/train.csv"], capsys)
    assert code == 2, out  # the cell is read beside the runs file: runs/mine.toml from the current folder
    # utsmall (2026-12-04): the cell as written, where it was resolved, and the folder to write it against
    assert ("hardware cell 'mine.toml' (resolved against the runs file's folder: runs/mine.toml) not found" in err
            and "relative to the runs file's folder (runs)" in err), err


def test_a_missing_relative_model_cell_names_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "serve.csv"
    runs.write_text(SERVE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["validate", "--serving", "--runs", runs.name], capsys)
    assert code == 2, out
    assert ("model cell 'tiny/config.json' (resolved against the runs file's folder: tiny/config.json) not found"
            in err), err
    code, out, err = run_main(["plan", "--model", "nope/config.json", "--devices", "8"], capsys)
    assert code == 2 and f"no such file (relative to the current folder {tmp_path})" in err


def test_an_absolute_path_says_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", str(tmp_path / "nope.json"), "--devices", "8"], capsys)
    assert code == 2 and "no such file" in err and "relative to the current folder" not in err
