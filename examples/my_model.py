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
and, for `accelopt optimize` to guard quality (optional, but without them a technique that ruins the
model looks as good as any other):
  - eval_batches:   a zero-argument callable returning a fresh iterator of HELD-OUT (inputs, targets),
                    never seen in training; scored after each technique;
  - metric:         "accuracy" (argmax of the scores' last dimension == targets, the scores being the
                    output, its first item if a tuple, its "logits" key if a dict; a fraction, higher is
                    better; targets are class indices 0..C-1, those equal to loss_fn's ignore_index
                    left out), "loss" (mean loss_fn over the held-out batches, lower is better), or a
                    callable metric(outputs, targets) -> float, handed the model's output as it returns
                    it (averaged over batches, weighted by batch size) together with
  - higher_is_better: True/False (required with a callable metric; implied by "accuracy" and "loss").
`accelopt optimize` compares each variant's metric with the baseline's: accuracy within
--quality-tolerance percentage points (default 0.5), any other metric within that percent of the
baseline (default 1%). Outputs that are NaN/inf are a quality failure.
Keep data generation in process (or read local files): accelopt downloads nothing.
accelopt calls the factory with torch seeded (torch.manual_seed(0)), so weights it draws unseeded are the same on every
run; call torch.manual_seed in the factory to choose others.

The labels below are random, so the accuracy is chance (~0.1) and only shows the contract (optimize says so,
ACCURACY AT CHANCE, and recommends no lossy variant on it); the built-in
examples `digits` and `chargpt` learn real data (`accelopt optimize digits`).
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

    def make(data_seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(data_seed)
        for _ in range(num_batches):
            images = torch.randn(batch_size, 3, 32, 32, generator=g)  # (B, 3, 32, 32)
            labels = torch.randint(0, 10, (batch_size,), generator=g)  # (B,)
            yield images, labels

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return make(seed)

    def eval_batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return make(seed + 1_000)  # another seed: held-out samples

    return ModelBundle(
        name="small-convnet",
        model=SmallConvNet(),
        batches=batches,
        loss_fn=nn.functional.cross_entropy,
        make_optimizer=lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        batch_size=batch_size,
        meta={"image_size": 32},
        eval_batches=eval_batches,
        metric="accuracy",  # implies higher_is_better=True
    )
