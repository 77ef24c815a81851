"""`accelopt profile` of a model whose backward raises only in a later pass (here: under torch.profiler, the roofline
pass) lost the step time, breakdown and peak memory the earlier passes had already measured: the run ended with the
model's error alone. Now the finished passes' figures are printed (console, --json, --html) and recorded in the
history as a failed partial run (profile-partial, failed = the error), the captured workload is still saved, and
the exit status is 2 with the error naming the pass that failed and what was kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PROFILER_REFUSING_MODEL, run_main

from accelopt.report import history


def _model(tmp_path: Path) -> str:
    path = tmp_path / "late.py"
    path.write_text(PROFILER_REFUSING_MODEL, encoding="utf-8")
    return f"{path}:build"


def test_a_failure_in_a_later_pass_keeps_what_was_measured(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    saved, html = tmp_path / "w.json", tmp_path / "p.html"
    argv = ["profile", _model(tmp_path), "--steps", "3", "--warmup", "1"]
    code, out, err = run_main([*argv, "--json", "--save-workload", str(saved), "--html", str(html)], capsys)
    assert code == 2, err
    doc = json.loads(out)
    assert doc["interrupted"] is False and doc["interrupted_during"] == "roofline"
    assert "RuntimeError" in doc["failed"] and "cannot run under the profiler" in doc["failed"]
    assert doc["done"] == ["capture", "warm-up", "headline", "breakdown", "memory"]
    assert doc["step_time"]["n"] == 3 and doc["step_time"]["median"] > 0
    assert set(doc["breakdown"]) == {"data_wait", "h2d_copy", "forward", "backward", "optimizer"}
    assert doc["memory"]["peak_bytes"] > 0
    said = " ".join(err.split())
    assert "in profile's roofline pass; measured before it: capture, warm-up, headline, breakdown, memory, kept" in said
    assert "fix:" in said and "Traceback" not in err
    (run,) = history.list_runs()
    assert run.command == "profile-partial" and run.result["failed"] == doc["failed"]
    assert "failed run recorded" in said
    assert json.loads(saved.read_text())["ops"]  # the captured workload is not lost either
    assert "FAILED in the roofline pass" in html.read_text(encoding="utf-8")
    code, out, err = run_main(argv, capsys)  # the console: the table of what was measured, the error as plain text
    assert code == 2, err
    shown = " ".join(out.split())
    assert "FAILED in the roofline pass" in shown and "[bad]" in shown
    assert "step (3 of 3 steps, uninstrumented)" in shown and "not measured: roofline, energy" in shown


def test_a_failure_before_any_pass_is_the_error_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a model that fails in its very first step (the capture) has nothing measured to keep: no partial record
    path = tmp_path / "bad.py"
    path.write_text(PROFILER_REFUSING_MODEL.replace("if torch.autograd.profiler._is_profiler_enabled:", "if True:"),
                    encoding="utf-8")
    code, out, err = run_main(["profile", f"{path}:build", "--steps", "3", "--warmup", "1"], capsys)
    assert code == 2 and "cannot run under the profiler" in err and "Traceback" not in err
    assert out == "" and history.list_runs() == []
