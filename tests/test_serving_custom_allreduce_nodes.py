"""`plan serve --tp 16` over two 8-GPU nodes: the engines' custom all-reduce kernel runs inside one node only
(vLLM's CustomAllreduce turns itself off for a group spanning nodes,
vllm/distributed/device_communicators/custom_all_reduce.py @00d618a), so across nodes the tensor-parallel
all-reduces are NCCL's ring/tree over the scale-out link. Before, the single-node custom all-reduce (a log2 tree
over all 16 ranks) was kept and printed as the assumption; a typed `--tp-allreduce custom` is now refused there."""

from __future__ import annotations

import pytest

from accelopt.cli.main import main
from accelopt.predict.serving_plan import ServeOptions, plan_serve


def _tpot_s(**kw: object) -> tuple[float, list[str]]:
    run = plan_serve(ServeOptions(model="llama3-70b", hardware="h100-sxm", batch="8", **kw))  # type: ignore[arg-type]
    return run.sweeps[0].points[0].tpot_s, run.result.notes


def test_two_nodes_time_nccl_and_say_so() -> None:
    default_s, notes = _tpot_s(tp=16)
    nccl_s, nccl_notes = _tpot_s(tp=16, tp_allreduce="nccl")
    assert default_s == pytest.approx(nccl_s, rel=1e-12)  # the engine's default gives way to NCCL's across nodes
    assert any("spans 2 scale-up domains" in n and "NCCL" in n for n in notes), notes
    assert not any("spans" in n for n in nccl_notes)  # NCCL asked for: nothing to say


def test_inside_one_node_custom_is_still_its_own_model() -> None:
    custom_s, notes = _tpot_s(tp=8)
    nccl_s, _ = _tpot_s(tp=8, tp_allreduce="nccl")
    assert custom_s != pytest.approx(nccl_s, rel=1e-6) and not any("spans" in n for n in notes)


def test_typed_custom_across_nodes_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "16", "--batch", "8",
              "--tp-allreduce", "custom"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--tp-allreduce nccl" in err and "Traceback" not in err
