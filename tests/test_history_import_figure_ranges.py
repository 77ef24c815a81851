"""`history import` checked a run file's field types but not their ranges: a hand-edited result with a negative
step time, a negative byte count or a non-finite figure (NaN / Infinity, which Python's json reads and no accelopt
result writes: emit writes a figure it lacks as null) was imported and listed as a measurement. Now such a file is
an error naming the file, the field and the fix, and nothing is imported (tests/test_history_import_all_or_nothing.py);
with --skip-invalid it is skipped with a warning, as a file whose fields have the wrong type is
(tests/test_history_import_misshapen_result.py), and the good files beside it and the runs already stored are kept."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history


def _simulated_run(capsys: pytest.CaptureFixture[str]) -> dict:
    """A real `simulate run` recorded in the history, as `history show ID --json` exports it."""
    _cli(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--json")
    return json.loads(_cli(capsys, "history", "show", "latest", "--json")[0])


def _variant(doc: dict, suffix: str, **totals: object) -> dict:
    return {**doc, "id": doc["id"][:-6] + suffix,
            "result": {**doc["result"], "totals": {**doc["result"]["totals"], **totals}}}


def _figure_fields(doc: dict) -> tuple[str, str]:
    """A time field and a byte-count field of the real result's totals (named, not guessed)."""
    totals = doc["result"]["totals"]
    time_key = next(k for k, v in totals.items() if k.endswith("_s") and isinstance(v, int | float) and v > 0)
    byte_key = next(k for k, v in totals.items() if k.endswith("_bytes") and isinstance(v, int | float) and v > 0)
    return time_key, byte_key


@pytest.mark.parametrize("which", ["time", "bytes"])
def test_a_negative_figure_is_skipped_naming_file_and_field(which: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    key = _figure_fields(good)[0 if which == "time" else 1]
    (tmp_path / "edited.json").write_text(json.dumps(_variant(good, "aaaaaa", **{key: -1.5})))
    (tmp_path / "copy.json").write_text(json.dumps(_variant(good, "cccccc")))
    rep_text, err = _cli(capsys, "history", "import", str(tmp_path), "--skip-invalid", "--json")
    rep = json.loads(rep_text)
    assert rep["imported"] == 1 and [s["file"] for s in rep["skipped"]] == ["edited.json"]
    why = rep["skipped"][0]["why"]
    assert f'"result.totals.{key}" is -1.5, a negative' in why and "restore the figure" in why
    assert "edited.json" in err
    assert history.count() == 2  # the run recorded before and the good copy
    listed, _ = _cli(capsys, "history", "list", "--json")
    assert "aaaaaa" not in listed


@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_a_non_finite_figure_is_skipped(literal: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    key = _figure_fields(good)[0]
    text = json.dumps(_variant(good, "bbbbbb", **{key: 12345.25})).replace("12345.25", literal)
    (tmp_path / "edited.json").write_text(text)
    rep = json.loads(_cli(capsys, "history", "import", str(tmp_path), "--skip-invalid", "--json")[0])
    assert rep["imported"] == 0 and len(rep["skipped"]) == 1
    assert f'"result.totals.{key}" is' in rep["skipped"][0]["why"] and "not a finite number" in rep["skipped"][0]["why"]
    assert history.count() == 1
