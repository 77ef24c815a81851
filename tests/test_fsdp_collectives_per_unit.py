"""`profile --nproc N --parallel fsdp --catalog-device D` predicted FSDP's communication as 3 collectives a step for
the whole model (3 reduce-scatter volumes of all its bytes), but accelopt's own FSDP run (distributed/worker.py
_fsdp) calls fully_shard on each of model.fsdp_units and then on the root: FSDP2 all-gathers each unit's weights for
its forward, again for its backward (it reshards a unit after its forward) and reduce-scatters its gradients, and
does not reshard the root after its forward (torch/distributed/fsdp/_fully_shard/_fsdp_state.py, _lazy_init). Each
of those collectives pays its (p - 1) ring steps of link latency, so a small model of many units was undercounted:
3 k + 2 collectives now, as plan's fsdp_collectives counts (k L + 2) per micro-batch. Counted on torch 2.13 (gloo,
2 ranks, dist.all_gather_single / reduce_scatter_single wrapped): tests/dist_models.py's mlp issues 6 all-gathers
and 3 reduce-scatters a step, its tied model 3 and 2."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest


def _run(p: int) -> Any:
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult

    rank = RankResult(rank=0, world_size=p, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.002, overlapped_s=0.0, compute_s=0.006), peak_memory_bytes=1.0,
                      memory_source="test")
    return DistributedResult(name="m", parallel="fsdp", schedule=None, nproc=p, nnodes=1, backend="nccl",
                             device="cuda", global_batch=16, microbatches=1, ranks=[rank], single=None)


def test_each_fsdp_unit_pays_its_collectives_latency() -> None:
    from accelopt.distributed.predict_check import links_for, predict_run
    from accelopt.hardware.catalog import get_device

    spec, p = get_device("h100-sxm"), 4
    units, root = [1e4] * 6, 2e3  # six 10 kB units + the root's own 2 kB (an embedding, a final norm)
    check = predict_run(_run(p), SimpleNamespace(ops=[]), spec, sum(units) + root, units)
    comm = next(t for t in check.terms if t.term == "communication").predicted_s
    links, _ = links_for(spec)
    # ring collective: (p - 1) alpha + (p - 1) / p n / B; 3 per unit, 2 for the root
    ring = [(p - 1) * links.up_lat + (p - 1) / p * b / links.up_bw for b in units]
    expected = 3 * sum(ring) + 2 * ((p - 1) * links.up_lat + (p - 1) / p * root / links.up_bw)
    assert comm == pytest.approx(expected)
    whole = 3 * ((p - 1) * links.up_lat + (p - 1) / p * (sum(units) + root) / links.up_bw)
    assert comm > 5 * whole  # latency-bound: 20 collectives, not 3
    assert any(n.startswith("FSDP communication: 20 collectives a step, each 3 ring steps") for n in check.notes)


def test_a_model_of_one_unit_has_the_roots_two_collectives() -> None:
    from accelopt.distributed.predict_check import links_for, predict_run
    from accelopt.hardware.catalog import get_device

    spec, p = get_device("h100-sxm"), 2
    check = predict_run(_run(p), SimpleNamespace(ops=[]), spec, 1e6)  # no units: the root shards everything
    comm = next(t for t in check.terms if t.term == "communication").predicted_s
    links, _ = links_for(spec)
    assert comm == pytest.approx(2 * ((p - 1) * links.up_lat + (p - 1) / p * 1e6 / links.up_bw))


@pytest.mark.parametrize(("factory", "units", "collectives"), [("mlp", 3, 9), ("tied", 1, 5)])
def test_the_run_hands_the_prediction_the_units_it_shards(factory: str, units: int, collectives: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # mlp: an nn.Sequential of 3 Linear layers, each a unit, the root holding nothing; tied: its embedding and head
    # share a weight, so both stay with the root (model.fsdp_units) and only the middle Linear is a unit
    from accelopt.distributed import predict_check
    from accelopt.distributed import run as run_mod
    from accelopt.hardware.catalog import get_device

    seen: dict[str, Any] = {}

    def spy(result: Any, workload: Any, spec: Any, param_bytes: float, unit_bytes: Any = (), grads: Any = None,
            *, local: bool = True) -> Any:
        seen.update(param_bytes=param_bytes, unit_bytes=list(unit_bytes), grads=grads)
        return None

    monkeypatch.setattr(predict_check, "predict_run", spy)
    cfg = run_mod.DistConfig(bundle_ref=f"tests/dist_models.py:{factory}", parallel="fsdp")
    run_mod._predict(cfg, _run(2), get_device("h100-sxm"))
    assert len(seen["unit_bytes"]) == units
    note = predict_check.fsdp_note(seen["param_bytes"], seen["unit_bytes"], 2, seen["grads"])
    assert note.startswith(f"FSDP communication: {collectives} collectives a step, each 1 ring step of link latency")
