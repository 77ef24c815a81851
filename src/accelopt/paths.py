"""Where accelopt keeps what it saves between runs (probed specs, run history)."""

from __future__ import annotations

import os
from pathlib import Path


def accelopt_home() -> Path:
    """$ACCELOPT_HOME, else ~/.accelopt (tests point it at a temporary folder)."""
    env = os.environ.get("ACCELOPT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".accelopt"


HISTORY_STORE_NAME = "history.sqlite3"
"""The run history's SQLite file in accelopt_home() (accelopt.report.history)."""


def history_store_files() -> list[Path]:
    """The history store and the files SQLite keeps beside it (WAL, shared memory, rollback journal): no output
    option may write over them."""
    store = accelopt_home() / HISTORY_STORE_NAME
    return [store, *(Path(f"{store}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]
