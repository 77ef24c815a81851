"""Which techniques pay off on the built-in examples, and does each gain stay under profile's bound?

For each built-in example (digits: CNN, held-out accuracy; chargpt: character GPT, held-out loss) and
mode, runs the optimize runner over every technique (A/B interleaved against the baseline, see
accelopt/optimize/runner.py) and prints, per technique: the measured speed-up with its round range,
the quality delta, profile's "gain up to" bound beside it (ABOVE when the gain exceeds it: a bug in
one of the two), memory and size; then the recommended variant against the best single technique.

    .venv/bin/python benchmarks/bench_optimize.py [--examples digits,chargpt] [--modes inference,train]
        [--threads 1] [--rounds 7] [--skip compile-max-autotune]

--threads 1 by default: on a shared 2-core machine two OpenMP threads spin-wait whenever another process
holds a core (measured here: the digits forward 15x slower with 2 threads than with 1 under load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch

from accelopt.optimize.runner import RunOptions, run_optimize
from accelopt.report.jsonout import to_jsonable
from accelopt.workload import examples

OUT = Path(__file__).resolve().parent / "results" / "optimize_cpu.json"
TXT = OUT.with_suffix(".txt")


def _fmt_x(v: float | None) -> str:
    return f"{v:.2f}x" if v is not None else "—"


def table(res: Any) -> list[str]:
    lines = [f"== {res.name} ({res.mode}, batch {res.batch_size}, {res.metric}; tolerance "
             f"{res.quality_tolerance:g} {res.quality_tolerance_unit}); profile: {res.profile_verdict or 'n/a'}",
             f"{'variant':34} {'speed-up':>9} {'rounds':>13} {'gain up to':>11} {'quality':>9} {'delta':>9} "
             f"{'memory MiB':>10} {'size KiB':>9} {'setup s':>8}  status"]
    for r in res.variants:
        if not r.measured and r.status != "quality-failure":
            lines.append(f"{r.name:34} {'':>9} {'':>13} {'':>11} {'':>9} {'':>9} {'':>10} {'':>9} {'':>8}  "
                         f"{r.status}: {r.reason[:90]}")
            continue
        q = r.quality
        rounds = f"{_fmt_x(r.speedup_low)}-{_fmt_x(r.speedup_high)}"
        bound = _fmt_x(r.gain_bound) + ("!" if r.above_bound else "")
        qv = f"{q.value:.4g}" if q and q.value is not None else "n/a"
        dq = f"{q.delta:+.4f}" if q and q.delta is not None else "n/a"
        mem = f"{r.memory_bytes / 2**20:.2f}" if r.memory_bytes else "n/a"
        size = f"{r.size_bytes / 1024:.0f}" if r.size_bytes else "n/a"
        flag = " ABOVE BOUND" if r.above_bound else ""
        lines.append(f"{r.name:34} {_fmt_x(r.speedup):>9} {rounds:>13} {bound:>11} {qv:>9} {dq:>9} {mem:>10} "
                     f"{size:>9} {r.setup_s:>8.1f}  {r.status}{flag}"
                     + ("" if not q or q.within_tolerance is not False else " (OUT OF TOLERANCE)"))
    rec = res.recommendation
    if rec is not None:
        lines.append(f"recommended: {rec.name} {_fmt_x(rec.speedup)} vs best single technique: "
                     f"{rec.best_single or 'none'} {_fmt_x(rec.best_single_speedup)}"
                     + (f" -> combination/single = {rec.speedup / rec.best_single_speedup:.2f}"
                        if rec.speedup and rec.best_single_speedup else ""))
        lines.append(f"  because: {rec.reason}")
    return lines


def main() -> None:
    from benchargs import count, names_from  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", default=",".join(examples.list_examples()),
                    type=names_from(examples.list_examples(), "example"),
                    help="built-in trained examples (default: %(default)s)")
    ap.add_argument("--modes", default="inference,train", type=names_from(("inference", "train"), "mode"),
                    help="optimize modes (default: %(default)s)")
    ap.add_argument("--threads", type=count(0), default=1,
                    help="torch threads (0: torch's default) (default: %(default)s)")
    ap.add_argument("--rounds", type=count(1), default=7,
                    help="A/B interleaved timing rounds per variant (default: %(default)s)")
    ap.add_argument("--skip", default="", help="comma-separated techniques to leave out (default: none)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    skip = [s for s in args.skip.split(",") if s]
    runs, lines = [], []
    for name in args.examples.split(","):
        bundle = examples.build(name)
        lines.append(f"{name}: trained quality " + ", ".join(f"{k} {v:.4g}"
                                                             for k, v in bundle.meta["trained_quality"].items()))
        print(lines[-1], flush=True)
        for mode in args.modes.split(","):
            res, _ = run_optimize(examples.build(name), RunOptions(mode=mode, rounds=args.rounds, skip=skip,
                                                                   block_s=0.2, budget_s=1200))
            block = table(res)
            print("\n".join(block), flush=True)
            lines += block
            runs.append(to_jsonable(res))
    load = os.getloadavg()
    tail = (f"measured {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())} on {platform.machine()}, "
            f"load average {load[0]:.2f} on {os.cpu_count()} CPUs, torch {torch.__version__}, "
            f"{torch.get_num_threads()} thread(s); speed-ups are A/B interleaved medians, so load drift hits both")
    print(tail)
    lines.append(tail)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"benchmark": "optimize techniques on the built-in examples", "device": "cpu",
                               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "load_average_1min": load[0], "runs": runs}, indent=1))
    TXT.write_text("\n".join(lines) + "\n")
    print(f"written {OUT} and {TXT}")


if __name__ == "__main__":
    main()
