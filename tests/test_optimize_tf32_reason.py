"""tf32 on a float16 model read 'the model's weights are not fp32: autocast needs fp32 master weights': tf32 is no
autocast; it changes fp32 matmuls, of which the model has none, and that is what it now says."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    data = [(torch.randn(4, 8).half(), torch.randint(0, 3, (4,)))]
    return ModelBundle(name="f16", model=nn.Linear(8, 3).half(), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=4)


def test_tf32_on_float16_weights_gives_its_own_reason() -> None:
    why = get_technique("tf32").not_applicable(_bundle(), Target(mode="inference", device="cpu"))
    assert why is not None and "autocast" not in why and "fp32 matmuls" in why, why


def test_bf16_keeps_autocasts_reason() -> None:
    why = get_technique("bf16").not_applicable(_bundle(), Target(mode="inference", device="cpu"))
    assert why is not None and "autocast needs fp32 master weights" in why
