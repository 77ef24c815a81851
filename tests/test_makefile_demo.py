"""`make demo` can be run again: a second run used to stop at its last step with exit 2, because
`optimize --save DIR` refuses a folder that holds an earlier save (the first demo's), by design.

Checked on the recipe as make prints it (`make -n`, the venv step taken as done); nothing is run.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _demo_lines() -> list[list[str]]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed-stamp", "demo"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    lines = (shlex.split(ln, comments=True) for ln in out.replace("\\\n", " ").splitlines())
    return [w for w in lines if w]


def test_demo_clears_its_optimize_save_before_saving_again() -> None:
    lines = _demo_lines()
    saves = [(i, w[w.index("--save") + 1]) for i, w in enumerate(lines)
             if w and w[0].endswith("accelopt") and w[1] == "optimize" and "--save" in w]
    assert saves, "the demo no longer saves an optimize result: update this test"
    for i, folder in saves:
        cleared = any(w[:2] == ["rm", "-rf"] and folder.rstrip("/") in (p.rstrip("/") for p in w[2:])
                      for w in lines[:i])
        assert cleared, f"`optimize --save {folder}` refuses the folder the previous `make demo` filled"


def test_demo_outputs_stay_in_the_ignored_folder() -> None:
    """What the recipe removes is its own output (.accelopt/, git-ignored), never a user's file."""
    for w in _demo_lines():
        if w[:1] == ["rm"]:
            assert all(p.startswith(".accelopt/") for p in w[2:]), w


def test_bench_runs_every_benchmark_when_one_fails(tmp_path: Path) -> None:
    """`make bench` stopped at the first benchmark that failed its check (`|| exit 1` in the loop), so one noisy
    figure hid every later benchmark. Run with a stand-in python that fails every script and logs each call."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    log = tmp_path / "calls.txt"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexit 1\n')
    fake.chmod(0o755)
    proc = subprocess.run(["make", "-o", ".venv/.installed-stamp", "bench", f"PY={fake}"], cwd=ROOT,
                          capture_output=True, text=True)
    scripts = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("bench_*.py"))
    assert log.read_text().split() == scripts
    assert proc.returncode != 0 and "failed their check" in proc.stdout


def _device(words: list[str], default: str) -> str:
    return words[words.index("--device") + 1] if "--device" in words else default


def test_demo_profiles_on_the_device_it_probed() -> None:
    """`make demo` probed with probe's default device (cuda:0 when a GPU is present) and saved it as probe-cpu.toml,
    then profiled on profile's default device (cpu) against those peaks: on a GPU machine, a CPU step's MFU and
    roofline against the GPU's measured figures. Both now name the device; the figures describe the same one."""
    lines = _demo_lines()
    probes = {w[w.index("--save") + 1]: _device(w, "cuda:0 when present") for w in lines
              if w and w[0].endswith("accelopt") and w[1] == "probe" and "--save" in w}
    profiled = [w for w in lines if w and w[0].endswith("accelopt") and w[1] == "profile" and "--probed" in w]
    assert profiled, "the demo no longer profiles against its probe: update this test"
    for w in profiled:
        spec = w[w.index("--probed") + 1]
        assert spec in probes, f"profile --probed {spec}: not written by the demo's probe"
        assert probes[spec] == _device(w, "cpu"), f"probe measured {probes[spec]}, profile runs on {_device(w, 'cpu')}"
