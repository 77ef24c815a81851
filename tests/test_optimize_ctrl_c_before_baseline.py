"""A Ctrl-C while optimize profiles the baseline (its first minute: "profiling the baseline (profile's 'gain up to'
bounds) ...") keeps the run: exit 130 with the result printed; `--save` writes nothing then and says why (no
baseline was measured, so there is nothing to recommend: uttrial4's rule,
tests/test_optimize_save_interrupted_before_baseline.py).

Found by a user's trial (s32 utopt): `optimize cnn.py:build --save out/` stopped during that profile ended in a
traceback, `AssertionError` in OptimizeResult.baseline (recipe.save asked for a baseline row the runner had not yet
added), exit 1, nothing printed and no --json document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

torch = pytest.importorskip("torch")

from accelopt.optimize import runner  # noqa: E402


def _interrupt(self: Any) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_while_profiling_the_baseline_keeps_the_run_and_says_nothing_was_saved(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(runner._Run, "profile", _interrupt)
    out_dir = tmp_path / "out"
    code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "channels-last,compile",
                               "--save", str(out_dir), "--json"], capsys)
    assert code == 130, err
    assert "Traceback" not in err and "AssertionError" not in err
    doc = json.loads(out)
    assert doc["interrupted"] is True
    base = next(v for v in doc["variants"] if v["name"] == "baseline")
    assert base["status"] == "not-run" and "before its measurement finished" in base["reason"], base
    assert not (out_dir / "recipe.json").exists()
    assert any(n.startswith("--save wrote nothing") for n in doc["notes"]), doc["notes"]


def test_ctrl_c_while_profiling_the_baseline_prints_the_table(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(runner._Run, "profile", _interrupt)
    code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "compile", "--html",
                               str(tmp_path / "r.html")], capsys)
    assert code == 130, err
    assert "Traceback" not in err
    assert "baseline" in out and "before its measurement finished" in out
    assert (tmp_path / "r.html").read_text().count("before its measurement finished") >= 1
