"""This process's control groups (Linux): where its cgroup sits in /sys/fs/cgroup, and its CPU quota.

A container's limits are not in os.cpu_count() or the CPU affinity: `docker run --cpus 2` (and a Kubernetes CPU
limit) on a 64-core host leaves all 64 CPUs in the affinity and sets a CFS bandwidth quota instead, 2 CPUs' worth of
run time per period. torch still starts one thread per physical core, which then wait for the quota at every op.
Files read (Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/, Documentation/scheduler/sched-bwc.rst):
- v2: `cpu.max`, "$MAX $PERIOD" in microseconds, "max 100000" (the default) meaning no limit;
- v1: `cpu.cfs_quota_us` (-1: no limit) and `cpu.cfs_period_us`, in the `cpu` controller's hierarchy
  (mounted as `cpu` or `cpu,cpuacct`).
A limit anywhere from the process's group up to the root applies, so the smallest is taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")


def cgroup_dirs(base: Path, own: str) -> list[Path]:
    """`base`/`own` (this process's cgroup) and each ancestor up to `base`, those that exist: a limit anywhere
    on the path applies. In a container the mount shows the container's own group at `base`, where `own` (the
    host's path) does not exist, so `base` alone is read."""
    parts = [p for p in own.strip("/").split("/") if p]
    dirs = [base.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]
    return [d for d in dirs if d.is_dir()]


def own_cgroups(self_cgroup: Path, controller: str = "memory") -> tuple[str, str]:
    """(v2 path, v1 `controller` path) of this process from /proc/self/cgroup ("0::/a/b", "4:memory:/a/b",
    "3:cpu,cpuacct:/a/b"); "/" where a line is missing or the file unreadable."""
    v2 = v1 = "/"
    try:
        lines = self_cgroup.read_text(encoding="utf-8").splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        hier, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hier == "0" and not controllers:
            v2 = path or "/"
        elif controller in controllers.split(","):
            v1 = path or "/"
    return v2, v1


@dataclass(frozen=True, kw_only=True)
class CpuQuota:
    """A CFS bandwidth limit on this process's cgroup."""

    cpus: float
    """quota / period: the CPUs' worth of run time the group gets per period (2.0 for `docker run --cpus 2`)."""
    source: str
    """The file it was read from, with its text ('/sys/fs/cgroup/cpu.max: 200000 100000')."""

    @property
    def whole_cpus(self) -> int:
        """The quota in whole CPUs, rounded up (at least 1): the threads it can keep busy, as the JVM counts a
        container's CPUs (openjdk/jdk@jdk-25-ga src/hotspot/os/linux/cgroupUtil_linux.cpp, processor_count:
        ceilf(quota / period))."""
        return max(1, math.ceil(self.cpus - 1e-9))


def _v2_quota(d: Path) -> CpuQuota | None:
    try:
        text = (d / "cpu.max").read_text(encoding="utf-8").strip()
        top, period = text.split()[:2]
        if top == "max":
            return None
        quota_us, period_us = float(top), float(period)
    except (OSError, ValueError):
        return None
    if not (quota_us > 0 and period_us > 0):
        return None
    return CpuQuota(cpus=quota_us / period_us, source=f"{d / 'cpu.max'}: {text}")


def _v1_quota(d: Path) -> CpuQuota | None:
    try:
        quota_us = float((d / "cpu.cfs_quota_us").read_text(encoding="utf-8").split()[0])
        period_us = float((d / "cpu.cfs_period_us").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not (quota_us > 0 and period_us > 0):  # -1: no limit
        return None
    return CpuQuota(cpus=quota_us / period_us,
                    source=f"{d / 'cpu.cfs_quota_us'} / cpu.cfs_period_us: {quota_us:.0f} / {period_us:.0f} µs")


def cpu_quota(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> CpuQuota | None:
    """The smallest CPU quota over this process's cgroup and its ancestors (v2, then the v1 `cpu` hierarchy);
    None without one (no limit, no cgroups, not Linux)."""
    v2_own, v1_own = own_cgroups(self_cgroup, "cpu")
    found: list[CpuQuota] = []
    for d in cgroup_dirs(root, v2_own):
        if (q := _v2_quota(d)) is not None:
            found.append(q)
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        for d in cgroup_dirs(root / mount, v1_own):
            if (q := _v1_quota(d)) is not None:
                found.append(q)
        if (root / mount).is_dir():
            break  # `cpu` is often a link to `cpu,cpuacct`: one hierarchy, read once
    return min(found, key=lambda q: q.cpus, default=None)
