"""`simulate run/sweep -m` takes `plan infer`'s built-in examples (mobilenet-v1/v2, vgg16/19, resnet152, kws-dscnn):
one vocabulary across commands (DESIGN.md). `plan infer mobilenet-v2` ran while `simulate run -m mobilenet-v2` said
"unknown model 'mobilenet-v2' ... did you mean 'alexnet-conv'?" - the model an edge-NPU designer tries first."""
from __future__ import annotations

import json

import pytest
from conftest import run_main


def test_mobilenet_v2_runs_with_its_published_multiply_adds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "mobilenet-v2", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    # Sandler et al. 2018, Table 3: MobileNetV2 (1.0, 224x224) 300M multiply-adds
    assert doc["totals"]["macs"] == pytest.approx(300e6, rel=0.01)
    assert "mobilenet-v2" in doc["source"] and "batch 1" in doc["source"]
    depthwise = [row for row in doc["layers"] if row["n"] == 1 and row["k"] == 9]  # a 3x3 depthwise conv per channel
    assert depthwise


def test_seq_len_is_refused_and_a_misspelt_example_suggested(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "vgg16", "--seq-len", "128"], capsys)
    assert code == 2 and "--seq-len does not apply to vgg16" in err
    code, _, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "mobilenetv2"], capsys)
    assert code == 2 and "mobilenet-v2" in err
