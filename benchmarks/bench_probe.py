"""Does `accelopt probe` under-report? Its CPU figures beside plain peers, in one run.

- matmul fp32: probe's best-shape FLOP/s vs a plain `for _ in range(n): torch.mm(a, b)` loop timed
  as a whole at the same shape (FLOP = 2·m·n·k per call).
- bandwidth: probe's STREAM copy/triad vs plain numpy on arrays of the same size
  (copy: np.copyto, 2 arrays counted; triad: np.add(b, q*c, out=a), 3 arrays counted the STREAM way,
  although numpy also writes and reads a temporary for q*c).

Each pair is measured in alternating rounds (machine noise hits both) and the best round of each
is kept. PASS when every probe / plain ratio >= 0.95. Writes benchmarks/results/probe_cpu.json.
Run: .venv/bin/python benchmarks/bench_probe.py
"""

from __future__ import annotations

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
OUT = Path(__file__).parent / "results" / "probe_cpu.json"


def plain_mm_flop_per_s(shape: tuple[int, int, int], min_s: float = 1.0) -> float:
    m, n, k = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.mm(a, b)  # warm-up
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s or calls < 3:
        torch.mm(a, b)
        calls += 1
    return 2.0 * m * n * k * calls / (time.perf_counter() - t0)


def plain_numpy_stream(kernel: str, array_bytes: int, min_s: float = 1.0) -> float:
    n = array_bytes // 4
    a: Any = np.empty(n, dtype=np.float32)
    b = np.random.rand(n).astype(np.float32)
    c = np.random.rand(n).astype(np.float32)
    q = np.float32(3.0)

    def run() -> None:
        if kernel == "copy":
            np.copyto(a, b)
        else:
            np.add(b, q * c, out=a)

    run()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s or calls < 3:
        run()
        calls += 1
    arrays = 2 if kernel == "copy" else 3
    return arrays * 4 * n * calls / (time.perf_counter() - t0)


def main() -> int:
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
                plain = plain_numpy_stream(kernel, settings.stream_bytes)
            best_probe, best_plain = max(best_probe, fig.median), max(best_plain, plain)
        peer = "torch.mm loop" if name.startswith("matmul") else "numpy"
        rows[name] = {"probe": best_probe, "plain": best_plain, "peer": peer, "ratio": best_probe / best_plain,
                      "unit": "flop_per_s" if name.startswith("matmul") else "byte_per_s"}
    ok = all(r["ratio"] >= THRESHOLD for r in rows.values())
    print(f"{'measure':14} {'probe':>14} {'plain':>14} {'ratio':>7}  peer")
    for name, r in rows.items():
        scale, unit = (1e9, "GFLOP/s") if r["unit"] == "flop_per_s" else (1e9, "GB/s")
        print(f"{name:14} {r['probe'] / scale:10.2f} {unit:>3} {r['plain'] / scale:10.2f} {unit:>3} "
              f"{r['ratio']:7.3f}  {r['peer']}")
    print(f"{'PASS' if ok else 'FAIL'}: probe / plain >= {THRESHOLD} for every figure")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": dev.name, "cores": dev.cores,
        "torch": torch.__version__, "numpy": np.__version__, "torch_threads": torch.get_num_threads(),
        "matmul_shape": list(shape), "stream_array_bytes": settings.stream_bytes, "llc_bytes": llc,
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "rounds": ROUNDS, "threshold": THRESHOLD, "figures": rows, "pass": ok}, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
