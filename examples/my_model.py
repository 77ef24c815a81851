"""A copyable example of the accelopt user-model contract.

Copy this file, replace the model, data and loss with yours, and point accelopt at the factory:

    accelopt profile examples/my_model.py:build

or from Python:

    from accelopt.workload.userfile import load_user_factory
    from accelopt.workload.capture import capture_workload
    bundle = load_user_factory("examples/my_model.py:build", batch_size=32)
    workload = capture_workload(bundle)

The contract: a function (any name; keyword arguments are passed through from
`load_user_factory(spec, **kwargs)`) returning an `accelopt.workload.userfile.ModelBundle` with
  - name:           a short label for reports;
  - model:          your torch.nn.Module;
  - batches:        a zero-argument callable returning a fresh iterator of (inputs, targets);
                    inputs is a Tensor or a tuple of Tensors, called as model(*inputs);
  - loss_fn:        loss_fn(model_output, targets) -> scalar Tensor;
  - make_optimizer: params -> torch.optim.Optimizer (optional; default AdamW(lr=1e-4));
  - batch_size:     samples per batch;
  - meta:           optional facts, e.g. {"seq_len": ..., "tokens_per_batch": ...}.
Keep data generation in process (or read local files): accelopt downloads nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from accelopt.workload.userfile import ModelBundle


class SmallConvNet(nn.Module):
    """Two conv layers and a classifier for 32x32 RGB images (CIFAR-sized)."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 16, 16)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 8, 8)
        )
        self.classifier = nn.Linear(64 * 8 * 8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


def build(batch_size: int = 16, num_batches: int = 4, seed: int = 0) -> ModelBundle:
    """The factory accelopt calls. Synthetic images and labels, seeded, generated in process."""

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(seed)
        for _ in range(num_batches):
            images = torch.randn(batch_size, 3, 32, 32, generator=g)  # (B, 3, 32, 32)
            labels = torch.randint(0, 10, (batch_size,), generator=g)  # (B,)
            yield images, labels

    return ModelBundle(
        name="small-convnet",
        model=SmallConvNet(),
        batches=batches,
        loss_fn=nn.functional.cross_entropy,
        make_optimizer=lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        batch_size=batch_size,
        meta={"image_size": 32},
    )
