"""A misspelt model file name (utopt5, 2026-12-05): `accelopt optimize causal.jsn`, with causal.json beside it, read
"unknown model 'causal.jsn'" and offered zoo names ('known models: bert, chargpt, ...'). A name with a dot that is
close to a model file of its folder (.py, .json, a folder holding config.json) is now offered that file, here and in
`profile`, and so is a missing file.py of a file.py:factory; a misspelt zoo name keeps its suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "causal.json").write_text("{}")
    (tmp_path / "my_model.py").write_text("def build():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("typed", "meant"), [("causal.jsn", "the file 'causal.json'"),
                                              ("my_modle.py:build", "'my_model.py'")])
@pytest.mark.parametrize("command", ["optimize", "profile"])
def test_a_misspelt_file_is_offered_the_file(folder: Path, typed: str, meant: str, command: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([command, typed], capsys)
    assert code == 2, err
    assert f"did you mean {meant}?" in err, err


def test_a_misspelt_zoo_name_keeps_its_suggestion(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "mlpp"], capsys)
    assert code == 2 and "did you mean 'mlp'?" in err and "the file" not in err
