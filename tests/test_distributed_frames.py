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


def _event(name: str, start_us: float, end_us: float, thread: int = 1) -> Any:
    return SimpleNamespace(name=name, time_range=SimpleNamespace(start=start_us, end=end_us), thread=thread,
                           device_type="CPU")


def test_each_profiled_steps_figures_are_kept_beside_their_mean() -> None:
    """The prediction table printed the mean of the profiled steps with no count and no spread (uttrialB): the
    trace's figures are now split by step window (accelopt.step mark to the next one's)."""
    events = [_event("accelopt.step", 0, 10_000), _event("aten::mm", 1_000, 4_000),  # step 1: 3 ms compute
              _event("gloo:all_reduce", 5_000, 9_000, thread=2),  # 4 ms collectives
              _event("accelopt.step", 10_000, 20_000), _event("aten::mm", 11_000, 12_000),  # step 2: 1 ms compute
              _event("gloo:all_reduce", 12_000, 18_000, thread=2)]  # 6 ms collectives
    comm = worker.comm_overlap(events, 1, 2)
    assert comm.compute_steps_s == pytest.approx([0.003, 0.001])
    assert comm.comm_steps_s == pytest.approx([0.004, 0.006])
    assert comm.compute_s == pytest.approx(0.002) and comm.comm_s == pytest.approx(0.005)  # the means, as before


def test_the_profiled_frame_keeps_each_steps_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = _SlowFirstTrainer()
    _steps_clock(monkeypatch, trainer)
    comm = worker._profile(trainer, 0, 3, _Me(), worker.LossLog(4, "cpu"))  # type: ignore[arg-type]
    assert comm.profiled_steps_s == pytest.approx([0.005] * 3)  # the warm-up step's 50 ms left out


def test_the_prediction_says_how_many_steps_its_measured_terms_are_over_and_their_spread() -> None:
    from types import SimpleNamespace as NS

    from accelopt.distributed.predict_check import predict_run
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult
    from accelopt.hardware.catalog import get_device
    from accelopt.report.distributed_view import measured_over

    def rank(i: int, compute: list[float], comm: list[float]) -> RankResult:
        return RankResult(rank=i, world_size=2, host="h", step_times_s=[0.02] * 3, losses=[1.0], threads=1,
                          comm=CommTime(comm_s=sum(comm) / 2, overlapped_s=0.0, compute_s=sum(compute) / 2,
                                        profiled_step_s=0.02, profiled_steps_s=[0.02, 0.02],
                                        comm_steps_s=comm, compute_steps_s=compute),
                          peak_memory_bytes=1.0, memory_source="test")

    run = DistributedResult(name="d", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo", device="cpu",
                            global_batch=4, microbatches=1, single=None,
                            ranks=[rank(0, [0.010, 0.012], [0.004, 0.005]), rank(1, [0.009, 0.013], [0.003, 0.006])])
    terms = {t.term: t for t in predict_run(run, NS(ops=[]), get_device("h100-sxm"), 1.0).terms}
    assert (terms["compute"].measured_steps, terms["compute"].measured_low_s,
            terms["compute"].measured_high_s) == (2, 0.009, 0.013)
    assert (terms["communication"].measured_low_s, terms["communication"].measured_high_s) == (0.003, 0.006)
    assert measured_over(terms["compute"]) == "2 profiled steps, 9 ms to 13 ms a step"
    assert terms["step"].measured_steps is None and "p10, p90" in measured_over(terms["step"])
