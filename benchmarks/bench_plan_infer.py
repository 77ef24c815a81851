"""Accuracy and speed of `accelopt plan infer`.

Accuracy: the held-out median |error| of predicted vs published inference figures (Coral 'Edge TPU performance
benchmarks', Table 1, Dev Board column; a 4x T4 ResNet-50 throughput; predict/data/published_inference_runs.csv),
printed with its ratio to the bound the issue sets (25%).
Speed: predicting 4 built-in examples (ResNet-50, MobileNet v2, BERT-base, the DS-CNN keyword spotter) at batches
1, 8, 64 on every catalog device, vs capturing the same workloads (the capture on PyTorch's meta device is the
peer: both run in this process, the ratio says what share of a `plan infer` run the prediction is).
Run: .venv/bin/python benchmarks/bench_plan_infer.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from accelopt.hardware.catalog import default_catalog, get_device
from accelopt.predict.inference import plan_inference
from accelopt.predict.inference_validation import median_abs_error, validate_inference, worst
from accelopt.workload.inference_zoo import build_example, capture_inference

MODELS = ("resnet50", "mobilenet-v2", "bert-base", "kws-dscnn")
BATCHES = (1, 8, 64)
BOUND = 0.25  # the Done-when: held-out median |error| <= 25%


def accuracy() -> bool:
    """Print every row; True when the held-out median |error| is within BOUND."""
    res = validate_inference()
    med = median_abs_error(res)
    bad = worst(res)
    worst_text = f"{bad.id} {100 * bad.error:+.1f}%" if bad else "-"
    print(f"held-out rows: {sum(not r.fitted for r in res)}; median |error| {100 * med:.1f}% "
          f"(bound {100 * BOUND:.0f}%, ratio {med / BOUND:.2f}); worst {worst_text}")
    for r in res:
        unit = "ms" if r.metric == "latency_ms" else "inferences/s"
        print(f"  {r.id:<30} {'fit' if r.fitted else 'test':<4} published {r.published:>7g} {unit}, predicted "
              f"{r.predicted:>8.4g} {unit}, {100 * r.error:+.1f}%")
    return med <= BOUND


def speed(repeats: int = 3) -> None:
    specs = list(default_catalog())
    cap_s, pred_s = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        wls = {m: {b: capture_inference(build_example(m, b, meta=True)) for b in BATCHES} for m in MODELS}
        t1 = time.perf_counter()
        points = 0
        for m in MODELS:
            plan = plan_inference(wls[m], specs, dtype="fp16", host_resolver=get_device)
            points += sum(len(d.points) for d in plan.devices)
        t2 = time.perf_counter()
        cap_s.append(t1 - t0)
        pred_s.append(t2 - t1)
    cap, pred = statistics.median(cap_s), statistics.median(pred_s)
    print(f"predict: {points} device x batch points ({len(MODELS)} models x {len(specs)} devices x {len(BATCHES)} "
          f"batches) in {pred:.2f} s ({points / pred:,.0f} points/s, median of {repeats})")
    print(f"capture of the same {len(MODELS) * len(BATCHES)} workloads on meta: {cap:.2f} s; predict / capture "
          f"= {pred / cap:.2f}")


def main() -> int:
    """0 when the held-out error is within BOUND, else 1 (`make bench` names the failed ones)."""
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    print(f"# {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())} {platform.machine()}, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; bench_plan_infer.py")
    within = accuracy()
    speed()
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
