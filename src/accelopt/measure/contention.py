"""Is the machine busy while we measure? Detect it, say so, and mark what it disturbed.

A timing taken while another process competes for the cores is not the model's time. Four signs,
each checked against a threshold stated here (the thresholds are choices, not measurements, and are
printed with every warning):

1. other processes' CPU time during the measured window, from /proc/stat (all CPUs' busy jiffies)
   minus this process's own CPU time (resource.getrusage), in cores: above OTHERS_BUSY_CORES_MAX;
2. CPU steal time (a hypervisor giving our vCPUs to someone else), /proc/stat's 8th column
   (proc(5)): above STEAL_FRACTION_MAX of the window;
3. thread oversubscription: torch intra-op threads beyond the cores this process may run on
   (os.sched_getaffinity), or the 1-minute load average at the start above the core count plus
   this process's own threads (its own recent work counts in the load average);
4. the samples themselves: bimodal (two clusters, the gap between them above BIMODAL_GAP_MIN of
   the median and wider than either cluster, each holding at least BIMODAL_CLUSTER_MIN of the
   samples), or a relative spread
   (p90 - p10) / median above SPREAD_MAX.

On a machine without /proc (macOS, Windows) the /proc checks are skipped and say so.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelopt.measure import cgroups
from accelopt.units import fmt_pct, unit

OTHERS_BUSY_CORES_MAX = 0.25
"""Other processes may use a quarter of one core on average before we call the window contended."""
STEAL_FRACTION_MAX = 0.05
"""Steal above 5% of the window's CPU time."""
BIMODAL_GAP_MIN = 0.20
BIMODAL_CLUSTER_MIN = 0.20
SPREAD_MAX = 0.50
"""(p90 - p10) / median above 50%: the median of such samples is not a reliable step time."""
PROC_STAT = Path("/proc/stat")
MIN_WINDOW_S = 0.5
"""/proc/stat counts in clock ticks (10 ms at USER_HZ 100): over a shorter window one tick of accounting
skew reads as a large fraction of a core (a 5 ms window showed 'other processes used 0.9 cores' on an
idle machine), so the CPU-time checks are not judged below half a second (one tick = 0.02 cores)."""


def spread_warning(name: str, spread: float) -> str:
    """The warning for a spread above SPREAD_MAX, in the precision of the spread column beside it (fmt_pct):
    a whole percent printed 50.3% as '50% (threshold 50%)', a value that did not read as above its threshold; 'above'
    says so where one decimal still rounds to it (50.03%)."""
    return f"{name}: spread (p90 - p10) / median = {fmt_pct(spread)} (above the threshold {SPREAD_MAX:.0%})"


@dataclass(frozen=True, kw_only=True)
class CpuTimes:
    """Cumulative CPU time of the whole machine and of this process, in seconds."""

    busy_s: float
    steal_s: float
    total_s: float
    self_s: float


