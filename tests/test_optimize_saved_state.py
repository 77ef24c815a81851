"""What optimize saves and sizes: one state-dict size for every variant and the baseline (compress and steps each
had their own: the quantization notes' 'before' size disagreed with the baseline row by the pickled metadata), and
a saved variant loads into the user's own class, even one with a submodule called `inner` (our autocast wrapper's
attribute name: its 'inner.' prefix was stripped by name)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize import compress, steps  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _WithInner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(16, 8)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.inner(x)))


@pytest.mark.parametrize("wrap", ["none", "autocast", "compile(autocast)"])
def test_a_saved_variant_loads_into_the_users_class(wrap: str, tmp_path: Path) -> None:
    model = _WithInner()
    wrapped: nn.Module = model
    if wrap != "none":
        wrapped = steps.AutocastModule(model, "cpu", torch.bfloat16)
    if wrap.startswith("compile"):
        wrapped = torch.compile(wrapped)  # (not called: nothing is compiled, the wrapper alone is saved)
    path = steps.state_dict_saver(wrapped, "t")(tmp_path)
    fresh = _WithInner()
    fresh.load_state_dict(torch.load(path), strict=True)  # was: unexpected keys 'weight', 'bias'
    assert torch.equal(fresh.inner.weight, model.inner.weight)


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(2)]
    return ModelBundle(name="with-inner", model=_WithInner(), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=8)


def test_one_size_for_the_baseline_and_the_quantization_notes() -> None:
    pytest.importorskip("torchao")
    b = _bundle()
    assert compress.state_dict_bytes is steps.state_dict_bytes
    v = get_technique("int8-dynamic").apply(b, Target(mode="inference", device="cpu"), {})
    before = [int(m.group(1).replace(",", "")) for n in v.notes if (m := re.search(r"vs ([\d,]+) before", n))]
    assert before == [steps.state_dict_bytes(b.model)]  # the baseline row's size (runner._size)


class _Convs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 8, 8) -> (B, 4)
        return self.head(self.body(x).mean((2, 3)))


def test_a_saved_pruned_model_loads_into_the_users_class(tmp_path: Path) -> None:
    """--save of prune-structured wrote a plain state dict of the pruned widths: `YourModel().load_state_dict`
    failed with 'size mismatch'. It is written as torch-pruning's state_dict, which rebuilds the pruned layers in a
    fresh instance of the user's class; the rebuilt model gives the variant's outputs (stated: within 1e-6)."""
    tp = pytest.importorskip("torch_pruning")
    from accelopt.optimize.recipe import save
    from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult

    torch.manual_seed(0)
    data = [(torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,)))]
    bundle = ModelBundle(name="convs", model=_Convs().eval(), batches=lambda: iter(data),
                         loss_fn=nn.functional.cross_entropy, batch_size=8)
    v = get_technique("prune-structured").apply(bundle, Target(mode="inference", device="cpu"), {"finetune_steps": 0})
    rows = [VariantResult(name="baseline", techniques=[], family="baseline", status="measured"),
            VariantResult(name="prune-structured", techniques=["prune-structured"], family="pruning",
                          status="measured")]
    result = OptimizeResult(name="convs", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=rows)
    result.recommendation = Recommendation(name="prune-structured", techniques=["prune-structured"], speedup=1.5,
                                           reason="(the test's)")
    _, path = save(tmp_path, result, {"prune-structured": v}, bundle.model)
    assert path is not None
    fresh = tp.load_state_dict(_Convs().eval(), torch.load(path, weights_only=False))
    x = data[0][0]
    with torch.no_grad():
        assert (fresh(x) - v.forward(x)).abs().max() < 1e-6
    assert any("torch_pruning.load_state_dict" in n for n in result.notes)
