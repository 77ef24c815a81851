"""The README and the command line agree: every `accelopt ...` line in README.md parses (and the cheap ones run,
with --json), and every flag that a subcommand's --help prints is documented in README.md."""

from __future__ import annotations

import functools
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SYNOPSIS_MARKS = ("[", "|", "...", "ID", "PREFIX", "PATH", "NAME", "FILE")
# Commands that measure this machine for seconds to minutes: parsed, not run (optimize's README lines ran every
# technique under its 10-minute default budget, three lines in a row; tests/test_optimize*.py run it on small
# budgets). Files a README line names as the reader's own (layers.csv, my.toml) do not exist here: parsed too.
SLOW = ("probe", "profile", "optimize")


def _code_lines(text: str) -> list[str]:
    """Command lines inside fenced or indented code blocks, continuation lines joined, comments dropped."""
    lines, in_fence, out, pending = text.splitlines(), False, [], ""
    for line in lines:
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        if not (in_fence or line.startswith("    ")) and not pending:
            continue
        stripped = line.strip()
        if pending:
            stripped = pending + " " + stripped
            pending = ""
        if stripped.endswith("\\"):
            pending = stripped[:-1].rstrip()
            continue
        for part in re.split(r";|&&", stripped):  # 'accelopt plan --list-models;  accelopt validate [--json]'
            part = part.strip()
            if part.startswith("accelopt ") and not part.startswith("accelopt.") and "(" not in part.split("#")[0]:
                out.append(part.split("  #")[0].split(" # ")[0].strip())
    return out


def _inline_lines(text: str) -> list[str]:
    """`accelopt ... --flag` spans in running text (synopses such as `accelopt env [--json]`)."""
    return [m for m in re.findall(r"`(accelopt [^`]+)`", text) if " -" in m]


INLINE = set(_inline_lines(README)) - set(_code_lines(README))  # fragments in prose: their flags are checked
COMMANDS = list(dict.fromkeys(_code_lines(README) + _inline_lines(README)))


@functools.cache
def _tree() -> Any:
    """The `accelopt` click command tree, built once for the file (typer reads every command's signature to build
    it: 0.1-0.25 s a build, paid by each of the README line tests); the tests only read it and parse with it."""
    import typer.main

    from accelopt.cli.main import app

    return typer.main.get_command(app)


def _resolve(words: list[str]) -> tuple[Any, list[str], list[str]]:
    """(click command, its path, the remaining words) for `accelopt WORDS...`."""
    cmd, path, rest = _tree(), [], list(words)
    while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:
        cmd = cmd.commands[rest[0]]
        path.append(rest.pop(0))
    return cmd, path, rest


def _options(cmd: Any) -> set[str]:
    return {o for p in cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")} | {"--help", "-h"}


def test_readme_has_command_lines() -> None:
    assert len(COMMANDS) >= 20, COMMANDS  # the walk-through, the plan, serve, simulate and history sections


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_parses(line: str) -> None:
    """Every flag a README line uses exists on that subcommand; a runnable line parses with click."""
    words = shlex.split(line)[1:]
    cmd, path, rest = _resolve(words)
    assert path, f"{line!r} names no accelopt command"
    flags = [m.group(0) for w in rest for piece in w.strip("[]()").split("|")
             if (m := re.match(r"--?[a-zA-Z][a-zA-Z0-9-]*", piece))]
    unknown = [f for f in flags if f not in _options(cmd)]
    assert not unknown, f"{line!r}: `accelopt {' '.join(path)}` has no {unknown}"
    if line in INLINE or any(m in line for m in SYNOPSIS_MARKS):
        return  # a synopsis ([--json], ID|latest) or a fragment in prose: its flags are checked above
    ctx = cmd.make_context(" ".join(["accelopt", *path]), list(rest))  # click's own parsing and type checks
    ctx.close()


def _runnable(line: str, tmp_path: Path) -> list[str] | None:
    """The line's argv, with output files moved to tmp_path and --json added; None where it cannot run here."""
    words = shlex.split(line)[1:]
    if line in INLINE or any(m in line for m in SYNOPSIS_MARKS) or words[0] in SLOW:
        return None
    out: list[str] = []
    for i, w in enumerate(words):
        prev = words[i - 1] if i else ""
        if prev in ("--html", "--out", "-o"):
            w = str(tmp_path / Path(w).name)
        elif _readers_own(w):
            return None  # the reader's own file (layers.csv, my.toml, mynet.py:MyNet, path/to/hf_model_dir)
        out.append(w)
    cmd, _, _ = _resolve(words)
    if "--json" in _options(cmd) and "--json" not in out:
        out.append("--json")
    return out


def _readers_own(word: str) -> bool:
    """A path in a README line that stands for the reader's own file and does not exist here."""
    path = word.split(":")[0]
    looks_like_path = "/" in path or path.endswith((".csv", ".toml", ".json", ".py", ".cfg"))
    return looks_like_path and not (ROOT / path).exists()


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_runs(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    argv = _runnable(line, tmp_path)
    if argv is None:
        pytest.skip("a synopsis, a measuring command (probe/profile/optimize) or the reader's own file: parsed above")
    monkeypatch.chdir(ROOT)  # README paths are relative to the repository
    code, out, err = run_main(argv, capsys)
    assert code == 0, f"{line!r} -> exit {code}\n{err[-2000:]}"
    if "--json" in argv and out.strip():
        json.loads(out)  # JSON only on stdout


def _help_flags() -> list[tuple[str, str]]:
    """(command path, flag) for every flag in every subcommand's --help page."""
    pairs: list[tuple[str, str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        for opt in sorted(o for o in _options(cmd) if o.startswith("--") and o != "--help"):
            pairs.append((" ".join(path), opt))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(_tree(), [])
    return pairs


@pytest.mark.parametrize(("path", "flag"), _help_flags())
def test_help_flag_is_documented(path: str, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main([*path.split(), "--help"], capsys)
    assert code == 0
    assert flag in out, f"`accelopt {path} --help` does not print {flag}"
    assert re.search(re.escape(flag) + r"(?![a-z0-9-])", README), f"README.md never mentions {flag} (accelopt {path})"


def test_probe_help_names_accelopt_home(capsys: pytest.CaptureFixture[str]) -> None:
    """Where probe saves by default is decided by $ACCELOPT_HOME; the help must not promise ~/.accelopt alone."""
    _, out, _ = run_main(["probe", "--help"], capsys)
    assert "ACCELOPT_HOME" in " ".join(out.split()), out
