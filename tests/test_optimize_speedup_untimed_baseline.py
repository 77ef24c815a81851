"""s32 utopt: a Ctrl-C after profile's pass but before the baseline was timed ("measuring the baseline ...") left
`recommendation.speedup` 1.0 in the JSON, a ratio of no timing: the baseline's 1.0 holds by definition only once it
was timed. Now null, with the reason saying the speed-up was not measured; a timed baseline keeps its 1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

pytest.importorskip("torch")

from accelopt.optimize import runner


def _stopped(*_: Any) -> None:
    raise KeyboardInterrupt


def test_a_baseline_stopped_before_its_timing_has_no_speedup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner._Run, "measure", _stopped)
    out_dir = tmp_path / "out"
    code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "bf16", "--save", str(out_dir),
                               "--json"], capsys)
    assert code == 130, err
    doc = json.loads(out)
    rec = doc["recommendation"]
    assert rec["name"] == "baseline" and rec["speedup"] is None, rec
    assert "speed-up not measured" in rec["reason"], rec
    recipe = out_dir / "recipe.json"
    assert not recipe.exists() or json.loads(recipe.read_text())["measured"]["speedup"] is None


def test_the_console_says_not_measured(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner._Run, "measure", _stopped)
    code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "bf16"], capsys)
    assert code == 130, err
    line = next(x for x in " ".join(out.split()).split("recommendation: ")[1:])
    assert line.startswith("baseline") and "speed-up not measured" in line, line
