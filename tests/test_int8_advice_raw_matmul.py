"""A model whose matmuls use its own 2-dim parameters (`x @ self.w1`, no nn.Linear) was refused by all three CPU
int8 techniques, each pointing at another that refused it too: int8-dynamic 'use onnx-int8-static', onnx-int8 'has
no Linear/MatMul layer ... use onnx-int8-static', onnx-int8-static 'has no convolution ... onnx-int8 (dynamic)
covers Linear/MatMul models' (seen on `accelopt optimize my.py:rawparam --only int8-dynamic,onnx-int8,
onnx-int8-static`). ONNX exports those matmuls as MatMul nodes with constant weights, which quantize_dynamic
quantizes: onnx-int8 applies, and torchao's refusal names it."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu")


class _RawMatmul(nn.Module):
    """x (B, 64) -> (B, 10) through two parameters used as matrices: 64 x 128 + 128 x 10 = 9,472 weights."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(64, 128) * 0.1)
        self.w2 = nn.Parameter(torch.randn(128, 10) * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ self.w1) @ self.w2


def _bundle(model: nn.Module, shape: tuple[int, ...]) -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(4, *shape), torch.randint(0, 10, (4,))) for _ in range(2)]
    return ModelBundle(name="m", model=model.eval(), batches=lambda: iter(data), batch_size=4,
                       eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")


def test_torchao_points_a_raw_matmul_model_at_onnx_int8_which_applies() -> None:
    b = _bundle(_RawMatmul(), (64,))
    why = get_technique("int8-dynamic").not_applicable(b, CPU)
    assert why is not None and why.endswith("use onnx-int8 (ONNX Runtime quantizes MatMul, Gather and LSTM weights "
                                           "too)"), why
    assert get_technique("onnx-int8").not_applicable(b, CPU) is None


def test_onnx_int8_quantizes_the_raw_matrices() -> None:
    pytest.importorskip("onnxruntime")
    v = get_technique("onnx-int8").apply(_bundle(_RawMatmul(), (64,)), CPU, {})
    note = next(n for n in v.notes if n.startswith("int8 weights:"))
    assert note == "int8 weights: 9,472 of the graph's 9,472 weight elements (100.0%)", note  # hand-computed above


def test_a_conv_only_model_is_still_pointed_at_onnx_int8_static() -> None:
    b = _bundle(nn.Sequential(nn.Conv2d(3, 10, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()), (3, 8, 8))
    why = get_technique("int8-dynamic").not_applicable(b, CPU)
    assert why is not None and why.endswith("use onnx-int8-static"), why
    assert get_technique("onnx-int8").not_applicable(b, CPU) is not None  # no weight quantize_dynamic speeds up
