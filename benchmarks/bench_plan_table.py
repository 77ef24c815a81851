"""Speed of `accelopt plan`'s console table against its own layout search (utplan2, 2026-12-05).

Search: Llama 3 8B on h100-sxm, 8..64 devices (the search `plan --top 100000` ranked 14,219 layouts of). Prints the
search's seconds, then the seconds rich takes to print the best-layout table at 10, 200 (cli.plan.TABLE_ROWS_MAX, the
most the console prints) and, with --rows N, N rows, to /dev/null at 200 columns; per row; and
each print's ratio to the search (the bound: printing should not cost more than predicting). Before the cap, the
14,219-row table took 494 s on a loaded 2-core machine.
Run: .venv/bin/python benchmarks/bench_plan_table.py [--rows 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from accelopt.cli import plan as plan_cli
from accelopt.hardware.catalog import get_device
from accelopt.predict.search import rank, search
from accelopt.predict.training import Setup
from accelopt.units import parse_int_range
from accelopt.workload.presets import get_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=0, help="also time a table of this many rows (default 0: none)")
    args = ap.parse_args()
    setup = Setup(model=get_model("llama3-8b"), seq_len=8192, global_batch=512, tokens=300e9)
    t0 = time.perf_counter()
    c = search(setup, [get_device("h100-sxm")], parse_int_range("8..64"))
    best = rank(c, "time", 10**9)
    search_s = time.perf_counter() - t0
    rows = [plan_cli._fmt_row(c, int(i), ()) for i in best]
    print(f"search: {len(c):,} candidates, {len(best):,} ranked, {search_s:.2f} s")
    for n in sorted({10, plan_cli.TABLE_ROWS_MAX, *([args.rows] if args.rows else [])}):
        n = min(n, len(rows))
        with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
            t0 = time.perf_counter()
            plan_cli._print_table("bench", rows[:n], {}, limit=n)  # cli.plan.console(): 200 columns off a terminal
            s = time.perf_counter() - t0
        print(f"table of {n:>6,} rows: {s:7.2f} s, {1e3 * s / n:6.1f} ms a row, {s / search_s:6.2f}x the search")


if __name__ == "__main__":
    main()
