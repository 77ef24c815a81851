"""An ASCII-only stdout/stderr (PYTHONIOENCODING=ascii, or LANG=C with Python's UTF-8 mode and locale coercion off)
printed a UnicodeEncodeError traceback at the first '—' or '…' (catalog list, plan --help). Such a stream now
shows those characters in ASCII, and the figures are the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accelopt.cli.main import _to_ascii

SRC = str(Path(__file__).resolve().parents[1] / "src")
ASCII_ENVS = {"PYTHONIOENCODING": {"PYTHONIOENCODING": "ascii"},
              "LANG=C": {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}}


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC, **env_extra}
    if "PYTHONIOENCODING" not in env_extra:
        env.pop("PYTHONIOENCODING", None)
    return subprocess.run([sys.executable, "-m", "accelopt", *args], env=env, capture_output=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("env", list(ASCII_ENVS))
@pytest.mark.parametrize("args", [("catalog", "list"), ("plan", "--help")])
def test_an_ascii_terminal_gets_the_output_not_a_traceback(env: str, args: tuple[str, ...]) -> None:
    r = _run(ASCII_ENVS[env], *args)
    assert r.returncode == 0, r.stderr.decode("ascii", "replace")
    assert b"Traceback" not in r.stderr and b"UnicodeEncodeError" not in r.stderr
    r.stdout.decode("ascii")  # every byte ASCII
    if args == ("catalog", "list"):
        assert b"3.28 TB/s" in r.stdout and b"| -  " in r.stdout  # an em dash (no price) shown as '-'


def test_an_error_on_an_ascii_terminal_is_the_error() -> None:
    r = _run(ASCII_ENVS["PYTHONIOENCODING"], "catalog", "show", "h100—sxm")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    assert b"error: unknown device 'h100" in r.stderr and b"did you mean 'h100-sxm'" in r.stderr


def test_json_on_an_ascii_terminal_is_the_same_document() -> None:
    utf8 = _run({"PYTHONIOENCODING": "utf-8"}, "catalog", "show", "h100-sxm", "--json")
    ascii_ = _run(ASCII_ENVS["PYTHONIOENCODING"], "catalog", "show", "h100-sxm", "--json")
    assert ascii_.returncode == 0 and json.loads(ascii_.stdout) == json.loads(utf8.stdout)


def test_the_ascii_spelling_of_each_character() -> None:
    text = "1.2 µs ± 3% — 4×5 … ≈ \u2603"
    out, end = _to_ascii(UnicodeEncodeError("ascii", text, 0, len(text), "test"))
    assert end == len(text)
    assert out == "1.2 us +/- 3% - 4x5 ... ~ \\u2603"


@pytest.mark.parametrize(("env", "coloured"), [({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False),
                                               ({"TERM": "xterm-256color"}, True)])
def test_the_error_line_follows_no_color_and_dumb_terminals(env: dict[str, str], coloured: bool,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR=1 or TERM=dumb still got a red 'error:' on a terminal (click's style ignores both; rich's tables
    follow them)."""
    from accelopt.cli import main as cli_main

    monkeypatch.delenv("NO_COLOR", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    said: list[str] = []
    monkeypatch.setattr(cli_main.typer, "echo", lambda text, err=False: said.append(text))
    cli_main._print_error("unknown device 'nope'", "")
    assert said and ("\x1b[" in said[0]) == coloured and said[0].endswith("unknown device 'nope'")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full (a device that is always full)")
@pytest.mark.parametrize("args", [("catalog", "list"), ("env", "--json")])
def test_a_full_disk_under_the_output_is_an_error_not_a_traceback(args: tuple[str, ...]) -> None:
    """`accelopt catalog list > out.txt` on a full disk printed an OSError traceback (ENOSPC), exit 1."""
    env = {**os.environ, "PYTHONPATH": SRC}
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "accelopt", *args], env=env, stdout=full, stderr=subprocess.PIPE,
                           timeout=120, check=False)
    assert r.returncode == 2 and b"Traceback" not in r.stderr and b"Exception ignored" not in r.stderr
    assert b"error: the output could not be written: No space left on device" in r.stderr
