"""`history import` of a run file whose result claims its command's current schema but is not shaped like it (a
hand-edited `history show --json` file, here `totals.total_cycles` = "lots"): it was imported and counted
("imported 1 runs"), then `history list` warned it was damaged, and `show latest` (README: damaged runs are skipped by
`show latest`) stopped with exit 2 on it, hiding every good run. Now it is skipped at import with a warning naming the
file and the field, as a file that is not a valid run is. A result of a newer version is still imported (its JSON is
all this accelopt can show of it)."""
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
    """The run under another id (one this store does not hold), its result's totals changed."""
    out = {**doc, "id": doc["id"][:-6] + suffix, "result": {**doc["result"], "totals": {**doc["result"]["totals"],
                                                                                       **totals}}}
    return out


def test_misshapen_result_is_skipped_at_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    (tmp_path / "edited.json").write_text(json.dumps(_variant(good, "aaaaaa", total_cycles="lots")))
    rep_text, err = _cli(capsys, "history", "import", str(tmp_path), "--skip-invalid", "--json")
    rep = json.loads(rep_text)
    assert rep["imported"] == 0 and len(rep["skipped"]) == 1
    assert rep["skipped"][0]["file"] == "edited.json"
    assert "not shaped like a simulate-run result" in rep["skipped"][0]["why"]
    assert "total_cycles" in rep["skipped"][0]["why"]
    assert "edited.json" in err
    assert history.count() == 1
    out, _ = _cli(capsys, "history", "show", "latest")  # the good run, not an error on the edited one
    assert good["id"] in out


def test_newer_version_result_is_still_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    newer = _variant(good, "bbbbbb")
    newer["result"]["schema_version"] = 99
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    rep = json.loads(_cli(capsys, "history", "import", str(tmp_path), "--json")[0])
    assert rep["imported"] == 1 and rep["skipped"] == []
    out, _ = _cli(capsys, "history", "show", newer["id"])
    assert "version 99" in out and "only its JSON is shown" in out


def test_good_exported_run_still_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _simulated_run(capsys)
    (tmp_path / "copy.json").write_text(json.dumps(_variant(good, "cccccc")))
    rep = json.loads(_cli(capsys, "history", "import", str(tmp_path), "--json")[0])
    assert rep["imported"] == 1 and rep["skipped"] == []