def _clock_ticks() -> int:
    return int(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100


def read_cpu_times(proc_stat: Path = PROC_STAT) -> CpuTimes | None:
    """Machine-wide busy/steal/total CPU seconds (proc(5): user nice system idle iowait irq softirq steal)
    and this process's own user+system seconds (all threads); None without /proc."""
    try:
        first = proc_stat.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if not first or first[0] != "cpu":
        return None
    ticks = [int(x) for x in first[1:9]] + [0] * max(0, 8 - len(first[1:9]))
    user, nice, system, idle, iowait, irq, softirq, steal = ticks[:8]
    hz = _clock_ticks()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuTimes(busy_s=(user + nice + system + irq + softirq) / hz, steal_s=steal / hz,
                    total_s=(user + nice + system + idle + iowait + irq + softirq + steal) / hz,
                    self_s=usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime)


def affinity_cores() -> int:
    """The logical CPUs this process may run on (its CPU affinity: taskset, a cpuset, a scheduler's allocation)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def usable_cores() -> int:
    """The cores this process can keep busy: its CPU affinity, or fewer under a cgroup CPU quota (cgroups.cpu_quota,
    rounded up: `docker run --cpus 2` on a 64-core host leaves all 64 in the affinity)."""
    quota = cgroups.cpu_quota()
    cores = affinity_cores()
    return cores if quota is None else min(cores, quota.whole_cpus)


def cores_limit() -> str:
    """What sets the usable cores below this machine's logical CPUs, '' where nothing does: 'cgroup CPU quota 2 CPUs,
    /sys/fs/cgroup/cpu.max: 200000 100000; 64 logical CPUs in its affinity', or 'its CPU affinity, of this machine's
    64 logical CPUs'."""
    quota, affinity, total = cgroups.cpu_quota(), affinity_cores(), os.cpu_count() or 1
    if quota is not None and quota.whole_cpus < affinity:
        return (f"cgroup CPU quota {quota.cpus:g} CPU{'' if quota.cpus == 1 else 's'}, {quota.source}; "
                f"{affinity} logical CPUs in its affinity")
    if affinity < total:
        return f"its CPU affinity, of this machine's {total} logical CPUs"
    return ""


def cores_said(cores: int | None = None) -> str:
    """'2 usable cores' and, where a cgroup quota or the affinity sets the count (cores_limit), what set it:
    '2 usable cores (cgroup CPU quota 2 CPUs, /sys/fs/cgroup/cpu.max: 200000 100000; 64 logical CPUs in its
    affinity)'."""
    cores = usable_cores() if cores is None else cores
    limit = cores_limit()
    return f"{cores} usable core{'' if cores == 1 else 's'}" + (f" ({limit})" if limit else "")


LINK_WARNING_MARK = "; WARNING, disturbed while measured: "
"""Joins a measured figure's method text and its warnings in the source `probe` saves in the spec TOML: the
link of `probe --collectives` (distributed/collectives.build_result), which `plan --collectives` prints beside the
figures it uses, and the device's own peaks and bandwidth (measure/probe.spec_toml; `spec_warning`). Here, below
predict/ and distributed/, so that both can read it."""


def link_warning(source: str) -> str | None:
    """The warnings a saved source carries (after LINK_WARNING_MARK), None for a quiet measurement."""
    warning = source.partition(LINK_WARNING_MARK)[2]
    return warning or None


def spec_warning(spec: Any) -> str | None:
    """The busy-machine warnings `probe` saved with a measured spec's matmul peaks or memory bandwidth (an
    AcceleratorSpec); None for a quiet probe or a catalog entry. Every command that uses such a spec says so."""
    paths = [f"peak_flop_per_s.{d}" for d in spec.peak_flop_per_s] + ["memory_bandwidth_byte_per_s"]
    for path in paths:
        warning = link_warning(spec.sources.get(path) or "")
        if warning is not None:
            return warning
    return None


def spec_warning_text(spec: Any, flag: str) -> str | None:
    """One line for the console, HTML and JSON notes of a command given `spec` with `flag`; None if quiet."""
    warning = spec_warning(spec)
    if warning is None:
        return None
    return (f"{flag} {spec.name} was probed on a busy machine ({warning}): its peaks and bandwidth may be low, "
            "and a share of them high; rerun `accelopt probe` on a quiet machine to trust them")


def saved_warnings(report: ContentionReport, saved: Sequence[str], measured: Sequence[str]) -> str:
    """The warnings of `report` that bear on the figures `saved` (into a spec), joined; '' when none of them is
    disturbed. A warning about one figure ('stream.copy: spread ...') that is measured but not saved is left out."""
    if not any(f in report.disturbed for f in saved):
        return ""
    others = tuple(f"{m}: " for m in measured if m not in saved)
    return "; ".join(w for w in report.warnings if not w.startswith(others))


@dataclass(kw_only=True)
class ContentionReport:
    """What disturbed a measurement; empty `warnings` on a quiet machine."""

    warnings: list[str] = field(default_factory=list)
    others_busy_cores: float | None = unit("count", default=None)
    """Average cores used by other processes during the window (None without /proc)."""
    steal_fraction: float | None = unit("fraction", default=None)
    load_average_1min: float | None = unit("count", default=None)
    usable_cores: int = unit("count", default=1)
    threads: int | None = unit("count", default=None)
    disturbed: list[str] = field(default_factory=list)
    """Names of the figures the warnings apply to (e.g. "step time", "roofline", "diagnosis")."""

    @property
    def busy(self) -> bool:
        return bool(self.warnings)

    def add(self, message: str, *figures: str) -> None:
        self.warnings.append(message)
        for f in figures:
            if f not in self.disturbed:
                self.disturbed.append(f)


class Watch:
    """Start before a measurement, `finish()` after it: the machine's CPU use by others in between."""

    def __init__(self, proc_stat: Path = PROC_STAT) -> None:
        self.proc_stat = proc_stat
        self.start = read_cpu_times(proc_stat)
        self.load_1min = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    def finish(self, report: ContentionReport, figures: Sequence[str], *, threads: int | None = None) -> None:
        """Add to `report` what the window from start to now shows; `figures` are what it disturbed."""
        cores = usable_cores()
        report.usable_cores, report.threads = cores, threads
        report.load_average_1min = self.load_1min
        end = read_cpu_times(self.proc_stat)
        if self.start is None or end is None:
            return
        wall_cpu_s = end.total_s - self.start.total_s  # CPU-seconds available on all CPUs in the window
        if wall_cpu_s <= 0:
            return
        n_cpu = os.cpu_count() or 1
        window_s = wall_cpu_s / n_cpu
        if window_s < MIN_WINDOW_S:
            return  # too few clock ticks to tell others' CPU time from accounting skew
        others_s = max(0.0, (end.busy_s - self.start.busy_s) - (end.self_s - self.start.self_s))
        report.others_busy_cores = others_s / window_s
        report.steal_fraction = (end.steal_s - self.start.steal_s) / wall_cpu_s
        if report.others_busy_cores > OTHERS_BUSY_CORES_MAX:
            report.add(f"other processes used {report.others_busy_cores:.2f} cores on average while measuring "
                       f"(threshold {OTHERS_BUSY_CORES_MAX} cores; /proc/stat minus this process's CPU time)",
                       *figures)
        if report.steal_fraction > STEAL_FRACTION_MAX:
            report.add(f"CPU steal {report.steal_fraction:.0%} of the window (threshold {STEAL_FRACTION_MAX:.0%}): "
                       "the hypervisor gave these vCPUs to others", *figures)


THREADS_OPTION = "pass --threads {cores}"
"""check_setup's fix for a command with a --threads option (profile, optimize); {cores}: the usable cores."""
THREADS_ENV = "run it as OMP_NUM_THREADS={cores} accelopt {command} (it has no --threads option)"
"""check_setup's fix for a command without one (probe): torch reads OMP_NUM_THREADS when it starts."""


def check_setup(report: ContentionReport, *, threads: int | None, load_1min: float | None,
                figures: Sequence[str] = ("step time",), fix: str = THREADS_OPTION) -> None:
    """Thread oversubscription and a loaded machine at the start; `figures` are what they disturb. `fix`: what the
    calling command offers to run fewer threads ({cores}: the usable cores), THREADS_OPTION by default. The warning
    offered '--threads N (profile, optimize)' to probe and to a --nproc run, which have no such option."""
    cores = usable_cores()
    if threads is not None and threads > cores:
        report.add(f"torch runs {threads} threads on {cores_said(cores)}: oversubscribed, each op waits for "
                   f"descheduled threads; {fix.format(cores=cores)}", *figures)
    own = threads or 1  # this process's own recent work is in the load average too
    if load_1min is not None and load_1min - own > cores:
        report.add(f"load average {load_1min:.2f} over the last minute exceeds the {cores_said(cores)} plus this "
                   f"process's {own} thread{'' if own == 1 else 's'} at the start", *figures)


def load_seen(report: ContentionReport) -> str:
    """What a report saw of the machine's load, in a few words for a note beside one figure (its warnings, which
    the busy-machine note prints in full, state the thresholds): the load average at the start, and the other
    processes' cores, the steal and torch's oversubscription where they were over their thresholds."""
    seen = [f"load average {report.load_average_1min:.2f} over the minute before on {report.usable_cores} usable "
            f"cores" if report.load_average_1min is not None else f"{report.usable_cores} usable cores"]
    if report.others_busy_cores is not None and report.others_busy_cores > OTHERS_BUSY_CORES_MAX:
        seen.append(f"other processes using {report.others_busy_cores:.2f} cores")
    if report.steal_fraction is not None and report.steal_fraction > STEAL_FRACTION_MAX:
        seen.append(f"CPU steal {report.steal_fraction:.0%}")
    if report.threads is not None and report.threads > report.usable_cores:
        seen.append(f"torch at {report.threads} threads")
    return ", ".join(seen)


def bimodal(samples: Sequence[float]) -> tuple[float, float] | None:
    """(lower cluster median, upper cluster median) when the sorted samples split in two by a gap
    above BIMODAL_GAP_MIN x median with at least BIMODAL_CLUSTER_MIN of the samples on each side."""
    xs = sorted(samples)
    n = len(xs)
    if n < 6:
        return None
    med = xs[n // 2]
    lo_n = max(1, int(BIMODAL_CLUSTER_MIN * n + 0.999))
    best, cut = 0.0, 0
    for i in range(lo_n, n - lo_n + 1):
        gap = xs[i] - xs[i - 1]
        if gap > best:
            best, cut = gap, i
    if med <= 0 or best <= BIMODAL_GAP_MIN * med:
        return None
    lower, upper = xs[:cut], xs[cut:]
    if best <= max(lower[-1] - lower[0], upper[-1] - upper[0]):  # an even spread, not two clusters
        return None
    return lower[len(lower) // 2], upper[len(upper) // 2]


def check_samples(report: ContentionReport, name: str, samples: Sequence[float], *figures: str,
                  work_varies: bool = False) -> None:
    """Bimodal or widely spread samples of one measurement. `work_varies`: the measured work itself differs from
    sample to sample (profile's batches ran different forwards: InputDependence), said as the other cause."""
    other = ("; or the work varies with the input: the batches' forwards differ (see the notes)" if work_varies
             else "")
    two = bimodal(samples)
    if two is not None:
        report.add(f"{name}: samples fall in two clusters ({two[0] * 1e3:.3g} ms and {two[1] * 1e3:.3g} ms; "
                   f"gap above {BIMODAL_GAP_MIN:.0%} of the median): something else ran part of the time{other}",
                   name, *figures)
        return
    xs = sorted(samples)
    if len(xs) >= 3:
        from accelopt.measure.timing import Stats

        s = Stats.of(xs)
        if s.spread > SPREAD_MAX:
            report.add(spread_warning(name, s.spread) + other, name, *figures)
