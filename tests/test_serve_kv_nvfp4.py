"""`plan serve --kv-dtype nvfp4`: an NVFP4 KV cache as the engines run it (issue 10, Serving: "FP8/FP4 KV cache and
weights"; before, --kv-dtype took bf16/fp16/fp8/int8 only and refused nvfp4 with the list).

Layout: TensorRT-LLM's NVFP4 KV cache (nvidia.github.io/TensorRT-LLM 1.3.0rc27 features/quantization.html 'NVFP4 KV
Cache'; NVIDIA's blog 'Optimizing Inference for Long Context and Large Batch Sizes with NVFP4 KV Cache', 2025-12-08:
Blackwell GPUs, dequantized to FP8 before the attention math) stores E2M1 values (4 bits) with one FP8 E4M3 scale per
16 values: 4/8 + 8/(8 x 16) = 0.5625 B a value. SGLang's FP4 KV cache (block 16, one 8-bit scale) says the same ratio:
'FP4 with block size 16 supports approximately 1.78x more tokens than FP8' (quantized_kv_cache.md at 03cd2ec4).
vLLM lists 'nvfp4' in its CacheDType (vllm/config/cache.py at 002f10e0)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.serving import kv_bytes_per_value, kv_cache_bytes_per_token, kv_engine_refusal
from accelopt.workload.presets import get_model

# Llama 3.1 70B (80 layers, 8 KV heads of 128) at a 32k prompt: long enough that the KV cache, not the weights,
# decides the batch; B200 with fp8 weights and TensorRT-LLM's KV pool (0.9 of the memory free after weights).
LONG = ["plan", "serve", "-m", "llama3.1-70b", "--hardware", "b200", "--weight-dtype", "fp8", "--prompt", "32000",
        "--output", "1000", "--batch", "max", "--engine", "trtllm"]


def test_bytes_per_value_from_the_layout_by_hand() -> None:
    assert kv_bytes_per_value("nvfp4") == 4 / 8 + 8 / (8 * 16) == 0.5625
    assert kv_bytes_per_value("fp8") == 1.0 and kv_bytes_per_value("bf16") == 2.0
    # 2 (K, V) x 32 layers x 8 KV heads x 128 x 0.5625 B (Llama 3 8B)
    assert kv_cache_bytes_per_token(get_model("llama3-8b"), "nvfp4") == 2 * 32 * 8 * 128 * 0.5625 == 36864.0


def _point(capsys: pytest.CaptureFixture[str], kv: str) -> dict:
    code, out, err = run_main([*LONG, "--kv-dtype", kv, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)["results"][0]["points"][0]


def test_blackwell_fits_16_9_of_the_fp8_batch_at_long_context(capsys: pytest.CaptureFixture[str]) -> None:
    """Derived before the run: the KV pool K per device is the same for both (weights and workspace do not depend on
    the KV dtype), each sequence holds c bytes at fp8 and 0.5625 c at nvfp4, so B_fp8 = floor(K / c) and
    B_nvfp4 = floor(16/9 x K / c): floor(16/9 B_fp8) <= B_nvfp4 <= floor(16/9 (B_fp8 + 1)), a ratio of about 1.78
    (not 2: the scales), as SGLang's page says for FP4 against FP8."""
    fp8, fp4 = _point(capsys, "fp8"), _point(capsys, "nvfp4")
    assert fp4["kv_cache_bytes_per_token"] == 2 * 80 * 8 * 128 * 0.5625 == 0.5625 * fp8["kv_cache_bytes_per_token"]
    assert fp4["weights_bytes_per_device"] == fp8["weights_bytes_per_device"]
    b8, b4 = fp8["max_batch"], fp4["max_batch"]
    assert b8 >= 8  # the KV cache decides here, not one request
    assert math.floor(16 / 9 * b8) <= b4 <= math.floor(16 / 9 * (b8 + 1))
    # the decode step reads the cache at 0.5625 B a value: its KV bytes per sequence are 0.5625 of fp8's
    assert fp4["kv_cache_bytes_per_device"] / b4 == pytest.approx(0.5625 * fp8["kv_cache_bytes_per_device"] / b8,
                                                                  rel=1e-12)


