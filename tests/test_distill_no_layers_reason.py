"""distill on a model that uses its Parameters directly (no nn.Linear, Conv or MultiheadAttention) says the model
has no layer to narrow, as prune-structured does (utopt3, 2026-12-05). `optimize m.py:rawparam` (x @ w1 + b1,
gelu, @ w2, * scale) listed distill with 'nothing in rawparam could be narrowed into a student (every group is an
output layer, an embedding, or breaks the forward when pruned)': there was no group at all."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from accelopt.errors import UnsupportedError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _Raw(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(16, 32) / 4)
        self.w2 = nn.Parameter(torch.randn(32, 4) / 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.gelu(x @ self.w1) @ self.w2


def test_distill_names_the_missing_layers() -> None:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g))]
    bundle = ModelBundle(name="rawparam", model=_Raw(), batches=lambda: iter(data), eval_batches=lambda: iter(data),
                         batch_size=8, loss_fn=nn.functional.cross_entropy, metric="accuracy")
    with pytest.raises(UnsupportedError) as e:
        get_technique("distill").apply(bundle, Target(mode="inference", device="cpu"), {"steps": 2})
    assert "rawparam has no Linear, Conv or MultiheadAttention layer to narrow into a student" in e.value.problem
    assert "every group" not in e.value.problem
    assert "meta['student']" in e.value.fix
