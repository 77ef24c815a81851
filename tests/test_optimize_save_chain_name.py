"""`optimize --save DIR` of a combined variant (distill+onnx-fp32, channels-last+onnx-fp32) wrote the model as
model-onnx-fp32.onnx: a chain's save is its last technique's, which named the file after itself, so the file said
nothing of the earlier techniques (and read as the single technique's). The saved file is now named after the whole
variant, model-channels-last+onnx-fp32.onnx, and the recipe's model_file names it; a single technique's name is
unchanged. Before the change the first test finds model-onnx-fp32.onnx."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.recipe import save  # noqa: E402
from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,)))]
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 4)).eval()
    return ModelBundle(name="convs", model=model, batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy,
                       batch_size=8)


def _recommending(name: str) -> OptimizeResult:
    rows = [VariantResult(name="baseline", techniques=[], family="baseline", status="measured"),
            VariantResult(name=name, techniques=name.split("+"), family="x", status="measured")]
    result = OptimizeResult(name="convs", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=rows)
    result.recommendation = Recommendation(name=name, techniques=name.split("+"), speedup=1.5, reason="(the test's)")
    return result


def _chain(names: list[str]) -> Any:
    """The variant a chain of techniques makes, as the runner builds it: each applied to the previous one's model,
    the last one's variant renamed after the whole chain (runner.Runner's combination step)."""
    bundle, target = _bundle(), Target(mode="inference", device="cpu")
    for name in names[:-1]:
        v = get_technique(name).apply(bundle, target, {})
        bundle = dataclasses.replace(bundle, model=v.model, meta=dict(bundle.meta))
    v = get_technique(names[-1]).apply(bundle, target, {})
    return dataclasses.replace(v, technique="+".join(names))


def test_a_saved_chain_is_named_after_the_whole_variant(tmp_path: Path) -> None:
    name = "channels-last+onnx-fp32"
    recipe, model = save(tmp_path, _recommending(name), {name: _chain(["channels-last", "onnx-fp32"])})
    assert model is not None and model.name == "model-channels-last+onnx-fp32.onnx"
    assert json.loads(recipe.read_text())["model_file"] == model.name
    assert sorted(p.name for p in tmp_path.iterdir()) == [model.name, "recipe.json"]
    import onnx

    onnx.checker.check_model(str(model))  # the export itself, moved whole


def test_a_single_technique_keeps_its_name(tmp_path: Path) -> None:
    _, model = save(tmp_path, _recommending("onnx-fp32"), {"onnx-fp32": _chain(["onnx-fp32"])})
    assert model is not None and model.name == "model-onnx-fp32.onnx"
