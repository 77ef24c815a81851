"""A lossy variant recommended on a baseline whose held-out accuracy is chance (utopt6). A user ResNet with random
weights and labels scored 16.67% on its 24 held-out samples (10 classes); optimize recommended
prune-structured+onnx-fp32 at 3.12x, 'fastest inside the tolerance (0.5 accuracy points) ... accuracy 16.67% vs
baseline 16.67%', though the pruned model's top-1 predictions agreed with the baseline's on 12.5%; a bf16 MLP got
distill+onnx-fp32 at 35% agreement. A model whose predictions do not follow the labels keeps chance accuracy whatever
a technique does to it, so accuracy guarded nothing. Such a baseline (at most 1/classes + 2 standard errors of a
binomial proportion over the samples scored, stated in runner.CHANCE_STANDARD_ERRORS before any run) now withholds
every lossy variant, with a note and the reason naming the figures; lossless variants are recommended as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from _fake_technique import SameModel, registered
from torch import nn

from accelopt.optimize import runner
from accelopt.optimize.results import OptimizeResult, Quality, VariantResult
from accelopt.optimize.runner import CHANCE_STANDARD_ERRORS, RunOptions, accuracy_at_chance, recommend, run_optimize
from accelopt.workload.userfile import ModelBundle


def test_chance_accuracy_is_told_from_a_model_that_learned() -> None:
    assert CHANCE_STANDARD_ERRORS == 2.0
    # the ResNet's: 4 of 24 right, 10 classes: 1/10 + 2 x sqrt(0.09 / 24) = 22.25%
    said = accuracy_at_chance(4 / 24, 10, 24)
    assert said is not None and "16.67%" in said and "10 classes" in said and "22.25%" in said, said
    assert accuracy_at_chance(0.972, 10, 360) is None  # digits' held-out accuracy
    assert accuracy_at_chance(0.30, 10, 1000) is None  # well above 10% + 1.9%: it learned something
    assert accuracy_at_chance(0.11, 10, 1000) is not None
    assert accuracy_at_chance(0.5, None, 24) is None and accuracy_at_chance(0.5, 2, 0) is None
    # 4 of 4 right on 2 classes: 1/2 + 2 x sqrt(0.25 / 4) = 100%, so no accuracy can be told from chance; the
    # predictions do follow the labels here, and the text said they did not
    tiny = accuracy_at_chance(1.0, 2, 4) or ""
    assert "do not follow the labels" not in tiny and "too few" in tiny and "4 samples" in tiny, tiny
    assert "do not follow the labels" in (said or "")


def _v(name: str, speedup: float, lossy_value: float = 1 / 6, agree: float = 1.0) -> VariantResult:
    return VariantResult(name=name, techniques=name.split("+"), family="", status="measured", speedup=speedup,
                         speedup_low=speedup * 0.98, speedup_high=speedup * 1.02, step_time_p50_s=1e-3 / speedup,
                         quality=Quality(metric="accuracy", value=lossy_value, worse_by=0.0, within_tolerance=True,
                                         top1_agreement=agree))


def _result() -> OptimizeResult:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0,
                         step_time_p50_s=1e-3, quality=Quality(metric="accuracy", value=1 / 6, worse_by=0.0,
                                                               within_tolerance=True))
    return OptimizeResult(name="resnetish", mode="inference", device="cpu", dtype="fp32", batch_size=8,
                          metric="accuracy", higher_is_better=True, quality_tolerance=0.5,
                          quality_tolerance_unit="points",
                          variants=[base, _v("prune-structured+onnx-fp32", 3.12, agree=0.125), _v("onnx-fp32", 2.05)])


def test_at_chance_the_lossy_variant_is_withheld_and_named() -> None:
    assert recommend(_result()).name == "prune-structured+onnx-fp32"  # the figures alone: the trial's pick
    why = accuracy_at_chance(4 / 24, 10, 24)
    rec = recommend(_result(), at_chance=why)
    assert rec.name == "onnx-fp32", rec.reason
    assert "not recommended: prune-structured+onnx-fp32 (3.12x)" in rec.reason, rec.reason
    assert "is at chance for 10 classes" in rec.reason and "agree with the baseline's on 12.5%" in rec.reason


# ---- through run_optimize on a model with random labels, a lossy technique timed faster by a scripted clock
class _Lossy(SameModel):
    name = "test-chance-lossy"
    lossy = True


@pytest.fixture
def fake() -> Iterator[None]:
    with registered(_Lossy):
        yield


def _bundle(learned: bool) -> ModelBundle:
    torch.manual_seed(0)
    x = torch.randn(64, 8)
    model = nn.Linear(8, 4)
    # labels the model predicts (its own argmax) or random ones
    noise = torch.randint(0, 4, (64,), generator=torch.Generator().manual_seed(1))
    y = model(x).argmax(-1).detach() if learned else noise
    return ModelBundle(name="mlp", model=model, batches=lambda: iter([(x, y)]), loss_fn=nn.functional.cross_entropy,
                       batch_size=64, eval_batches=lambda: iter([(x, y)]), metric="accuracy")


def _optimize(monkeypatch: pytest.MonkeyPatch, learned: bool) -> Any:
    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        return [1e-3 if step.v.technique == "baseline" else 0.5e-3] * max(min_n, 3)  # the lossy one 2x faster

    monkeypatch.setattr(runner, "_timed_for", timed_for)
    opts = RunOptions(only=[_Lossy.name], rounds=3, warmup=0, combinations=0, profile_bounds=False,
                      progress=lambda msg: None)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res, _ = run_optimize(_bundle(learned), opts)
    finally:
        torch.set_num_threads(old)
    return res


def test_run_optimize_withholds_a_lossy_variant_on_a_chance_baseline(monkeypatch: pytest.MonkeyPatch,
                                                                    fake: None) -> None:
    res = _optimize(monkeypatch, learned=False)
    base = res.get("baseline").quality.value
    assert base is not None and base <= 0.25 + 2 * (0.25 * 0.75 / 64) ** 0.5  # random labels: chance for 4 classes
    assert res.recommendation.name == "baseline", res.recommendation.reason
    assert "is at chance for 4 classes" in res.recommendation.reason
    assert any(n.startswith("ACCURACY AT CHANCE") for n in res.notes), res.notes


def test_run_optimize_still_recommends_it_on_a_model_that_predicts_its_labels(monkeypatch: pytest.MonkeyPatch,
                                                                              fake: None) -> None:
    res = _optimize(monkeypatch, learned=True)
    assert res.get("baseline").quality.value == 1.0
    assert res.recommendation.name == _Lossy.name, res.recommendation.reason
    assert not any(n.startswith("ACCURACY AT CHANCE") for n in res.notes)
