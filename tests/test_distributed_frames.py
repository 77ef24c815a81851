"""The frames of a distributed run's figures: the profiled steps (torch.profiler on) against the uninstrumented ones."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from accelopt.distributed import worker


class _SlowFirstTrainer:
    """A step of 5 ms, except the first run under the profiler (50 ms), as torch.profiler's start-up makes it.

    The steps advance a clock of their own (now_s), which worker._profile reads in place of time.perf_counter
    (_steps_clock): with real sleeps, a 5 ms step measured 5.2 to 8.8 ms here on 2 cores at a load average of 9
    (40 runs), and once past the 4 ms margin the first test had under `-n 2`."""

    device = "cpu"

    def __init__(self) -> None:
        self.calls = 0
        self.now_s = 0.0

    def step_fn(self, i: int) -> float:
        self.calls += 1
        self.now_s += 0.05 if self.calls == 1 else 0.005
        return float(i)


def _steps_clock(monkeypatch: pytest.MonkeyPatch, trainer: _SlowFirstTrainer) -> None:
    """worker's time.perf_counter reads `trainer`'s clock (the time module itself is left alone: torch uses it)."""
    monkeypatch.setattr(worker, "time", SimpleNamespace(perf_counter=lambda: trainer.now_s))


class _Me:
    def progress(self, step: int) -> None:
        del step


def test_profiled_frame_leaves_out_the_profilers_first_step(monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = _SlowFirstTrainer()
    _steps_clock(monkeypatch, trainer)
    losses = worker.LossLog(3, "cpu")
    comm = worker._profile(trainer, 10, 2, _Me(), losses)  # type: ignore[arg-type]
    # before the fix the slow first step was half the frame: (50 + 5) / 2 = 27.5 ms
    assert comm.profiled_step_s == pytest.approx(0.005, rel=1e-9)
    assert losses.tensor().tolist() == [10.0, 11.0, 12.0]  # the warm-up step's loss is kept: every step trains


def test_profiled_frame_has_the_events_of_the_profiled_steps_only(monkeypatch: pytest.MonkeyPatch) -> None:
    marks: list[int] = []
    real = worker.comm_overlap

    def spy(events: list[Any], step_thread: int | None, steps: int) -> Any:
        marks.append(sum(e.name == "accelopt.step" for e in events))
        return real(events, step_thread, steps)

    monkeypatch.setattr(worker, "comm_overlap", spy)
    worker._profile(_SlowFirstTrainer(), 0, 3, _Me(), worker.LossLog(4, "cpu"))  # type: ignore[arg-type]
    assert marks == [3]  # the warm-up step's trace is dropped, as its wall time is


def test_pipeline_check_says_which_frame_bubble_and_sends_are_in() -> None:
    """'bubble + sends' (profiled step - compute, torch.profiler on) exceeded the 'step' row (the uninstrumented
    median) with no word on the two frames: 26.5 ms against 14.5 ms on a 2-stage pipeline here."""
    from accelopt.distributed.predict_check import predict_run
    from accelopt.distributed.types import CommTime, DistributedResult, LayerCost, Partition, RankResult, StageBalance
    from accelopt.hardware.catalog import get_device

    def rank(i: int) -> RankResult:
        return RankResult(rank=i, world_size=2, host="h", step_times_s=[0.0145] * 3, losses=[1.0], threads=1,
                          comm=CommTime(comm_s=0.02, overlapped_s=0.0, compute_s=0.0013, profiled_step_s=0.0278),
                          peak_memory_bytes=1.0, memory_source="test", stage=i)

    layers = [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=1.0, param_bytes=1.0) for i in range(2)]
    bal = StageBalance(bounds=[0, 1, 2], stage_times_s=[1.0, 1.0], stage_memory_bytes=[1.0] * 2)
    run = DistributedResult(name="p", parallel="pipeline", schedule="1f1b", nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=4, microbatches=4, single=None, ranks=[rank(0), rank(1)],
                            partition=Partition(layers=layers, stages=2, memory_limit_bytes=None, balanced=bal,
                                                naive=bal))
    check = predict_run(run, SimpleNamespace(ops=[]), get_device("h100-sxm"), 1.0)
    terms = {t.term: t for t in check.terms}
    assert terms["bubble + sends"].measured_s == pytest.approx(0.0278 - 0.0013)
    assert terms["bubble + sends"].measured_s > terms["step"].measured_s  # two frames, not double counting
    note = next(n for n in check.notes if n.startswith("bubble + sends measured"))
    assert "profiled step 27.8 ms - compute 1.3 ms" in note and "1.92x the uninstrumented step median 14.5 ms" in note
