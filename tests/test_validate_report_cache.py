"""The bundled validate reports are computed once per process (2026-12-05, cispeed): 40+ test files read
validate_report() and a dozen validate_serving(), each a full reproduction of every bundled row (8 s and 6 s here).
A caller gets a copy; a change of the bundled files is a new key; tests/conftest.py's monkeypatch forgets the reports
when a test patches the predictor's code, and keeps them for an environment variable."""

from __future__ import annotations

from typing import Any, cast

import pytest

from accelopt.predict import compute, serving_validation, validation


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Wrap module.name so that each call counts in the returned one-item list (calls[0])."""
    calls = [0]
    real = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_the_training_report_is_computed_once_and_handed_out_as_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, validation, "reproduce_rows")  # (a patch of the predictor: the cache is emptied)
    first = validation.validate_report()
    second = validation.validate_report(None, None, ())
    assert calls[0] == 1  # before: 2, every call reproduced every row
    assert repr(first) == repr(second)  # (repr: NaN medians compare unequal)
    first.runs.clear()
    first.params_mismatches.clear()
    third = validation.validate_report()
    assert calls[0] == 1 and len(third.runs) == len(second.runs) > 400
    assert len(third.params_mismatches) == len(second.params_mismatches) > 0


def test_the_serving_report_is_computed_once_and_handed_out_as_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_calls(monkeypatch, serving_validation, "_reproduce")  # the per-row call (with its floor line)
    first = serving_validation.validate_serving()
    rows = calls[0]
    second = serving_validation.validate_serving()
    assert rows == len(first.runs) > 500 and calls[0] == rows  # before: each call predicted every row again
    assert repr(first) == repr(second)
    first.runs.clear()
    assert len(serving_validation.validate_serving().runs) == rows


def test_a_patch_of_the_predictor_forgets_the_reports_and_an_environment_variable_does_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # stand-ins for cached reports (a real one costs a full reproduction; the previous tests' patches emptied both)
    validation._BUNDLED_REPORT[("runs", "calibration")] = cast(validation.ValidateResult, object())
    serving_validation._BUNDLED_REPORT[("runs", "calibration")] = cast(serving_validation.ServingValidateResult,
                                                                       object())
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    monkeypatch.setattr("os.cpu_count", lambda: 3)  # not an input of a report
    assert validation._BUNDLED_REPORT and serving_validation._BUNDLED_REPORT  # kept
    monkeypatch.setattr(compute, "gemm_s", compute.gemm_s)  # any attribute of accelopt.predict (here the same one)
    assert not validation._BUNDLED_REPORT and not serving_validation._BUNDLED_REPORT


def test_validate_all_of_the_bundled_file_is_the_kept_report_s_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """validate_all() (test files call it at import, so every test worker did; 2026-12-05, cispeed3) reads the kept
    report: the runs a fresh reproduction gives, computed once, handed out as copies."""
    calls = _count_calls(monkeypatch, validation, "reproduce_rows")
    fresh = validation.reproduce_rows(validation.read_runs(), None)
    first = validation.validate_all()
    second = validation.validate_all()
    report = validation.validate_report()
    assert calls[0] == 2  # the fresh one and the report's; before: 4, each validate_all() reproduced every row
    assert repr(first) == repr(second) == repr(report.runs) == repr(fresh) and len(fresh) > 400
    first.clear()
    assert len(validation.validate_all()) == len(fresh) and calls[0] == 2
