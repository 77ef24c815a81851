"""A/B rounds whose baseline blocks stalled (a busy machine): the recommendation must not rest on them.

A busy 2-core run recommended onnx-int8 at 906x (torch's 2 threads waited for busy cores at every op); another gave
onnx-int8 375x with rounds 2.71-445x. The timings here are injected (runner._timed_for replaced by a scripted clock
keyed on which stepper runs), so the rule is tested, not the machine: no test here times anything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from _fake_technique import SameModel
from torch import nn

from accelopt.optimize import base, runner
from accelopt.optimize.base import Target, Variant
from accelopt.optimize.runner import RunOptions, run_optimize
from accelopt.workload.userfile import ModelBundle

BASE_S = 3e-3
"""The baseline's undisturbed step in the scripted clock; the variant's is BASE_S / 3 (a genuine 3x)."""
STALL_S = 90e-3
"""A stalled baseline block's every step (torch's threads waiting for busy cores): 30x the undisturbed one."""


class _Same(SameModel):
    """The model as given, under another name: its speed is whatever the scripted clock says."""


@pytest.fixture
def same() -> Iterator[None]:
    base.register(_Same)
    yield
    base._REGISTRY.pop(_Same.name, None)


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    x, y = torch.randn(4, 8), torch.randint(0, 3, (4,))
    return ModelBundle(
        name="mlp",
        model=nn.Linear(8, 3),
        batches=lambda: iter([(x, y)]),
        loss_fn=nn.functional.cross_entropy,
        batch_size=4,
        eval_batches=lambda: iter([(x, y)]),
        metric="accuracy",
    )


SELF_BLOCKS = 2 * 5
"""The baseline's blocks timed against itself right after its own measurement (runner._Run.self_noise: 5 rounds of
two baseline blocks), undisturbed and not counted, so the blocks numbered below are the variant's rounds'."""


def _scripted(stalled_blocks: set[int]) -> Any:
    """A _timed_for whose n-th baseline block at torch's threads (0: the baseline's own measurement, then one per
    round; the SELF_BLOCKS between them not counted) takes STALL_S a step when n is in `stalled_blocks`, else
    BASE_S; at 1 thread (the starvation check's block, not counted) BASE_S; the variant's blocks take BASE_S / 3."""
    count = {"base": 0, "raw": 0}

    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        if step.v.technique == "baseline" and torch.get_num_threads() == 1:
            return [BASE_S] * max(min_n, 3)
        if step.v.technique == "baseline":
            count["raw"] += 1
            if 1 < count["raw"] <= 1 + SELF_BLOCKS:
                return [BASE_S] * max(min_n, 3)
            n = count["base"]
            count["base"] += 1
            return [STALL_S if n in stalled_blocks else BASE_S] * max(min_n, 3)
        return [BASE_S / 3] * max(min_n, 3)

    return timed_for


def _optimize(monkeypatch: pytest.MonkeyPatch, timed_for: Any) -> Any:
    """run_optimize of the test-same variant with runner._timed_for scripted, torch at 2 threads (so the
    starvation check runs, whatever this machine's default)."""
    monkeypatch.setattr(runner, "_timed_for", timed_for)
    opts = RunOptions(
        only=["test-same"], rounds=5, warmup=0, combinations=0, profile_bounds=False, progress=lambda msg: None
    )
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        res, _ = run_optimize(_bundle(), opts)
    finally:
        torch.set_num_threads(old)
    return res


def _run(monkeypatch: pytest.MonkeyPatch, stalled_blocks: set[int]) -> Any:
    return _optimize(monkeypatch, _scripted(stalled_blocks))


def test_a_genuine_3x_is_found_and_recommended(monkeypatch: pytest.MonkeyPatch, same: None) -> None:
    res = _run(monkeypatch, set())
    v = res.get("test-same")
    assert v.speedup == pytest.approx(3.0) and v.speedup_low == pytest.approx(3.0)
    assert res.recommendation.name == "test-same"


def test_baseline_blocks_stalled_in_most_rounds_give_no_30x_recommendation(
    monkeypatch: pytest.MonkeyPatch, same: None
) -> None:
    """Rounds 2, 3 and 5 of 5 stalled, and the same of the 5 re-measured ones: the median round said 90x
    (the p50s agreed: most baseline steps were stalled) and was recommended. Now the rounds' 3x-90x spread is over
    ROUND_SPREAD_LIMIT after a re-measure: not recommended, and the reason gives the figures."""
    res = _run(monkeypatch, {2, 3, 5, 7, 8, 10})
    v = res.get("test-same")
    assert v.speedup_high / v.speedup_low > 2.0
    assert res.recommendation.name == "baseline"
    assert (res.recommendation.speedup or 1.0) <= 10.0
    assert "test-same" in res.recommendation.reason and "disagree" in res.recommendation.reason
    assert any("re-measured" in n for n in v.notes), v.notes


def test_stalled_rounds_are_re_measured_and_a_steady_second_set_is_used(
    monkeypatch: pytest.MonkeyPatch, same: None
) -> None:
    """The first 5 rounds stall in 3 (a burst of load); the 5 re-measured rounds are steady: the genuine 3x."""
    res = _run(monkeypatch, {1, 3, 5})
    v = res.get("test-same")
    assert v.speedup == pytest.approx(3.0) and v.speedup_high / v.speedup_low <= 2.0
    assert res.recommendation.name == "test-same" and res.recommendation.speedup == pytest.approx(3.0)
    assert any("re-measured" in n and "90.00x" in n for n in v.notes), v.notes


def test_a_burst_then_rounds_stalled_alike_is_caught_by_the_one_thread_block(
    monkeypatch: pytest.MonkeyPatch, same: None
) -> None:
    """A full run on this machine recommended nothing wrong but measured prune-structured at 317x: its first rounds
    disagreed (2.35-372x), the re-measured ones agreed on a stalled baseline, and the 1-thread check compared the
    fastest baseline block of both sets (an unstalled one): 1.13x. The check takes the rounds the speed-up is from."""
    res = _run(monkeypatch, {1, 3, 5, 6, 7, 8, 9, 10})
    v = res.get("test-same")
    assert v.speedup == pytest.approx(90.0) and v.speedup_high / v.speedup_low <= 2.0  # the fresh set agrees
    assert v.baseline_thread_slowdown == pytest.approx(30.0)
    assert res.recommendation.name == "baseline" and "30.00x slower" in res.recommendation.reason


def test_a_quiet_run_takes_no_extra_rounds(monkeypatch: pytest.MonkeyPatch, same: None) -> None:
    """The re-measure costs nothing when the rounds agree: baseline blocks = its own + those timed against itself
    (its twin's are not its samples) + one per round."""
    res = _run(monkeypatch, set())
    assert res.get("test-same").notes == [] or not any("re-measured" in n for n in res.get("test-same").notes)
    assert res.get("baseline").step_samples == 3 * (1 + SELF_BLOCKS // 2 + 5)


def _starved(one_thread_s: float, threaded_s: float) -> Any:
    """A _timed_for whose baseline steps take `threaded_s` at torch's threads and `one_thread_s` at 1 thread (the
    starvation check's block); the variant's take BASE_S / 3 at any thread count."""

    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        if step.v.technique == "baseline":
            return [one_thread_s if torch.get_num_threads() == 1 else threaded_s] * max(min_n, 3)
        return [BASE_S / 3] * max(min_n, 3)

    return timed_for


def _run_starved(monkeypatch: pytest.MonkeyPatch, one_thread_s: float, threaded_s: float) -> Any:
    return _optimize(monkeypatch, _starved(one_thread_s, threaded_s))


def test_a_baseline_starved_in_every_round_gives_no_30x_recommendation(
    monkeypatch: pytest.MonkeyPatch, same: None
) -> None:
    """A busy run recommended onnx-int8 at 906x: torch's 2 threads waited for busy cores at every op of every
    baseline step (44 ms; 68 µs standalone), so every round agreed. Here every baseline step at 2 threads takes
    STALL_S and 3 ms at 1 thread: the rounds agree on 90x, but the baseline's 1-thread block, timed after them, is
    30x faster than its fastest 2-thread step: not recommended, and the reason says why with the figure."""
    res = _run_starved(monkeypatch, BASE_S, STALL_S)
    v = res.get("test-same")
    assert v.speedup == pytest.approx(90.0) and v.speedup_low == pytest.approx(90.0)  # the rounds agree
    assert v.baseline_thread_slowdown == pytest.approx(30.0)
    assert res.recommendation.name == "baseline"
    assert "test-same (90.00x)" in res.recommendation.reason and "30.00x slower" in res.recommendation.reason
    assert "--threads 1" in res.recommendation.reason
    assert any("1 thread" in n and "90 ms" in n and "3 ms" in n for n in v.notes), v.notes


def test_a_genuine_3x_over_a_baseline_threads_speed_up_is_recommended(
    monkeypatch: pytest.MonkeyPatch, same: None
) -> None:
    """On a quiet machine torch's 2 threads are faster than 1 (or as fast): no starvation, the 3x stands."""
    res = _run_starved(monkeypatch, 2 * BASE_S, BASE_S)
    v = res.get("test-same")
    assert v.baseline_thread_slowdown == pytest.approx(0.5)
    assert res.recommendation.name == "test-same" and res.recommendation.speedup == pytest.approx(3.0)


def _ragged() -> ModelBundle:
    """batches() of 32, 32 and 21 rows: a ragged last batch, which check_batch_rows lets through."""
    x = torch.randn(85, 8)

    def batches() -> Iterator[tuple[Any, Any]]:
        for lo, hi in ((0, 32), (32, 64), (64, 85)):
            yield x[lo:hi], torch.zeros(hi - lo, dtype=torch.long)

    return ModelBundle(
        name="ragged", model=nn.Linear(8, 3), batches=batches, loss_fn=nn.functional.cross_entropy, batch_size=32
    )


def test_profile_times_full_batches_only() -> None:
    """profile's StepRunner counted the ragged batch's step as batch_size samples (samples/s = batch_size / p50)."""
    from accelopt.measure.profiler import StepRunner

    sr = StepRunner(_ragged(), mode="inference", dtype="fp32", device="cpu")
    assert [sr.next_batch()[0].shape[0] for _ in range(7)] == [32] * 7


def test_a_short_last_batch_is_not_timed_as_a_full_one() -> None:
    """batches() of 32, 32 and 21 rows (a ragged last batch, accepted by check_batch_rows): its step was timed
    and counted as batch_size samples in samples/s, and as a block's fastest step it was compared with a full
    batch's in another block. Timed steps now take full batches only."""
    from accelopt.optimize.runner import _Stepper

    seen: list[int] = []

    def forward(inp: Any) -> Any:
        seen.append(inp.shape[0])
        return inp

    bundle = _ragged()
    stepper = _Stepper(
        Variant(technique="baseline", model=None, forward=forward),
        bundle,
        Target(mode="inference", device="cpu", dtype="fp32", budget_s=1.0),
    )
    for _ in range(7):
        stepper()
    assert seen == [32] * 7


def test_a_variant_passed_over_for_two_reasons_is_named_once() -> None:
    """A full run's reason named onnx-fp32 twice: its baseline starved at torch's threads (427x) and its p50s
    disagreeing with its rounds. Each variant is named once, for the first rule it fails."""
    from accelopt.optimize.results import OptimizeResult, VariantResult
    from accelopt.optimize.runner import recommend

    base = VariantResult(
        name="baseline", techniques=[], family="", status="measured", speedup=1.0, step_time_p50_s=84e-6
    )
    v = VariantResult(
        name="onnx-fp32",
        techniques=["onnx-fp32"],
        family="quantization",
        status="measured",
        speedup=614.13,
        speedup_low=436.0,
        speedup_high=632.0,
        step_time_p50_s=69e-6,
        baseline_thread_slowdown=427.46,
    )
    result = OptimizeResult(
        name="m",
        mode="inference",
        device="cpu",
        dtype="fp32",
        batch_size=32,
        metric="loss",
        higher_is_better=False,
        quality_tolerance=1.0,
        quality_tolerance_unit="percent",
        variants=[base, v],
    )
    rec = recommend(result)
    assert rec.name == "baseline" and "427.46x slower" in rec.reason
    assert rec.reason.count("onnx-fp32") == 1, rec.reason
