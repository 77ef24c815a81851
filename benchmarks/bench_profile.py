"""Does measuring distort what is measured? `profile_step`'s reported step time vs a plain timed loop.

For each zoo model, `--rounds` alternations of: a plain training loop (next batch, zero_grad,
forward + loss, backward, optimizer step; a perf_counter around each step, nothing else), then
`profile_step` on the same model; same steps, same thread count, same process. The plain figure
is the median over all plain steps; the reported figure is the median of profile_step's headline
medians; their ratio is printed, with the p10 ratio and the paired ratio (the median over rounds of
reported / plain median of the block just before it).

PASS needs both:
1. the step-interleaved ratio within 3% of 1: the plain step and StepRunner.step (the very function
   profile_step's headline times, between synchronizes) alternate step by step on the same model, so
   both see the same machine load; this isolates "does measuring cost time" from "the machine got busier";
2. the reported median itself: the median over rounds of (profile_step's headline median / the plain
   loop's median in the block just before it) within 5% of 1. Blocks a second apart see different load
   on a shared VM (seen here: 0.88-1.11 on a busy 2-core machine), so a FAIL of this one alone on a busy
   machine is the machine, and profile_step's own contention report says so (printed per model).
Both loops run at the CLI's thread count (torch's default) unless --threads says otherwise.

    .venv/bin/python benchmarks/bench_profile.py [--steps 30] [--models mlp,gpt,bert,resnet] [--size tiny]
        [--threads N] [--out PATH.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from accelopt.measure.profiler import StepRunner, profile_step
from accelopt.measure.roofline import quick_ceilings
from accelopt.measure.timing import quantile
from accelopt.workload import zoo
from accelopt.workload.capture import capture_workload

TOLERANCE = 0.03
PAIRED_TOLERANCE = 0.05


def make_plain_step(bundle: Any) -> Callable[[], None]:
    """The plainest possible training step (next batch, zero_grad, forward + loss, backward, optimizer
    step) with its own optimizer; nothing else (CPU: no synchronize needed)."""
    model = bundle.model
    model.train()
    opt = bundle.optimizer()
    it = iter(bundle.batches())

    def plain_step() -> None:
        nonlocal it
        try:
            inputs, targets = next(it)
        except StopIteration:
            it = iter(bundle.batches())
            inputs, targets = next(it)
        opt.zero_grad(set_to_none=True)
        bundle.loss_fn(model(*(inputs if isinstance(inputs, tuple) else (inputs,))), targets).backward()
        opt.step()

    return plain_step


def plain_loop(bundle: Any, steps: int, warmup: int) -> list[float]:
    """Seconds per step of a plain timed loop: a perf_counter around each plain step."""
    step = make_plain_step(bundle)
    times: list[float] = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def interleaved(bundle: Any, pairs: int, warmup: int) -> tuple[float, float]:
    """Median plain step and median StepRunner.step (the function profile_step times), alternating step by
    step on the same model so both see the same load; each with its own optimizer. The order flips every
    pair (ABBA) so that whatever the first of two back-to-back steps pays (cache, allocator) hits both."""
    plain_step = make_plain_step(bundle)
    runner = StepRunner(bundle, mode="train", dtype="fp32", device="cpu")
    a: list[float] = []
    b: list[float] = []
    for i in range(warmup + pairs):
        order = ((plain_step, a), (runner.step, b)) if i % 2 == 0 else ((runner.step, b), (plain_step, a))
        for fn, out in order:
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            if i >= warmup:
                out.append(dt)
    return statistics.median(a), statistics.median(b)


def bench_one(name: str, size: str, steps: int, warmup: int, rounds: int) -> dict[str, Any]:
    """`rounds` alternations of plain loop and profile_step, so slow drifts in machine load hit both."""
    bundle = zoo.build(name, size)
    workload = capture_workload(bundle, mode="train", warmup_steps=1)
    roofs = quick_ceilings("cpu", "fp32")  # measured once, passed in: the same for every round
    plain: list[float] = []
    reported: list[float] = []
    p10s: list[float] = []
    plain_p10s: list[float] = []
    paired: list[float] = []
    contention: list[str] = []
    for _ in range(rounds):
        block = plain_loop(bundle, steps, warmup)
        plain += block
        plain_p10s.append(quantile(sorted(block), 0.10))
        r = profile_step(bundle, mode="train", device="cpu", steps=steps, warmup=warmup, workload=workload,
                         ceilings=roofs, breakdown_steps=3, profiler_steps=2)
        reported.append(r.step_time.median)
        contention += [w for w in r.contention.warnings if w not in contention]
        p10s.append(r.step_time.p10)
        paired.append(r.step_time.median / statistics.median(block))  # adjacent blocks: load drift cancels
    plain_median = statistics.median(plain)
    plain_p10 = statistics.median(plain_p10s)  # per-block p10, the same statistic as the reported one
    ratio = statistics.median(reported) / plain_median
    inter_plain, inter_runner = interleaved(bundle, 60 * steps, warmup)
    paired_ratio = statistics.median(paired)
    return {"model": bundle.name, "steps": steps, "rounds": rounds, "threads": torch.get_num_threads(),
            "reported_median_s": statistics.median(reported), "reported_p10_s": statistics.median(p10s),
            "reported_medians_per_round_s": reported, "plain_median_s": plain_median, "plain_p10_s": plain_p10,
            "plain_mean_s": statistics.fmean(plain), "ratio_reported_over_plain": ratio,
            "ratio_p10": statistics.median(p10s) / plain_p10, "paired_ratio": paired_ratio,
            "paired_ratios_per_round": paired, "interleaved_plain_median_s": inter_plain,
            "interleaved_runner_median_s": inter_runner, "interleaved_ratio": inter_runner / inter_plain,
            "pass_interleaved": abs(inter_runner / inter_plain - 1) <= TOLERANCE,
            "pass_median": abs(paired_ratio - 1) <= PAIRED_TOLERANCE,
            "pass": abs(inter_runner / inter_plain - 1) <= TOLERANCE and abs(paired_ratio - 1) <= PAIRED_TOLERANCE,
            "contention_warnings": contention}


def main() -> int:
    """0 when every model passes both checks, else 1 (`make bench` names the failed ones)."""
    from benchargs import count, names_from, out_file  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=count(1), default=10, help="timed steps per block (default: %(default)s)")
    ap.add_argument("--warmup", type=count(0), default=3, help="warm-up steps per block (default: %(default)s)")
    ap.add_argument("--size", default="tiny", choices=zoo.SIZES,
                    help="zoo size: tiny, small or realistic (default: %(default)s)")
    ap.add_argument("--rounds", type=count(1), default=12,
                    help="alternations of a plain-loop block and a profile_step block (default: %(default)s)")
    ap.add_argument("--threads", type=count(0), default=0,
                    help="torch threads for both loops (0: torch's default, as the CLI runs; 1 is the least "
                         "sensitive to other load) (default: %(default)s)")
    ap.add_argument("--out", type=out_file, default=None, help="also write the rows as JSON here")
    ap.add_argument("--models", default=",".join(zoo.list_models()), type=names_from(zoo.list_models(), "zoo model"),
                    help="zoo models (default: %(default)s)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    rows = []
    for name in args.models.split(","):
        row = bench_one(name, args.size, args.steps, args.warmup, args.rounds)
        rows.append(row)
        print(f"{row['model']:>14}: step-interleaved ratio (profiled step / plain step) "
              f"{row['interleaved_ratio']:.4f} {'PASS' if row['pass_interleaved'] else 'FAIL'} (within "
              f"{TOLERANCE:.0%}); reported median / plain block before it {row['paired_ratio']:.4f} "
              f"{'PASS' if row['pass_median'] else 'FAIL'} (within {PAIRED_TOLERANCE:.0%}); "
              f"blocks: reported {row['reported_median_s'] * 1e3:.3f} ms vs plain "
              f"{row['plain_median_s'] * 1e3:.3f} ms (p10 ratio {row['ratio_p10']:.4f})",
              flush=True)
        for w in row["contention_warnings"]:
            print(f"{'':>16}profile said: {w}")
    load = os.getloadavg()
    print(f"{sum(r['pass'] for r in rows)}/{len(rows)} PASS")
    print(f"load average {load[0]:.2f} on {os.cpu_count()} CPUs (other processes add noise to both figures)")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"benchmark": "profile step time vs plain loop", "device": "cpu",
                                        "torch": torch.__version__, "tolerance": TOLERANCE,
                                        "paired_tolerance": PAIRED_TOLERANCE, "threads": torch.get_num_threads(),
                                        "load_average_1min": load[0],
                                        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                        "rows": rows}, indent=1))
        print(f"written {args.out}")
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
