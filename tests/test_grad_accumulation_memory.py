"""grad-accumulation's train-mode memory on a CPU left out the optimizer state: its step kept its optimizer to
itself, and the runner's counted memory (weights + gradients + optimizer state + activations saved for backward)
read the state from the step's `optimizer` attribute, so it counted 0 for it. A 20,800-parameter transformer under
AdamW read 302 KiB for grad-accumulation, less than its weights, gradients and AdamW's two moments alone
(4 x 83,200 B = 325 KiB), against the baseline's 471 KiB (seen on `accelopt optimize my.py:tied --mode train`).
Now the step carries its optimizer like every other train step."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.runner import _counted_train_memory  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g))]
    return ModelBundle(name="mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)),
                       batches=lambda: iter(data), batch_size=8, loss_fn=nn.functional.cross_entropy)


def test_the_counted_memory_holds_adamws_two_moments() -> None:
    b = _bundle()
    v = get_technique("grad-accumulation").apply(b, Target(mode="train", device="cpu"), {"micro_batches": 2})
    inputs, targets = b.first_batch()
    assert v.train_step is not None
    step = v.train_step
    memory, _ = _counted_train_memory(lambda: step(inputs, targets), v)
    params_bytes = 4 * sum(p.numel() for p in v.model.parameters())  # fp32: (16*32 + 32 + 32*4 + 4) x 4 B
    assert params_bytes == 4 * 676
    # weights + gradients + AdamW's exp_avg and exp_avg_sq (one each per parameter), before any activation
    assert memory is not None and memory >= 4 * params_bytes
