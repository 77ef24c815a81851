"""`[serving.*]` tables scaled from their reference device to a sibling (serving.device_scaled), as training's
families are (tests/test_device_scaling.py): the compute efficiencies times the measured-matmul ratio."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main, run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.workload.presets import get_model

LLAMA70 = get_model("llama3-70b")


def _fraction(device: str, dtype: str) -> float:
    spec = get_device(device)
    return spec.measured_matmul_flop_per_s[dtype] / spec.peak_flop_per_s[dtype]


def _predict(device: str, weight_dtype: str = "fp8", **kw: object) -> serving.ServingPrediction:
    return serving.predict_serving(LLAMA70, get_device(device), tp=kw.pop("tp", 1), batch=1,  # type: ignore[arg-type]
                                   prompt_len=kw.pop("prompt_len", 4096), output_len=16,  # type: ignore[arg-type]
                                   weight_dtype=weight_dtype, kv_dtype="fp8", **kw)  # type: ignore[arg-type]


def test_h200_fp8_gemms_scaled_by_the_measured_fp8_ratio_over_h100() -> None:
    hopper = serving.serving_calibrations()["nvidia-hopper"]
    p = _predict("h200")
    want = _fraction("h200", "fp8") / _fraction("h100-sxm", "fp8")
    assert p.calibration.device_scaling is not None
    assert p.calibration.device_scaling.gemm_ratio == pytest.approx(want)
    assert p.calibration.device_scaling.gemm_ratio_dtype == "fp8"
    assert p.calibration.prefill_compute_efficiency == pytest.approx(hopper.prefill_compute_efficiency * want)
    assert p.calibration.decode_compute_efficiency == pytest.approx(hopper.decode_compute_efficiency * want)
    attn = _fraction("h200", "bf16") / _fraction("h100-sxm", "bf16")
    assert p.calibration.attention_compute_efficiency == pytest.approx(hopper.attention_compute_efficiency * attn)
    # memory bandwidth and overheads are not scaled
    assert p.calibration.decode_bandwidth_efficiency == hopper.decode_bandwidth_efficiency
    assert p.calibration.per_step_overhead_s == hopper.per_step_overhead_s


def test_the_reference_device_itself_is_not_scaled() -> None:
    p = _predict("h100-sxm", tp=2)
    assert p.calibration.device_scaling is None
    assert p.calibration.prefill_compute_efficiency == serving.serving_calibrations()["nvidia-hopper"] \
        .prefill_compute_efficiency


def test_gb200_fp4_gemms_take_the_fp8_ratio_and_say_so() -> None:
    p = _predict("gb200", weight_dtype="nvfp4")
    s = p.calibration.device_scaling
    assert s is not None and s.gemm_ratio_dtype == "fp8"
    assert s.gemm_ratio == pytest.approx(_fraction("gb200", "fp8") / _fraction("b200", "fp8"))
    assert "the fp8 ratio: no fp4 measurement of both" in s.note


def test_a_sibling_without_a_measurement_keeps_the_table_and_says_so() -> None:
    p = _predict("h100-pcie", tp=2)
    s = p.calibration.device_scaling
    assert s is not None and s.gemm_ratio is None and "not scaled to h100-pcie" in s.note
    assert p.calibration.prefill_compute_efficiency == serving.serving_calibrations()["nvidia-hopper"] \
        .prefill_compute_efficiency


def test_compute_bound_prefill_slows_by_the_ratio_on_gb200() -> None:
    """A long prompt at batch 1 is compute-bound: TTFT grows by about 1/ratio against the unscaled table (the
    attention share takes the 16-bit ratio, so 2% either side of the GEMM ratio's 1/r)."""
    spec = get_device("gb200")
    table = serving.serving_calibrations()["nvidia-blackwell"]
    scaled = _predict("gb200", prompt_len=16384, calibration=table)
    plain = _predict("gb200", prompt_len=16384, calibration=replace(table, reference_device=""))
    assert scaled.prefill.bound == "compute"
    r = _fraction("gb200", "fp8") / _fraction("b200", "fp8")
    assert r < 1 and spec.name == "gb200"
    assert scaled.prefill.compute_s / plain.prefill.compute_s == pytest.approx(1 / r, rel=0.02)


def test_plan_serve_prints_the_scaling_and_json_carries_it(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "serve", "-m", "llama3-8b", "--hardware", "h200", "--weight-dtype", "fp8", "--batch", "4"]
    out, _ = run_main_expect(capsys, *args)
    assert "scaled to h200: GEMM efficiencies x1.036" in " ".join(out.split())
    out, _ = run_main_expect(capsys, *args, "--json")
    scaling = json.loads(out)["results"][0]["points"][0]["calibration"]["device_scaling"]
    assert scaling["reference_device"] == "h100-sxm"
    assert scaling["gemm_ratio"] == pytest.approx(_fraction("h200", "fp8") / _fraction("h100-sxm", "fp8"))


@pytest.mark.parametrize(("value", "said"), [('"h100-sxmm"', "reference_device 'h100-sxmm' is not a device"),
                                             ("3", "reference_device = 3 is not text")])
def test_a_bad_reference_device_in_a_user_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       value: str, said: str) -> None:
    f = tmp_path / "cal.toml"
    f.write_text(f'[serving.mine]\nmatch = ["h200"]\nreference_device = {value}\nfitted_on = []\n')
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "h200", "--batch", "1",
                               "--calibration", str(f)], capsys)
    assert code == 2, out + err
    assert said in " ".join(err.split())


def test_a_scaled_calibration_passed_back_in_is_not_scaled_twice() -> None:
    p = _predict("h200")
    again = _predict("h200", calibration=p.calibration)
    assert again.calibration.prefill_compute_efficiency == p.calibration.prefill_compute_efficiency
    assert again.ttft_s == p.ttft_s


def test_the_reference_named_by_an_alias_is_not_scaled_against_itself(tmp_path: Path) -> None:
    alias = next(a for a in get_device("h100-sxm").aliases if a != "h100-sxm")
    f = tmp_path / "cal.toml"
    f.write_text(f'[serving.mine]\nmatch = ["h100*"]\nreference_device = "{alias}"\nfitted_on = []\n')
    cal = serving.serving_calibrations(str(f))["mine"]
    p = _predict("h100-sxm", tp=2, calibration=cal)
    assert p.calibration.device_scaling is None


def test_a_reference_the_table_does_not_match_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An MI300X named as the reference of a table for H200s would rescale it by an unrelated ratio (x1.57)."""
    f = tmp_path / "cal.toml"
    f.write_text('[serving.mine]\nmatch = ["h200"]\nreference_device = "mi300x"\nfitted_on = []\n')
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "h200", "--batch", "1",
                               "--calibration", str(f)], capsys)
    assert code == 2, out + err
    assert "reference_device 'mi300x' is not a device the table matches" in " ".join(err.split())
