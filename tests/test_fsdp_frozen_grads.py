"""`profile --nproc N --parallel fsdp --catalog-device D` on a model with frozen parameters predicted 3 collectives
of all the bytes per unit: FSDP2 all-gathers every parameter, but reduce-scatters only the gradients of those that
require one and skips a unit with none (torch/distributed/fsdp/_fully_shard/_fsdp_param_group.py, post_backward:
`if len(fsdp_params_with_grad) == 0: return`). tests/dist_models.py's
frozen_backbone (a frozen 32 x 256 x 256 backbone unit under a trainable 256 x 8 head unit, the root holding
nothing) is 2 + 3 = 5 collectives a step, not 6, and its reduce-scatter carries the head's 8,224 bytes only.
Counted on torch 2.13 (gloo, 2 ranks, FSDPParamGroup.unshard and _fsdp_collectives.foreach_all_gather /
foreach_reduce wrapped): 4 all-gathers (the frozen backbone's too: its forward's, and its backward's, which the
backward prefetch issues though its output requires no gradient) and 1 reduce-scatter a step."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from test_fsdp_collectives_per_unit import _run

BACKBONE_B = 4.0 * (32 * 256 + 256 + 256 * 256 + 256)  # fp32
HEAD_B = 4.0 * (256 * 8 + 8)


def _seen(monkeypatch: pytest.MonkeyPatch, factory: str) -> dict[str, Any]:
    from accelopt.distributed import predict_check
    from accelopt.distributed import run as run_mod
    from accelopt.hardware.catalog import get_device

    seen: dict[str, Any] = {}
    real = predict_check.predict_run

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen["check"] = real(*args, **kwargs)
        return seen["check"]

    monkeypatch.setattr(predict_check, "predict_run", spy)
    monkeypatch.setattr("accelopt.workload.capture.capture_workload", lambda *a, **k: SimpleNamespace(ops=[]))
    run_mod._predict(run_mod.DistConfig(bundle_ref=f"tests/dist_models.py:{factory}", parallel="fsdp"), _run(2),
                     get_device("h100-sxm"))
    return seen


def test_frozen_backbone_is_gathered_but_never_reduce_scattered(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed.predict_check import links_for
    from accelopt.hardware.catalog import get_device

    check = _seen(monkeypatch, "frozen_backbone")["check"]
    comm = next(t for t in check.terms if t.term == "communication").predicted_s
    links, _ = links_for(get_device("h100-sxm"))
    p = 2

    def ring(b: float) -> float:  # (p - 1) alpha + (p - 1) / p n / B
        return (p - 1) * links.up_lat + (p - 1) / p * b / links.up_bw

    # backbone: all-gathered for its forward and its backward, no gradient to reduce-scatter; head: 3
    assert comm == pytest.approx(2 * ring(BACKBONE_B) + 3 * ring(HEAD_B))
    note = next(n for n in check.notes if n.startswith("FSDP communication"))
    assert note.startswith("FSDP communication: 5 collectives a step")
    assert f"all-gathered {BACKBONE_B + HEAD_B:,.0f} B twice, reduce-scattered {HEAD_B:,.0f} B" in note


def test_a_frozen_unit_in_the_middle_is_gathered_but_not_reduce_scattered() -> None:
    from torch import nn

    from accelopt.distributed.predict_check import fsdp_comm_s, fsdp_grads

    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4))
    model[1].requires_grad_(False)
    grads = fsdp_grads(model, list(model))
    assert grads.unit_grad_bytes == [80.0, 0.0, 80.0] and grads.root_grad_bytes == 0.0
    assert fsdp_comm_s(1.0, 0.0, 2, 240.0, [80.0] * 3, grads)[1] == 8  # 3 + 2 + 3


def test_a_fully_trained_model_keeps_three_collectives_a_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    check = _seen(monkeypatch, "mlp")["check"]
    note = next(n for n in check.notes if n.startswith("FSDP communication"))
    assert note.startswith("FSDP communication: 9 collectives a step") and "frozen" not in note


def test_the_note_gathers_the_roots_own_parameters_once() -> None:
    """FSDP2 gathers the root's own parameters once a step (it does not reshard the root after its forward), the
    units' twice; the note said 'all-gathered 22,000 B twice' of 20,000 B of units and a 2,000 B root (a frozen
    embedding beside a frozen and a trained unit): 2,000 B too many, counted as two collectives the term has not."""
    from accelopt.distributed.predict_check import FsdpGrads, fsdp_comm_s, fsdp_note

    units, root = [1e4, 1e4], 2e3
    grads = FsdpGrads(unit_grad_bytes=[0.0, 1e4], root_grad_bytes=0.0)  # the first unit and the root are frozen
    assert fsdp_comm_s(1.0, 0.0, 2, sum(units) + root, units, grads)[1] == 2 + 3 + 1
    note = fsdp_note(sum(units) + root, units, 2, grads)
    assert note.startswith("FSDP communication: 6 collectives a step")
    assert "all-gathered 20,000 B twice and the root's 2,000 B once, reduce-scattered 10,000 B" in note
