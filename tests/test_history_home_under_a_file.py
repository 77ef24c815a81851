"""A history home below a file (ACCELOPT_HOME=notes.txt/h, or HOME a file so that ~/.accelopt lies under it):
`history list` said 'no runs recorded' with exit 0 and `prune` 'pruned 0 runs; 0 left', while a home that is itself
a file was an error (exit 2) naming it, and every recording warned that the store cannot be used. Both are one
error naming the file in the way, as for the home itself (utreport 2026-12-05)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli


@pytest.mark.parametrize("argv", [("history", "list"), ("history", "prune", "--keep", "1"),
                                  ("history", "show", "latest")])
def test_a_file_above_the_home_is_named(argv: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    monkeypatch.setenv("ACCELOPT_HOME", str(notes / "accelopt"))
    out, err = _cli(capsys, *argv, code=2)
    err = " ".join(err.split())
    assert f"{notes}, above $ACCELOPT_HOME {notes / 'accelopt'}, is a file, not a folder" in err
    assert "set ACCELOPT_HOME to a folder you can write to" in err
    assert "no runs recorded" not in out + err and "pruned" not in out
    assert notes.read_text() == "mine"


def test_the_home_itself_a_file_is_named_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    monkeypatch.setenv("ACCELOPT_HOME", str(notes))
    _, err = _cli(capsys, "history", "list", code=2)
    assert f"$ACCELOPT_HOME {notes} is a file, not a folder" in " ".join(err.split())


def test_a_new_home_below_new_folders_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "a" / "b" / "home"))
    out, _ = _cli(capsys, "history", "list")
    assert "no runs recorded" in out
