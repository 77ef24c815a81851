"""prune-structured on a language model whose head is tied to its embedding, with no residual around the layers
between them (emb -> Linear -> Linear -> head = emb.weight).

torch-pruning 1.6.1 couples layers through the traced graph of their inputs and outputs only (a weight shared by two
modules is two nodes: torch_pruning/dependency/graph.py _trace; Group.prune cuts each module's own Parameter:
dependency/group.py). The last Linear's output group cut the head's input channels while the embedding (ignored as
a holder of the shared weight) kept its own: 'structured pruning cut the shared weight emb.weight = head.weight
differently in each of its holders', not applicable, though the hidden layer between could be pruned. The layers
feeding a holder's shared dimension are now kept whole too (optimize/pruning._feeding_shared)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.pruning import prune_structured
from accelopt.workload.userfile import ModelBundle

pytestmark = pytest.mark.usefixtures("torch_one_thread")
VOCAB, WIDTH, HIDDEN = 40, 16, 32


class _TiedNoResidual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, WIDTH)
        self.up = nn.Linear(WIDTH, HIDDEN)
        self.back = nn.Linear(HIDDEN, WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T) ids -> (B, T, VOCAB)
        return self.head(self.back(torch.relu(self.up(self.emb(x)))))


def test_the_hidden_layer_is_pruned_and_the_tie_holds() -> None:
    torch.manual_seed(0)
    model, ids = _TiedNoResidual(), torch.randint(0, VOCAB, (4, 6))
    assert prune_structured(model, (ids,), 0.5).feeding_shared == ["back"]  # named, not only kept whole
    assert model.head.weight is model.emb.weight and model.emb.weight.shape == (VOCAB, WIDTH)  # one tensor, whole
    assert model.up.out_features == HIDDEN // 2 and model.back.in_features == HIDDEN // 2  # the hidden layer cut
    assert model.back.out_features == WIDTH  # feeds the tied head: kept whole
    assert model(ids).shape == (4, 6, VOCAB)


def test_the_technique_applies_and_says_the_tie_was_kept() -> None:
    torch.manual_seed(0)

    def batches() -> Any:
        g = torch.Generator().manual_seed(0)
        for _ in range(3):
            yield (torch.randint(0, VOCAB, (4, 6), generator=g), torch.randint(0, VOCAB, (4, 6), generator=g))

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(out.reshape(-1, VOCAB), y.reshape(-1))

    bundle = ModelBundle(name="tied-flat", model=_TiedNoResidual(), batches=batches, loss_fn=loss, batch_size=4,
                         eval_batches=batches)
    target = Target(mode="inference", device="cpu")
    assert get_technique("prune-structured").not_applicable(bundle, target) is None
    v = get_technique("prune-structured").apply(bundle, target, {"ratio": 0.5, "finetune_steps": 0})
    assert v.model.head.weight is v.model.emb.weight
    assert any("shared weight kept one tensor: emb.weight = head.weight" in n for n in v.notes), v.notes
    assert any(n.startswith("not pruned: ") and "; back kept whole: feeding a shared weight" in n
               for n in v.notes), v.notes


class _ScaleNorm(nn.Module):
    """An RMS norm whose weight is a bare Parameter used as `self.weight * x` (T5LayerNorm's form): torch-pruning has
    no pruner for it and traces the Parameter as a node of its own."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


class _TiedBareNormParam(_TiedNoResidual):
    """T5's form: a residual stream from the tied embedding to the tied head, a bare-weight norm before each block
    and before the head (two or more such Parameters in the tie's group)."""

    def __init__(self) -> None:
        super().__init__()
        self.norm, self.final_norm = _ScaleNorm(WIDTH), _ScaleNorm(WIDTH)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T) ids -> (B, T, VOCAB)
        h = self.emb(x)
        h = h + self.back(torch.relu(self.up(self.norm(h))))
        return self.head(self.final_norm(h))


def test_a_bare_parameter_in_the_tied_stream_is_not_compared_as_a_layer() -> None:
    """s32 utopt's trial: a T5 (shared embedding tied to lm_head, T5LayerNorm's bare weight in the stream feeding it)
    failed prune-structured and distill with 'RuntimeError: Boolean value of Tensor with more than one value is
    ambiguous': _feeding_shared listed the layers feeding the tie with `m not in found`, and torch-pruning's node
    there was the norm's Parameter, compared element by element."""
    torch.manual_seed(0)
    model, ids = _TiedBareNormParam(), torch.randint(0, VOCAB, (4, 6))
    prune_structured(model, (ids,), 0.5)
    assert model.head.weight is model.emb.weight and model.emb.weight.shape == (VOCAB, WIDTH)
    assert model.up.out_features == HIDDEN // 2
    assert model(ids).shape == (4, 6, VOCAB)
