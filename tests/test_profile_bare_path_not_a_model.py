"""`accelopt profile NAME` / `optimize NAME` where NAME is a folder of the working directory without a config.json,
or a file that is no model: it was told "unknown model 'NAME'" with the zoo's names as the fix ('did you mean
chargpt?' for a folder named cfg), where `plan`, `plan serve`, `plan infer` and `simulate run` say that the folder
lacks a config.json (uttrial, a user trial)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.parametrize("command", [["profile"], ["optimize"]])
def test_a_folder_without_config_json_is_named(command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cfg").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main([*command, "cfg"], capsys)
    assert code == 2 and not out, err
    assert "'cfg' is a folder without a config.json" in err and "unknown model" not in err, err
    assert "did you mean" not in err, err


def test_a_file_that_is_no_model_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["profile", "notes"], capsys)
    assert code == 2 and "'notes' is a file, not a model this command can read" in err, err
    assert "unknown model" not in err, err


def test_a_misspelt_zoo_name_is_still_an_unknown_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["profile", "gtp"], capsys)
    assert code == 2 and "unknown model 'gtp'" in err and "gpt" in err, err
