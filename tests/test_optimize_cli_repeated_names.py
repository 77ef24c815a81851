"""`--only bf16 --only tf32` measured tf32 alone: typer let the last occurrence of an option replace the earlier
ones, so bf16 was dropped without a word. Every occurrence of --only and --skip now counts, comma lists too."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main

from accelopt.cli import optimize as cli_optimize


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The OptimizeOptions the command would run (nothing is measured)."""
    got: list[Any] = []
    monkeypatch.setattr(cli_optimize, "optimize_command", got.append)
    return got


def test_every_only_counts(seen: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "digits", "--only", "bf16", "--only", "tf32,compile", "--only", "bf16"],
                            capsys)
    assert code == 0, err
    assert seen[0].only == ["bf16", "tf32", "compile"]


def test_every_skip_counts(seen: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "digits", "--skip", "distill", "--skip", "compile"], capsys)
    assert code == 0, err
    assert seen[0].skip == ["distill", "compile"] and seen[0].only is None


def test_an_empty_only_is_still_refused(seen: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "digits", "--only", ",,"], capsys)
    assert code == 2 and "names no technique" in err and not seen
