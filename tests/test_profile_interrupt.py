"""Ctrl-C during `accelopt profile`: what the finished passes measured is printed, recorded in the history as an
interrupted partial run (what is missing named), the captured workload still saved, and the exit status is 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _pages import ctrl_c_at
from conftest import run_main

from accelopt.measure import profiler
from accelopt.report import history

ARGV = ["profile", "mlp", "--steps", "5", "--warmup", "1"]


def test_ctrl_c_in_the_headline_keeps_the_steps_timed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # call 1 is the warm-up step; calls 2-4 are timed; call 5 (the 4th headline step) is interrupted
    saved = tmp_path / "w.json"
    with ctrl_c_at(5):
        code, out, err = run_main([*ARGV, "--json", "--save-workload", str(saved)], capsys)
    assert code == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["interrupted_during"] == "headline"
    assert doc["step_time"]["n"] == 3 and doc["step_time"]["median"] > 0
    assert doc["done"] == ["capture", "warm-up"]
    assert doc["missing"] == ["headline", "breakdown", "memory", "roofline", "energy"]
    assert doc["achieved_flop_per_s"] == pytest.approx(doc["flops_per_step"] / doc["step_time"]["median"])
    assert doc["memory"] is None and doc["breakdown"] == {}
    assert "Traceback" not in err
    runs = history.list_runs()
    assert [r.command for r in runs] == ["profile-partial"]
    assert runs[0].result["interrupted"] is True and runs[0].result["step_time"]["n"] == 3
    assert f"accelopt history show {runs[0].id}" in err
    assert json.loads(saved.read_text())["ops"]  # the captured workload is not lost either
    for argv in (["history", "list"], ["history", "show", runs[0].id]):  # the record reads back
        code, out, err = run_main(argv, capsys)
        assert code == 0 and "profile-partial" in out and "Traceback" not in err, err


def test_ctrl_c_in_a_later_pass_keeps_the_finished_passes(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    def stop(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(profiler, "profile_op_times", stop)  # Ctrl-C in the roofline pass
    code, out, err = run_main(ARGV, capsys)
    assert code == 130, err
    assert "INTERRUPTED (Ctrl-C)" in out and "roofline pass" in out  # the signal the record names
    assert "step (5 of 5 steps, uninstrumented)" in out and "peak memory" in out
    assert "not measured: roofline, energy" in out
    doc = history.list_runs()[0].result
    assert doc["done"] == ["capture", "warm-up", "headline", "breakdown", "memory"]
    assert set(doc["breakdown"]) == {"data_wait", "h2d_copy", "forward", "backward", "optimizer"}
    assert doc["memory"]["peak_bytes"] > 0


def test_ctrl_c_before_the_trace_says_no_trace_was_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`profile ... --trace t.json` stopped by Ctrl-C before the roofline pass wrote no trace and said nothing of it
    (the --html page and the workload were each reported written); now a line on stderr says it."""
    def stop(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(profiler, "profile_op_times", stop)  # Ctrl-C in the roofline pass
    trace = tmp_path / "t.json"
    code, _, err = run_main([*ARGV, "--trace", str(trace)], capsys)
    assert code == 130, err
    assert not trace.exists()
    assert f"no Chrome trace written to {trace}: the run stopped before the roofline pass" in " ".join(err.split())


def test_ctrl_c_before_any_step_records_nothing(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    def stop(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(profiler, "capture_for_profile", stop)
    code, out, err = run_main(ARGV, capsys)
    assert code == 130 and out == ""
    assert "before any step was measured" in err
    assert history.list_runs() == []


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process")
def test_real_sigint_to_a_running_profile(tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT) during the headline of a long run: exit 130, the partial JSON on stdout."""
    env = {**os.environ, "ACCELOPT_HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "accelopt", "profile", "mlp", "--steps", "1000000",
                             "--warmup", "1", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # (a child of a non-interactive shell inherits SIGINT ignored; Python then never raises KeyboardInterrupt)
    assert proc.stderr is not None
    deadline = time.monotonic() + 300  # loading torch and capturing on a loaded machine
    for text in proc.stderr:  # progress lines: wait for the headline pass to start
        if "timing 1000000 steps" in text or time.monotonic() > deadline:
            break
    time.sleep(5.0)  # some headline steps complete (a tiny MLP step takes milliseconds)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] and doc["interrupted_during"] == "headline" and doc["step_time"]["n"] >= 1
