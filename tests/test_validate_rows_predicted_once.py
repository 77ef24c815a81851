"""`validate --runs FILE` predicted every row twice: once to reproduce it, again for the notes on the step it predicts
(cell_effect_lines) (utleftplan, 2026-12-05; utval's leftover). On the bundled file given as --runs that was 4.5 of
9.7 s. The notes now read the prediction reproduce kept; they are the same lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.predict import validation
from accelopt.predict.calibration import load_calibrations

ROWS_CSV = Path(validation.__file__).parent / "data" / "published_training_runs.csv"


def test_each_row_is_predicted_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    head = ROWS_CSV.read_text().splitlines(keepends=True)
    first = next(i for i, ln in enumerate(head) if not ln.startswith("#"))
    runs = tmp_path / "runs.csv"
    runs.write_text("".join(head[:first + 41]))  # the header and 40 rows
    rows = validation.read_runs(runs)
    calls: list[object] = []
    real = validation.predict_layout

    def counted(q: object, cals: object) -> object:
        calls.append(q)
        return real(q, cals)  # type: ignore[arg-type]

    want = validation.cell_effect_lines(rows, load_calibrations(None))  # predicted on its own, as before
    monkeypatch.setattr(validation, "predict_layout", counted)
    report = validation.validate_report(runs)
    assert len(calls) == len(rows) == 40
    assert report.input_notes[len(report.input_notes) - len(want):] == want  # the same notes
