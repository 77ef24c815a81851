"""onnx-* variants: the dims that vary in the data are dynamic in the export (a held-out batch of another sequence
length failed with ONNX Runtime's raw 'Got invalid dimensions'), an input of a shape the graph does not take is a
clear error, the fallback exporter and an output the variant cannot rebuild are said in the notes (or refused), and
a chain whose first technique wraps the model in autocast is not applicable (it failed with ORT's raw
'tensor(bfloat16) ... invalid')."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.steps import AutocastModule  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

VOCAB = 7
CPU = Target(mode="inference", device="cpu")


class _Conv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean((2, 3))


@pytest.mark.parametrize("name", ["onnx-fp32", "onnx-int8-static"])
def test_a_chain_after_autocast_is_not_applicable(name: str) -> None:
    """bf16 then onnx-int8-static failed with ONNX Runtime's raw "Type 'tensor(bfloat16)' ... is invalid"."""
    model = AutocastModule(_Conv(), "cpu", torch.bfloat16)
    data = [(torch.randn(2, 3, 8, 8), torch.tensor([0, 1]))]
    b = ModelBundle(name="conv", model=model, batches=lambda: iter(data), loss_fn=F.cross_entropy, batch_size=2)
    why = get_technique(name).not_applicable(b, CPU)
    assert why is not None and "autocast bfloat16" in why and f"measure {name} on its own" in why
