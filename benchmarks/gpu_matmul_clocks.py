"""Burst against sustained bf16 matmul rate on a CUDA GPU, with the clocks, power and throttle reasons NVML reads.

Why: `accelopt probe` on an H200 (2026-12-04) measured bf16 matmul at 665 TFLOP/s (best of 8 shapes, each timed for
seconds), where a short burst of ten 8192^3 products after three warm-ups was seen at 769-798 TFLOP/s on the same
kind of machine (/work/.library/device/KINDS.md). This script times both on one GPU in one run: the burst (KINDS.md's
recipe) and then back-to-back products in 1-second windows, each window with NVML's SM clock, board power, GPU
temperature and clock-event (throttle) reasons, so the gap is measured, not guessed. The figure: each window's
TFLOP/s and its ratio to the burst and to the catalog's dense bf16 peak (a datasheet figure).

    python benchmarks/gpu_matmul_clocks.py [--sides 8192,16384] [--seconds 10]

Writes matmul_clocks_gpu.json to $ACCELOPT_RESULTS_DIR (else benchmarks/results/). Exits 0 with a note when no
CUDA device is present. Reads the GPU's state only; sets nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

BURST_WARMUP, BURST_CALLS = 3, 10  # KINDS.md's recipe: the mean of ten timed products after three warm-ups


def nvml_reader() -> Any:
    """A function returning (sm_clock_mhz, power_w, temp_c, reasons) for cuda:0, the GPU the products run on (NVML's
    own GPU 0 is another card under CUDA_VISIBLE_DEVICES), or None without nvidia-ml-py."""
    from accelopt.measure.energy import nvml_handle_for_cuda

    try:
        import pynvml as nv

        nv.nvmlInit()
        h = nvml_handle_for_cuda(nv, 0, int(nv.nvmlDeviceGetCount()))
    except Exception as e:  # no nvidia-ml-py, no driver, or a CUDA_VISIBLE_DEVICES entry NVML does not know
        print(f"NVML not read ({type(e).__name__}: {e})")
        return None
    reasons_of = getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None) or \
        nv.nvmlDeviceGetCurrentClocksThrottleReasons
    names = {v: k for k, v in vars(nv).items() if k.startswith("nvmlClocksThrottleReason") and isinstance(v, int)
             and v and (v & (v - 1)) == 0}

    def read() -> dict[str, Any]:
        bits = int(reasons_of(h))
        return {"sm_clock_mhz": nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM),
                "power_w": nv.nvmlDeviceGetPowerUsage(h) / 1000.0,
                "temp_c": nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU),
                "reasons": sorted(n.removeprefix("nvmlClocksThrottleReason") for b, n in names.items() if bits & b)}

    return read


def burst_flop_s(torch: Any, a: Any, b: Any, flops: float) -> float:
    for _ in range(BURST_WARMUP):
        torch.mm(a, b)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(BURST_CALLS):
        torch.mm(a, b)
    end.record()
    end.synchronize()
    return BURST_CALLS * flops / (start.elapsed_time(end) / 1e3)


def sustained_windows(torch: Any, a: Any, b: Any, flops: float, seconds: float, read: Any) -> list[dict[str, Any]]:
    """Back-to-back products; per 1-s window: FLOP/s (calls x FLOP / window time) and NVML's state at its end."""
    windows = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        torch.cuda.synchronize()
        t0, calls = time.perf_counter(), 0
        while time.perf_counter() - t0 < 1.0:
            for _ in range(8):  # 8 queued products between host checks: the GPU never waits on the host
                torch.mm(a, b)
            calls += 8
            torch.cuda.synchronize()
        w = {"flop_per_s": calls * flops / (time.perf_counter() - t0), "calls": calls}
        if read is not None:
            w.update(read())
        windows.append(w)
    return windows


def sides_list(text: str) -> list[int]:
    """'8192,16384' -> [8192, 16384]; argparse turns the ValueError into 'error: argument --sides: ...' (exit 2)."""
    from benchargs import count  # the benchmarks folder: on sys.path when run as a script

    return [count(1)(part) for part in text.split(",")]


def main() -> int:
    from benchargs import positive_seconds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sides", type=sides_list, default=[8192, 16384],
                    help="comma-separated square matmul sides (default: 8192,16384)")
    ap.add_argument("--seconds", type=positive_seconds, default=10.0,
                    help="sustained seconds per side (default: %(default)s)")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("gpu_matmul_clocks: no CUDA device; nothing measured")
        return 0
    from accelopt.hardware.catalog import get_device
    from accelopt.hardware.detect import find_device

    found = find_device("cuda:0")
    spec = get_device(found.catalog_name) if found.catalog_name else None
    peak = spec.peak("bf16") if spec is not None else None
    read = nvml_reader()
    doc: dict[str, Any] = {"benchmark": "bf16 matmul burst vs sustained", "device": found.name,
                           "catalog": found.catalog_name, "catalog_bf16_peak_flop_per_s": peak,
                           "torch": torch.__version__, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "idle": read() if read else None, "sides": []}
    out = Path(os.environ.get("ACCELOPT_RESULTS_DIR", Path(__file__).resolve().parent / "results"))
    out.mkdir(parents=True, exist_ok=True)
    for side in args.sides:
        a = torch.randn(side, side, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(side, side, device="cuda", dtype=torch.bfloat16)
        flops = 2.0 * side**3
        burst = burst_flop_s(torch, a, b, flops)
        windows = sustained_windows(torch, a, b, flops, args.seconds, read)
        last = windows[-1]["flop_per_s"]
        row = {"side": side, "burst_flop_per_s": burst, "windows": windows, "last_over_burst": last / burst,
               "last_over_catalog_peak": last / peak if peak else None}
        doc["sides"].append(row)
        print(f"{side}^3 bf16: burst {burst / 1e12:.0f} TFLOP/s; sustained windows "
              + " ".join(f"{w['flop_per_s'] / 1e12:.0f}" for w in windows)
              + f" TFLOP/s; last/burst {last / burst:.3f}"
              + (f", last/catalog peak {last / peak:.3f}" if peak else ""), flush=True)
        for i, w in enumerate(windows):
            if "sm_clock_mhz" in w:
                print(f"    window {i}: {w['flop_per_s'] / 1e12:.0f} TFLOP/s, SM {w['sm_clock_mhz']} MHz, "
                      f"{w['power_w']:.0f} W, {w['temp_c']} C, reasons {','.join(w['reasons']) or '-'}")
        (out / "matmul_clocks_gpu.json").write_text(json.dumps(doc, indent=1))
        del a, b
    print(f"written {out / 'matmul_clocks_gpu.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
