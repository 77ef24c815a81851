"""`resnet50` was ResNet-50 v1 in `simulate` (stride 2 in the first 1x1 of conv3_1/4_1/5_1: 3.86 GMAC, He et al.
2016 Table 1's 3.8e9 multiply-adds) and v1.5 in `plan infer` (stride 2 in the 3x3, as torchvision / NVIDIA
DeepLearningExamples: 4.09 GMAC, torchvision's ResNet50_Weights figure), while plan infer labelled its model 'ResNet-50,
He et al. 2016, Table 1'. Both commands now take resnet50-v1 and resnet50-v1.5, and each says which resnet50 is."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app
from accelopt.simulate.models import model_layers
from accelopt.workload.capture import capture_workload
from accelopt.workload.inference_zoo import EXAMPLES, build_example


def _macs(name: str) -> float:
    wl = capture_workload(build_example(name, 1), mode="inference")
    return float(wl.total_flops(kinds=["matmul", "conv"])) / 2


@pytest.mark.parametrize(("name", "gmac"), [("resnet50-v1", 3.86), ("resnet50-v1.5", 4.09), ("resnet50", 4.09)])
def test_plan_infer_examples_have_published_macs(name: str, gmac: float) -> None:
    assert _macs(name) == pytest.approx(gmac * 1e9, rel=0.01)


def test_simulate_takes_both_names_with_the_same_macs() -> None:
    v1 = sum(x.macs for x in model_layers("resnet50-v1", 1)[0])
    v15 = sum(x.macs for x in model_layers("resnet50-v1.5", 1)[0])
    assert v1 == pytest.approx(3.86e9, rel=0.01) and v15 == pytest.approx(4.09e9, rel=0.01)
    assert v1 == pytest.approx(_macs("resnet50-v1"), rel=0.005)
    assert v15 == pytest.approx(_macs("resnet50-v1.5"), rel=0.005)


def test_each_command_says_which_resnet50() -> None:
    assert "v1.5" in EXAMPLES["resnet50"].source and "simulate" in EXAMPLES["resnet50"].source
    # the command that simulates this model, whole: it read "resnet50-v1.5 there is this one"
    assert "this model is `simulate run -m resnet50-v1.5`" in EXAMPLES["resnet50"].source
    out = CliRunner().invoke(app, ["plan", "infer", "resnet50", "--hardware", "edge-tpu", "--batch", "1", "--json"])
    assert any("v1.5" in n for n in json.loads(out.output)["notes"]), out.output
    sim = CliRunner().invoke(app, ["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--json"]).output
    assert "plan infer" in sim and "v1.5" in sim
