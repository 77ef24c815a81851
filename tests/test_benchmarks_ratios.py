"""Benchmarks print their figure beside a ratio against a peer or bound from the same run (the brief's rule).

bench_cpu_gemm_curve.py said it measured "the fixed cost per GEMM that the cpu calibration family's matmul_half_s
stands for" but never read the calibration: it printed a ratio against a GPU-fitted point no CPU prediction uses.
Here its arithmetic runs on synthetic GEMM times (no timing), so the check is exact and fast."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gemm_curve_compares_the_calibrations_fixed_cost(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.calibration import load_calibrations

    bench = _load("bench_cpu_gemm_curve")
    rate_flop_per_s, fixed_s = 1e10, 5e-6  # a CPU whose GEMMs take F / 10 GFLOP/s + 5 us
    monkeypatch.setattr(bench, "measure_s", lambda n: 2.0 * n**3 / rate_flop_per_s + fixed_s)
    bench.main()
    out = capsys.readouterr().out
    cal = load_calibrations()["cpu"]
    charged_s = cal.matmul_half_s + cal.kernel_overhead_s
    assert "measured 5.0 us" in out
    assert f"charges {charged_s * 1e6:g} us: {charged_s / fixed_s:.2f}x the measured one" in out
    # each size: plan's charge F / rate + fixed over the measured time, e.g. the 8^3 GEMM
    f8 = 2.0 * 8**3
    ratio8 = (f8 / rate_flop_per_s + charged_s) / (f8 / rate_flop_per_s + fixed_s)
    row8 = next(line for line in out.splitlines() if line.strip().startswith("1.02e+03"))
    assert re.search(rf"{ratio8:.2f}x$", row8), row8
