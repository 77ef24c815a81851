"""`accelopt validate` reads (and checks) its runs file once: validate_report read it for the params check and
validate_all read it again for the runs, so a --runs file changed in between could give runs and a params check
of two different files, and every row was parsed and checked twice."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from accelopt.predict import validation


def test_the_runs_file_is_read_once_with_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = (resources.files("accelopt.predict") / "data" / "published_training_runs.csv").read_text("utf-8")
    runs = tmp_path / "runs.csv"
    runs.write_text(bundled, encoding="utf-8")
    expected = validation.validate_report(None)  # the bundled file, read through importlib.resources
    reads: list[Any] = []
    real = validation.read_user_text

    def counting(path: Any, *args: Any) -> str:
        reads.append(path)
        return real(path, *args)

    monkeypatch.setattr(validation, "read_user_text", counting)
    got = validation.validate_report(runs)
    assert reads == [runs]
    # (repr: NaN medians of sources without held-out runs compare unequal). input_notes are a user's runs file's own
    # (utinfer: the bundled rows' notes are not printed), so the copy carries them and nothing else differs
    assert got.input_notes and not expected.input_notes
    assert repr(replace(got, input_notes=[])) == repr(expected)
