"""A pipeline run of one micro-batch (`--schedule gpipe --microbatches 1`, or a prime batch's default) was titled
'gpipe schedule, 1 micro-batches' (ut4dist, 2026-12-06); the count and its noun agree now, as the partitioner's
and the launcher's own lines already wrote them."""

from __future__ import annotations

from accelopt.distributed.types import DistributedResult
from accelopt.report.distributed_view import run_table


def _title(microbatches: int) -> str:
    run = DistributedResult(name="p", parallel="pipeline", schedule="gpipe", nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=4, microbatches=microbatches, ranks=[], single=None)
    return str(run_table(run, ("rank",)).title)  # the printed title wraps to the one-column table's width


def test_one_micro_batch_is_singular() -> None:
    assert _title(1).endswith("gpipe schedule, 1 micro-batch"), _title(1)


def test_several_micro_batches_are_plural() -> None:
    assert _title(4).endswith("gpipe schedule, 4 micro-batches"), _title(4)
