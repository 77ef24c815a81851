"""Every `--flag` README.md's command lines give (the indented and fenced examples: `accelopt plan explain --model
... [--cp 1] ...`) is an option of the command it follows, so a renamed or removed option cannot leave an example a
user copies failing with 'No such option' (tests/test_examples_files.py checks the command words; this the flags).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main
from conftest import readme_command_lines

from accelopt.cli.main import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _command_lines() -> list[str]:
    """The README's example command lines (conftest.readme_command_lines), their comments cut."""
    return [command for command, _ in readme_command_lines(README)]


def _resolve(words: list[str]) -> tuple[Any, str]:
    """The (sub)command the leading words name, and its path."""
    cmd: Any = typer.main.get_command(app)  # typer vendors click: duck-typed
    path = "accelopt"
    for w in words:
        sub = getattr(cmd, "commands", {}).get(w)
        if sub is None:
            break
        cmd, path = sub, f"{path} {w}"
    return cmd, path


def _options(cmd: Any) -> set[str]:
    out: set[str] = set()
    for p in cmd.params:
        out.update(o for o in (*p.opts, *getattr(p, "secondary_opts", ())) if o.startswith("--"))
    return out


def test_the_parse_finds_the_examples() -> None:
    lines = _command_lines()
    assert len(lines) >= 40, lines
    assert any(line.startswith("accelopt plan explain --model gpt3-175b") for line in lines)
    assert any("--tp-overlap-cfg" in line for line in lines)  # a continuation line was joined


def test_every_flag_of_a_readme_command_line_is_an_option_of_that_command() -> None:
    unknown = []
    for line in _command_lines():
        words = re.findall(r"[a-z][a-z-]*", line.split(" -")[0])[1:]  # the words before the first option
        cmd, path = _resolve(words)
        flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line))
        unknown += [f"{path}: {f}  (README: {line[:90]})" for f in sorted(flags - _options(cmd) - {"--help"})]
    assert not unknown, "\n".join(unknown)


def test_every_flag_of_an_inline_command_is_an_option_of_that_command() -> None:
    """The same for commands written inline in the prose (`plan serve --json`, `validate --row ID`): README said
    '`plan --tp` and `plan serve --tp 2-8` on them' (plan takes no --tp: plan explain does, and plan searches tp)
    and '`simulate --batch` up to 2^20' (simulate run / sweep take it)."""
    top = set(getattr(typer.main.get_command(app), "commands", {}))
    prose = re.sub(r"\s+", " ", README)
    words = "|".join(sorted(top))
    spans = re.findall(rf"`(?:accelopt )?((?:{words}) [^`]*--[^`]+)`", prose)
    assert len(spans) >= 50, spans
    unknown = []
    for span in spans:
        cmd, path = _resolve(re.findall(r"[a-z][a-z-]*", span.split(" -")[0]))
        flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", span))
        unknown += [f"{path}: {f}  (README: `{span[:90]}`)" for f in sorted(flags - _options(cmd) - {"--help"})]
    assert not unknown, "\n".join(unknown)
