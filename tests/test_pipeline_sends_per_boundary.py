"""`profile --nproc 3+ --parallel pipeline --catalog-device D` predicted the stages' sends from the first stage
boundary's activations alone (2 m transfers of them, one link), though a middle stage receives its predecessor's
activations and sends its own to its successor (and the gradients of both back): each boundary carries the output
of the last layer before it (partition.py's activation_bytes), and the term is the busiest stage's traffic, a middle
stage's two links: max_s sum over its boundaries k of 2 m (latency + a_k / bandwidth)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest


def _run(acts: list[float], m: int, stage_times: list[float] | None = None) -> Any:
    from accelopt.distributed.types import CommTime, DistributedResult, LayerCost, Partition, RankResult, StageBalance

    n = len(acts)
    layers = [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=a, param_bytes=1.0) for i, a in enumerate(acts)]
    bal = StageBalance(bounds=list(range(n + 1)), stage_times_s=stage_times or [1.0] * n, stage_memory_bytes=[1.0] * n)
    part = Partition(layers=layers, stages=n, memory_limit_bytes=None, balanced=bal, naive=bal)
    ranks = [RankResult(rank=i, world_size=n, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                        comm=CommTime(comm_s=0.0, overlapped_s=0.0, compute_s=0.005, profiled_step_s=0.01),
                        peak_memory_bytes=1.0, memory_source="test", stage=i) for i in range(n)]
    return DistributedResult(name="p", parallel="pipeline", schedule="1f1b", nproc=n, nnodes=1, backend="nccl",
                             device="cuda", global_batch=2 * m, microbatches=m, partition=part, single=None,
                             ranks=ranks)


def _sends(acts: list[float], m: int, stage_times: list[float] | None = None) -> tuple[float, list[str]]:
    from accelopt.distributed.predict_check import predict_run
    from accelopt.hardware.catalog import get_device

    # no ops: compute and bubble are 0, so the 'bubble + sends' prediction is the sends alone
    check = predict_run(_run(acts, m, stage_times), SimpleNamespace(ops=[]), get_device("h100-sxm"), 1.0)
    return next(t.predicted_s for t in check.terms if t.term == "bubble + sends"), check.notes


def _link(a: float, m: int) -> float:
    from accelopt.distributed.predict_check import links_for
    from accelopt.hardware.catalog import get_device

    links, _ = links_for(get_device("h100-sxm"))
    return 2 * m * (links.up_lat + a / links.up_bw)


def test_a_middle_stage_pays_both_its_boundaries_each_with_its_own_bytes() -> None:
    # boundary 0|1 carries layer 0's 1 MB output, boundary 1|2 layer 1's 4 MB: stage 1 is on both
    sends, notes = _sends([1e6, 4e6, 2e6], m=4)
    assert sends == pytest.approx(_link(1e6, 4) + _link(4e6, 4))
    note = next(n for n in notes if n.startswith("pipeline sends"))
    assert "0|1: 1,000,000 B, 1|2: 4,000,000 B" in note and "stage 1's, the busiest by traffic" in note


def test_the_busiest_stage_is_the_one_whose_boundaries_carry_most() -> None:
    # 4 stages, boundaries of 8, 1 and 1 MB: stage 1 (8 + 1 MB) over stage 0 (8), stage 2 (1 + 1) and stage 3 (1)
    sends, _ = _sends([8e6, 1e6, 1e6, 5e5], m=2)
    assert sends == pytest.approx(_link(8e6, 2) + _link(1e6, 2))


def test_two_stages_keep_their_one_link() -> None:
    sends, notes = _sends([3e6, 5e5], m=4)
    assert sends == pytest.approx(_link(3e6, 4))
    assert any("stage 0's, the busiest by traffic (boundary 0|1; stage 1 the same)" in n for n in notes)


def test_two_stages_name_the_stage_measured_for_their_shared_boundary() -> None:
    """utleft6: with stage 1 the slowest by compute the notes read "the term is stage 0's, the busiest (boundary 0|1)"
    beside "pipeline terms measured on stage 1 (rank 1)": both stages carry the one boundary, so the sends are
    stage 1's as much as stage 0's, and the figure is unchanged."""
    sends, notes = _sends([3e6, 5e5], m=4, stage_times=[1.0, 2.0])
    assert sends == pytest.approx(_link(3e6, 4))
    text = " | ".join(notes)
    assert "stage 1's, the busiest by traffic (boundary 0|1; stage 0 the same)" in text
    assert "measured on stage 1 (rank 1)" in text and "stage 0's" not in text


def test_a_busiest_stage_other_than_the_measured_one_is_said() -> None:
    # boundaries of 8 and 1 MB: stage 1 carries both (busiest by traffic); stage 2 is the slowest by compute
    _, notes = _sends([8e6, 1e6, 5e5], m=2, stage_times=[1.0, 1.0, 3.0])
    text = " | ".join(notes)
    assert "the sends predicted are stage 1's, the busiest by traffic (boundary 0|1 + boundary 1|2)" in text
    assert "adds stage 1's sends to stage 2's bubble" in text and "measured on stage 2 (rank 2)" in text
