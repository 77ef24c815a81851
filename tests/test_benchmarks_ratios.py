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


def test_scalesim_refs_says_what_it_kept_and_ran(monkeypatch: pytest.MonkeyPatch, tmp_path,  # type: ignore[no-untyped-def]
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """scalesim_user_refs.py with every asked row already recorded printed nothing and exited 0: a user could not tell
    a finished run from one that did nothing. It names what it kept, what it runs, and the file."""
    import shutil
    import sys

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    refs = _load("scalesim_user_refs")
    out = tmp_path / "refs.json"
    shutil.copy(refs.OUT, out)
    monkeypatch.setattr(refs, "OUT", out)
    monkeypatch.setattr(refs, "run_scalesim", lambda *a, **k: pytest.fail("a recorded row was run again"))
    monkeypatch.setattr(sys, "argv", ["scalesim_user_refs.py", "--layers", "conv2_1.a"])
    refs.main()
    text = capsys.readouterr().out
    assert f"9 configurations asked (os, 32x32): 9 already in {out} (kept, not re-run), 0 to run" in text
    import json

    assert f"{out}: {len(json.loads(out.read_text())['rows'])} rows" in text
