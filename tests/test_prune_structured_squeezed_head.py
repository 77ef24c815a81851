"""prune-structured on a model whose 1-wide head is squeezed to (B,) (a regressor or a binary scorer): the head
was kept whole as a layer whose pruning 'broke the forward pass (e.g. q/k/v split by a fixed width)', since a (B,)
output has no width to find it by. It is the output layer, and the note now says so (ut4opt, left alone there)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.pruning import prune_structured  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class Squeezed(nn.Module):
    """(B, 20) -> (B,) scores: a 1-wide Linear head, squeezed."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(20, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU())
        self.head = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x)).squeeze(-1)


def test_the_squeezed_head_is_the_output_layer() -> None:
    torch.manual_seed(0)
    model = Squeezed().eval()
    x = (torch.randn(3, 20),)
    done = prune_structured(model, x, 0.5)
    assert done.never_pruned == ["head"] and done.broke_forward == []
    assert model(*x).shape == (3,)
    assert model.body[0].out_features == 16  # the hidden layers still pruned


def test_the_note_says_output_layer_not_a_broken_forward() -> None:
    torch.manual_seed(0)

    def batches() -> Any:
        g = torch.Generator().manual_seed(0)
        for _ in range(3):
            yield torch.randn(4, 20, generator=g), torch.randn(4, generator=g)

    bundle = ModelBundle(name="squeezed", model=Squeezed(), batches=batches,
                         loss_fn=nn.functional.mse_loss, batch_size=4, eval_batches=batches)
    v = get_technique("prune-structured").apply(bundle, Target(mode="inference", device="cpu"),
                                                {"ratio": 0.5, "finetune_steps": 0})
    note = next(n for n in v.notes if n.startswith("not pruned: "))
    assert note == "not pruned: head (Linear) (output layer / embeddings)", note
