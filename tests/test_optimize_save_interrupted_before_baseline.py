"""`optimize --save DIR` stopped by Ctrl-C before the baseline was measured (while profile's bounds were taken, the
first seconds of a run) ended in a traceback (recipe.save: `assert v is not None` of the missing baseline) in place
of the stopped run's result and exit 130; it now says --save wrote nothing, and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

pytest.importorskip("torch")

from accelopt.optimize import runner


def test_ctrl_c_before_the_baseline_saves_nothing_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    def stopped(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner._Run, "profile", stopped)
    out_dir = tmp_path / "out"
    code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "bf16", "--save", str(out_dir),
                               "--json"], capsys)
    assert code == 130, err
    assert "Traceback" not in err and "AssertionError" not in err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["recipe_path"] is None
    said = [n for n in doc["notes"] if n.startswith("--save wrote nothing")]
    assert said and "stopped before the baseline was measured" in said[0], doc["notes"]
    assert not (out_dir / "recipe.json").exists()


def test_the_table_of_a_run_stopped_before_the_baseline_says_nothing_was_measured(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Its caption explained the figures of no row: 'Memory: .' and 'p50/p99 over the timed steps (baseline: 0 ...'."""
    def stopped(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner._Run, "profile", stopped)
    code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "bf16"], capsys)
    flat = " ".join(out.split())
    assert code == 130, err
    assert "no variant was measured: the run stopped before the baseline's measurement ended" in flat, flat
    assert "Memory: ." not in flat and "baseline: 0," not in flat
