"""Paths typed as a shell or a hand leaves them.

`--model=~/m/config.json` reaches accelopt as typed (bash expands '~' only at the start of a word), and the error
said only 'no such file (relative to the current folder /x)', leaving the user to find why a path into their home
folder was missing (uttrial, a user trial): it now says that the '~' was not expanded and how to write the path."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.parametrize("argv", [["plan", "serve", "--model=~/no-such-dir/config.json", "--hardware", "h100-sxm"],
                                  ["simulate", "run", "-d", "~/no-such-dir/d.toml", "-m", "resnet50"]])
def test_an_unexpanded_tilde_is_named(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(argv, capsys)
    assert code == 2 and not out, err
    assert "a leading '~' is not expanded here" in err and "$HOME/" in err, err


def test_a_plain_relative_path_gets_no_tilde_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["plan", "serve", "--model", "no-such-dir/config.json", "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "relative to the current folder" in err and "'~'" not in err, err


def test_a_config_file_typed_with_a_trailing_slash_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """uttrial: `--model m/config.json/` was told "is a file, but not a .json config" of a .json file."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(["plan", "serve", "--model", "m/config.json/", "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "ends in '/' (a folder), but 'm/config.json' is a file" in err, err
    assert "not a .json config" not in err and "--model m/config.json" in err, err
