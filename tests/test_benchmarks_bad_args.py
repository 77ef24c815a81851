"""A bad argument to a benchmark script ends in argparse's usage line and `error: argument FLAG: ...`, exit status 2,
before anything is measured. `python benchmarks/bench_history.py 0` filled an empty store and died dividing by zero
(a traceback, exit 1); a count of 0 or below, an unknown model or example name, or an --out path in a missing folder
(found only after minutes of measuring) did the same in the other scripts. Each case here is refused while parsing:
nothing runs, so no test waits on a measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 90  # imports only (torch included), on a loaded 2-core machine

CASES = [  # (script, arguments, the flag or argument the error names)
    ("bench_history.py", ["0"], "argument n"),
    ("bench_capture.py", ["--repeats", "0"], "argument --repeats"),
    ("bench_capture.py", ["--models", "mlp,nope"], "argument --models"),
    ("bench_distributed.py", ["--nproc", "1"], "argument --nproc"),
    ("bench_optimize.py", ["--examples", "nope"], "argument --examples"),
    ("bench_plan_search.py", ["--sample", "0"], "argument --sample"),
    ("bench_profile.py", ["--out", "/nonexistent-folder/rows.json"], "argument --out"),
    ("bench_prune.py", ["--rounds", "-1"], "argument --rounds"),
    ("bench_quantize.py", ["--out", str(ROOT)], "argument --out"),
    ("bench_simulate.py", ["--peer-layers", "0"], "argument --peer-layers"),
    ("bench_probe.py", ["--out", "/nonexistent-folder/p.json"], "argument --out"),
    ("gpu_optimize.py", ["--budget-s", "nan"], "argument --budget-s"),
    ("gpu_profile.py", ["--steps", "0"], "argument --steps"),
    ("gpu_matmul_clocks.py", ["--sides", "8192,0"], "argument --sides"),
    ("gpu_matmul_clocks.py", ["--seconds", "-1"], "argument --seconds"),
    ("scalesim_user_refs.py", ["--layers", "conv1,nope"], "argument --layers"),
]


@pytest.mark.parametrize(("script", "args", "names"), CASES, ids=[f"{s} {' '.join(a)}" for s, a, _ in CASES])
def test_a_bad_argument_exits_2_naming_it(script: str, args: list[str], names: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ACCELOPT_NO_HISTORY": "1", "ACCELOPT_HOME": str(tmp_path),
           "ACCELOPT_RESULTS_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=TIMEOUT_S)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("usage:"), proc.stderr[-2000:]
    assert f"error: {names}: " in proc.stderr
    assert proc.stdout == ""  # nothing measured or printed


def test_names_from_keeps_a_valid_list_as_typed() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from benchargs import count, names_from
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert names_from(["mlp", "gpt"], "zoo model")("mlp,gpt") == "mlp,gpt"
    assert count(0)("0") == 0 and count(2)("8") == 8


def test_bench_distributed_on_cuda_without_a_gpu_per_rank_exits_2_naming_it(tmp_path: Path) -> None:
    """`bench_distributed.py --device cuda` on a machine with fewer GPUs than ranks went on to launch NCCL ranks
    that failed mid-run; it is refused before anything runs, naming the GPUs it found and the fix."""
    import torch

    if torch.cuda.is_available() and torch.cuda.device_count() >= 2:
        pytest.skip("this machine has 2 or more CUDA GPUs: the benchmark would run")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ACCELOPT_NO_HISTORY": "1", "ACCELOPT_HOME": str(tmp_path),
           "ACCELOPT_RESULTS_DIR": str(tmp_path / "results")}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_distributed.py"), "--device", "cuda"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=TIMEOUT_S)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "error: argument --device: cuda with --nproc 2 needs 2 CUDA GPUs" in proc.stderr, proc.stderr[-2000:]
    assert "--device cpu" in proc.stderr and proc.stdout == ""
    assert not (tmp_path / "results").exists()  # refused before anything was written
