"""Speed of the run history (SQLite store) against the issue's bound: listing 10,000 runs in under 1 s.

Fills a fresh store (temporary ACCELOPT_HOME) with N runs (default 10,000) through the real import path
(`accelopt history import` of N one-JSON-file-per-run records, the legacy format), each holding the real
result of `plan explain` (a few kB). Then times, median over repeats:
  - history.list_runs(20) + count()          the library call behind `history list` (default page of 20)
  - `accelopt history list` in process       the CLI (key figures of each listed run included), output discarded
  - `accelopt history list` as a new process the CLI as a user runs it (Python start-up and imports included)
  - history.list_runs(N)                     every run at once (the whole table parsed), for scale
and the cost of recording one run (history.record: open, check, one transaction, close).
Wall times move with the machine's load (printed); CPU times are given beside them.
Each listing figure is printed with its ratio to the 1 s bound (< 1 = within the bound).
Run: .venv/bin/python benchmarks/bench_history.py [N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BOUND_S = 1.0  # issue #12: "listing 10,000 runs takes under a second"


def _median_s(fn: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def _cli(argv: list[str]) -> str:
    from accelopt.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(argv)
    return out.getvalue()


def _fill(n: int, folder: Path) -> float:
    """n legacy run files with a real plan-explain result, imported; returns the import time."""
    from accelopt.report import history

    os.environ["ACCELOPT_NO_HISTORY"] = "1"  # the run that makes the sample result is not recorded
    result = json.loads(_cli(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices",
                              "64", "--tp", "2", "--json"]))
    del os.environ["ACCELOPT_NO_HISTORY"]
    folder.mkdir()
    for i in range(n):
        day, sec = divmod(i, 86400)
        run_id = f"202611{1 + day % 28:02d}T{sec // 3600:02d}{sec // 60 % 60:02d}{sec % 60:02d}.000Z-plan-explain"
        doc = {"schema": 1, "id": run_id, "command": "plan-explain", "time": f"2026-11-{1 + day % 28:02d}T"
               f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}+00:00",
               "argv": ["plan", "explain", "--devices", str(64 + i)], "versions": history.versions(),
               "host": history.host(), "result": result}
        (folder / f"{run_id}.json").write_text(json.dumps(doc), encoding="utf-8")
    t0 = time.perf_counter()
    rep = history.import_json(folder)
    took = time.perf_counter() - t0
    assert rep.imported == n and history.count() == n, rep
    return took


def _child_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _new_process_s(home: Path, repeats: int) -> dict[str, tuple[float, float]]:
    """`accelopt history list` as a new process on the filled store and on an empty one, interleaved (A/B), so
    load from other processes on the machine hits both alike; {'full'|'empty': (median wall s, median CPU s)}."""
    cmd = [sys.executable, "-m", "accelopt", "history", "list"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    envs = {"full": env, "empty": {**env, "ACCELOPT_HOME": str(home / "empty")}}
    times: dict[str, list[tuple[float, float]]] = {"full": [], "empty": []}
    for _ in range(repeats):
        for key, e in envs.items():
            t0, c0 = time.perf_counter(), _child_cpu_s()
            subprocess.run(cmd, env=e, check=True, capture_output=True)
            times[key].append((time.perf_counter() - t0, _child_cpu_s() - c0))
    return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}


def main(n: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["ACCELOPT_HOME"] = home
        from accelopt.report import history

        import_s = _fill(n, Path(home) / "old")
        size = history.store_path().stat().st_size
        print(f"store: {n:,} runs of `plan explain` ({size / n / 1e3:.1f} kB each), imported from JSON files in "
              f"{import_s:.2f} s")

        def lib_page() -> None:
            assert len(history.list_runs(20)) == 20 and history.count() == n

        def cli_page() -> None:
            assert f"last 20 of {n:,} runs" in _cli(["history", "list"])

        lib_s = _median_s(lib_page, 20)
        cli_s = _median_s(cli_page, 10)
        proc = _new_process_s(Path(home), 7)
        all_s = _median_s(lambda: history.list_runs(), 3)
        all_cpu_s = _median_s(lambda: history.list_runs(), 3, clock=time.process_time)
        for label, s in (("history.list_runs(20) + count()", lib_s), ("`accelopt history list`, in process", cli_s),
                         ("`accelopt history list`, new process", proc["full"][0]),
                         ("  its CPU time (user + sys)", proc["full"][1]),
                         ("  same command on an empty store", proc["empty"][0]),
                         ("  its CPU time (user + sys)", proc["empty"][1]),
                         (f"history.list_runs() of all {n:,}", all_s), ("  its CPU time", all_cpu_s)):
            print(f"{label:42s} median {s * 1e3:8.1f} ms; ratio to the {BOUND_S:g} s bound {s / BOUND_S:.3f} "
                  f"({'within' if s < BOUND_S else 'OVER'})")
        print(f"  new process: {(proc['full'][0] - proc['empty'][0]) * 1e3:.0f} ms wall, "
              f"{(proc['full'][1] - proc['empty'][1]) * 1e3:.0f} ms CPU of it for the {n:,} runs; the rest is Python "
              f"start-up and imports (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        record_s = _median_s(lambda: history.record("plan-explain", ["plan", "explain"], {"n": 1}), 50)
        print(f"history.record (one run, own connection and transaction): median {record_s * 1e3:.1f} ms")


if __name__ == "__main__":
    from benchargs import count

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", nargs="?", type=count(1), default=10_000, help="runs in the store (default 10,000)")
    main(ap.parse_args().n)
