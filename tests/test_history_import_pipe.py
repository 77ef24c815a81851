"""`accelopt history import FOLDER` read every *.json entry whole with read_bytes(): a named pipe called `x.json` in
the folder (a `mkfifo`, a process substitution left behind) blocked the import forever, waiting for a writer, and a
huge file was read whole. A pipe or device is now an invalid run file named in the error (or skipped with
--skip-invalid), and a file over the 256 MiB input limit is refused unread past it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accelopt.userio import MAX_INPUT_BYTES

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
TIMEOUT_S = 60  # the import of two small entries takes about a second; before the change it never returned


def _import(folder: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCELOPT_HOME": str(home)}
    try:
        return subprocess.run([sys.executable, "-m", "accelopt", "history", "import", str(folder), *extra],
                              capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"history import of a folder holding a named pipe did not return in {TIMEOUT_S} s")


def test_a_named_pipe_in_the_folder_is_an_invalid_file_not_a_hang(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    os.mkfifo(folder / "pipe.json")
    done = _import(folder, tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert "pipe.json" in done.stderr and "not a regular file" in done.stderr and "fix:" in done.stderr
    # a pipe is no run record: alone in the folder, --skip-invalid imports nothing and says so, exit 2 (rvs32b,
    # 2026-12-05, tests/test_history_import_only_run_records.py; it exited 0, 'imported 0 runs', before)
    done = _import(folder, tmp_path / "home", "--skip-invalid")
    assert done.returncode == 2, done.stderr
    assert "pipe.json" in done.stderr and "is an accelopt run record, so nothing was imported" in done.stderr


def test_a_file_past_the_input_limit_is_refused(tmp_path: Path) -> None:
    from accelopt.report.history import _read_json_file

    big = tmp_path / "big.json"
    with open(big, "wb") as f:  # sparse: no disk is spent on it
        f.truncate(MAX_INPUT_BYTES + 1)
    with pytest.raises(ValueError, match="larger than 256 MiB"):
        _read_json_file(big)
