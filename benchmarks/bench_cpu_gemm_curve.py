"""GEMM time vs size on this machine's CPU (torch.mm fp32, one thread): the fixed cost per GEMM that the `cpu`
calibration family's matmul_half_s stands for (predict/data/calibration.toml), printed beside what the GPU-fitted
0.5 GFLOP half-size point would charge at the same rate.

    PYTHONPATH=src python benchmarks/bench_cpu_gemm_curve.py
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    import torch

    torch.set_num_threads(1)
    rows = []
    for n in (8, 16, 32, 64, 128, 256, 512):
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
        rows.append((2.0 * n**3, statistics.median(ts)))
    rate = statistics.median(f / t for f, t in rows[-3:])  # large-GEMM rate (median of the 3 largest), FLOP/s
    t_fixed = rows[0][1]  # the 8^3 GEMM: almost all fixed cost
    for f, t in rows:
        print(f"{f:10.3g} FLOP  {t * 1e6:9.2f} us  {f / t / 1e9:7.2f} GFLOP/s")
    print(f"fixed cost per GEMM ~ {t_fixed * 1e6:.1f} us; the GPU-fitted half-size point 0.5 GFLOP at this rate "
          f"({rate / 1e9:.1f} GFLOP/s) would charge {0.5e9 / rate * 1e6:,.0f} us: {0.5e9 / rate / t_fixed:,.0f}x more")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
