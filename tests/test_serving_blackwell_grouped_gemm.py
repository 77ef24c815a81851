"""srvmoe (issue #10, 2026-12-04): [serving.nvidia-blackwell] carries [serving.nvidia-hopper]'s two grouped-GEMM
efficiencies (rule declared in calibration.toml before it was run: no published Blackwell grouped-GEMM kernel table
was found, so the Hopper fit is carried under the Blackwell table's carry rule, not refitted). Before, B200 / GB200
timed an MoE model's routed experts inside the dense step efficiencies (Qwen3-30B-A3B NVFP4 on one B200, TensorRT-LLM
v1.0 perf-overview: +93% to +231%, utserve). Other families (AMD, Gaudi, TPU, Trainium, Ampere) keep none: other
hardware, no table of theirs; they still say their experts run at the dense efficiencies."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.predict import serving_moe
from accelopt.predict.serving_moe import MoELayout
from accelopt.workload.presets import get_model

FIELDS = ("grouped_gemm_compute_efficiency", "grouped_gemm_bandwidth_efficiency")
QWEN3 = get_model("qwen3-235b-a22b")
KW = {"prompt_len": 128, "output_len": 128, "weight_dtype": "fp8", "kv_dtype": "fp8"}


def test_blackwell_carries_the_hopper_grouped_gemm_values() -> None:
    tables = sv.serving_calibrations()
    carried = [getattr(tables["nvidia-blackwell"], f) for f in FIELDS]
    assert carried == [getattr(tables["nvidia-hopper"], f) for f in FIELDS] == [0.56, 0.61]


def test_the_kernel_table_has_no_blackwell_row() -> None:
    """The rule's branch (2) holds while no fit row ran on a Blackwell device (a Blackwell table would be fitted)."""
    rows, _ = serving_moe.read_grouped_gemm_table()
    assert {sv.calibration_for_spec(get_device(r.device)).family for r in rows} == {"nvidia-hopper"}


@pytest.mark.parametrize("family", ["amd-instinct-cdna3", "intel-gaudi2", "intel-gaudi3", "google-tpu-v6e",
                                    "nvidia-ampere", "nvidia-ada", "aws-neuroncore-v2", "default"])
def test_other_families_are_not_given_hoppers_values(family: str) -> None:
    assert [getattr(sv.serving_calibrations()[family], f) for f in FIELDS] == [None, None]


def _decode(device: str) -> sv.ServingPrediction:
    spec = get_device(device)
    return sv.predict_serving(QWEN3, spec, tp=1, batch=64, allow_oom=True, moe=MoELayout(ep=8, attention_dp=8),
                              calibration=sv.calibration_for_spec(spec), **KW)


def test_b200_times_the_experts_as_a_grouped_gemm_and_says_the_values_are_carried() -> None:
    p = _decode("b200")
    assert p.moe is not None and p.moe.grouped_gemm_decode_s > 0.0
    assert serving_moe.GROUPED_GEMM_UNCALIBRATED not in p.moe.assumptions
    carried = [a for a in p.moe.assumptions if "carried from [serving.nvidia-hopper]" in a]
    assert len(carried) == 1 and "NOT fitted on this family" in carried[0] and "h100-sxm" in carried[0], carried


def test_hopper_fitted_values_are_not_said_carried_and_amd_keeps_the_dense_note() -> None:
    h100 = _decode("h100-sxm")
    assert h100.moe is not None and not any("carried" in a for a in h100.moe.assumptions)
    mi300x = _decode("mi300x")
    assert mi300x.moe is not None and mi300x.moe.grouped_gemm_decode_s == 0.0
    assert serving_moe.GROUPED_GEMM_UNCALIBRATED in mi300x.moe.assumptions
    assert not any("carried" in a for a in mi300x.moe.assumptions)


def test_gb200_scales_the_carried_compute_efficiency_by_its_measured_matmul_ratio() -> None:
    """The Blackwell table's reference_device (b200) scales the grouped-GEMM compute efficiency as the other GEMM
    efficiencies (serving.device_scaled; GB200 fp8 x0.948); the bandwidth one is not scaled."""
    gb200 = get_device("gb200")
    cal = sv.device_scaled(sv.calibration_for_spec(gb200), gb200, "fp8")
    assert cal.device_scaling is not None and cal.device_scaling.gemm_ratio == pytest.approx(0.948, abs=0.0005)
    assert cal.grouped_gemm_compute_efficiency == pytest.approx(0.56 * cal.device_scaling.gemm_ratio)
    assert cal.grouped_gemm_bandwidth_efficiency == 0.61


def test_plan_serve_says_it_under_plain_tp(capsys: pytest.CaptureFixture[str]) -> None:
    run = ["plan", "serve", "--model", "mixtral-8x7b", "--tp", "2", "--batch", "8", "--json", "--hardware"]
    for device, said in (("b200", True), ("h100-sxm", False)):
        code, out, _err = run_main([*run, device], capsys)
        notes = [n for n in json.loads(out)["notes"] if "carried from [serving.nvidia-hopper]" in n]
        assert code == 0 and len(notes) == int(said), notes
        assert not said or notes[0].startswith(f"assumed: {device}: routed experts' grouped-GEMM"), notes
