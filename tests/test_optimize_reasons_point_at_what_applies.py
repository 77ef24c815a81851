"""A not-applicable reason points only at a technique that applies to the same model on the same target.

A model with neither nn.Linear nor a convolution (its matmul takes a plain tensor attribute) was sent from
int8-dynamic to onnx-int8, from onnx-int8 to onnx-int8-static and from onnx-int8-static back to onnx-int8, each
of them not applicable; float8-dynamic and int4-weight-only offered int8-dynamic or onnx-int8 "on a CPU" on a CPU
run where both refused (utopt5's weird.py `elem`). Each now says its own reason and offers only what applies
(optimize.base.applicable_of)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accelopt.optimize.base import Target, all_techniques, get_technique

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _bundle(model: Any, name: str) -> Any:
    import torch

    from accelopt.workload.userfile import ModelBundle

    x, y = torch.randn(8, 16), torch.randint(0, 4, (8,))
    return ModelBundle(name=name, model=model, batches=lambda: iter([(x, y)]),
                       loss_fn=torch.nn.functional.cross_entropy, batch_size=8,
                       eval_batches=lambda: iter([(x, y)]))


def _elementwise() -> Any:
    import torch
    from torch import nn

    class Elementwise(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(16))
            self.proj = torch.randn(16, 4)  # a plain tensor: not a Parameter nor a layer

        def forward(self, x: Any) -> Any:
            return (x * self.scale) @ self.proj

    return Elementwise()


def _pointed_at(reason: str, known: set[str]) -> list[str]:
    """Technique names a reason offers instead: the names after 'use ' (and 'or'), or after an em dash, but not
    one it says 'does not apply either' of."""
    said: list[str] = []
    for m in re.finditer(r"(?:\buse |— )([a-z0-9-]+(?: or [a-z0-9-]+)*)(?! does not apply)", reason):
        said += [n for n in m.group(1).split(" or ") if n in known]
    return said


def _reasons(bundle: Any, target: Target) -> dict[str, str]:
    out = {}
    for name in all_techniques():
        if target.mode not in get_technique(name).modes:
            continue
        why = get_technique(name).not_applicable(bundle, target)
        if why is not None:
            out[name] = why
    return out


def test_no_reason_points_at_a_technique_that_refuses_too() -> None:
    target = Target(mode="inference", device="cpu")
    bundle = _bundle(_elementwise(), "elem")
    reasons = _reasons(bundle, target)
    assert {"int8-dynamic", "onnx-int8", "onnx-int8-static"} <= set(reasons), reasons
    for name, why in reasons.items():
        for other in _pointed_at(why, set(all_techniques())):
            assert other not in reasons, f"{name}: {why!r} points at {other}, not applicable: {reasons[other]!r}"
    assert reasons["onnx-int8"] == "elem has no Linear/MatMul layer for dynamic int8 to speed up"
    assert reasons["onnx-int8-static"] == ("elem has no convolution; static calibration pays off on convolutions")
    assert reasons["int8-dynamic"] == "elem has no nn.Linear layer, which is what torchao quantizes"


def test_a_technique_that_applies_is_still_offered() -> None:
    from torch import nn

    target = Target(mode="inference", device="cpu")
    conv = _bundle(nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 4, 3), nn.Flatten(), nn.ReLU()), "conv")
    reasons = _reasons(conv, target)
    assert reasons["onnx-int8"].endswith("— use onnx-int8-static (calibrated, for convolutions)"), reasons
    assert reasons["int8-dynamic"].endswith("— use onnx-int8-static"), reasons
    mlp = _bundle(nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)), "mlp")
    reasons = _reasons(mlp, target)
    assert reasons["onnx-int8-static"].endswith("— onnx-int8 (dynamic) covers Linear/MatMul models"), reasons
    assert reasons["float8-dynamic"].endswith("— use int8-dynamic or onnx-int8 on a CPU"), reasons
    assert reasons["sparse-2-4"].endswith("— use prune-structured for a CPU speed-up"), reasons


def test_a_gpu_below_the_capability_points_only_at_what_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    """float8-dynamic / int4-weight-only on a GPU below their compute capability offered int8-weight-only or
    int8-dynamic whatever the model: a model with no nn.Linear was sent to two techniques refusing it."""
    from torch import nn

    monkeypatch.setattr(Target, "cuda_capability", lambda self: (7, 0))  # a V100: no GPU needed to ask
    target = Target(mode="inference", device="cuda")
    conv = _bundle(nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 4, 3), nn.Flatten(), nn.ReLU()), "conv")
    for name in ("float8-dynamic", "int4-weight-only"):
        why = get_technique(name).not_applicable(conv, target) or ""
        assert why.endswith("needs compute capability " + ("8.9" if name == "float8-dynamic" else "8.0")
                            + "+; cuda has 7.0"), why
    mlp = _bundle(nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)), "mlp")
    why = get_technique("int4-weight-only").not_applicable(mlp, target) or ""
    assert why.endswith("— use int8-weight-only or int8-dynamic"), why


def test_off_cpu_and_cuda_and_on_float64_only_what_applies_is_offered() -> None:
    """On an mps target float8-dynamic / int4-weight-only offered 'int8-dynamic or onnx-int8 on a CPU' unchecked
    (a conv model: both refuse on a CPU), and a float64 model's torchao reason offered onnx-int8 on a CUDA target,
    where it refuses (ONNX Runtime's CPU execution provider). Each is now asked (applicable_of), on a CPU for the
    'on a CPU' offer."""
    from torch import nn

    mps = Target(mode="inference", device="mps")
    conv = _bundle(nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 4, 3), nn.Flatten(), nn.ReLU()), "conv")
    for name in ("float8-dynamic", "int4-weight-only"):
        why = get_technique(name).not_applicable(conv, mps) or ""
        assert why.endswith("the target is mps"), why
    mlp = _bundle(nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)), "mlp")
    why = get_technique("float8-dynamic").not_applicable(mlp, mps) or ""
    assert why.endswith("— use int8-dynamic or onnx-int8 on a CPU"), why
    m64 = _bundle(nn.Sequential(nn.Linear(16, 4)).double(), "m64")
    why = get_technique("int8-dynamic").not_applicable(m64, Target(mode="inference", device="cuda")) or ""
    assert why.endswith("return model.float() (and float32 inputs) from the factory"), why
    why = get_technique("int8-dynamic").not_applicable(m64, Target(mode="inference", device="cpu")) or ""
    assert why.endswith(", or use onnx-int8 (exported from an fp32 copy)"), why


def test_the_cycle_guard_is_this_threads_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """utcode (2026-12-05): the guard was a module-wide set (_ASKED), so another thread asking about a technique while
    this one decided it was told 'not applicable' (taken for a cycle). It is now a context variable: the other
    thread asks afresh; within one thread a cycle still counts as not applicable."""
    import threading

    from accelopt.optimize import base

    other: list[list[str]] = []

    class Asks:
        def not_applicable(self, bundle: Any, target: Any) -> str | None:
            if threading.current_thread() is threading.main_thread():
                assert base.applicable_of(["x"], bundle, target) == []  # a cycle in this thread
                t = threading.Thread(target=lambda: other.append(base.applicable_of(["x"], bundle, target)))
                t.start()
                t.join()
            return None

    monkeypatch.setattr(base, "technique_named", lambda name, where="": Asks)
    assert base.applicable_of(["x"], None, None) == ["x"]  # type: ignore[arg-type]
    assert other == [["x"]]


def _tied_lstm() -> Any:
    """An LSTM language model whose only Linear is its vocabulary head, tied to the embedding (the trial's
    tied-lstm): nothing in it is left for structured pruning."""
    import torch
    from torch import nn

    class TiedLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(50, 16)
            self.lstm = nn.LSTM(16, 16, batch_first=True)
            self.head = nn.Linear(16, 50)
            self.head.weight = self.emb.weight

        def forward(self, x: Any) -> Any:
            return self.head(self.lstm(self.emb(x))[0]).mean(dim=1)

    torch.manual_seed(0)
    return TiedLSTM()


def test_sparse_2_4_offers_prune_structured_only_where_it_prunes_something() -> None:
    """sparse-2-4's CPU reason said 'use prune-structured for a CPU speed-up' on a tied-embedding LSTM, and
    prune-structured then stopped with 'nothing in tied-lstm could be pruned structurally': the offer is made only
    where a prunable layer is not the output layer (optimize.pruning.prunes_below_output), whose look leaves the
    model in train mode as it was."""
    import torch

    from accelopt.errors import UnsupportedError
    from accelopt.workload.userfile import ModelBundle

    target = Target(mode="inference", device="cpu", budget_s=30)
    x, y = torch.randint(0, 50, (8, 6)), torch.randint(0, 50, (8,))
    model = _tied_lstm()
    bundle = ModelBundle(name="tied-lstm", model=model, batches=lambda: iter([(x, y)]),
                         loss_fn=torch.nn.functional.cross_entropy, batch_size=8, eval_batches=lambda: iter([(x, y)]))
    why = get_technique("sparse-2-4").not_applicable(bundle, target) or ""
    assert why.startswith("2:4 sparse kernels run on NVIDIA GPUs") and "prune-structured" not in why, why
    assert model.training
    assert get_technique("prune-structured").not_applicable(bundle, target) is None  # its cheap check passes ...
    with pytest.raises(UnsupportedError, match="could be pruned structurally"):  # ... and the run finds nothing
        get_technique("prune-structured").apply(bundle, target, {"finetune_steps": 0})
