"""GEMM time vs size on this machine's CPU (torch.mm fp32, one thread) against the time plan's `cpu` calibration
family charges for the same GEMMs (predict/data/calibration.toml), at the large-GEMM rate measured in the same run.

plan times a GEMM of F FLOP as F / (peak x eff(F)) + kernel_overhead_s with eff(F) = eff_max F / (F + F_half) and
F_half = matmul_half_s x peak x eff_max (predict/compute.py), i.e. F / (peak x eff_max) + matmul_half_s +
kernel_overhead_s: a fixed cost per GEMM of matmul_half_s + kernel_overhead_s on top of the large-GEMM rate. With
peak x eff_max set to the measured large-GEMM rate, each row prints that charge beside the measured time and their
ratio (> 1: plan charges more than this CPU takes); then the measured fixed cost against the calibration's, and
what the GPU-fitted 0.5 GFLOP half-size point would charge at the same rate.

    PYTHONPATH=src python benchmarks/bench_cpu_gemm_curve.py
"""

from __future__ import annotations

import argparse
import statistics
import time

SIZES = (8, 16, 32, 64, 128, 256, 512)
"""Square GEMM sides n (2 n^3 FLOP each): from all fixed cost (8^3) to the large-GEMM rate (512^3)."""
GPU_HALF_FLOP = 0.5e9
"""The GPU-fitted half-size point (nvidia-ampere's matmul_half_flop) the cpu family replaced by a time."""


def measure_s(n: int) -> float:
    """Median seconds of one n x n x n torch.mm over 7 timed loops (each at least 20 calls, ~0.1 GFLOP)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(20):
        torch.mm(a, b)
    reps = max(20, int(2e8 / (2 * n**3)))
    ts = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b)
        ts.append((time.perf_counter() - t0) / reps)
    return statistics.median(ts)


def cpu_fixed_charge_s() -> tuple[float, float]:
    """(matmul_half_s, kernel_overhead_s) of the bundled calibration's `cpu` family."""
    from accelopt.predict.calibration import load_calibrations

    cal = load_calibrations()["cpu"]
    return cal.matmul_half_s, cal.kernel_overhead_s


def main() -> None:
    import torch

    torch.set_num_threads(1)
    rows = [(2.0 * n**3, measure_s(n)) for n in SIZES]
    rate = statistics.median(f / t for f, t in rows[-3:])  # large-GEMM rate (median of the 3 largest), FLOP/s
    half_s, overhead_s = cpu_fixed_charge_s()
    charged_fixed_s = half_s + overhead_s
    print(f"large-GEMM rate {rate / 1e9:.1f} GFLOP/s (median of the 3 largest); plan's cpu family charges "
          f"F / rate + matmul_half_s {half_s * 1e6:g} us + kernel_overhead_s {overhead_s * 1e6:g} us per GEMM")
    print(f"{'FLOP':>10}  {'measured':>12}  {'GFLOP/s':>8}  {'plan charges':>12}  {'charged / measured':>18}")
    for f, t in rows:
        charged = f / rate + charged_fixed_s
        print(f"{f:10.3g}  {t * 1e6:9.2f} us  {f / t / 1e9:8.2f}  {charged * 1e6:9.2f} us  {charged / t:17.2f}x")
    fixed = statistics.median(max(t - f / rate, 0.0) for f, t in rows[:3])  # the smallest GEMMs: almost all fixed
    print(f"fixed cost per GEMM: measured {fixed * 1e6:.1f} us (median over the 3 smallest of time - FLOP / rate); "
          f"the cpu family charges {charged_fixed_s * 1e6:g} us: {charged_fixed_s / fixed:.2f}x the measured one"
          if fixed > 0 else "fixed cost per GEMM: not measurable here (the smallest GEMMs ran at the large rate)")
    print(f"the GPU-fitted half-size point {GPU_HALF_FLOP:g} FLOP at this rate would charge "
          f"{GPU_HALF_FLOP / rate * 1e6:,.0f} us per GEMM: {GPU_HALF_FLOP / rate / charged_fixed_s:,.0f}x the cpu "
          "family's charge")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
