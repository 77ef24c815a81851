"""A Linear-heavy model for `accelopt optimize` on a GPU, as a user's factory file:

    accelopt optimize examples/mlp4096.py:build --device cuda --dtype bf16 \
        --only compile,int8-dynamic,float8-dynamic,int4-weight-only --quality-tolerance 5

The MLP of gpu_compress.py (4 x Linear 4096 -> 4096 with ReLU, a 16-way head; batch 256), in fp32 weights (the
baseline runs it under --dtype's autocast). Quality: top-1 agreement with the unquantized model on 8 held-out batches
of random inputs, labelled by the model itself (the baseline scores 100%), so a technique's accuracy loss is how
often it changes the model's own answer. Nothing is trained or downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from accelopt.workload.userfile import ModelBundle

DIM, BATCH, LAYERS, HEAD, EVAL_BATCHES = 4096, 256, 4, 16, 8


def _model() -> nn.Module:
    layers: list[nn.Module] = []
    for _ in range(LAYERS):
        layers += [nn.Linear(DIM, DIM), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(DIM, HEAD))


def build(batch_size: int | None = None) -> ModelBundle:
    # No seq_len parameter (and no **kwargs): an MLP has no sequence, so `--seq-len` is refused by name rather than
    # taken and ignored.
    torch.manual_seed(0)
    model = _model().eval()
    b = batch_size or BATCH
    gen = torch.Generator().manual_seed(1)
    train = [torch.randn(b, DIM, generator=gen) for _ in range(2)]
    held = [torch.randn(b, DIM, generator=gen) for _ in range(EVAL_BATCHES)]
    with torch.no_grad():
        labels = [model(x).argmax(-1) for x in train + held]  # the model's own answers: the baseline scores 100%

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iter(zip(train, labels[: len(train)], strict=True))

    def eval_batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return iter(zip(held, labels[len(train):], strict=True))

    return ModelBundle(name="mlp4096", model=model, batches=batches, eval_batches=eval_batches,
                       loss_fn=nn.functional.cross_entropy, metric="accuracy", batch_size=b)
