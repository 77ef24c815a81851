"""`accelopt history compare` of two `validate` runs made on different runs files (or calibration files), or on one
runs file edited between them, printed the B / A ratios with no word (ut3io's leftover, session 35): a validate
result now records each file it read with its SHA-256 (input_files), and the comparison (history-compare v3)
carries an inputs_warning naming both sides' files; a record from before input_files reads 'not recorded' and is
told apart by the paths its command line names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli
from test_runs_file_every_bad_row import SERVING_CELLS, SERVING_HEADER

from accelopt.report import history


def _compare(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, object], str]:
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    doc = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    return doc, " ".join(out.split())


def _serving_runs(tmp_path: Path, published: str) -> Path:
    p = tmp_path / "serving.csv"
    p.write_text(SERVING_HEADER + "\n" + ",".join({**SERVING_CELLS, "published": published}.values()) + "\n")
    return p


def test_a_runs_file_edited_between_two_validate_runs_is_said(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    p = _serving_runs(tmp_path, "100")
    first = json.loads(_cli(capsys, "validate", "--serving", "--runs", str(p), "--json")[0])
    assert [f["role"] for f in first["input_files"]] == ["runs", "calibration"]
    assert first["input_files"][0]["path"] == str(p) and len(first["input_files"][0]["sha256"]) == 64
    _serving_runs(tmp_path, "120")  # the same path, another figure
    _cli(capsys, "validate", "--serving", "--runs", str(p), "--json")
    doc, text = _compare(capsys)
    warning = doc["inputs_warning"]
    assert isinstance(warning, str) and warning.startswith("runs A and B read different runs files")
    assert warning.count(str(p)) == 2 and "calibration files" not in warning
    assert f"warning: {warning}" in text


def test_the_same_files_are_not_warned_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _serving_runs(tmp_path, "100")
    for _ in range(2):
        _cli(capsys, "validate", "--serving", "--runs", str(p), "--json")
    doc, _ = _compare(capsys)
    assert doc["inputs_warning"] is None


def test_a_record_without_input_files_reads_not_recorded(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An older record (its result without input_files) on another --runs path than the newer run."""
    from accelopt.cli.report import inputs_warning

    p = _serving_runs(tmp_path, "100")
    _cli(capsys, "validate", "--serving", "--runs", str(p), "--json")
    new = history.list_runs(limit=1)[0]
    old = history.RunRecord(id="old", command=new.command, argv=["validate", "--serving", "--runs", "theirs.csv"],
                            time_utc=new.time_utc, result={k: v for k, v in new.result.items() if k != "input_files"})
    warning = inputs_warning(old, new)
    assert warning is not None and "A: theirs.csv, sha256 not recorded" in warning
    assert f"B: {p}, sha256 {new.result['input_files'][0]['sha256'][:12]}" in warning
    assert inputs_warning(old, old) is None  # same command line, neither digest recorded: nothing to tell apart


def test_an_older_record_on_the_bundled_files_is_not_told_apart_from_a_newer_one() -> None:
    """Neither run named --runs or --calibration: both read the bundled files. The newer record names them
    'bundled predict/data/NAME', the older one's command line reads 'bundled': not two different files."""
    from accelopt.cli.report import inputs_warning

    digest = "ab" * 32
    files = [{"role": "runs", "path": "bundled predict/data/published_serving_runs.csv", "sha256": digest},
             {"role": "calibration", "path": "bundled predict/data/calibration.toml", "sha256": digest}]
    new = history.RunRecord(id="new", command="validate-serving", argv=["validate", "--serving"],
                            time_utc="2026-12-06T10:00:00Z", result={"input_files": files})
    old = history.RunRecord(id="old", command="validate-serving", argv=["validate", "--serving"],
                            time_utc="2026-12-01T10:00:00Z", result={})
    assert inputs_warning(old, new) is None
    theirs = history.RunRecord(id="theirs", command="validate-serving",
                               argv=["validate", "--serving", "--runs", "theirs.csv"],
                               time_utc="2026-12-01T10:00:00Z", result={})
    warning = inputs_warning(theirs, new)  # a named file against the bundled one is still told
    assert warning is not None and "B: bundled predict/data/published_serving_runs.csv" in warning
