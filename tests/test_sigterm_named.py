"""A run stopped by SIGTERM (`timeout 5 accelopt ...`, a batch scheduler's time limit) said 'interrupted (Ctrl-C)':
the CLI raises SIGTERM as KeyboardInterrupt to keep what was measured, and every message named Ctrl-C. The messages
now name the signal that stopped the run; what was computed is kept and the exit status is 130 as README says."""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest
from conftest import run_main

SWEEP = ["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16,32", "--cols", "16,32", "--sram-kib", "64",
         "--dataflow", "os", "--json"]


def _term(*_: Any, **__: Any) -> Any:
    os.kill(os.getpid(), signal.SIGTERM)  # delivered to the main thread at once, through the CLI's handler
    raise AssertionError("SIGTERM did not stop the command")


def _ctrl_c(*_: Any, **__: Any) -> Any:
    raise KeyboardInterrupt


def test_an_unhandled_sigterm_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("accelopt.cli.env.collect", _term)
    code, out, err = run_main(["env"], capsys)
    assert code == 130 and out == "", err
    assert "interrupted (SIGTERM) before `accelopt env` finished" in err and "Ctrl-C" not in err


def test_a_later_run_stopped_by_ctrl_c_says_ctrl_c(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("accelopt.cli.env.collect", _term)
    run_main(["env"], capsys)
    monkeypatch.setattr("accelopt.cli.env.collect", _ctrl_c)
    code, _, err = run_main(["env"], capsys)
    assert code == 130 and "interrupted (Ctrl-C) before `accelopt env` finished" in err, err


def test_a_sweep_stopped_by_sigterm_keeps_its_designs_and_names_the_signal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.simulate import sweep

    real, calls = sweep.simulate, []

    def stop_at_third(*a: Any, **k: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            _term()
        return real(*a, **k)

    monkeypatch.setattr(sweep, "simulate", stop_at_third)
    code, out, err = run_main(SWEEP, capsys)
    assert code == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["evaluated"] == 2 and doc["pareto_front"]
    assert any(n.startswith("interrupted (SIGTERM) after 2 of 4 designs") for n in doc["notes"]), doc["notes"]


def test_a_profile_stopped_by_sigterm_keeps_its_passes_and_names_the_signal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.measure import profiler
    from accelopt.report import history

    monkeypatch.setattr(profiler, "profile_op_times", _term)  # SIGTERM in the roofline pass
    code, out, err = run_main(["profile", "mlp", "--steps", "5", "--warmup", "1"], capsys)
    assert code == 130, err
    assert "INTERRUPTED (SIGTERM)" in out and "roofline pass" in out  # the record names it (utcode: was either)
    assert history.list_runs()[0].result["stopped_by"] == "SIGTERM"
    assert "interrupted (SIGTERM) run recorded" in err and "Traceback" not in err
    assert history.list_runs()[0].command == "profile-partial"
