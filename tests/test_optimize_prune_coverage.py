"""prune-unstructured on a model whose weights sit mostly outside Linear/Conv layers (a GRU classifier: the GRU and
the embedding hold ~97% of the parameters) printed "requested sparsity 50.0%, reached 50.0%" as if half the model
were zeros, when 1.2% of its parameters were. The note now says what share of the model's parameters the pruned
weights are and which layer types were left whole."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _GruNet(nn.Module):
    """ids (B, 12) -> (B, 5): Embedding(50, 16) 800, GRU(16, 32) 4,800, Linear(32, 5) 165 parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.rnn = nn.GRU(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(ids))  # (B, 12, 32)
        return self.fc(out[:, -1])


def test_the_note_says_how_much_of_the_model_was_pruned() -> None:
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    v = get_technique("prune-unstructured").apply(b, Target(mode="inference", device="cpu"),
                                                  {"finetune_steps": 0})
    total = sum(p.numel() for p in b.model.parameters())
    assert total == 800 + 4800 + 165
    # fc.weight: 160 weights, 80 zeroed = 1.4% of the model's 5,765 parameters (hand-computed, stated before)
    note = next(n for n in v.notes if n.startswith("global L1 magnitude pruning"))
    assert "160 of the model's 5,765 parameters (2.8%)" in note, note
    assert "80 zeros = 1.4% of the model" in note, note
    assert "GRU" in note and "Embedding" in note, note  # the layers left whole, by type
