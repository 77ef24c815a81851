"""The fixed cost of one eager op, measured on this process: what plan's roofline charges per op (kernel_overhead_s).

A chain of OP_CHAIN_LENGTH multiplications of a one-element tensor that requires a gradient, forward then backward
(the autograd engine running each op's backward), is timed whole (median of its calls, measure.timing.time_fn);
per op = that median / the aten ops one call dispatches, counted by a TorchDispatchMode as capture.py counts a
step's ops (one per aten call). A one-element op does no work worth timing, so its time is the dispatcher's, the
autograd engine's and (on a GPU) the launch's: the part of a small model's op that does not shrink with its tensors,
which the calibration families assume (4 us, predict/data/calibration.toml). Measured by each rank of `profile
--nproc` before its steps, on its own threads (distributed/worker.py), so a CPU rank's figure is the one its ops pay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accelopt.measure.timing import time_fn

OP_CHAIN_LENGTH = 64
"""Multiplications per timed call: forward and backward dispatch about 2 x 64 + a few ops (the sum's backward,
the gradient's accumulation), so the few fixed ones are a small share of the count."""


@dataclass(frozen=True)
class OpCost:
    """One process's measured per-op cost."""

    per_op_s: float
    """Median time of one call / ops_per_call, s."""
    ops_per_call: int
    """aten ops one call of the chain dispatches (forward and backward)."""
    calls: int
    """Timed calls the median is over."""


def _counted_ops(torch: Any, fn: Callable[[], object]) -> int:
    from torch.utils._python_dispatch import TorchDispatchMode

    count = [0]

    class _Count(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            count[0] += 1
            return func(*args, **(kwargs or {}))

    with _Count():
        fn()
    return count[0]


def measure_op_cost(device: str, *, budget_s: float = 0.2) -> OpCost:
    """The per-op cost of eager ops on `device` ('cpu', 'cuda:0'), timed for about `budget_s` (module docstring)."""
    import torch

    x = torch.ones(1, device=device, requires_grad=True)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def chain() -> object:
        x.grad = None
        y = x
        for _ in range(OP_CHAIN_LENGTH):
            y = y * 1.0001
        y.backward()  # one element: backward() seeds it with ones
        return y

    n_ops = _counted_ops(torch, chain)
    stats = time_fn(chain, warmup=3, repeats=11, sync=sync, min_time_s=budget_s / 2, max_time_s=budget_s)
    return OpCost(per_op_s=stats.median / n_ops, ops_per_call=n_ops, calls=stats.n)
