"""Jetson AGX Orin's fp16/bf16 peak (catalog formula orin-fp16): 64 Tensor Cores x 1.3 GHz x 512 dense FLOP per clock
(the A100 third-generation Tensor Core rate, A100 whitepaper Table 1) = 42.6 TFLOP/s. Without it `plan infer
--dtype fp16` (the default) ran the Jetson at its 5.32 TFLOP/s CUDA-core fp32 peak, 8x below its Tensor Cores."""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device


def test_orin_fp16_is_the_tensor_core_formula() -> None:
    spec = get_device("jetson-agx-orin")
    assert spec.peak("fp16") == spec.peak("bf16") == pytest.approx(64 * 1.3e9 * 512, rel=1e-3)
    assert "A100" in (spec.source_of("peak_flop_per_s.fp16") or "")


def test_plan_infer_runs_orin_at_fp16(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from conftest import run_main

    code, out, err = run_main(["plan", "infer", "resnet50", "--hardware", "jetson-agx-orin", "--batch", "1",
                               "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["devices"][0]["precision"]["run"] == "fp16"  # it ran fp32: 'no fp16 peak'
