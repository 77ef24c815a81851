"""A mistyped path to a user's own file names the file beside it (a user trial, uttrialC, 2026-12-06). `plan --model
qwen3moe.jsn` next to qwen3moe.json was told "unknown model 'qwen3moe.jsn'; did you mean 'qwen3-8b' or 'qwen3-32b'",
`--model cfg/qwen3moe` that a Hugging Face Hub id is not downloaded (with the preset list), `--hardware mygpu.tml`
next to mygpu.toml "unknown device" with catalog names, and a runs file's model cell 'qwen3moe.jsn' in a CSV read
from another folder "unknown model" with presets: each now says no such file and offers the close names in its
folder (userio.near_files). Names with no file extension keep the preset / device suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import QWEN3_30B_A3B_CONFIG, USER_GPU, run_main, write_config


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cfg").mkdir()
    write_config(tmp_path / "cfg", QWEN3_30B_A3B_CONFIG, "qwen3moe.json")
    (tmp_path / "mygpu.toml").write_text(USER_GPU, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("model", "meant"), [("cfg/qwen3moe.jsn", "cfg/qwen3moe.json"),
                                              ("cfg/qwen3moe", "cfg/qwen3moe.json"),
                                              ("cfg/qwen3moe.jon", "cfg/qwen3moe.json")])
def test_a_model_path_typo_names_the_file(model: str, meant: str, folder: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "--model", model], capsys)
    assert code == 2
    assert f"did you mean {meant!r}" in err, err
    assert "qwen3-8b" not in err and "Hub id" not in err, err  # no preset offered for a file


def test_a_spec_path_typo_names_the_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "mygpu.tml", "--devices",
                                "8"], capsys)
    assert code == 2 and "did you mean the file 'mygpu.toml'" in err, err


def test_a_runs_file_model_cell_typo_names_the_file(folder: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    runs = folder / "cfg" / "serving.csv"
    runs.write_text("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                    "published,role\nmine,our bench,vllm,h100-sxm,qwen3moe.jsn,1,1,bf16,bf16,128,128,8,tpot_ms,10,"
                    "test\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the cell is read relative to the CSV's folder, not this one
    code, _out, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    assert code == 2 and "did you mean 'qwen3moe.json'" in " ".join(err.split()), err
    assert "unknown model" not in err, err


def test_names_without_an_extension_keep_the_catalog_suggestions(folder: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "--model", "qwen3-8bb"], capsys)
    assert code == 2 and "did you mean 'qwen3-8b'" in err, err
    code, _out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxn", "--devices",
                                "8"], capsys)
    assert code == 2 and "did you mean 'h100-sxm'" in err, err
