"""A Ctrl-C in the first second of any command, while the entry point imported typer, rich and the subcommand
modules, printed a Python traceback from wherever the import was (uttrialB, 2026-12-06); one while click parsed the
options exited 130 without a word (typer's own KeyboardInterrupt -> Exit(130)). Both now print one line and exit
130: accelopt.cli.main, the console entry point ([project.scripts]), imports the command inside its handler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

SRC = str(Path(__file__).parents[1] / "src")

KILL_ON_IMPORT = """
import os, signal, sys

class SigintOnImport:
    '''Sends this process SIGINT (as a Ctrl-C does) when {module!r} is first looked for: inside the import.'''
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, SigintOnImport())
sys.argv[0] = "accelopt"
from accelopt.cli.main import main  # what the console script does: import, then call
sys.exit(main())
"""


def _child(code: str, *argv: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "ACCELOPT_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


@pytest.mark.parametrize("module", ["typer", "accelopt.cli.plan", "rich.table"])
def test_ctrl_c_while_the_command_imports_prints_one_line_and_exits_130(module: str, tmp_path: Path) -> None:
    done = _child(KILL_ON_IMPORT.format(module=module), "catalog", "list", tmp_path=tmp_path)
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "interrupted (Ctrl-C) before the command ran: nothing to show, save or record"]
    assert done.returncode == 130 and done.stdout == ""


def test_the_entry_point_imports_no_command_until_called(tmp_path: Path) -> None:
    """What makes the handler above cover the imports: importing the entry point loads neither typer nor a
    subcommand, so the console script's own `from accelopt.cli.main import main` is over in milliseconds."""
    code = ("import sys; from accelopt.cli.main import main; "
            "print(sorted(m for m in sys.modules if m in ('typer', 'rich', 'accelopt.cli.commands', 'typing')))")
    assert _child(code, tmp_path=tmp_path).stdout.strip() == "[]"


WAIT_IN_IMPORT = """
import sys, time

class WaitInImport:
    '''Says on stderr that typer's import began, then waits in it for the signal the test sends.'''
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            sys.meta_path.remove(self)
            sys.stderr.write("importing typer\\n")
            sys.stderr.flush()
            time.sleep(60)
        return None

sys.meta_path.insert(0, WaitInImport())
sys.argv[0] = "accelopt"
from accelopt.cli.main import main
sys.exit(main())
"""


def test_ctrl_c_sent_from_another_process_during_the_imports(tmp_path: Path) -> None:
    """SIGINT from outside (the terminal's Ctrl-C) while the entry point imports typer."""
    env = {**os.environ, "PYTHONPATH": SRC, "ACCELOPT_HOME": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-c", WAIT_IN_IMPORT, "catalog", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    assert child.stderr is not None and child.stderr.readline() == "importing typer\n"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert "Traceback" not in err and out == ""
    assert err.strip() == "interrupted (Ctrl-C) before the command ran: nothing to show, save or record"
    assert child.returncode == 130


def test_ctrl_c_while_click_parses_the_options_says_so(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """typer turns a KeyboardInterrupt outside the command's callback into a silent exit 130."""
    from accelopt.cli import commands

    command = commands._command()

    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "parse_args", interrupted)
    code, out, err = run_main(["catalog", "list"], capsys)
    assert (code, out) == (130, "")
    assert err.strip() == "interrupted (Ctrl-C) before the command ran: nothing to show, save or record"
