"""A distributed run's ranks keep every step's loss without keeping the step's own loss tensor.

They kept a list of each step's `loss.detach()`: one small allocation a step held among the step's large freed ones,
and a rank's resident set grew with --steps (gpt tiny on 2 CPU ranks: peak memory 342 MiB at 20 steps, 560 and
730 MiB at 18,419), printed as the model's peak memory (worker.LossLog)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import torch

from accelopt.distributed import worker


class _Trainer:
    """Each step returns a fresh loss tensor, as a training step does; the test watches whether it is kept."""

    device = "cpu"

    def __init__(self) -> None:
        self.returned: list[weakref.ref[Any]] = []

    def step_fn(self, i: int) -> Any:
        loss = torch.full((), float(i)) * 2  # a new tensor (and storage) each step
        self.returned.append(weakref.ref(loss))
        return loss


class _Me:
    def progress(self, step: int) -> None:
        del step


def test_profiled_steps_keep_no_step_loss_tensor() -> None:
    trainer = _Trainer()
    log = worker.LossLog(4, "cpu")
    worker._profile(trainer, 5, 3, _Me(), log)  # type: ignore[arg-type]
    gc.collect()
    assert len(trainer.returned) == 4
    assert all(ref() is None for ref in trainer.returned), "a step's own loss tensor is still held"
    assert log.tensor().tolist() == [10.0, 12.0, 14.0, 16.0]


def test_loss_log_writes_in_place_and_global_losses_reads_it() -> None:
    log = worker.LossLog(3, "cpu")
    storage = log.values.untyped_storage().data_ptr()
    for x in (1.5, 2.5, 3.5):
        log.append(torch.tensor(x, dtype=torch.bfloat16))
    assert log.values.untyped_storage().data_ptr() == storage  # one allocation, before the steps
    log.append(torch.tensor(4.0))  # past the steps allocated for: grows, keeps the order
    assert log.tensor().tolist() == [1.5, 2.5, 3.5, 4.0]

    class _OneProcess:  # a one-process run (parallel "none"): global_losses reduces nothing
        job = type("J", (), {"parallel": "none"})()
        me = type("M", (), {"world": 1})()

    assert worker.Trainer.global_losses(_OneProcess(), log) == [1.5, 2.5, 3.5, 4.0]  # type: ignore[arg-type]
