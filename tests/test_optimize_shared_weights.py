"""Structured pruning and distill's derived student keep a weight shared between two hidden layers (ALBERT-style
cross-layer sharing, Lan et al. 2020, arXiv:1909.11942 sec. 3.1) one tensor.

torch-pruning ranks and cuts each layer's group on its own, so the two holders of one weight got different rows
removed and each its own new tensor: the shared layer became two layers (the model's architecture changed, and
fine-tuning moved them apart), and the parameter count after pruning counted the copy (a 96-neuron shared
up-projection pruned to 48 read 10,752 -> 7,584 parameters, 1,536 of them the untied copy). A holder of a shared
weight is now kept whole, named in the notes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.pruning import prune_structured
from accelopt.workload.userfile import ModelBundle

pytest.importorskip("torch_pruning")

CPU = Target(mode="inference", device="cpu", budget_s=30)
V, D, H = 20, 16, 32


class _SharedMLP(nn.Module):
    """Two residual MLP blocks sharing one up-projection weight (up2.weight = up1.weight), a third of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(V, D)
        self.up1, self.down1 = nn.Linear(D, H), nn.Linear(H, D)
        self.up2, self.down2 = nn.Linear(D, H), nn.Linear(H, D)
        self.up2.weight = self.up1.weight
        self.up3, self.down3 = nn.Linear(D, H), nn.Linear(H, D)
        self.head = nn.Linear(D, V)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, V) -> (B, V)
        h = self.inp(x)
        h = h + self.down1(torch.relu(self.up1(h)))
        h = h + self.down2(torch.relu(self.up2(h)))
        h = h + self.down3(torch.relu(self.up3(h)))
        return self.head(h)


def _data(seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    for _ in range(2):
        y = torch.randint(0, V, (8,), generator=g)
        yield nn.functional.one_hot(y, V).float(), y


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    return ModelBundle(name="shared-mlp", model=_SharedMLP().eval(), batches=lambda: _data(1),
                       loss_fn=lambda out, y: nn.functional.cross_entropy(out, y), batch_size=8,
                       eval_batches=lambda: _data(2), metric="accuracy")


def _params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())  # a shared tensor once


def test_prune_structured_keeps_a_shared_weight_one_tensor() -> None:
    model = _bundle().model
    x = torch.eye(V)[:4]
    prune_structured(model, (x,), 0.5)
    assert model.up2.weight is model.up1.weight
    assert model.up1.out_features == model.up2.out_features == H  # the shared layers kept whole
    assert model.up3.out_features == H // 2  # the unshared block still pruned
    assert model(x).shape == (4, V)


def test_prune_structured_variant_names_the_shared_layers_and_counts_the_tensor_once() -> None:
    bundle = _bundle()
    v = get_technique("prune-structured").apply(bundle, CPU, {"ratio": 0.5, "finetune_steps": 2})
    assert v.model.up2.weight is v.model.up1.weight  # fine-tuning trained one tensor
    assert v.params["params_after"] == _params(v.model)
    text = " ".join(v.notes)
    assert "up1.weight = up2.weight" in text, v.notes


def test_distill_student_keeps_the_shared_weight() -> None:
    from accelopt.optimize.distillation import make_student

    bundle = _bundle()
    student, _ = make_student(bundle, CPU, 0.5, 0)
    assert student.up2.weight is student.up1.weight
