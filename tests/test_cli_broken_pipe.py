"""A reader that stops early (`accelopt catalog list | head -1`): accelopt stops quietly, no traceback, no
'Exception ignored' line, and with the status a shell reports for any Unix tool stopped that way (141 = 128 +
SIGPIPE, as `yes | head -1` under `set -o pipefail`), not a silent 1 that looks like a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _run_with_reader_gone(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    """Run accelopt with stdout a pipe whose read end is already closed: every write meets EPIPE."""
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACCELOPT_HOME": str(tmp_path / "home"), "COLUMNS": "100"}
    try:
        return subprocess.run([sys.executable, "-m", "accelopt", *args], stdout=write_fd, stderr=subprocess.PIPE,
                              env=env, timeout=120, check=False)
    finally:
        os.close(write_fd)


@pytest.mark.parametrize("args", [["catalog", "list"], ["catalog", "show", "h100-sxm", "--json"], ["--help"]])
def test_reader_gone_is_quiet(args: list[str], tmp_path: Path) -> None:
    done = _run_with_reader_gone(args, tmp_path)
    err = done.stderr.decode()
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err, err
    assert err == "", err
    assert done.returncode == 141, (done.returncode, err)


def test_run_is_kept_when_reader_goes(tmp_path: Path) -> None:
    """The run is recorded before it is printed; a reader that left does not lose it."""
    done = _run_with_reader_gone(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv"], tmp_path)
    assert done.returncode == 141, done.stderr.decode()
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACCELOPT_HOME": str(tmp_path / "home")}
    listed = subprocess.run([sys.executable, "-m", "accelopt", "history", "list", "--json"], env=env,
                            capture_output=True, timeout=120, check=True)
    assert b'"simulate"' in listed.stdout, listed.stdout.decode()


def test_only_a_gone_stdout_reader_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A BrokenPipeError of another pipe (a child process's stdin) is a real error, not a reader that left."""
    from accelopt.cli.main import _stdout_reader_gone

    read_fd, write_fd = os.pipe()
    with open(write_fd, "w") as out:
        monkeypatch.setattr(sys, "stdout", out)
        assert not _stdout_reader_gone()  # the reader is still there
        os.close(read_fd)
        assert _stdout_reader_gone()
        monkeypatch.undo()


@pytest.mark.parametrize("args", [["plan", "llama3-70b", "--json"], ["catalog", "show", "h100-sxn", "--json"]])
def test_error_document_to_a_gone_reader_keeps_the_error(args: list[str], tmp_path: Path) -> None:
    """A --json command that fails prints its error on stderr and an error document on stdout; a reader that left
    (`accelopt plan llama3-70b --json | head -1`) printed a BrokenPipeError traceback from the document (a user
    trial, 2026-12-05). Now: the error and its fix, no traceback, the error's status 2."""
    done = _run_with_reader_gone(args, tmp_path)
    err = done.stderr.decode()
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err, err
    assert err.startswith("error:") and "fix:" in err, err
    assert done.returncode == 2, (done.returncode, err)
