"""The framework-overhead note (predict.calibration.framework_overhead_notes) wrote the bundled GPU figure as the
literal text "2.5e9 B": a change of framework_overhead_bytes in predict/data/calibration.toml would have changed
every prediction's mem/dev and left the note saying 2.5e9. The note now writes the figure the prediction uses, read
from the calibration data. Before the change the monkeypatched table's 3.1e9 does not appear in the note (it still
says 2.5e9 B)."""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import calibration
from accelopt.predict.calibration import calibration_for, framework_overhead_notes, load_calibrations


def _default_note(stack: str = "megatron") -> tuple[str, float]:
    spec = get_device("h100-sxm")
    cals = load_calibrations(None)
    notes = [n for n in framework_overhead_notes([spec], cals, stack, None) if n.startswith("default used:")]
    assert len(notes) == 1, notes
    return notes[0], calibration_for(spec, cals, stack).framework_overhead_bytes


def test_the_note_states_the_figure_the_prediction_adds() -> None:
    note, used = _default_note()
    assert used == 2.5e9  # the bundled H100 family's figure (predict/data/calibration.toml)
    assert "calibration.toml: its 2.5e9 B is an assumption for the CUDA context" in note


def test_the_note_follows_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    text = calibration.bundled_text()
    assert "framework_overhead_bytes = 2.5e9" in text
    monkeypatch.setattr(calibration, "bundled_text",
                        lambda: text.replace("framework_overhead_bytes = 2.5e9", "framework_overhead_bytes = 3.1e9"))
    note, used = _default_note()
    assert used == 3.1e9
    assert "its 3.1e9 B is an assumption" in note and "2.5e9" not in note
