"""A history store that cannot be used for a reason the store checks do not foresee (an OS error before the store
is opened, an sqlite3 or OS error escaping it) never loses the result: it prints, a warning says why; and `history`
commands say what is wrong with exit 2, not a traceback."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history

COMPARE = ("catalog", "compare", "h100-sxm", "mi300x", "--json")  # a fast command that records a run


def test_a_home_whose_name_is_too_long_keeps_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """os.stat of a 300-character folder name raises OSError (ENAMETOOLONG), which Path.exists does not swallow:
    it escaped before the store's own error handling and the computed result was lost in a traceback."""
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / ("a" * 300)))
    out, err = _cli(capsys, *COMPARE)
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"]
    assert "warning: run not saved to history" in err and "File name too long" in err
    for argv in (["history", "list"], ["history", "show", "latest"]):
        _, err = _cli(capsys, *argv, code=2)
        assert "cannot be used" in err and "File name too long" in err and "fix:" in err


@pytest.mark.parametrize("exc", [sqlite3.OperationalError("disk I/O error"), OSError(28, "No space left on device")])
def test_any_store_failure_while_recording_keeps_the_result(exc: Exception, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """record() caught only AcceloptError/TypeError/ValueError: an sqlite3 or OS error raised past the store's
    wrapper was a traceback after the work was done."""

    @contextlib.contextmanager
    def failing(*, create: bool) -> Iterator[sqlite3.Connection | None]:
        raise exc
        yield None  # pragma: no cover

    monkeypatch.setattr(history, "_store", failing)
    out, err = _cli(capsys, *COMPARE)
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"]
    assert "warning: run not saved to history" in err and str(exc) in err and "ACCELOPT_NO_HISTORY=1" in err
