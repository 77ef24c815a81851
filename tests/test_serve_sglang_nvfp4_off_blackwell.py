"""ut3misc (2026-12-06), a leftover of ut3srv's trial: `plan serve --engine sglang --weight-dtype nvfp4` on an H100
printed a prediction under a note naming vLLM's FP4 Marlin kernel, a path SGLang does not have: its modelopt_fp4
method (sgl-project/sglang python/sglang/srt/layers/quantization/modelopt_quant.py at faeb9685) returns 100 from
ModelOptFp4Config.get_min_capability, runs its linear layers W4A4 (scaled_fp4_quant, then an FP4 GEMM) and raises
'Please use Blackwell and above' in its MoE method. Each test says what it did before."""

from __future__ import annotations

import json

import pytest
from conftest import run_main


@pytest.mark.parametrize("hardware", ["h100-sxm", "a100-sxm-80gb"])
def test_sglang_nvfp4_weights_refused_without_an_fp4_peak(capsys: pytest.CaptureFixture[str], hardware: str) -> None:
    """Before: exit 0 with the vLLM Marlin note. Now exit 2 naming the flag, SGLang's source and the fixes."""
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", hardware, "--weight-dtype",
                               "nvfp4", "--engine", "sglang", "--batch", "1"], capsys)
    said = " ".join(err.split())
    assert code == 2, out + err
    assert f"--weight-dtype nvfp4 with --engine sglang on {hardware}" in said
    assert "ModelOptFp4Config.get_min_capability returns 100" in said and "faeb96856c44" in said
    assert "fix: use --engine vllm" in said and "Blackwell GPU" in said
    assert ("--weight-dtype fp8 or int4 with --engine sglang" in said) == (hardware == "h100-sxm")  # no fp8 on Ampere
    assert "Marlin kernel does" not in out + err and "Traceback" not in err


def test_sglang_nvfp4_experts_refused_mxfp4_and_blackwell_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """NVFP4 routed experts alone are refused on Hopper too; a search lists the H100 as not served beside the B200's
    points; vLLM keeps its weight-only path on the H100, and SGLang's mxfp4 is not ruled on by this rule."""
    code, _, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--tp", "2", "--weight-dtype", "bf16",
                             "--expert-weight-dtype", "nvfp4", "--engine", "sglang", "--hardware", "h100-sxm",
                             "--batch", "1"], capsys)
    assert code == 2 and "--expert-weight-dtype nvfp4 with --engine sglang on h100-sxm" in " ".join(err.split())
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm,b200",
                               "--weight-dtype", "nvfp4", "--engine", "sglang", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["b200"]
    assert [e["device"] for e in doc["errors"]] == ["h100-sxm"]
    for engine, dtype in (("vllm", "nvfp4"), ("sglang", "mxfp4")):
        code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--weight-dtype",
                                 dtype, "--engine", engine, "--batch", "1"], capsys)
        assert code == 0, (engine, dtype, err)
