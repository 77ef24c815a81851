"""Honest timing: warm up, synchronize at both ends, repeat, report median and spread.

`sync` is the device's synchronize (torch.cuda.synchronize for CUDA, a no-op on CPU); it is
called before starting and before stopping the clock so queued asynchronous work is counted
(the nanoGPT bench.py / Zeus habit).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from accelopt.errors import MeasurementError
from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class Stats:
    """Distribution of repeated measurements (seconds unless a name says otherwise)."""

    median: float = unit("s")
    p10: float = unit("s")
    p90: float = unit("s")
    min: float = unit("s")
    max: float = unit("s")
    n: int = unit("count")
    samples: tuple[float, ...] = field(default=(), repr=False, compare=False)
    """The samples themselves, in the order taken (for contention checks: bimodality, drift); not in JSON."""

    @property
    def spread(self) -> float:
        """(p90 - p10) / median: the relative spread, 0 for a perfectly steady measurement."""
        return (self.p90 - self.p10) / self.median if self.median > 0 else float("nan")

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        if not samples:
            raise MeasurementError("no samples were taken", "increase the number of repeats")
        xs = sorted(samples)
        return cls(median=statistics.median(xs), p10=quantile(xs, 0.10), p90=quantile(xs, 0.90),
                   min=xs[0], max=xs[-1], n=len(xs), samples=tuple(samples))

    def to_dict(self) -> dict[str, float]:
        return {"median": self.median, "p10": self.p10, "p90": self.p90, "min": self.min, "max": self.max,
                "n": self.n}


def quantile(sorted_xs: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted data (numpy's default 'linear' method)."""
    if len(sorted_xs) == 1:
        return sorted_xs[0]
    pos = q * (len(sorted_xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def _noop() -> None:
    return None


def time_fn(fn: Callable[[], object], *, warmup: int = 3, repeats: int = 10,
            sync: Callable[[], None] = _noop, min_time_s: float = 0.0,
            max_time_s: float | None = None, into: list[float] | None = None) -> Stats:
    """Time `fn()` `repeats` times after `warmup` calls; each sample synchronized at both ends.

    `min_time_s`: keep repeating (beyond `repeats`) until this much time has been measured,
    so very short calls still get a stable median. `max_time_s`: stop early (after at least
    3 samples) once this much time has been spent, for a bounded --quick run. `into`: each sample is
    also appended here as it is taken, so a caller keeps the finished samples when Ctrl-C stops the loop.
    """
    if repeats < 1:
        raise MeasurementError(f"repeats = {repeats}", "use at least 1 repeat")
    for _ in range(warmup):
        fn()
    sync()
    samples: list[float] = into if into is not None else []
    total = 0.0
    while len(samples) < repeats or total < min_time_s:
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        dt = time.perf_counter() - t0
        samples.append(dt)
        total += dt
        if max_time_s is not None and total >= max_time_s and len(samples) >= 3:
            break
    return Stats.of(samples)


def cuda_sync_for(device: str) -> Callable[[], None]:
    """The synchronize function for a torch device string ('cpu', 'cuda:0', 'mps', ...)."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    if device.startswith("mps"):
        import torch

        return torch.mps.synchronize
    return _noop
