"""Distillation on the digits task: the distilled student beats the same student trained on labels alone.

Setting (Hinton et al. 2015, arXiv:1503.02531, sec. 5 "soft targets as regularizers": soft targets carry most of
their benefit when the student sees few labelled examples): the teacher (MLP, 128 hidden, trained on all 1,347
training images) teaches a half-width student (derived generically: torch-pruning at 50%, re-initialized) from a
128-image transfer set, 200 steps of batch 32, AdamW lr 3e-3, T = 4, alpha = 0.9. Both students: same init,
batches, steps and optimizer.

Criterion, stated before measuring: averaged over 2 seeds, the distilled student's held-out accuracy (450 images)
is at least 1 point above the label-only student's."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from digits_bundle import digits_bundle, digits_data, in_order, shuffled
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.distillation import kd_loss
from accelopt.workload.userfile import ModelBundle

pytest.importorskip("torch_pruning")

CPU = Target(mode="inference", device="cpu", budget_s=60)


pytestmark = pytest.mark.usefixtures("torch_one_thread")  # conftest: these models are tiny


def _transfer_bundle(n_images: int = 128, **meta: Any) -> ModelBundle:
    teacher = digits_bundle("mlp")
    x_tr, y_tr, x_te, y_te = digits_data()
    x, y = x_tr[:n_images], y_tr[:n_images]
    return ModelBundle(name="digits-transfer", model=teacher.model, batches=lambda: shuffled(x, y, 32, 1),
                       eval_batches=lambda: in_order(x_te, y_te, 150), loss_fn=F.cross_entropy, metric="accuracy",
                       make_optimizer=lambda p: torch.optim.Adam(p, lr=3e-3), batch_size=32, meta=dict(meta))


def test_distillation_beats_label_only_training_of_the_same_student() -> None:
    bundle = _transfer_bundle()
    tech = get_technique("distill")
    assert tech.not_applicable(bundle, CPU) is None
    kd, lab = [], []
    for seed in (0, 1):
        v = tech.apply(bundle, CPU, {"steps": 200, "seed": seed, "width": 0.5, "lr": 3e-3})
        assert v.params["steps"] == 200
        kd.append(v.params["distilled_quality"])
        lab.append(v.params["label_only_quality"])
    assert sum(kd) / 2 >= sum(lab) / 2 + 0.01, (kd, lab)
    assert v.params["student_params"] < 0.5 * v.params["teacher_params"]
    assert v.params["student_forward_flops"] < 0.5 * v.params["teacher_forward_flops"]
    assert [m.out_features for m in v.model.modules() if isinstance(m, nn.Linear)] == [64, 64, 10]


def test_kd_loss_is_hintons() -> None:
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(6, 10, generator=g), torch.randn(6, 10, generator=g)
    hard = torch.tensor(1.7)
    assert kd_loss(s, t, hard, 4.0, 0.0) == pytest.approx(1.7)
    assert float(kd_loss(t, t, hard, 4.0, 1.0)) == pytest.approx(0.0, abs=1e-6)
    p_t, log_p_s = (t / 2).softmax(-1), (s / 2).log_softmax(-1)
    by_hand = (p_t * (p_t.log() - log_p_s)).sum(-1).mean() * 2 ** 2  # KL(p_t || p_s) T^2, batch mean
    assert float(kd_loss(s, t, hard, 2.0, 0.5)) == pytest.approx(float(0.5 * by_hand + 0.5 * 1.7), rel=1e-5)


def test_a_student_factory_in_meta_is_used() -> None:
    bundle = _transfer_bundle(student=lambda: nn.Linear(64, 10))  # depth-reduced: one layer
    v = get_technique("distill").apply(bundle, CPU, {"steps": 20})
    assert isinstance(v.model, nn.Linear) and v.params["student_params"] == 650
    assert "meta['student']" in v.notes[0] and "AdamW lr 0.001" in v.notes[-1]


def test_without_eval_batches_it_says_why() -> None:
    b = _transfer_bundle()
    b.eval_batches = None
    assert "eval_batches" in (get_technique("distill").not_applicable(b, CPU) or "")


def _fp16_bundle(**meta: Any) -> ModelBundle:
    x_tr, y_tr, x_te, y_te = digits_data()
    x, xt = x_tr[:128].half(), x_te.half()
    teacher = digits_bundle("mlp").model.half()
    return ModelBundle(name="digits-fp16", model=teacher, batches=lambda: shuffled(x, y_tr[:128], 32, 1),
                       eval_batches=lambda: in_order(xt, y_te, 150), loss_fn=F.cross_entropy, metric="accuracy",
                       batch_size=32, meta=dict(meta))


def test_an_fp32_student_factory_of_a_float16_model_takes_its_batches() -> None:
    """meta['student'] returning an fp32 module for a float16 model failed: 'mat1 and mat2 must have the same
    dtype, but got Half and Float' (the batches are float16)."""
    v = get_technique("distill").apply(_fp16_bundle(student=lambda: nn.Linear(64, 10)), CPU, {"steps": 50})
    assert v.model.weight.dtype == torch.float16 and v.params["distilled_quality"] > 0.3


def test_a_float16_teacher_trains_its_students_in_fp32_and_says_so() -> None:
    """AdamW in float16 (eps 1e-8 rounds to 0) turned the student's weights NaN within the 300 default steps, and
    evaluate() counted NaN scores' argmax as hits (the NaN student read 28% on a 4-class task)."""
    bundle = _fp16_bundle()
    v = get_technique("distill").apply(bundle, CPU, {"steps": 100, "lr": 3e-3})
    assert all(p.dtype == torch.float16 for p in v.model.parameters())  # cast back: the variant runs as given
    assert all(bool(p.isfinite().all()) for p in v.model.parameters())
    assert v.params["distilled_quality"] > 0.5 and v.params["label_only_quality"] > 0.5  # 10 classes: chance 0.1
    assert any("both students trained in fp32" in n and "float16" in n for n in v.notes)


def test_evaluate_reads_nan_outputs_as_non_finite() -> None:
    from accelopt.optimize.compress import evaluate, quality_text

    bundle = _transfer_bundle()
    nan_model = nn.Sequential(nn.Linear(64, 10), nn.Dropout(0.0))
    with torch.no_grad():
        nan_model[0].weight.fill_(float("nan"))
    q = evaluate(nan_model, bundle, "cpu")
    assert q is not None and q != q  # NaN, not argmax-of-NaN "hits"
    assert quality_text(q, "accuracy").startswith("NON-FINITE")
