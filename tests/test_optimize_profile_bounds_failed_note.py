"""`accelopt optimize MODEL --mode train` of a model whose backward raises only under torch.profiler (profile's roofline
pass): since profile keeps a failed run's finished passes (ProfileFailed), optimize's note on its 'gain up to' bounds
read "profile's bounds not available: ProfileFailed[ModelCodeError]: model ... (in profile's roofline pass; measured
before it: capture, warm-up, headline, breakdown, me" -- a class name of accelopt's internals, and a list of passes
'kept' that optimize keeps nothing of, cut off before the model's own error was named in full. The note names the
model's error as profile_step raised it before (ModelCodeError: model ... raised RuntimeError ...) and the pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PROFILER_REFUSING_MODEL, run_main

pytest.importorskip("torch")


def test_the_bounds_note_names_the_models_error_not_the_wrapper(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "late.py").write_text(PROFILER_REFUSING_MODEL, encoding="utf-8")
    code, out, err = run_main(["optimize", f"{tmp_path / 'late.py'}:build", "--mode", "train", "--only",
                               "grad-accumulation", "--rounds", "3", "--block-s", "0.005", "--warmup", "0", "--json"],
                              capsys)
    assert code == 0, err
    note = next(n for n in json.loads(out)["notes"] if n.startswith("profile's bounds not available"))
    assert note.startswith("profile's bounds not available (profile's roofline pass failed): ModelCodeError: model "
                           "'late-fail' raised RuntimeError"), note
    assert "ProfileFailed" not in note and "kept" not in note
