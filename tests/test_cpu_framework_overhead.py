"""The cpu calibration family's framework_overhead_bytes is a CPU process's measured footprint besides its tensors
(benchmarks/bench_cpu_framework_overhead.py), not the GPU stacks' 2.5e9 CUDA-context assumption, which made `plan`
predict 2.33 GiB per device for profile's gpt where profile measured 336 MiB (ureadme2's finding)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.calibration import load_calibrations

RESULT = Path(__file__).parents[1] / "benchmarks" / "results" / "cpu_framework_overhead_cpu.txt"
TOLERANCE = 0.25
"""plan's memory per device vs profile's measured peak (process RSS high-water), stated before measuring."""


def _measured_step_bytes() -> float:
    m = re.search(r"^step\s+([\d.]+)\s+([\d.]+)$", RESULT.read_text(), re.M)
    assert m, f"{RESULT} has no 'step' row: rerun the benchmark"
    return float(m[2]) * 2**20  # VmHWM, MiB


def test_cpu_family_overhead_is_the_measured_cpu_process_footprint() -> None:
    cpu = load_calibrations()["cpu"]
    measured = _measured_step_bytes()
    assert abs(cpu.framework_overhead_bytes / measured - 1) < 0.05, (cpu.framework_overhead_bytes, measured)


def test_plan_memory_matches_profile_peak_on_profiles_gpt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """profile runs in a fresh process, as a user runs it: its peak is that process's RSS high-water mark, which inside
    the test process would also hold every module and tensor earlier tests left there (order-dependent)."""
    workload = tmp_path / "w.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src"), "ACCELOPT_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "accelopt", "profile", "gpt", "--steps", "3", "--warmup", "1",
                           "--catalog-device", "xeon-8480plus", "--save-workload", str(workload), "--json"],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    peak = json.loads(proc.stdout)["memory"]["peak_bytes"]
    code, out, err = run_main(["plan", "--model", str(workload), "--hardware", "xeon-8480plus", "--devices", "1",
                               "--json"], capsys)
    assert code == 0, err
    predicted = json.loads(out)["layouts"][0]["mem_total_bytes"]
    assert abs(predicted / peak - 1) < TOLERANCE, (predicted, peak)
