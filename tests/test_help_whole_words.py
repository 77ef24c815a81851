"""`accelopt plan --help` cut words of its help texts ('max_position_embedding…', 'predict/data/calibrati…') at
80 columns, and most of every help at 40: typer's options table gives the flag columns their width and rich
shrank the help column below its longest word. Every command's help now keeps each word whole (a word wider than
the whole width is folded, every character shown), at any width."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from accelopt.cli.main import app, main

GROUP = typer.main.get_command(app)


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    out = [(path, cmd)]
    for name, sub in getattr(cmd, "commands", {}).items():
        out += _commands(sub, (*path, name))
    return out


COMMANDS = _commands(GROUP)


def _help(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, path: tuple[str, ...],
          columns: int) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit) as e:
        main([*path, "--help"])
    out, err = capsys.readouterr()
    assert e.value.code == 0, err
    return out


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_every_help_keeps_its_words_whole(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                          columns: int) -> None:
    for path, cmd in COMMANDS:
        text = _help(capsys, monkeypatch, path, columns)
        where = f"accelopt {' '.join(path)} --help at {columns} columns"
        assert "…" not in text, where
        assert max(len(line) for line in text.splitlines()) <= columns, where
        flat = " ".join(text.replace("│", " ").split())
        for p in cmd.params:
            for word in (getattr(p, "help", None) or "").split():
                if len(word) <= columns - 6:  # the panel's borders and padding, and the help's indent
                    assert word in flat, (where, p.name, word)


def test_plan_help_at_80_columns_shows_the_config_key_whole(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert "max_position_embeddings" in _help(capsys, monkeypatch, ("plan",), 80)


def test_a_typer_without_its_private_console_factory_still_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """cli/main wraps typer.rich_utils._get_rich_console (no public setting lays out typer's option tables, see
    _help_keeps_words_whole): a typer release without it must leave help as typer prints it, not stop every
    command at import with an AttributeError."""
    from typer import rich_utils

    from accelopt.cli import main as cli_main

    monkeypatch.delattr(rich_utils, "_get_rich_console")
    cli_main._help_keeps_words_whole()  # raised AttributeError
    assert not hasattr(rich_utils, "_get_rich_console")
