"""`plan infer NAME` where NAME is a folder or file of the working directory that is no model: it was told 'unknown
model', with profile's list of zoo models (bert, chargpt, digits, gpt, mlp, resnet) as the fix, leaving out plan
infer's own built-in examples (resnet50, mobilenet-v2, ...) and not saying that the folder lacks a config.json
(`./NAME` said so already)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


def test_a_folder_without_config_json_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "my_llama").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(["plan", "infer", "my_llama", "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and not out, err
    assert "'my_llama' is a folder without a config.json" in err, err
    assert "--list-models" in err and "unknown model" not in err, err


def test_a_file_that_is_no_model_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["plan", "infer", "notes", "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "'notes' is a file that plan infer cannot read as a model" in err, err
    assert "unknown model" not in err, err


def test_a_zoo_name_beside_a_folder_of_that_name_is_the_zoo_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "resnet50").mkdir()  # a built-in example keeps its meaning
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["plan", "infer", "resnet50", "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 0, err


def test_an_unknown_objective_says_what_is_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    # plan infer said "--objective 'speed'" and nothing more; `plan` says "... is not an objective"
    code, _, err = run_main(["plan", "infer", "resnet50", "--hardware", "h100-sxm", "--objective", "speed"], capsys)
    assert code == 2 and "--objective 'speed' is not an objective" in err and "energy, cost, power" in err, err
