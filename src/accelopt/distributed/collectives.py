"""Collective benchmark: all-reduce, all-gather, reduce-scatter and all-to-all across message sizes, on N ranks.

Definitions follow nccl-tests, doc/PERFORMANCE.md (NVIDIA/nccl-tests): for a message of S bytes taking t s,
algbw = S / t and busbw = algbw x 2(n-1)/n for all-reduce, x (n-1)/n for all-gather, reduce-scatter and
all-to-all, so that busbw is comparable to the link's bandwidth whatever the rank count. S is nccl-tests'
'size': the all-reduce buffer, the gathered output of all-gather, the input of reduce-scatter, the send buffer
of all-to-all. The time of one repeat is the slowest rank's (a collective is done when every rank is done).

The measured link for plan's communication model (predict/comm.py, ring all-reduce
T = 2(p-1) alpha + 2(p-1)/p n/B): alpha = a / (2(p-1)) and B = 2(p-1)/p / b from the line t = a + b S through the
smallest and the largest all-reduce, so the model passes through both: Hockney's t0 from the shortest message and
r_inf (as a busbw) from the slope up to the longest (R. W. Hockney, "The communication challenge for MPP: Intel Paragon
and Meiko CS-2", Parallel Computing 20(3), 1994). The busbw at the largest size, 2(p-1)/p S/t, is B only where the
latency term is negligible; taken as B (as probes did before) with alpha it counted a twice at that size: gloo's
4 MiB all-reduce on 2 CPU ranks, 5.17 ms, modelled as 8.7 ms. Where the line fails (a or b not positive) B is that
busbw. A least-squares line
through every size let the large sizes set its intercept: 1 KiB measured 134 us where that line said 12 us. How far
the ring model with these figures misses each measured all-reduce is reported, and warned of past
LINK_MODEL_MAX_ERROR.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from typing import Any

from accelopt.distributed.limits import COLLECTIVES_TIMEOUT_S
from accelopt.distributed.types import COLLECTIVES, CollectiveFigure, CollectivesResult, Job
from accelopt.errors import AcceloptError, InputError, MeasurementError, of_kind
from accelopt.measure.collective_figures import (
    BANDWIDTH_FIT,
    LATENCY_FIT,
    LINK_FIT_MARK,
    LINK_MODEL_MAX_ERROR,
    other_ops_model_checks,
    other_ops_model_errors,
    plan_model_s,
    ring_model_s,
)
from accelopt.measure.contention import LINK_WARNING_MARK, ContentionReport, Watch, check_samples
from accelopt.measure.timing import Stats

DEFAULT_SIZES_BYTES = [2**k for k in range(10, 25, 2)]  # 1 KiB .. 16 MiB, x4
QUICK_SIZES_BYTES = [2**k for k in range(10, 23, 4)]  # 1 KiB .. 4 MiB, x16
REPEATS = 10
WARMUP = 2
ALL_FIGURES = "every collective figure"
LINK_FIGURES = "link for plan (bandwidth, latency)"
"""How a warning names the link figures saved for plan, which come from the all-reduce times."""

INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"
FAILED = "stopped by a failed rank"
"""How a kept, cut-short collective run was stopped (CollectivesInterrupted.how)."""

FP32_BYTES = 4
"""The benchmark's element: fp32, as nccl-tests' default (-d float)."""


def moved_elements(size_bytes: int, world: int) -> int:
    """The fp32 elements one collective of `size_bytes` moves over `world` ranks: rounded down to a multiple of the
    rank count (each rank's share of all-gather, reduce-scatter and all-to-all is whole), one a rank at the least."""
    return max(world, size_bytes // FP32_BYTES // world * world)


def _current(dist: Any, name: str, older: str) -> Any:
    """torch.distributed's `name`, or `older` on a torch without it. torch 2.13 deprecates all_gather_into_tensor and
    reduce_scatter_tensor (a FutureWarning in every rank's log) for all_gather_single and reduce_scatter_single, the
    same arguments (torch 2.13.0 torch/distributed/distributed_c10d.py: the old names call the new ones); torch >= 2.2,
    which pyproject allows, has only the old names."""
    return getattr(dist, name, None) or getattr(dist, older)


def _op(name: str, size_bytes: int, world: int, device: str) -> Any:
    """A zero-argument callable running one collective of nccl-tests' size S (fp32 elements, moved_elements)."""
    import torch
    import torch.distributed as dist

    n = moved_elements(size_bytes, world)
    big = torch.ones(n, device=device)
    small = torch.ones(n // world, device=device)
    if name == "all_reduce":
        return lambda: dist.all_reduce(big)
    if name == "all_gather":
        all_gather = _current(dist, "all_gather_single", "all_gather_into_tensor")
        return lambda: all_gather(big, small)
    if name == "reduce_scatter":
        reduce_scatter = _current(dist, "reduce_scatter_single", "reduce_scatter_tensor")
        return lambda: reduce_scatter(small, big)
    if name == "all_to_all":
        out = torch.empty_like(big)
        return lambda: dist.all_to_all_single(out, big)
    raise InputError(f"unknown collective {name!r}", f"use {', '.join(COLLECTIVES)}")


def run_collectives(job: Job, rank: int, world: int, device: str,
                    on_progress: Callable[..., None] = lambda i, **figures: None) -> dict[str, Any]:
    """On every rank: time each op at each size, REPEATS times after WARMUP, each repeat started together.
    `on_progress(i, times=...)` after each (op, size): its index and every time record so far, which the rank's
    progress file keeps so that a run stopped by Ctrl-C or SIGTERM keeps the figures measured before it."""
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
            moved = moved_elements(size, world) * FP32_BYTES
            out["times"].append({"op": name, "size_bytes": moved, "asked_size_bytes": size if size != moved else None,
                                 "times_s": [float(x) for x in t.cpu()]})
            on_progress(len(out["times"]) - 1, times=out["times"])
    return out


LATENCY_FALLBACK = ("the smallest message's time / (2 (p-1)), an upper bound (the line t = a + b S through the "
                    "smallest and the largest message crossed zero, or one size was measured)")


def _fit_link(figs: list[CollectiveFigure], nranks: int) -> tuple[float, str, float | None]:
    """(alpha, how it was found, B or None) of the ring model T = 2(p-1) alpha + 2(p-1)/p S / B from the line
    t = a + b S through the smallest and the largest size of `figs` (sorted by size): alpha = a / (2(p-1)) and
    B = 2(p-1)/p / b, so the model passes through both sizes (LATENCY_FIT, BANDWIDTH_FIT). LATENCY_FALLBACK and no B
    (the caller takes the largest size's busbw) when a or b is not positive (the largest size's algbw below the
    smallest's, or faster than it) or there is one size."""
    small, large = figs[0], figs[-1]
    if large.size_bytes > small.size_bytes:
        slope_s_per_byte = (large.time_s - small.time_s) / (large.size_bytes - small.size_bytes)
        intercept_s = small.time_s - slope_s_per_byte * small.size_bytes
        if intercept_s > 0 and slope_s_per_byte > 0:
            return (intercept_s / (2 * (nranks - 1)), LATENCY_FIT,
                    2 * (nranks - 1) / nranks / slope_s_per_byte)
    return small.time_s / (2 * (nranks - 1)), LATENCY_FALLBACK, None


def _model_error(figs: list[CollectiveFigure], nranks: int, latency_s: float,
                 bandwidth_byte_per_s: float) -> tuple[float, int]:
    """(model / measured - 1, size) at the all-reduce size where plan's ring model misses most."""
    errors = [(ring_model_s(f.size_bytes, nranks, latency_s, bandwidth_byte_per_s) / f.time_s - 1, f.size_bytes)
              for f in figs]
    return max(errors, key=lambda e: abs(e[0]))


def _model_warning(error: float, size_bytes: int) -> str | None:
    """The warning of a link whose ring model misses a measured all-reduce past LINK_MODEL_MAX_ERROR."""
    from accelopt.units import fmt_bytes

    if abs(error) <= LINK_MODEL_MAX_ERROR:
        return None
    return (f"plan's ring model with this link {'over' if error > 0 else 'under'}states the measured all-reduce at "
            f"{fmt_bytes(size_bytes, binary=True)} by {abs(error):.0%} (bound {LINK_MODEL_MAX_ERROR:.0%}): the "
            "measured times do not follow one latency and one bandwidth, so plan's all-reduce times near that size "
            "are off by as much; read the measured table for those sizes")


def _other_ops_warning(figs: list[CollectiveFigure], nranks: int, latency_s: float,
                       bandwidth_byte_per_s: float) -> str | None:
    """The warning of a link whose half-ring model (half_ring_model_s) misses a measured all-gather, reduce-scatter or
    all-to-all past LINK_MODEL_MAX_ERROR: plan predicts FSDP's all-gathers and reduce-scatters and MoE's all-to-alls
    with the all-reduce's link, and gloo runs them slower than that link says (2 CPU ranks, 25 MiB: all-reduce busbw
    745 MB/s, all-gather 271 MB/s, reduce-scatter 190 MB/s), which only the all-reduce's fit was checked against."""
    from accelopt.units import fmt_bytes

    misses = [f"{op} at {fmt_bytes(size, binary=True)} by {error:+.0%}"
              for op, error, size in other_ops_model_errors(figs, nranks, latency_s, bandwidth_byte_per_s)
              if abs(error) > LINK_MODEL_MAX_ERROR]
    if not misses:
        return None
    return (f"plan's model of the other collectives with this link, (p-1) alpha + (p-1)/p S / B (predict/comm.py), "
            f"misses the measured {', '.join(misses)} (bound {LINK_MODEL_MAX_ERROR:.0%}): plan's FSDP all-gathers and "
            "reduce-scatters and MoE all-to-alls on this link are off by as much; read the measured table for them")


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
        asked = t.get("asked_size_bytes")
        fig = CollectiveFigure(op=t["op"], size_bytes=int(t["size_bytes"]), time_s=stats.median, nranks=nranks,
                               p10_s=stats.p10, p90_s=stats.p90, asked_size_bytes=None if asked is None else int(asked))
        check_samples(report, figure_name(fig), t["times_s"])
        figs.append(fig)
    ar = sorted((f for f in figs if f.op == "all_reduce"), key=lambda f: f.size_bytes)
    if not ar:
        raise MeasurementError("all-reduce was not measured, so no link figure can be derived",
                               "include all_reduce in the collectives measured")
    if ALL_FIGURES in report.disturbed or any(figure_name(f) in report.disturbed for f in ar):
        report.disturbed.append(LINK_FIGURES)  # bandwidth and latency come from the all-reduce times
    latency_s, how, fitted_bw = _fit_link(ar, nranks)
    bandwidth = ar[-1].busbw_byte_per_s if fitted_bw is None else fitted_bw
    bw_how = (f"busbw at {ar[-1].size_bytes} bytes" if fitted_bw is None else
              f"{BANDWIDTH_FIT} (busbw at {ar[-1].size_bytes} bytes: {ar[-1].busbw_byte_per_s:.4g} B/s)")
    figs = [dataclasses.replace(f, model_time_s=plan_model_s(f.op, f.size_bytes, nranks, latency_s, bandwidth))
            for f in figs]
    error, error_size = _model_error(ar, nranks, latency_s, bandwidth)
    warning = "; ".join(w for w in (_model_warning(error, error_size),
                                    _other_ops_warning(figs, nranks, latency_s, bandwidth)) if w) or None
    source = (f"accelopt probe --collectives: {backend} all-reduce over {nranks} ranks on {device}; latency = {how} "
              f"(ring model, predict/comm.py); bandwidth = {bw_how} (nccl-tests doc/PERFORMANCE.md); the ring model "
              "with these figures misses the measured all-reduce most at "
              f"{error_size} bytes, by {error:+.0%}" + (LINK_FIT_MARK + warning if warning else ""))
    return CollectivesResult(
        backend=backend, device=device, nranks=nranks, figures=figs, contention=report,
        link_bandwidth_byte_per_s=bandwidth, link_latency_s=latency_s, link_model_error=error,
        link_model_error_size_bytes=error_size, link_warning=warning, source=source + _link_warnings(report, figs),
        other_ops_model_checks=other_ops_model_checks(figs, nranks, latency_s, bandwidth))


def _link_warnings(report: ContentionReport, figs: list[CollectiveFigure]) -> str:
    """The warnings that bear on the link figures (machine-wide ones and the all-reduce figures'), after
    LINK_WARNING_MARK; '' when the link was not disturbed."""
    if LINK_FIGURES not in report.disturbed:
        return ""
    others = tuple(figure_name(f) + ":" for f in figs if f.op != "all_reduce")  # warnings name a figure first
    return LINK_WARNING_MARK + "; ".join(w for w in report.warnings if not w.startswith(others))


def measure_collectives(nproc: int, *, device: str = "cpu", quick: bool = False, sizes_bytes: list[int] | None = None,
                        timeout_s: float = COLLECTIVES_TIMEOUT_S) -> CollectivesResult:
    """Launch `nproc` ranks and benchmark the four collectives (gloo on CPU, NCCL on CUDA); stopped as hung when no
    figure finishes for `timeout_s` (probe --timeout-s)."""
    from accelopt.distributed.launch import (
        Launch,
        RankOutOfMemory,
        RunFailed,
        RunInterrupted,
        check_local_ranks,
        launch_job,
    )

    if nproc < 2:
        raise InputError(f"--nproc {nproc}: a collective needs 2 or more ranks", "pass --nproc 2 or more")
    check_device(device)
    check_local_ranks(nproc, device, least=2)
    sizes = (QUICK_SIZES_BYTES if quick else DEFAULT_SIZES_BYTES) if sizes_bytes is None else check_sizes(sizes_bytes)
    check_sizes_fit(sizes, nproc, device)
    check_link_sizes(sizes, nproc)
    job = Job(kind="collectives", device=device, sizes_bytes=sizes)
    watch = Watch()  # the ranks' CPU time counts as this process's own once torchrun has reaped them
    try:
        raw = launch_job(job, Launch(nproc=nproc, timeout_s=timeout_s, threads_per_rank=1))
    except RunInterrupted as stop:  # every rank is stopped; what rank 0 had measured is kept
        report = ContentionReport()
        watch.finish(report, [ALL_FIGURES], threads=nproc)
        raise interrupted_result(stop.ranks, job, device, nproc, report) from None
    except RunFailed as e:  # a rank crashed, hung or ran out of memory: the figures measured before it are kept
        error = e.error
        if isinstance(error, RankOutOfMemory):  # the worker's fix speaks of a model's batch and layout, which this
            biggest = max(sizes)  # job has none of
            error = RankOutOfMemory(
                e.problem, f"pass smaller sizes_bytes (probe --collectives --sizes): each rank holds two buffers of "
                           f"the largest message ({biggest:,} B: the collective's and all-to-all's output), {nproc} "
                           "ranks on this machine "
                           f"{2 * nproc * biggest:,} B in all, or fewer ranks")
        report = ContentionReport()
        watch.finish(report, [ALL_FIGURES], threads=nproc)
        kept = interrupted_result(e.ranks, job, device, nproc, report, how=FAILED)
        if kept.result is None:  # not one all-reduce figure: the error alone
            raise error from e
        raise of_kind(CollectivesFailed, error)(kept, error) from e
    report = ContentionReport()
    watch.finish(report, [ALL_FIGURES], threads=nproc)
    rank0 = next(r for r in raw.ranks if r["rank"] == 0)
    return build_result(rank0, "nccl" if device.startswith("cuda") else "gloo", device, nproc, report)


class CollectivesInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the collective benchmark: no rank is left; `result` holds the figures measured
    before it (None when none was), `left_out` the (op, size asked) pairs not measured, and `link_complete` whether
    the all-reduce sweep the link figures come from was finished (only then are they fit to save for plan). A
    KeyboardInterrupt still, for callers that only stop."""

    def __init__(self, result: CollectivesResult | None, left_out: list[tuple[str, int]], link_complete: bool,
                 how: str = INTERRUPTED) -> None:
        super().__init__()
        self.result, self.left_out, self.link_complete, self.how = result, left_out, link_complete, how

    @property
    def summary(self) -> str:
        """'interrupted (Ctrl-C or SIGTERM) after 9 of 32 figures; not measured: all_gather 16 KiB, 64 KiB; ...'."""
        from accelopt.units import fmt_bytes

        done = 0 if self.result is None else len(self.result.figures)
        if not done:
            return f"not measured: {self.how} before the first collective figure was finished"
        if not self.left_out:
            return f"{self.how} after all {done} figures were measured"
        ops = list(dict.fromkeys(op for op, _ in self.left_out))
        sizes = {op: [fmt_bytes(s, binary=True) for o, s in self.left_out if o == op] for op in ops}
        done_of = {f.op for f in self.result.figures} if self.result else set()
        parts = [f"{op} {', '.join(sizes[op])}" if op in done_of else f"{op} (every size)" for op in ops]
        return (f"{self.how} after {done} of {done + len(self.left_out)} figures; not measured: " + "; ".join(parts))


class CollectivesFailed(AcceloptError):
    """A rank crashed, hung or ran out of memory during the collective benchmark after an all-reduce figure was
    finished: the error's problem and fix, carrying the figures measured before it (`kept`: a CollectivesInterrupted,
    how = FAILED) as Ctrl-C keeps them. Made of the error's class too (errors.of_kind)."""

    def __init__(self, kept: CollectivesInterrupted, error: AcceloptError) -> None:
        super().__init__(error.problem, error.fix)
        self.kept = kept


LINK_CUT_SHORT = ("the all-reduce sweep was {how} after {done} of {asked} sizes ({first} to {last}): its link "
                  "figures are fitted on those alone and are not saved into the measured spec for plan; rerun probe "
                  "--collectives to save it")


def interrupted_result(ranks: list[dict[str, Any]], job: Job, device: str, nranks: int,
                       report: ContentionReport, how: str = INTERRUPTED) -> CollectivesInterrupted:
    """The CollectivesInterrupted of a run stopped by Ctrl-C or SIGTERM (or, `how` = FAILED, by a failed rank), from
    launch.read_partial's records: rank 0's finished result, else the time records of its last progress file (every
    rank holds the same times, each repeat the slowest rank's)."""
    from accelopt.units import fmt_bytes

    rank0 = next((r for r in ranks if r["rank"] == 0), None)
    record = None if rank0 is None else (rank0["result"] or rank0["progress"])
    times = [] if record is None else list(record.get("times") or [])
    done = {(t["op"], t.get("asked_size_bytes") or t["size_bytes"]) for t in times}
    left_out = [(op, size) for op in job.ops for size in job.sizes_bytes if (op, size) not in done]
    measured_ar = sorted(size for op, size in done if op == "all_reduce")
    if not measured_ar:  # no link can be derived (build_result): nothing to keep
        return CollectivesInterrupted(None, left_out, False, how)
    result = build_result({"times": times}, "nccl" if device.startswith("cuda") else "gloo", device, nranks, report)
    complete = len(measured_ar) == len(job.sizes_bytes)
    if not complete:
        cut = LINK_CUT_SHORT.format(how="interrupted" if how == INTERRUPTED else how,
                                    done=len(measured_ar), asked=len(job.sizes_bytes),
                                    first=fmt_bytes(measured_ar[0], binary=True),
                                    last=fmt_bytes(measured_ar[-1], binary=True))
        warning = cut if result.link_warning is None else f"{cut}; {result.link_warning}"
        result = dataclasses.replace(result, link_warning=warning)
    return CollectivesInterrupted(result, left_out, complete, how)


def check_device(device: str) -> None:
    """The devices a collective runs on here: cpu (gloo) or cuda / cuda:N (NCCL); any other (mps, xla) is refused
    before the launch, where its ranks would fail inside torch."""
    if not (device == "cpu" or device == "cuda" or re.fullmatch(r"cuda:[0-9]+", device)):
        raise InputError(f"device {device!r} for the collective benchmark", "use device='cpu' (gloo) or 'cuda' (NCCL)")


def check_sizes(sizes_bytes: list[int]) -> list[int]:
    """The message sizes as given, each a whole number of bytes >= 1: a size of 0 or below used to run as the
    smallest message the ranks can split (4 bytes a rank) and be reported under that size; an empty list ran the
    default sweep."""
    if not sizes_bytes:
        raise InputError("sizes_bytes is empty: no collective would be timed",
                         "pass message sizes in bytes (e.g. [1024, 1048576]), or None for the default sweep")
    for size in sizes_bytes:
        if not isinstance(size, int) or isinstance(size, bool):
            raise InputError(f"sizes_bytes holds {size!r}, not a whole number of bytes",
                             "pass message sizes as integers in bytes (e.g. 1024)")
        if size < 1:
            raise InputError(f"sizes_bytes holds {size}: a message size must be 1 byte or more",
                             "pass message sizes of 1 byte or more, in bytes (e.g. 1024)")
    return list(sizes_bytes)


SIZES_SYNTAX = "a comma list of byte sizes, each a whole number of bytes or with a unit: 1024,4MiB,25MiB or 1KB,1MB"


def _size_meant(item: str) -> str:
    """'did you mean 4MiB? (units are case-sensitive ...); ' for '4mib', 'did you mean 1000? ...' for '1e3': the
    spelling parse_quantity reads that a refused size most likely meant; '' when none is clear (a lone 'b' is bits)."""
    from accelopt.units import byte_spelling_meant, parse_quantity

    if re.fullmatch(r"\s*[0-9.eE+-]+\s*", item):  # '1e3': a float in exponent form, read by parse_quantity only
        q = parse_quantity(item.strip() + "B")  # with a unit
        if q is None or q.value != int(q.value):
            return ""
        return f"did you mean {int(q.value)}? ({item.strip()} as whole bytes); "
    meant = byte_spelling_meant(item)
    if meant is None:
        return ""
    return f"did you mean {meant.strip()}? (units are case-sensitive: KiB = 1024 B, kB = 1000 B); "


def parse_sizes(text: str) -> list[int]:
    """`probe --collectives --sizes`: '1024,4MiB,25 MiB' -> [1024, 4194304, 26214400], in bytes (KiB = 2**10, KB =
    1e3, as units.parse_quantity reads them), whole bytes >= 1, sorted, each once (a repeated size would be timed
    and listed twice). Every bad item is an InputError naming it and the syntax."""
    from accelopt.units import parse_quantity

    items = str(text).split(",")
    if not str(text).strip() or not all(i.strip() for i in items):
        raise InputError(f"--sizes {text!r} has an empty item", f"write {SIZES_SYNTAX}")
    sizes = []
    for item in items:
        plain = re.fullmatch(r"\s*(-?[0-9]+)\s*", item)
        q = None if plain else parse_quantity(item)
        if plain is None and (q is None or q.unit != "B"):
            raise InputError(f"--sizes {text!r}: cannot read {item.strip()!r} as a number of bytes",
                             f"{_size_meant(item)}write {SIZES_SYNTAX}")
        value = float(plain.group(1)) if plain else float(q.value)  # type: ignore[union-attr]  # q set when not plain
        if value != int(value):
            raise InputError(f"--sizes {text!r}: {item.strip()!r} is {value:g} bytes, not a whole number",
                             f"write whole bytes, e.g. {max(1, int(value))}; {SIZES_SYNTAX}")
        if value < 1:
            raise InputError(f"--sizes {text!r}: {item.strip()!r} is {value:g} bytes; a message is 1 byte or more",
                             f"write sizes of 1 byte or more; {SIZES_SYNTAX}")
        sizes.append(int(value))
    return sorted(set(sizes))


def check_link_sizes(sizes_bytes: list[int], world: int) -> None:
    """Two or more sizes that move different bytes (moved_elements) over `world` ranks: the link saved for plan, a
    latency and a bandwidth, is the line through the smallest and the largest all-reduce, and one time cannot give
    two unknowns. With one size the fallback (its time / 2(p-1) as the latency, its busbw as the bandwidth) counted
    that time twice: plan's ring model said +100% at the very size measured (gloo, 2 ranks, `--sizes 4MiB`), and the
    console called it a line that 'crossed zero'."""
    moved = sorted({moved_elements(s, world) * FP32_BYTES for s in sizes_bytes})
    if len(moved) >= 2:
        return
    asked = ", ".join(f"{s:,} B" for s in sorted(set(sizes_bytes)))
    same = (f" (each moves {moved[0]:,} B over {world} ranks: whole fp32 elements, one a rank at the least)"
            if len(set(sizes_bytes)) > 1 else "")
    large = max(-(-moved[0] // 2**20), 4) * 2**20  # whole MiB: --sizes takes whole bytes ('11.8MiB' is refused)
    raise InputError(f"--sizes (sizes_bytes) {asked}: one message size{same} cannot give the link saved for plan, "
                     "whose latency "
                     "and bandwidth come from the all-reduce times at two sizes (one time cannot give two unknowns: "
                     "taken as both, it made plan's ring model twice the time measured)",
                     f"add a small size for the latency and a large one for the bandwidth, e.g. --sizes "
                     f"1KiB,{large // 2**20}MiB (sizes_bytes=[1024, {large}])")


def rank_buffer_bytes(size_bytes: int, world: int) -> int:
    """The bytes one rank allocates for the largest of its collectives at `size_bytes` (_op): all-to-all's send and
    receive buffers of the size moved, and the 1/world share beside them."""
    moved = moved_elements(size_bytes, world) * FP32_BYTES
    return 2 * moved + moved // world


def largest_fitting_bytes(available_bytes: float, world: int) -> int:
    """About the largest message (whole fp32 elements) whose rank_buffer_bytes fit in `available_bytes`: its inverse
    (2 buffers and the 1/world share)."""
    return int(available_bytes / (2 + 1 / world)) // FP32_BYTES * FP32_BYTES


def check_sizes_fit(sizes_bytes: list[int], nproc: int, device: str) -> None:
    """Refuse before launch a message whose buffers (rank_buffer_bytes a rank) do not fit: on cpu, this machine's
    `nproc` ranks together past the memory it has available (measure.memory.host_headroom: MemAvailable or the
    cgroup's headroom): a 1e30 B message crashed each rank inside torch ('Overflow when unpacking long long', fix
    'fix the error on that rank'), and one past the memory left each rank out of memory after the launch. On cuda,
    one rank a GPU (cuda:0 .. cuda:nproc-1), each rank's buffers past its GPU's free memory
    (measure.memory.cuda_free_bytes): a 64 GiB message on 80 GB GPUs went to the launch and out of memory there,
    after the device's minute of probing."""
    if device.startswith("cuda"):
        _check_sizes_fit_cuda(sizes_bytes, nproc)
        return
    from accelopt.measure.memory import host_headroom
    from accelopt.units import fmt_bytes

    have = host_headroom() if device == "cpu" else None
    if have is None:
        return
    biggest = max(sizes_bytes)
    need = nproc * rank_buffer_bytes(biggest, nproc)
    if need <= have.available_bytes:
        return
    fits = [s for s in sizes_bytes if nproc * rank_buffer_bytes(s, nproc) <= have.available_bytes]
    largest_ok = largest_fitting_bytes(have.available_bytes / nproc, nproc)
    raise InputError(
        f"a collective message of {biggest:,} B ({fmt_bytes(biggest, binary=True)}) needs about {need:,} B "
        f"({fmt_bytes(need, binary=True)}) on this machine: each of its {nproc} ranks holds all-to-all's send and "
        f"receive buffers and its 1/{nproc} share; {fmt_bytes(have.available_bytes, binary=True)} is available "
        f"({have.source})",
        f"pass sizes up to about {fmt_bytes(largest_ok, binary=True)} (probe --collectives --sizes, or sizes_bytes)"
        + (f", e.g. {','.join(str(s) for s in fits)}" if fits else "") + ", or free memory")


def _check_sizes_fit_cuda(sizes_bytes: list[int], nproc: int) -> None:
    """check_sizes_fit on cuda: the GPU with the least free memory of the `nproc` the ranks take must hold one rank's
    buffers at the largest size."""
    from accelopt.measure.memory import cuda_free_bytes
    from accelopt.units import fmt_bytes

    free = cuda_free_bytes(nproc)
    if not free:
        return  # no CUDA here: check_local_ranks refuses the --nproc first
    least, gpu = min((f, i) for i, f in enumerate(free))
    biggest = max(sizes_bytes)
    need = rank_buffer_bytes(biggest, nproc)
    if need <= least:
        return
    fits = [s for s in sizes_bytes if rank_buffer_bytes(s, nproc) <= least]
    largest_ok = largest_fitting_bytes(least, nproc)
    raise InputError(
        f"a collective message of {biggest:,} B ({fmt_bytes(biggest, binary=True)}) needs about {need:,} B "
        f"({fmt_bytes(need, binary=True)}) on each GPU: each of the {nproc} ranks holds all-to-all's send and "
        f"receive buffers and its 1/{nproc} share; cuda:{gpu} has {fmt_bytes(least, binary=True)} free "
        "(torch.cuda.mem_get_info)",
        f"pass sizes up to about {fmt_bytes(largest_ok, binary=True)} (probe --collectives --sizes, or sizes_bytes)"
        + (f", e.g. {','.join(str(s) for s in fits)}" if fits else "") + ", or free GPU memory")


def spec_lines(result: CollectivesResult) -> tuple[dict[str, Any], str]:
    """[[device]] fields of the measured spec TOML, each [value, "collectives"], and the source text they cite."""
    return ({"scaleup_domain_devices": [result.nranks, "collectives"],
             "scaleup_bandwidth_byte_per_s": [result.link_bandwidth_byte_per_s, "collectives"],
             "scaleup_latency_s": [result.link_latency_s, "collectives"]}, result.source)
