"""`plan infer DIR` (a bare folder name) whose config.json is a named pipe said 'a folder without a config.json';
the folder has one, and it is not a regular file. The error now says so (as `plan infer ./DIR` already did)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_piped_config_is_named_as_such(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_llama").mkdir()
    os.mkfifo(tmp_path / "my_llama" / "config.json")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["plan", "infer", "my_llama"], capsys)
    assert code == 2, err
    assert "config.json is not a regular file (a named pipe or a device)" in err
    assert "without a config.json" not in err


def test_a_folder_without_one_still_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_llama").mkdir()
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["plan", "infer", "my_llama"], capsys)
    assert code == 2 and "'my_llama' is a folder without a config.json" in err, err
