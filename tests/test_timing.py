from __future__ import annotations

import time

import pytest

from accelopt.errors import MeasurementError
from accelopt.measure.timing import Stats, quantile, time_fn


def test_stats_quantiles_match_numpy_linear() -> None:
    import numpy as np

    xs = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0]
    s = Stats.of(xs)
    assert s.median == pytest.approx(np.median(xs))
    assert s.p10 == pytest.approx(np.quantile(xs, 0.1))
    assert s.p90 == pytest.approx(np.quantile(xs, 0.9))
    assert quantile(sorted(xs), 0.5) == pytest.approx(3.5)


def test_time_fn_syncs_around_each_sample_and_measures_sleep() -> None:
    calls: list[str] = []

    def fn() -> None:
        calls.append("fn")
        time.sleep(0.002)

    def sync() -> None:
        calls.append("sync")

    s = time_fn(fn, warmup=1, repeats=3, sync=sync)
    assert s.n == 3 and s.median >= 0.002
    # each timed call is bracketed by syncs
    timed = calls[2:]  # after warm-up fn and its sync
    assert timed == ["sync", "fn", "sync"] * 3


def test_time_fn_rejects_zero_repeats() -> None:
    with pytest.raises(MeasurementError):
        time_fn(lambda: None, repeats=0)
