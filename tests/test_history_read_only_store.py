"""A history store this user can read but whose folder it cannot write (a read-only mount, a backup, a colleague's
home shared read-only) is listed, shown and compared. The store is in WAL mode, and SQLite reads a WAL store through
a -shm file it creates beside it: in such a folder every read failed with 'unable to open database file', so
`history list` said to make the folder writable, exit 2. Found by trying it: a store on a read-only bind mount
(`mount -o remount,bind,ro`), `history list` / `show latest` / `compare` all exit 2 before the fix, the runs listed
after it; `prune` and `import` there still stop with exit 2, the store unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history

COMPARE = ("catalog", "compare", "h100-sxm", "mi300x", "--json")  # a fast command that records a run


class _NoShmConnection:
    """A connection to the store as SQLite gives it where the folder is not writable: every statement fails to
    open the database (the -shm file cannot be created)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def execute(self, *args: Any) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    def close(self) -> None:
        self._con.close()


def _record_two(capsys: pytest.CaptureFixture[str]) -> list[str]:
    for _ in range(2):
        _cli(capsys, *COMPARE)
    return [r.id for r in history.list_runs()]


def _folder_not_writable(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        con = real(database, *args, **kwargs)
        return con if kwargs.get("uri") else _NoShmConnection(con)

    monkeypatch.setattr(history.sqlite3, "connect", connect)


def test_a_store_in_a_folder_that_cannot_be_written_is_read(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ids = _record_two(capsys)
    store = history.store_path()
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    _folder_not_writable(monkeypatch)
    out, _ = _cli(capsys, "history", "list", "--json")
    assert [r["id"] for r in json.loads(out)["runs"]] == ids
    out, _ = _cli(capsys, "history", "show", "latest", "--json")
    assert json.loads(out)["id"] == ids[0]
    out, _ = _cli(capsys, "history", "compare", ids[1], ids[0], "--json")
    assert json.loads(out)["schema"] == "accelopt.history-compare"
    _, err = _cli(capsys, "history", "prune", "--keep", "0", code=2)  # a write through it is refused, said so
    assert "readonly" in err and "fix:" in err
    out, err = _cli(capsys, *COMPARE)  # recording fails, the result is printed all the same
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"] and "run not saved to history" in err
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before


def test_a_store_with_a_wal_file_is_not_read_past_it(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Committed runs may still sit in the -wal file, which an immutable read ignores: the error stands."""
    _record_two(capsys)
    history.store_path().with_name(history.store_path().name + "-wal").write_bytes(b"")
    _folder_not_writable(monkeypatch)
    _, err = _cli(capsys, "history", "list", code=2)
    assert "unable to open database file" in err and "fix:" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes a folder without write permission: the real case needs another user")
def test_a_store_in_a_folder_without_write_permission_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    ids = _record_two(capsys)
    folder: Path = history.store_path().parent
    folder.chmod(0o555)
    try:
        out, _ = _cli(capsys, "history", "list", "--json")
        assert [r["id"] for r in json.loads(out)["runs"]] == ids
    finally:
        folder.chmod(0o755)
