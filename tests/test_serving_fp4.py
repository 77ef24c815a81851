"""FP4 (NVFP4 / MXFP4) weights in serving: block-scale bytes, W4A4 GEMMs at the catalog's dense fp4 peak, the
Blackwell peaks with their datasheet source, the CLI flag, and the published B200/GB200 rows predicted."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.errors import InfeasibleError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving_validation import ServingValidateResult, validate_serving
from accelopt.workload.presets import get_model


def test_fp4_weight_bytes_include_block_scales() -> None:
    # NVFP4: 4-bit E2M1 values + one FP8 E4M3 scale per 16 (NVIDIA, "Introducing NVFP4", 2025);
    # MXFP4: + one E8M0 scale per 32 (OCP Microscaling Formats v1.0, sec. 5).
    assert serving.weight_bytes_per_param("nvfp4") == 0.5 + 1 / 16
    assert serving.weight_bytes_per_param("mxfp4") == 0.5 + 1 / 32
    m = get_model("llama3-70b")
    cal = serving.ServingCalibration(family="t")
    w4 = serving._weights_bytes_per_device(m, 1, 1, "nvfp4", cal)
    w8 = serving._weights_bytes_per_device(m, 1, 1, "fp8", cal)
    emb = 2 * m.vocab * m.hidden * 2.0  # untied input embedding and LM head stay 16-bit
    assert (w4 - emb) == pytest.approx((w8 - emb) * 0.5625, rel=1e-12)


@pytest.mark.parametrize("name,dense", [("b200", 9e15), ("gb200", 10e15)])
def test_blackwell_dense_fp4_peak_is_cited(name: str, dense: float) -> None:
    # The product pages list FP4 Tensor Core 18 (HGX B200) / 20 (GB200) PFLOPS with sparsity: dense is half,
    # twice the dense fp8 figure of the same table.
    spec = get_device(name)
    assert spec.peak("fp4") == dense == 2 * (spec.peak("fp8") or 0)
    assert "sparsity" in spec.sources["peak_flop_per_s.fp4"] and "halved" in spec.sources["peak_flop_per_s.fp4"]


def test_nvfp4_runs_w4a4_at_the_fp4_peak_with_the_fitted_ratio() -> None:
    b200, m = get_device("b200"), get_model("llama3-70b")
    cal = serving.calibration_for_spec(b200)
    assert cal.family == "nvidia-blackwell" and cal.fitted and 0 < cal.fp4_gemm_efficiency_ratio < 1
    assert serving.compute_dtype_for(b200, "nvfp4") == serving.compute_dtype_for(b200, "mxfp4") == "fp4"
    s4 = serving._setup(m, b200, 1, 1, "nvfp4", "fp8", cal)
    s8 = serving._setup(m, b200, 1, 1, "fp8", "fp8", cal)
    assert s4.attention_peak_flop_per_s == s8.attention_peak_flop_per_s == b200.peak("bf16")
    # prefill of 64 x 2048 tokens: the linear layers' time scales by fp8 peak / (fp4 peak x ratio), attention not
    p4, p8 = serving._prefill_time(s4, 64, 2048), serving._prefill_time(s8, 64, 2048)
    attn = 64 * 2048 * serving.attention_flops_per_token(m, 2049 / 2) / (
        b200.peak("bf16") * cal.attention_compute_efficiency)  # type: ignore[operator]
    ratio = (p4.compute_s - attn) / (p8.compute_s - attn)
    assert ratio == pytest.approx(b200.peak("fp8") / (b200.peak("fp4") * cal.fp4_gemm_efficiency_ratio),  # type: ignore
                                  rel=1e-9)


def test_fp4_weights_need_an_fp4_or_a_16_bit_peak() -> None:
    """Without an fp4 peak, nvfp4/mxfp4 weights run weight-only at the 16-bit peak (weight_only_fp4); a device with
    neither is refused, naming what it can run."""
    h100 = get_device("h100-sxm")
    assert serving.compute_dtype_for(h100, "nvfp4") == serving.compute_dtype_for(h100, "mxfp4") == "bf16"
    with_fp4 = replace(h100, peak_flop_per_s={**h100.peak_flop_per_s, "fp4": 4e15})
    assert serving.compute_dtype_for(with_fp4, "mxfp4") == "fp4"
    # without a cited compute capability the generation is told by the peaks: no bf16 and no int8 peak reads as
    # Volta or older, refused as such (utcc: with compute_capability the spec is Hopper, below)
    # no 16-bit peak, so no measured fused-attention rate either (a fraction of that peak; h100-sxm's since
    # rhopperadopt2, 2026-12-05)
    fp8_only = replace(h100, peak_flop_per_s={"fp8": h100.peak_flop_per_s["fp8"]}, measured_matmul_flop_per_s={},
                       measured_fused_attention_flop_per_s={}, compute_capability=None,
                       sources={k: v for k, v in h100.sources.items() if k != "compute_capability"})
    with pytest.raises(InfeasibleError, match="fp4 peak") as e:
        serving.predict_serving(get_model("llama3-8b"), fp8_only, prompt_len=128, output_len=8, weight_dtype="nvfp4")
    # the dtypes it suggests are fp8 alone (the fix names the format it was given after them since fix_t4fp4)
    assert e.value.fix.startswith("use --weight-dtype fp8 on h100-sxm, or ")
    hopper = replace(fp8_only, compute_capability="9.0")  # Hopper: refused for the peaks it lacks, not its age
    with pytest.raises(InfeasibleError, match="no fp4 peak and no bf16/fp16 peak") as e:
        serving.predict_serving(get_model("llama3-8b"), hopper, prompt_len=128, output_len=8, weight_dtype="nvfp4")
    assert e.value.fix == "use --weight-dtype fp8"


def test_plan_serve_weight_dtype_nvfp4(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "b200", "--weight-dtype",
                               "nvfp4", "--kv-dtype", "fp8", "--batch", "8", "--prompt", "1000", "--output", "1000",
                               "--json"], capsys)
    assert code == 0, err
    p = json.loads(out)["results"][0]["points"][0]
    assert p["weight_dtype"] == "nvfp4" and p["compute_dtype"] == "fp4"
    m = get_model("llama3-70b")
    assert p["weights_bytes_per_device"] == pytest.approx(serving._weights_bytes_per_device(
        m, 1, 1, "nvfp4", serving.calibration_for_spec(get_device("b200"))))
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--weight-dtype",
                               "nvfp4", "--batch", "1"], capsys)
    assert code == 0 and "weight-only 4-bit" in out, err


@pytest.fixture(scope="module")
def result() -> ServingValidateResult:
    return validate_serving()


def test_published_fp4_rows_are_predicted(result: ServingValidateResult) -> None:
    fp4 = [r for r in result.runs if r.precision.startswith("nvfp4")]
    # the B200 rows run the fitted nvidia-blackwell table; srv_pp's RTX PRO 6000 Server rows (GDDR7, PCIe, 2026-12-03)
    # are held out against the unfitted [serving.default], as every device without a serving table of its own
    rtx = [r for r in fp4 if r.hardware == "rtx-pro-6000-server"]
    assert len(rtx) == 46 and all(r.family == "default" and r.predicted is not None for r in rtx)
    fp4 = [r for r in fp4 if r not in rtx]
    assert len(fp4) >= 40 and all(r.predicted is not None and r.family == "nvidia-blackwell" for r in fp4)
    assert not [r for r in fp4 if r.role == "gap"]  # (other vendors have gap rows: AWS Neuron, s-neusrv)
    by = {(g.group, g.name) for g in result.groups}
    assert ("precision", "nvfp4/fp8") in by and ("family", "nvidia-blackwell") in by
    from accelopt.predict.calibration import load_serving_tables

    fitted = set(load_serving_tables()["nvidia-blackwell"].fitted_on)
    assert fitted == {r.id for r in fp4 if r.role == "fit"} and len(fitted) == 2
