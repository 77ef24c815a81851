"""A model whose forward gives NaN for some inputs, from finite weights and data, in `optimize` (utopt5, 2026-12-05).

The baseline's refusal read "the baseline itself gives non-finite outputs or loss on nan's held-out batches" with
the fix "fix the model or its data before optimizing it": no batch, no sample, and no word that the weights and the
data had been checked finite (a NaN in either is named where it sits, since utopt3). It now names the batch, how
many values and which samples, and the fix says where to look.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from accelopt.errors import InputError
from accelopt.workload.userfile import ModelBundle

NAN_ROWS = [3, 17]


class _NaNForSome(nn.Module):
    """Finite weights; NaN scores for the samples whose first feature is above 100 (rows NAN_ROWS of each batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, 4) -> (B, 3)
        y = self.fc(x)
        return torch.where(x[:, :1] > 100, torch.full_like(y, float("nan")), y)


def _batches() -> Any:
    g = torch.Generator().manual_seed(0)
    for _ in range(2):
        x = torch.randn(32, 4, generator=g)
        x[NAN_ROWS, 0] = 1000.0
        yield x, torch.randint(0, 3, (32,), generator=g)


def _bundle(held_out: bool) -> ModelBundle:
    return ModelBundle(name="nanfor", model=_NaNForSome(), batches=_batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=32, eval_batches=_batches if held_out else None,
                       metric="accuracy" if held_out else "loss")


def _refusal(held_out: bool) -> InputError:
    from accelopt.optimize.runner import RunOptions, run_optimize

    with pytest.raises(InputError) as e:
        run_optimize(_bundle(held_out), RunOptions(only=["bf16"], profile_bounds=False, rounds=3))
    return e.value


def test_held_out_outputs_name_the_batch_and_samples() -> None:
    e = _refusal(held_out=True)
    assert ("held-out batch 1's output holds 6 NaN/inf of its 96 values, in 2 of its 32 samples (rows 3, 17); the "
            "model's weights and the held-out inputs are finite") in e.problem
    assert e.fix.startswith("the model's forward makes NaN/inf from finite weights and inputs for those samples")


def test_without_eval_batches_the_training_batch_is_named() -> None:
    e = _refusal(held_out=False)
    assert "first training batches: training batch 1's output holds 6 NaN/inf of its 96 values, in 2 of its 32 " \
           "samples (rows 3, 17)" in e.problem
    assert "the model's forward makes NaN/inf" in e.fix
