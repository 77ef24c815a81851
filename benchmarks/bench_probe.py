"""Does `accelopt probe` under-report, and is `probe --quick` honest? CPU figures beside peers, in one run.

1. Harness vs plain loops doing the same work the same way, at the CLI's thread count:
   - matmul fp32: probe's FLOP/s vs a plain `torch.mm(a, b)` loop timed as a whole at the same shape;
   - STREAM copy/triad: probe vs a plain loop of the same multi-threaded torch kernels (`a.copy_(b)`,
     `torch.add(b, c, alpha=q, out=a)`) on arrays of the same size (a single-threaded numpy triad,
     the old peer, was 4x slower and could never fail).
   Each pair is measured in alternating rounds (machine noise hits both); the best round of each is kept.
   PASS when every probe / plain ratio >= 0.95.
2. `probe --quick` vs the full probe, per dtype: PASS when quick >= 0.90 x full (issue 13).
3. The quick probe's printed up-front estimate vs its measured duration: PASS within 30% (issue 13).

Prints everything; writes JSON only where asked: `--out PATH`.
Run: .venv/bin/python benchmarks/bench_probe.py [--out benchmarks/results/probe_cpu.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from accelopt.hardware.detect import detect_cpu
from accelopt.measure import probe

ROUNDS = 3
THRESHOLD = 0.95
QUICK_VS_FULL_MIN = 0.90
ESTIMATE_TOLERANCE = 0.30


def plain_mm_flop_per_s(shape: tuple[int, int, int], min_s: float = 1.0) -> float:
    m, n, k = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.mm(a, b)  # warm-up
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s or calls < 3:
        torch.mm(a, b)
        calls += 1
    return 2.0 * m * n * k * calls / (time.perf_counter() - t0)


def plain_torch_stream(kernel: str, array_bytes: int, min_s: float = 1.0) -> float:
    n = array_bytes // 4
    a, b, c = torch.empty(n), torch.rand(n), torch.rand(n)

    def run() -> None:
        if kernel == "copy":
            a.copy_(b)
        else:
            torch.add(b, c, alpha=3.0, out=a)

    run()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s or calls < 3:
        run()
        calls += 1
    arrays = 2 if kernel == "copy" else 3
    return arrays * 4 * n * calls / (time.perf_counter() - t0)


def main(out: Path | None = None) -> int:
    dev = detect_cpu()
    llc = probe.cpu_llc_bytes()
    settings = probe.settings_for(dev, quick=True, llc_bytes=llc)
    shape = (1024, 1024, 1024)
    rows: dict[str, dict[str, Any]] = {}
    for name in ("matmul.fp32", "stream.copy", "stream.triad"):
        best_probe, best_plain = 0.0, 0.0
        for _ in range(ROUNDS):
            if name == "matmul.fp32":
                fig = probe.measure_matmul(torch, "cpu", "fp32", [shape], shape_budget_s=1.0, max_call_s=10.0)
                plain = plain_mm_flop_per_s(shape)
            else:
                kernel = name.split(".")[1]
                fig = probe.measure_stream(torch, "cpu", kernel, settings.stream_bytes, budget_s=1.5)
                plain = plain_torch_stream(kernel, settings.stream_bytes)
            best_probe, best_plain = max(best_probe, fig.median), max(best_plain, plain)
        peer = "torch.mm loop" if name.startswith("matmul") else "torch kernel loop"
        rows[name] = {"probe": best_probe, "plain": best_plain, "peer": peer, "ratio": best_probe / best_plain,
                      "unit": "flop_per_s" if name.startswith("matmul") else "byte_per_s"}
    ok = all(r["ratio"] >= THRESHOLD for r in rows.values())
    quick_rows, quick_ok, estimate = quick_vs_full(dev)
    print(f"{'measure':14} {'probe':>14} {'plain':>14} {'ratio':>7}  peer")
    for name, r in rows.items():
        scale, unit = (1e9, "GFLOP/s") if r["unit"] == "flop_per_s" else (1e9, "GB/s")
        print(f"{name:14} {r['probe'] / scale:10.2f} {unit:>3} {r['plain'] / scale:10.2f} {unit:>3} "
              f"{r['ratio']:7.3f}  {r['peer']}")
    print(f"{'PASS' if ok else 'FAIL'}: probe / plain >= {THRESHOLD} for every figure")
    for metric, r in quick_rows.items():
        print(f"{metric:14} quick {r['quick']:.4g} / full {r['full']:.4g} = {r['ratio']:.3f}")
    print(f"{'PASS' if quick_ok else 'FAIL'}: probe --quick >= {QUICK_VS_FULL_MIN} x full probe for every dtype")
    est_ok = abs(estimate["estimate_s"] / estimate["measured_s"] - 1) <= ESTIMATE_TOLERANCE
    print(f"quick probe: estimate {estimate['estimate_s']:.1f} s, measured {estimate['measured_s']:.1f} s, "
          f"ratio {estimate['estimate_s'] / estimate['measured_s']:.2f}")
    print(f"{'PASS' if est_ok else 'FAIL'}: estimate within {ESTIMATE_TOLERANCE:.0%} of the measured duration")
    ok = ok and quick_ok and est_ok
    if out is None:
        return 0 if ok else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": dev.name, "cores": dev.cores,
        "torch": torch.__version__, "numpy": np.__version__, "torch_threads": torch.get_num_threads(),
        "matmul_shape": list(shape), "stream_array_bytes": settings.stream_bytes, "llc_bytes": llc,
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "rounds": ROUNDS, "threshold": THRESHOLD, "figures": rows, "quick_vs_full": quick_rows,
        "quick_estimate": estimate, "pass": ok}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0 if ok else 1


def quick_vs_full(dev: Any) -> tuple[dict[str, dict[str, float]], bool, dict[str, float]]:
    """Each dtype's quick figure against the full probe's; the quick run's estimate against its duration."""
    estimates: list[float] = []
    quick = probe.run_probe(dev, quick=True, on_plan=lambda steps, est: estimates.append(est))
    full = probe.run_probe(dev, quick=False)
    rows: dict[str, dict[str, float]] = {}
    for f in full.matmul():
        q = quick.get(f.metric)
        if q is not None:
            rows[f.metric] = {"quick": q.median, "full": f.median, "ratio": q.median / f.median}
    ok = bool(rows) and all(r["ratio"] >= QUICK_VS_FULL_MIN for r in rows.values())
    return rows, ok, {"estimate_s": estimates[0], "measured_s": quick.duration_s}


if __name__ == "__main__":
    from benchargs import out_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=out_file, help="also write the figures and verdicts as JSON here")
    sys.exit(main(ap.parse_args().out))