def test_text_and_json_agree(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*LONG, "--kv-dtype", "nvfp4", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    batch = doc["results"][0]["max_batch"]
    note = [n for n in doc["notes"] if n.startswith("--kv-dtype nvfp4: 0.5625 B per cached value")]
    assert len(note) == 1 and "trtllm: KvCacheConfig(dtype='nvfp4')" in note[0]
    assert "no dequantization time is added" in note[0]
    code, text, err = run_main([*LONG, "--kv-dtype", "nvfp4"], capsys)
    flat = " ".join(text.split())
    assert code == 0, err
    assert f"max batch that fits: {batch};" in flat and "KV nvfp4" in flat
    assert " ".join(note[0].split()) in flat


@pytest.mark.parametrize(("device", "said"), [
    # a100 until utleft7 (2026-12-06): Ampere without --engine is now refused naming --engine sglang
    # (tests/test_serve_kv_nvfp4_sglang_hopper.py); Volta stays refused for every engine
    ("v100-sxm", "v100-sxm lists no fp4 peak (not Blackwell)"),
    ("mi355x", "NVFP4 has no native path on AMD GPUs"),
])
def test_volta_and_amd_are_refused(device: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", device, "--batch", "8",
                               "--kv-dtype", "nvfp4"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    # 'Blackwell GPUs only' without --engine until rvs32d (2026-12-06), beside a fix naming SGLang's Ampere, Ada and
    # Hopper route: the reason now says that route too
    assert (f"--kv-dtype nvfp4 on {device}: an NVFP4 KV cache runs on NVIDIA Blackwell GPUs, and SGLang's on Hopper, "
            "Ada and Ampere too (compute capability 8.x, 9.x)") in flat and "Blackwell GPUs only" not in flat, flat
    assert said in flat and f"fix: use --kv-dtype fp8 or bf16 on {device}, or a Blackwell GPU" in flat


def test_with_vllm_the_reason_keeps_blackwell_only(capsys: pytest.CaptureFixture[str]) -> None:
    # the engines whose NVFP4 KV cache runs on Blackwell only keep saying so (NVFP4_KV_SM100_ENGINES)
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "v100-sxm", "--batch", "8",
                             "--kv-dtype", "nvfp4", "--engine", "vllm"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "an NVFP4 KV cache runs on NVIDIA Blackwell GPUs only" in flat, flat
    assert "or an Ampere, Ada or Hopper one with --engine sglang" not in flat, flat


def test_beside_a_blackwell_the_hopper_is_listed_not_served(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "b200,h100-sxm", "--batch", "8",
                               "--kv-dtype", "nvfp4", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["b200"]
    assert [e["device"] for e in doc["errors"]] == ["h100-sxm"]


def test_engines_without_an_nvfp4_kv_cache_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    dense = get_model("llama3-8b")
    for engine in ("trtllm", "vllm", "sglang", None):
        assert kv_engine_refusal(dense, "nvfp4", engine) is None
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "b200", "--batch", "8",
                               "--kv-dtype", "nvfp4", "--engine", "trtllm-session"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "trtllm-session has no NVFP4 KV cache" in flat
    assert "fix: use --kv-dtype fp8 or bf16 with trtllm-session, or --engine trtllm or vllm or sglang" in flat


def test_validate_serving_refuses_a_row_off_blackwell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
              "published,role,note")
    runs = tmp_path / "runs.csv"
    runs.write_text(header + "\nu1,me,trtllm,h100-sxm,llama3-8b,1,1,fp8,nvfp4,128,128,1,output_tok_s,36,test,x\n")
    code, _, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "Traceback" not in flat
    assert "serving run 'u1' cannot be predicted: --kv-dtype nvfp4 with --engine trtllm on h100-sxm (Hopper" in flat
