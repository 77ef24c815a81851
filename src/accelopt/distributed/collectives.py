"""Collective benchmark: all-reduce, all-gather, reduce-scatter and all-to-all across message sizes, on N ranks.

Definitions follow nccl-tests, doc/PERFORMANCE.md (NVIDIA/nccl-tests): for a message of S bytes taking t s,
algbw = S / t and busbw = algbw x 2(n-1)/n for all-reduce, x (n-1)/n for all-gather, reduce-scatter and
all-to-all, so that busbw is comparable to the link's bandwidth whatever the rank count. S is nccl-tests'
'size': the all-reduce buffer, the gathered output of all-gather, the input of reduce-scatter, the send buffer
of all-to-all. The time of one repeat is the slowest rank's (a collective is done when every rank is done).

The measured link for plan's communication model (predict/comm.py, ring all-reduce
T = 2(p-1) alpha + 2(p-1)/p n/B): B is the all-reduce busbw at the largest size (busbw = 2(p-1)/p S/t is
exactly B when the latency term is negligible), alpha = a / (2(p-1)) from the least-squares line t = a + b S
through the all-reduce times.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from accelopt.distributed.types import COLLECTIVES, CollectiveFigure, CollectivesResult, Job
from accelopt.errors import InputError, MeasurementError
from accelopt.measure.collective_figures import LATENCY_FIT
from accelopt.measure.contention import LINK_WARNING_MARK, ContentionReport, Watch, check_samples
from accelopt.measure.timing import Stats

DEFAULT_SIZES_BYTES = [2**k for k in range(10, 25, 2)]  # 1 KiB .. 16 MiB, x4
QUICK_SIZES_BYTES = [2**k for k in range(10, 23, 4)]  # 1 KiB .. 4 MiB, x16
REPEATS = 10
WARMUP = 2
ALL_FIGURES = "every collective figure"
LINK_FIGURES = "link for plan (bandwidth, latency)"
"""How a warning names the link figures saved for plan, which come from the all-reduce times."""


def _op(name: str, size_bytes: int, world: int, device: str) -> Any:
    """A zero-argument callable running one collective of nccl-tests' size S (fp32 elements)."""
    import torch
    import torch.distributed as dist

    n = max(world, size_bytes // 4 // world * world)  # elements, a multiple of the rank count
    big = torch.ones(n, device=device)
    small = torch.ones(n // world, device=device)
    if name == "all_reduce":
        return lambda: dist.all_reduce(big)
    if name == "all_gather":
        return lambda: dist.all_gather_into_tensor(big, small)
    if name == "reduce_scatter":
        return lambda: dist.reduce_scatter_tensor(small, big)
    if name == "all_to_all":
        out = torch.empty_like(big)
        return lambda: dist.all_to_all_single(out, big)
    raise InputError(f"unknown collective {name!r}", f"use {', '.join(COLLECTIVES)}")


def run_collectives(job: Job, rank: int, world: int, device: str,
                    on_progress: Callable[[int], None] = lambda i: None) -> dict[str, Any]:
    """On every rank: time each op at each size, REPEATS times after WARMUP, each repeat started together."""
    import torch
    import torch.distributed as dist

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    out: dict[str, Any] = {"rank": rank, "world_size": world, "times": []}
    for name in job.ops:
        for size in job.sizes_bytes:
            fn = _op(name, size, world, device)
            times = []
            for i in range(WARMUP + REPEATS):
                dist.barrier()
                sync()
                t0 = time.perf_counter()
                fn()
                sync()
                if i >= WARMUP:
                    times.append(time.perf_counter() - t0)
            t = torch.tensor(times, dtype=torch.float64, device=device)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)  # a repeat lasts until its slowest rank is done
            real = max(world, size // 4 // world * world) * 4
            out["times"].append({"op": name, "size_bytes": real, "times_s": [float(x) for x in t.cpu()]})
            on_progress(len(out["times"]) - 1)
    return out


LATENCY_FALLBACK = ("the smallest message's time / (2 (p-1)), an upper bound (the least-squares line t = a + b S "
                    "over sizes crossed zero, or one size was measured)")


def _fit_latency_s(figs: list[CollectiveFigure], nranks: int) -> tuple[float, str]:
    """alpha of the ring model from the least-squares line t = a + b S (a = 2 (p-1) alpha), and how it was found:
    LATENCY_FIT, or LATENCY_FALLBACK when the line's intercept is not positive or there is one size."""
    xs = [float(f.size_bytes) for f in figs]
    ys = [f.time_s for f in figs]
    if len(xs) >= 2:
        intercept = statistics.linear_regression(xs, ys).intercept
        if intercept > 0:
            return intercept / (2 * (nranks - 1)), LATENCY_FIT
    return min(ys) / (2 * (nranks - 1)), LATENCY_FALLBACK


def figure_name(fig: CollectiveFigure) -> str:
    """'all_reduce 4 MiB': how a warning names one measured figure."""
    from accelopt.units import fmt_bytes

    return f"{fig.op} {fmt_bytes(fig.size_bytes, binary=True)}"


def build_result(rank0: dict[str, Any], backend: str, device: str, nranks: int,
                 contention: ContentionReport | None = None) -> CollectivesResult:
    """The figures of rank 0's report (each repeat already the slowest rank's time); `contention` (the machine's
    busy signs over the run) gains a warning for each figure whose repeats are spread or bimodal, and names the
    link figures for plan as disturbed when the all-reduce figures are."""
    report = contention if contention is not None else ContentionReport()
    figs = []
    for t in rank0["times"]:
        stats = Stats.of(t["times_s"])
        fig = CollectiveFigure(op=t["op"], size_bytes=int(t["size_bytes"]), time_s=stats.median, nranks=nranks,
                               p10_s=stats.p10, p90_s=stats.p90)
        check_samples(report, figure_name(fig), t["times_s"])
        figs.append(fig)
    ar = sorted((f for f in figs if f.op == "all_reduce"), key=lambda f: f.size_bytes)
    if not ar:
        raise MeasurementError("all-reduce was not measured, so no link figure can be derived",
                               "include all_reduce in the collectives measured")
    if ALL_FIGURES in report.disturbed or any(figure_name(f) in report.disturbed for f in ar):
        report.disturbed.append(LINK_FIGURES)  # bandwidth and latency come from the all-reduce times
    latency_s, how = _fit_latency_s(ar, nranks)
    source = (f"accelopt probe --collectives: {backend} all-reduce over {nranks} ranks on {device}; bandwidth = "
              f"busbw at {ar[-1].size_bytes} bytes (nccl-tests doc/PERFORMANCE.md), latency = {how} (ring model, "
              "predict/comm.py)")
    return CollectivesResult(
        backend=backend, device=device, nranks=nranks, figures=figs, contention=report,
        link_bandwidth_byte_per_s=ar[-1].busbw_byte_per_s, link_latency_s=latency_s,
        source=source + _link_warnings(report, figs))


def _link_warnings(report: ContentionReport, figs: list[CollectiveFigure]) -> str:
    """The warnings that bear on the link figures (machine-wide ones and the all-reduce figures'), after
    LINK_WARNING_MARK; '' when the link was not disturbed."""
    if LINK_FIGURES not in report.disturbed:
        return ""
    others = tuple(figure_name(f) + ":" for f in figs if f.op != "all_reduce")  # warnings name a figure first
    return LINK_WARNING_MARK + "; ".join(w for w in report.warnings if not w.startswith(others))


def measure_collectives(nproc: int, *, device: str = "cpu", quick: bool = False, sizes_bytes: list[int] | None = None,
                        timeout_s: float = 300.0) -> CollectivesResult:
    """Launch `nproc` ranks and benchmark the four collectives (gloo on CPU, NCCL on CUDA)."""
    from accelopt.distributed.launch import Launch, check_local_ranks, launch_job

    if nproc < 2:
        raise InputError(f"--nproc {nproc}: a collective needs 2 or more ranks", "pass --nproc 2 or more")
    check_local_ranks(nproc, device, least=2)
    sizes = sizes_bytes or (QUICK_SIZES_BYTES if quick else DEFAULT_SIZES_BYTES)
    job = Job(kind="collectives", device=device, sizes_bytes=sizes)
    watch = Watch()  # the ranks' CPU time counts as this process's own once torchrun has reaped them
    raw = launch_job(job, Launch(nproc=nproc, timeout_s=timeout_s, threads_per_rank=1))
    report = ContentionReport()
    watch.finish(report, [ALL_FIGURES], threads=nproc)
    rank0 = next(r for r in raw.ranks if r["rank"] == 0)
    return build_result(rank0, "nccl" if device.startswith("cuda") else "gloo", device, nproc, report)


def spec_lines(result: CollectivesResult) -> tuple[dict[str, Any], str]:
    """[[device]] fields of the measured spec TOML, each [value, "collectives"], and the source text they cite."""
    return ({"scaleup_domain_devices": [result.nranks, "collectives"],
             "scaleup_bandwidth_byte_per_s": [result.link_bandwidth_byte_per_s, "collectives"],
             "scaleup_latency_s": [result.link_latency_s, "collectives"]}, result.source)
