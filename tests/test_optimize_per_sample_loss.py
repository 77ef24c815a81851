"""A loss_fn returning one loss per sample (reduction='none', a common slip) is refused by `profile` by name
('loss_fn returned Tensor torch.Size([16]), not a scalar Tensor'); `optimize` blamed the model instead: 'model raised
ValueError scoring baseline ...: only one element tensors can be converted to Python scalars' (metric 'loss',
inference) and 'raised RuntimeError in a train step of baseline: grad can be implicitly created only for scalar
outputs' (--mode train), each with a generic fix. Now both say what profile says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.errors import InputError  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(2)]

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iter(data)

    return ModelBundle(name="persample", model=nn.Linear(8, 3), batches=batches, eval_batches=batches,
                       batch_size=16, metric="loss",
                       loss_fn=lambda out, y: nn.functional.cross_entropy(out, y, reduction="none"))


@pytest.mark.parametrize("mode", ["inference", "train"])
def test_a_per_sample_loss_is_named_as_profile_names_it(mode: str) -> None:
    opts = RunOptions(mode=mode, only=["fused-optimizer" if mode == "train" else "onnx-fp32"], rounds=3,
                      block_s=0.005, warmup=1, quality_steps=1, profile_bounds=False, progress=lambda msg: None)
    with pytest.raises(InputError, match=r"loss_fn returned Tensor torch.Size\(\[16\]\), not a scalar Tensor") as e:
        run_optimize(_bundle(), opts)
    assert "reduce with .mean()" in (e.value.fix or "")
