"""probe's matmul shape ladder must not give up on the larger shapes because the smallest one ran during a stall
(ureadme2's finding: `probe --quick` on a busy machine took ~15 ms per bf16 call at 128^3, 512^3 and 2048^3 alike,
extrapolated 128^3's time by the FLOP ratio to "~1.0 s" for 512^3 and reported 263 MFLOP/s, where a run minutes
later measured 159 GFLOP/s). Timed with a mocked clock: each call advances it by the time the test gives its shape."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from accelopt.measure import probe

QUICK_BF16 = [(128, 128, 128), (512, 512, 512), (2048, 2048, 2048)]  # settings_for(cpu, quick)["bf16"]


def _mock(monkeypatch: pytest.MonkeyPatch, call_s: Callable[[tuple[int, int, int]], float]) -> list[tuple]:
    """A clock that only calls move, and matmul calls that move it by call_s(shape); returns the shapes called."""
    now = [0.0]
    called: list[tuple] = []
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])

    def make(torch: Any, dtype: str, shape: tuple[int, int, int], device: str) -> Callable[[], None]:
        def fn() -> None:
            called.append(shape)
            now[0] += call_s(shape)
        return fn

    monkeypatch.setattr(probe, "_matmul_call", make)
    return called


def test_a_fixed_stall_on_the_small_shape_does_not_skip_the_large_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    # the stall: 15 ms per call whatever the shape, until 2048^3's own time (17.2 GFLOP at 159 GFLOP/s) is longer
    called = _mock(monkeypatch, lambda s: max(15e-3, 2.0 * s[0] * s[1] * s[2] / 159e9))
    f = probe.measure_matmul(None, "cpu", "bf16", QUICK_BF16, shape_budget_s=0.5, max_call_s=0.5)
    assert (2048, 2048, 2048) in called
    assert "at 2048x2048x2048" in f.detail and "skipped" not in f.detail, f.detail
    assert f.median == pytest.approx(2.0 * 2048**3 / (2.0 * 2048**3 / 159e9))


def test_a_shape_whose_one_call_is_too_slow_stops_the_ladder(monkeypatch: pytest.MonkeyPatch) -> None:
    # no AMX: bf16 at ~0.3 GFLOP/s, so 512^3 (0.27 GFLOP) takes ~0.9 s: one call tried, the ladder stops there
    called = _mock(monkeypatch, lambda s: 2.0 * s[0] * s[1] * s[2] / 0.3e9)
    f = probe.measure_matmul(None, "cpu", "bf16", QUICK_BF16, shape_budget_s=0.5, max_call_s=0.5)
    assert called.count((512, 512, 512)) == 1 and (2048, 2048, 2048) not in called
    assert "best of 1 shape(s) at 128x128x128" in f.detail
    assert "larger shapes skipped (one 512x512x512 call took 0.89 s" in f.detail, f.detail


def test_a_shape_predicted_far_past_the_cap_is_not_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    called = _mock(monkeypatch, lambda s: 2.0 * s[0] * s[1] * s[2] / 1e9)  # 512^3: 0.27 s predicted 4x over 0.05
    f = probe.measure_matmul(None, "cpu", "fp32", QUICK_BF16, shape_budget_s=0.1, max_call_s=0.05)
    assert set(called) == {(128, 128, 128)}
    assert "larger shapes skipped (one call would take ~0.3 s)" in f.detail, f.detail
