"""utleft6: profile --nproc's compute prediction divided the whole captured step by the ranks, its per-op overhead
(kernel_overhead_s for every captured op) included. A rank runs every op of the step on its 1/N of the batch, so that
part is paid in full on each rank: for utdist's 16-32-32-4 MLP (111 captured ops, 4 us each on a probed CPU, 444 us
of the 502 us step) the term read 251 us a rank against 521 us measured (-52%). Only the FLOP / byte part is split."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from conftest import dist_tiny_ops

from accelopt.distributed.predict_check import predict_run
from accelopt.distributed.types import (
    CommTime,
    DistributedResult,
    LayerCost,
    Partition,
    RankResult,
    StageBalance,
)
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for

SPEC = get_device("h100-sxm")
K = calibration_for(SPEC).kernel_overhead_s
TINY = dist_tiny_ops()


def _rank(i: int, stage: int | None = None) -> RankResult:
    return RankResult(rank=i, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.0, overlapped_s=0.0, compute_s=0.005, profiled_step_s=0.01),
                      peak_memory_bytes=1.0, memory_source="test", stage=stage)


def _compute(run: DistributedResult) -> float:
    check = predict_run(run, SimpleNamespace(ops=TINY), SPEC, 1.0)
    return next(t.predicted_s for t in check.terms if t.term == "compute")


def test_each_data_parallel_rank_pays_every_ops_overhead() -> None:
    for parallel in ("ddp", "fsdp"):
        run = DistributedResult(name="m", parallel=parallel, schedule=None, nproc=2, nnodes=1, backend="nccl",
                                device="cuda", global_batch=4, microbatches=1, ranks=[_rank(0), _rank(1)],
                                single=None)
        assert _compute(run) == pytest.approx(100 * K, rel=1e-3)  # was 50 x K


def _pipeline(m: int) -> Any:
    layers = [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=8.0, param_bytes=1.0) for i in range(2)]
    bal = StageBalance(bounds=[0, 1, 2], stage_times_s=[1.0, 1.0], stage_memory_bytes=[1.0, 1.0])
    part = Partition(layers=layers, stages=2, memory_limit_bytes=None, balanced=bal, naive=bal)
    return DistributedResult(name="p", parallel="pipeline", schedule="1f1b", nproc=2, nnodes=1, backend="nccl",
                             device="cuda", global_batch=2 * m, microbatches=m, partition=part, single=None,
                             ranks=[_rank(0, 0), _rank(1, 1)])


def test_a_stage_pays_its_ops_overhead_each_micro_batch_and_its_optimizers_once() -> None:
    # half the ops on the slowest stage: 4 micro-batches x 30 forward + backward ops, + 20 optimizer ops once
    assert _compute(_pipeline(4)) == pytest.approx((4 * 30 + 20) * K, rel=1e-3)  # was (100 / 2) x K
