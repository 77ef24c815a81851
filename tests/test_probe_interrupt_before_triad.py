"""Ctrl-C (or SIGTERM) after the matmul figures but before stream.triad, which a measured spec needs: the probe printed
its figures and then 'error: the triad bandwidth was not measured, so no spec can be written — re-run the probe
without errors in stream.triad', exit 2 (bad input) instead of 130, as if something had failed. Now the figures are
printed and recorded, the spec's absence is said with the interrupt as its cause, and the exit status is 130
(2026-12-05, utprobe)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.measure import probe
from accelopt.units import MiB


@pytest.fixture
def stopped_at_stream(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def settings_for(device: Any, quick: bool, llc: float | None) -> probe.ProbeSettings:
        return probe.ProbeSettings(shapes={"fp32": [(64, 64, 64)]}, shape_budget_s=0.02, max_call_s=1.0,
                                   stream_bytes=2 * MiB, stream_budget_s=0.03)

    def stop() -> probe.Figure:
        raise KeyboardInterrupt

    def calibrate(torch: Any, device: Any, steps: list[probe.Step], settings: Any) -> list[probe.Step]:
        return [s if s.metric.startswith("matmul.") else dataclasses.replace(s, run=stop) for s in steps]

    monkeypatch.setattr(probe, "settings_for", settings_for)
    monkeypatch.setattr(probe, "calibrate_steps", calibrate)
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("as_json", [False, True])
def test_interrupted_before_the_triad_exits_130_and_says_why_no_spec(capsys: pytest.CaptureFixture[str],
                                                                    stopped_at_stream: None, tmp_path: Path,
                                                                    as_json: bool) -> None:
    from accelopt.report import history

    spec = tmp_path / "cpu.toml"
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--save", str(spec)]
                              + (["--json"] if as_json else []), capsys)
    assert code == 130, err
    said = " ".join(err.split())
    assert "measured spec not saved: the triad bandwidth was not measured, so no spec can be written (the run was " \
           "interrupted before it) — rerun accelopt probe and let it finish to save a measured spec" in said
    assert "error:" not in said and not spec.exists()
    record = history.list_runs()[0].result
    assert [f["metric"] for f in record["figures"]] == ["matmul.fp32"] and record["interrupted"]
    if as_json:
        assert json.loads(out)["save_error"].startswith("the triad bandwidth was not measured")
    else:
        assert "matmul.fp32" in out and "interrupted" in out
