"""utdist (2026-12-06): profile --nproc's prediction charged every op the calibration's assumed kernel_overhead_s
(4 us) and timed a pipeline's sends at the link's assumed (plan's 2.4 us default) or all-reduce-derived step latency,
though the run itself can measure both on its ranks. Each rank now measures its per-op cost (measure/op_cost.py) and
a pipeline rank its send/recv latency to the next rank (worker.p2p_latency_s) before its steps; the prediction uses
them where the spec is of the kind the run ran on, and says which figure was measured and which assumed."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import dist_tiny_ops

from accelopt.distributed.predict_check import P2P, PER_OP, predict_run
from accelopt.distributed.types import (
    CommTime,
    DistributedResult,
    LayerCost,
    Partition,
    RankResult,
    StageBalance,
)
from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for
from accelopt.report.schema import dump, load

SPEC = get_device("h100-sxm")
K = calibration_for(SPEC).kernel_overhead_s
TINY = dist_tiny_ops()
ACT = 8.0


def _rank(i: int, op_s: float | None, p2p_s: float | None, stage: int | None = None) -> RankResult:
    return RankResult(rank=i, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.0, overlapped_s=0.0, compute_s=0.005, profiled_step_s=0.01),
                      peak_memory_bytes=1.0, memory_source="test", stage=stage, op_overhead_s=op_s,
                      op_overhead_ops=130 if op_s else None, p2p_latency_s=p2p_s)


def _ddp(op_s: float | None, device: str = "cuda") -> DistributedResult:
    return DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="nccl",
                             device=device, global_batch=4, microbatches=1, ranks=[_rank(0, op_s, None),
                                                                                   _rank(1, op_s, None)], single=None)


def _pipeline(op_s: float | None, p2p_s: float | None) -> DistributedResult:
    layers = [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=ACT, param_bytes=1.0) for i in range(2)]
    bal = StageBalance(bounds=[0, 1, 2], stage_times_s=[1.0, 1.0], stage_memory_bytes=[1.0, 1.0])
    part = Partition(layers=layers, stages=2, memory_limit_bytes=None, balanced=bal, naive=bal)
    return DistributedResult(name="p", parallel="pipeline", schedule="1f1b", nproc=2, nnodes=1, backend="nccl",
                             device="cuda", global_batch=2, microbatches=1, partition=part, single=None,
                             ranks=[_rank(0, op_s, p2p_s, 0), _rank(1, op_s, None, 1)])


def _check(run: DistributedResult) -> object:
    return predict_run(run, SimpleNamespace(ops=TINY), SPEC, 1.0)


def _term(check: object, name: str) -> float:
    return next(t.predicted_s for t in check.terms if t.term == name)  # type: ignore[attr-defined]


def _input(check: object, name: str) -> object:
    return next(i for i in check.inputs if i.name == name)  # type: ignore[attr-defined]


def test_the_ranks_measured_per_op_cost_replaces_the_assumed_one() -> None:
    measured = 10 * K
    check = _check(_ddp(measured))
    assert _term(check, "compute") == pytest.approx(100 * measured, rel=1e-3)  # was 100 x K, the assumption
    per_op = _input(check, PER_OP)
    assert per_op.measured and per_op.value_s == measured  # type: ignore[attr-defined]


def test_without_a_measured_cost_the_assumption_is_said() -> None:
    check = _check(_ddp(None))
    assert _term(check, "compute") == pytest.approx(100 * K, rel=1e-3)
    per_op = _input(check, PER_OP)
    assert not per_op.measured and "kernel_overhead_s" in per_op.source  # type: ignore[attr-defined]


def test_a_what_if_device_keeps_its_own_per_op_cost() -> None:
    # ranks on a CPU say nothing of an H100's launch gap
    check = _check(_ddp(10 * K, device="cpu"))
    per_op = _input(check, PER_OP)
    assert not per_op.measured and "this machine's" in per_op.source  # type: ignore[attr-defined]
    assert _term(check, "compute") == pytest.approx(100 * K, rel=1e-3)


def test_the_pipeline_sends_pay_the_measured_p2p_latency() -> None:
    lat = 1e-3  # far above any link default, so the term tells which latency it used
    check = _check(_pipeline(K, lat))
    links = comm.Links.of(SPEC, calibration_for(SPEC))
    sends = 2 * 1 * float(comm.p2p_s(np.asarray([ACT]), np.asarray([links.up_bw]),
                                     np.asarray([lat]))[0])
    no_p2p = _check(_pipeline(K, None))
    assumed = 2 * 1 * float(comm.p2p_s(np.asarray([ACT]), np.asarray([links.up_bw]),
                                       np.asarray([links.up_lat]))[0])
    gap = _term(check, "bubble + sends") - _term(no_p2p, "bubble + sends")
    assert gap == pytest.approx(sends - assumed, rel=1e-6)
    assert _input(check, P2P).measured and not _input(no_p2p, P2P).measured  # type: ignore[attr-defined]


def test_the_inputs_survive_the_json_document() -> None:
    run = _pipeline(K, 1e-4)
    run = dataclasses.replace(run, prediction=_check(run))
    back = load("profile-distributed", dump("profile-distributed", run))
    assert back.ranks[0].p2p_latency_s == 1e-4 and back.ranks[0].op_overhead_s == K
    assert [i.measured for i in back.prediction.inputs] == [True, True]


def test_the_console_says_which_figure_was_measured_and_which_assumed() -> None:
    from accelopt.report.distributed_view import inputs_lines

    lines = inputs_lines(_check(_pipeline(None, 1e-4)))  # type: ignore[arg-type]
    assert lines[0].startswith("measured: p2p latency 100 µs")
    assert lines[1].startswith("assumed: per-op cost 4 µs")


def test_op_cost_is_measured_per_dispatched_op() -> None:
    from accelopt.measure.op_cost import OP_CHAIN_LENGTH, measure_op_cost

    got = measure_op_cost("cpu", budget_s=0.02)
    assert got.ops_per_call >= 2 * OP_CHAIN_LENGTH  # forward and backward multiplications, counted
    assert 1e-8 < got.per_op_s < 1e-3


def test_the_page_says_it_too() -> None:
    from accelopt.report.distributed_view import html_tables

    run = _pipeline(K, 1e-4)
    run = dataclasses.replace(run, prediction=_check(run))
    (table,) = [t for t in html_tables(run) if "prediction" in t.title]
    assert "measured: per-op cost" in table.note and "p2p latency 100 µs" in table.note


def test_another_device_of_the_same_kind_keeps_its_own_figures() -> None:
    """rvC (s33): a run on one GPU predicted for another (`--catalog-device h100-sxm` on an A100) charged the A100
    ranks' per-op cost and p2p latency to the H100, though the README says a what-if device keeps its own: only a spec
    of the device the run ran on (detected, or `--probed`) takes the ranks' figures."""
    run = _pipeline(10 * K, 1e-3)
    here = predict_run(run, SimpleNamespace(ops=TINY), SPEC, 1.0, local=True)
    other = predict_run(run, SimpleNamespace(ops=TINY), SPEC, 1.0, local=False)
    assert _input(here, PER_OP).measured and _input(here, P2P).measured  # type: ignore[attr-defined]
    for name in (PER_OP, P2P):
        got = _input(other, name)
        assert not got.measured and "not h100-sxm's" in got.source  # type: ignore[attr-defined]
    assert _input(other, PER_OP).value_s == K  # type: ignore[attr-defined]


def test_the_spec_of_the_device_the_run_ran_on_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import run as dist_run
    from accelopt.hardware import detect

    found = SimpleNamespace(catalog_name="h100-sxm")
    monkeypatch.setattr(detect, "find_device", lambda device: found)
    assert dist_run.spec_is_local(SPEC, "cuda")
    found.catalog_name = "a100-sxm-80gb"
    assert not dist_run.spec_is_local(SPEC, "cuda")
    assert dist_run.spec_is_local(dataclasses.replace(SPEC, measured=True), "cuda")  # --probed: this machine's
    found.catalog_name = None
    assert not dist_run.spec_is_local(SPEC, "cuda")
