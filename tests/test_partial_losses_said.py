"""A stopped `profile --nproc` run's kept losses, said as true (fix4d, 2026-12-06; ut4dist/rev2 'left alone'):
(1) a NaN or inf among them is said as a finished run refuses it (run.check_losses_finite's problem and fix);
(2) on several nodes a pipeline's losses cover the steps this node's ranks finished, not 'every rank'; (3) on several
nodes the loss of the global batch is on other nodes, said with that reason, not 'not measured (the run was stopped
before them): the losses'."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import cast

import pytest

from accelopt.distributed.run import check_losses_finite
from accelopt.distributed.types import PartialDistributedResult, PartialRank, RankResult
from accelopt.errors import MeasurementError
from accelopt.report.distributed_view import partial_lines


def _partial(parallel: str, losses: list[list[float]], *, nnodes: int = 1, node_rank: int = 0,
             done: list[int] | None = None) -> PartialDistributedResult:
    """This node's ranks (node `node_rank` of `nnodes`, len(losses) ranks a node), each having finished `done[i]`
    steps (warm-up 1 + timed), its own losses `losses[i]`."""
    n = len(losses)
    done = done or [1 + 1] * n
    ranks = [PartialRank(rank=node_rank * n + i, warmup_done=1, step_times_s=[0.01] * (done[i] - 1), losses=ls,
                         stage=node_rank * n + i if parallel == "pipeline" else None) for i, ls in enumerate(losses)]
    return PartialDistributedResult(name="m", parallel=parallel, schedule=None, nproc=n, nnodes=nnodes,
                                    node_rank=node_rank, backend="gloo", device="cpu", global_batch=8, microbatches=2,
                                    steps=5, warmup=1, profile_steps=6, ranks=ranks,
                                    missing=["the collectives trace (profiled steps)", "the losses"], interrupted=True)


def _said(p: PartialDistributedResult) -> str:
    return "\n".join(partial_lines(p))


def test_a_nonfinite_kept_loss_is_said_as_a_finished_run_says_it() -> None:
    p = _partial("ddp", [[1.0, math.nan], [3.0, 4.0]])
    finished = cast(RankResult, SimpleNamespace(losses=p.global_losses))  # the run's losses are all it reads
    with pytest.raises(MeasurementError) as e:  # the finished run with the same global losses
        check_losses_finite("m", [finished], "the 2-rank ddp run")
    said = _said(p)
    assert f"NOT FINITE: {e.value.problem}; {e.value.fix}" in said, said
    assert "is not finite (nan) from step 2 of 2 (warm-up steps included)" in said, said
    assert "NOT FINITE" not in _said(_partial("ddp", [[1.0, 2.0], [3.0, 4.0]]))  # finite: nothing said


def test_a_nonfinite_loss_of_a_ranks_own_slice_is_said_where_the_global_batchs_is_not_here() -> None:
    p = _partial("fsdp", [[1.0, 2.0], [math.inf, 4.0]], nnodes=2, node_rank=1)
    assert p.global_losses == []  # the other node's ranks hold the rest of the batch
    assert "the loss of rank 3's own slice of the 4-rank fsdp run is not finite (inf) from step 1 of 2" in _said(p)


def test_a_multinode_pipelines_losses_are_of_this_nodes_ranks_steps() -> None:
    # node 1 of 2 holds stages 2 and 3 (the last): stages 0 and 1, on node 0, may not have finished these steps
    p = _partial("pipeline", [[], [5.0, 4.0, 3.0]], nnodes=2, node_rank=1, done=[2, 3])
    said = _said(p)
    assert "first -> last of the 2 steps every rank of this node (node 1) finished; the other nodes' ranks, not " \
           "here, may not have finished them (warm-up included): 5 -> 4" in said, said
    assert "steps every rank finished" not in said
    one = _said(_partial("pipeline", [[], [5.0, 4.0, 3.0]], done=[2, 3]))  # one node: every rank is here
    assert "first -> last of the 2 steps every rank finished (warm-up included): 5 -> 4" in one, one


@pytest.mark.parametrize(("parallel", "losses", "node", "why"), [
    ("ddp", [[1.0], [2.0]], 0, "each rank's loss is of its slice of the global batch, and the ranks of the other 1 "
                               "node(s) keep theirs on their own node"),
    ("pipeline", [[], []], 0, "the loss is the last pipeline stage's (stage 3), which runs on another node"),
])
def test_losses_on_another_node_are_said_with_their_reason(parallel: str, losses: list[list[float]], node: int,
                                                            why: str) -> None:
    said = _said(_partial(parallel, losses, nnodes=2, node_rank=node))
    assert f"the loss of the global batch is not on this node (node {node}): {why}" in said, said
    assert "not measured (the run was stopped before them): the collectives trace (profiled steps)\n" in said + "\n"
    assert "the losses" not in said.split("not measured")[1], said


def test_losses_missing_on_one_node_stay_not_measured() -> None:
    p = _partial("ddp", [[1.0], []])  # a rank kept none (stopped in its first step): not measured, no other reason
    said = _said(p)
    assert p.losses_elsewhere() == "" and "not on this node" not in said
    assert "not measured (the run was stopped before them): the collectives trace (profiled steps), the losses" in said
