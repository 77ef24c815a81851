"""`plan serve --kv-dtype nvfp4` per engine: MLA models, Blackwell parts, and the memory fixes that name it
(issue 10, Serving: "FP8/FP4 KV cache"; rfp4kv's open ends).

Sources, read before these tests were written:
- vLLM refuses an NVFP4 cache for an MLA model: vllm-project/vllm vllm/config/vllm.py at 000fc94b754f,
  VllmConfig.validate_nvfp4_kv_cache_with_mla ('nvfp4 KV cache is not supported with MLA ... backends'); its
  'nvfp4_ds_mla' is the sparse MLA backends' layout (DeepSeek V3.2/V4), not a dense MLA model's.
- TensorRT-LLM sizes an MLA model's NVFP4 cache as the latent (kv_lora_rank + qk_rope_head_dim) at ceil(n/2) +
  ceil(n/16) B (tensorrt_llm/_torch/pyexecutor/kv_cache_manager_v2.py at 00be09f78ecf); its FP4 MLA kernel requires
  SM100/SM103 and qk_rope_head_dim 64 (fmha/fp4_mla.py at a78bc1193510, Fp4MlaFmha.is_available).
- SGLang's fp4_e2m1 cache came for MLA first (PR #10078; quantized_kv_cache.md at 03cd2ec4).
- SM120 (rtx-pro-6000-server): TensorRT-LLM's NVFP4 KV cache is 'only available for SM10X in trtllm-gen' (issue
  #10241); vLLM's is 'hard-wired to the SM100 trtllm-gen path and rejected on SM120' (issue #49011).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import kv_cache_bytes_per_token, kv_engine_note, kv_engine_refusal, nvfp4_kv_runs
from accelopt.workload.presets import get_model

DSV3 = get_model("deepseek-v3")


def test_vllm_refuses_an_mla_model_sglang_and_trtllm_take_it(capsys: pytest.CaptureFixture[str]) -> None:
    for engine in ("sglang", "trtllm", None):
        assert kv_engine_refusal(DSV3, "nvfp4", engine) is None
    # the latent, 512 + 64 values a token and layer, at 0.5625 B: TensorRT-LLM's ceil(576/2) + ceil(576/16) = 324 B
    assert kv_cache_bytes_per_token(DSV3, "nvfp4") == 61 * (288 + 36)
    code, out, err = run_main(["plan", "serve", "-m", "deepseek-v3", "--hardware", "b200", "--tp", "8",
                               "--weight-dtype", "nvfp4", "--kv-dtype", "nvfp4", "--engine", "vllm", "--batch", "8"],
                              capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    assert "deepseek-v3 uses multi-head latent attention" in flat and "validate_nvfp4_kv_cache_with_mla" in flat
    assert "fix: use --kv-dtype fp8 (an 8-bit latent cache) or bf16 with vllm, or --engine trtllm or sglang" in flat


def test_trtllm_needs_a_64_wide_rotary_key_for_its_fp4_mla_kernel() -> None:
    assert DSV3.mla is not None and DSV3.mla.qk_rope_head_dim == 64
    narrow = replace(DSV3, mla=replace(DSV3.mla, qk_rope_head_dim=32))
    why, fix = kv_engine_refusal(narrow, "nvfp4", "trtllm") or ("", "")
    assert "rotary key is 32 wide" in why and "Fp4MlaFmha.is_available" in why
    assert fix.endswith("or --engine sglang")
    assert kv_engine_refusal(narrow, "nvfp4", "sglang") is None


def test_the_mla_note_says_the_latent_and_what_trtllm_keeps_beside_it() -> None:
    note = kv_engine_note(DSV3, "nvfp4", "trtllm") or ""
    assert "deepseek-v3 caches its latent (kv_lora_rank + qk_rope_head_dim = 576 values" in note
    assert "counted, 392 B a token and layer" in note and "16 tokens" in note
    assert "side pools" not in (kv_engine_note(DSV3, "nvfp4", "sglang") or "")
    assert "latent" not in (kv_engine_note(get_model("llama3-8b"), "nvfp4", "trtllm") or "")


@pytest.mark.parametrize("engine", ["trtllm", "vllm"])
def test_sm120_is_not_served_by_trtllm_or_vllm(engine: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "rtx-pro-6000-server,b200",
                               "--kv-dtype", "nvfp4", "--engine", engine, "--batch", "8", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["b200"]
    [e] = doc["errors"]
    assert e["device"] == "rtx-pro-6000-server" and "(compute capability 12.0)" in e["problem"]
    assert "--engine sglang for its NVFP4 KV cache there" in e["fix"]


def test_sm120_is_served_by_sglang(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "rtx-pro-6000-server", "--kv-dtype",
                               "nvfp4", "--engine", "sglang", "--batch", "8", "--json"], capsys)
    assert code == 0, err
    assert [r["device"] for r in json.loads(out)["results"]] == ["rtx-pro-6000-server"]


def test_validate_refuses_a_trtllm_row_on_sm120(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
              "published,role,note")
    runs = tmp_path / "runs.csv"
    runs.write_text(header + "\nu1,me,trtllm,rtx-pro-6000-server,llama3-8b,1,1,fp8,nvfp4,128,128,1,output_tok_s,36,"
                    "test,x\n")
    code, _, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "Traceback" not in flat
    assert "serving run 'u1' cannot be predicted: --kv-dtype nvfp4 with --engine trtllm on rtx-pro-6000-server" in flat


def test_nvfp4_runs_where_device_engine_and_model_do() -> None:
    b200, rtx, h100 = get_device("b200"), get_device("rtx-pro-6000-server"), get_device("h100-sxm")
    llama = get_model("llama3-8b")
    assert nvfp4_kv_runs(llama, b200, "vllm") and nvfp4_kv_runs(llama, rtx, "sglang")
    assert nvfp4_kv_runs(llama, rtx, None)
    assert not nvfp4_kv_runs(llama, rtx, "vllm") and not nvfp4_kv_runs(llama, h100, None)
    assert not nvfp4_kv_runs(DSV3, b200, "vllm") and nvfp4_kv_runs(DSV3, b200, "trtllm")
    assert not nvfp4_kv_runs(llama, b200, "gpt-fast")


# Llama 3.1 70B, fp8 weights, a 120k prompt on one RTX PRO 6000 (95.6 GiB): one request's KV cache is 36.9 GiB at
# bf16, 18.5 at fp8 and 10.4 at nvfp4 (0.5625 / 2 of bf16); weights + workspace leave 12.5 GiB (SGLang's share) or
# 16.5 GiB (vLLM's): only nvfp4 fits, and only SGLang runs it on SM120.
LONG_RTX = ["plan", "serve", "-m", "llama3.1-70b", "--hardware", "rtx-pro-6000-server", "--weight-dtype", "fp8",
            "--prompt", "120000", "--output", "1000", "--batch", "1"]


@pytest.mark.parametrize(("engine", "named"), [("sglang", True), ("vllm", False)])
def test_nothing_fits_names_nvfp4_where_the_engine_runs_it(engine: str, named: bool,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*LONG_RTX, "--engine", engine], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "one request of 120,000 + 1,000 tokens needs 36.9 GiB of KV cache" in flat
    assert ("use --kv-dtype nvfp4," in flat) is named and "--kv-dtype fp8" not in flat


@pytest.mark.parametrize(("model", "hardware", "engine", "named"), [
    ("llama3.1-70b", "b200", "trtllm", True),
    ("llama3.1-70b", "h100-sxm", "trtllm", False),
    ("deepseek-v3", "b200", "sglang", True),
    ("deepseek-v3", "b200", "vllm", False),
])
def test_overflow_names_nvfp4_only_where_it_runs(model: str, hardware: str, engine: str, named: bool,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    tp = "8" if model == "deepseek-v3" else "2"
    weights = "nvfp4" if model == "deepseek-v3" else "fp8"
    code, _, err = run_main(["plan", "serve", "-m", model, "--hardware", hardware, "--tp", tp, "--weight-dtype",
                             weights, "--prompt", "32000", "--output", "1000", "--batch", "1,4096", "--engine",
                             engine], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "batch 4096 on" in flat and "use --kv-dtype fp8" in flat
    assert ("use --kv-dtype fp8 or nvfp4," in flat) is named


def test_a_spec_without_compute_capability_is_asked_for_it_by_the_sm100_engines() -> None:
    from accelopt.predict.serving import kv_device_problem

    bare = replace(get_device("b200"), compute_capability=None)
    why, fix = kv_device_problem(bare, "nvfp4", "vllm") or ("", "")
    assert "no compute_capability in its catalog entry" in why and "give compute_capability in its spec TOML" in fix
    assert kv_device_problem(bare, "nvfp4", "sglang") is None and kv_device_problem(bare, "nvfp4", None) is None
