"""What does capturing cost, and does it count what torch's own counter counts?

For each zoo model, one training step three ways on the same model: plain (no instrumentation),
under torch.utils.flop_counter.FlopCounterMode (the peer), and `capture_workload` (every aten op
recorded). Prints seconds per step, capture's time over the peer's and over the plain step, and
FLOPs: ours on the ops FlopCounterMode covers over its total (PASS when exactly 1.0), plus our
total over its total (> 1: CPU attention, which it counts as 0, and non-matmul work).
Each figure is the median over --repeats first steps of a freshly built model (optimizer state
creation included in all three), the three ways interleaved.

    .venv/bin/python benchmarks/bench_capture.py [--models mlp,gpt,bert,resnet] [--size tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from accelopt.workload import zoo
from accelopt.workload.capture import capture_workload

OUT = Path(__file__).resolve().parent / "results" / "capture_cpu.json"


def _step(bundle: Any, opt: Any) -> None:
    inputs, targets = bundle.first_batch()
    opt.zero_grad(set_to_none=True)
    bundle.loss_fn(bundle.model(*inputs), targets).backward()
    opt.step()


def _cold_step_s(name: str, size: str, how: str) -> tuple[float, float, Any]:
    """Seconds of one first step of a fresh model: plain, under FlopCounterMode, or captured."""
    torch.manual_seed(0)
    bundle = zoo.build(name, size)
    if how == "capture":
        t0 = time.perf_counter()
        w = capture_workload(bundle)
        return time.perf_counter() - t0, 0.0, w
    opt = bundle.optimizer()
    if how == "plain":
        t0 = time.perf_counter()
        _step(bundle, opt)
        return time.perf_counter() - t0, 0.0, None
    with FlopCounterMode(display=False) as fc:
        t0 = time.perf_counter()
        _step(bundle, opt)
        dt = time.perf_counter() - t0
    return dt, float(fc.get_total_flops()), None


def bench(name: str, size: str, repeats: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"plain": [], "peer": [], "capture": []}
    peer_flops, w = 0.0, None
    for _ in range(repeats):  # interleaved so load changes hit all three alike
        for how in times:
            dt, flops, wl = _cold_step_s(name, size, how)
            times[how].append(dt)
            peer_flops, w = (flops or peer_flops), (wl or w)
    med = {k: statistics.median(v) for k, v in times.items()}
    assert w is not None
    covered = {str(k) for k in flop_registry}
    ours_covered = sum(o.flops for o in w.ops if o.name in covered)
    return {"model": f"{name}-{size}", "ops": len(w.ops), "plain_step_s": med["plain"],
            "flopcounter_step_s": med["peer"], "capture_step_s": med["capture"],
            "capture_over_flopcounter": med["capture"] / med["peer"],
            "capture_over_plain": med["capture"] / med["plain"],
            "flops_covered_ratio": ours_covered / peer_flops if peer_flops else None,
            "flops_total_ratio": w.total_flops() / peer_flops if peer_flops else None}


def main() -> int:
    """0 when the FLOPs agree exactly, else 1 (`make bench` names the failed ones)."""
    from benchargs import count, names_from  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="mlp,gpt,bert,resnet", type=names_from(zoo.list_models(), "zoo model"),
                    help="zoo models (default: %(default)s)")
    ap.add_argument("--size", default="tiny", choices=zoo.SIZES,
                    help="zoo size: tiny, small or realistic (default: %(default)s)")
    ap.add_argument("--repeats", type=count(1), default=3,
                    help="first steps of a fresh model per way; the median is kept (default: %(default)s)")
    args = ap.parse_args()
    rows = [bench(m, args.size, args.repeats) for m in args.models.split(",")]
    print(f"{'model':<14}{'ops':>6}{'plain s':>10}{'peer s':>10}{'capture s':>11}{'cap/peer':>10}"
          f"{'cap/plain':>11}{'covered':>9}{'total':>8}")
    for r in rows:
        print(f"{r['model']:<14}{r['ops']:>6}{r['plain_step_s']:>10.4f}{r['flopcounter_step_s']:>10.4f}"
              f"{r['capture_step_s']:>11.4f}{r['capture_over_flopcounter']:>10.2f}"
              f"{r['capture_over_plain']:>11.2f}{r['flops_covered_ratio']:>9.4f}{r['flops_total_ratio']:>8.3f}")
    ok = all(r["flops_covered_ratio"] == 1.0 for r in rows)
    print("PASS: FLOPs on FlopCounterMode's ops agree exactly" if ok else "FAIL: FLOPs differ from FlopCounterMode")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "machine": platform.machine(), "load_average_1min": os.getloadavg()[0],
                               "rows": rows, "torch": torch.__version__, "threads": torch.get_num_threads()},
                              indent=1), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
