"""A model that is already int8 (torch.ao's quantize_dynamic: its Linear layers become DynamicQuantizedLinear, with
packed int8 weights no nn.Linear check sees) is named as such by every compression technique that needs float
weights. Each said something untrue and pointed at another that did not apply either: int8-dynamic 'has no
nn.Linear layer ... use onnx-int8', onnx-int8 'has no Linear/MatMul layer ... use onnx-int8-static', onnx-fp32
a torch.onnx.export AttributeError about LinearPackedParamsBase, prune-structured 'every group is an output layer,
an embedding, or breaks the forward', prune-unstructured 'no Linear or Conv layer to prune'."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import torch
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.workload.userfile import ModelBundle

CPU = Target(mode="inference", device="cpu", budget_s=30)
TECHNIQUES = ["int8-dynamic", "int8-weight-only", "onnx-fp32", "onnx-int8", "prune-structured", "prune-unstructured",
              "distill"]


def _data() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    yield torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g)


def _int8_bundle() -> ModelBundle:
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates its quantized tensor constructors
        q = torch.ao.quantization.quantize_dynamic(mlp, {nn.Linear}, dtype=torch.qint8)
    return ModelBundle(name="mlp-int8", model=q, batches=_data, eval_batches=_data, batch_size=8,
                       loss_fn=nn.functional.cross_entropy, metric="accuracy")


@pytest.mark.parametrize("name", TECHNIQUES)
def test_each_compression_technique_says_the_model_is_already_quantized(name: str) -> None:
    technique = get_technique(name)
    why = technique.not_applicable(_int8_bundle(), CPU)
    assert why is not None
    assert "already quantized" in why and "0 (torch.ao.nn.quantized.dynamic.Linear)" in why, why
    assert "float model" in why  # the fix: give optimize the model before quantize_dynamic


def test_a_float_model_is_not_called_quantized() -> None:
    bundle = _int8_bundle()
    bundle.model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).eval()
    for name in ("int8-dynamic", "prune-unstructured"):
        assert get_technique(name).not_applicable(bundle, CPU) is None


def test_a_torchao_quantized_model_is_named_too() -> None:
    q = pytest.importorskip("accelopt.optimize.quantization").import_torchao()
    bundle = _int8_bundle()
    bundle.model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).eval()
    q.quantize_(bundle.model, q.Int8WeightOnlyConfig())
    why = get_technique("prune-unstructured").not_applicable(bundle, CPU)
    assert why is not None and "already quantized" in why and "0 (torch.nn.Linear, torchao" in why, why
