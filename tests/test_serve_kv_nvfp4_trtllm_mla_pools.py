"""`plan serve --kv-dtype nvfp4 --engine trtllm` on an MLA model counts TensorRT-LLM's FP4 MLA cache as its cache
manager allocates it (issue 10, Serving: "FP8/FP4 KV cache"; utserve, 2026-12-06). It counted the latent alone
(576 values x 0.5625 B = 324 B a token and layer for DeepSeek-V3) and said the side pools were not counted.

Source, read before these tests were written (NVIDIA/TensorRT-LLM):
- tensorrt_llm/_torch/attention_backend/fp4_mla/cache_manager.py at 2b5d7a1b9883eebb2878f9be709372347f26b149,
  Fp4MlaKVCacheManagerV2.get_layer_bytes_per_token (Role.ALL = KEY + KEY_BLOCK_SCALE + MLA_V_SCALE; MLA_V_PACKED
  with the cutedsl backend only): KEY ceil(n/2), KEY_BLOCK_SCALE ceil(n/16) with n = head_dim (kv_lora_rank +
  qk_rope_head_dim) + FP4_MLA_K_RESIDUAL_DIM; MLA_V_SCALE ceil(get_fp4_mla_v_scale_pool_size(kv_lora_rank, 128) /
  128); the HP ring is a sliding layer of 16 + max_rewind tokens x head_dim x 2 B (_hp_bytes_per_page).
- fp4_mla/__init__.py at b3aeda520569dc6617c6d2de5b0df4275a00786b: FP4_MLA_K_RESIDUAL_DIM = 64, FP4_BLOCK_SIZE = 16,
  FP4_MLA_TOKENS_PER_BLOCK = 128, HP_BLOCK_SIZE = 16, scale groups 128 rows x 4 columns of 32 x 16 bytes; its FP4
  MLA path raises 'FP4 MLA requires Fp4MlaKVCacheManagerV2 page metadata' under another manager.
DeepSeek-V3 by hand: n = 576 + 64 = 640: 320 + 40 + (4 x 2 x 512) / 128 = 392 B a token and layer; the ring
16 x 576 x 2 = 18,432 B a sequence and layer.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import (
    calibration_for_spec,
    fp4_mla_kv_bytes_per_sequence_layer,
    fp4_mla_kv_bytes_per_token_layer,
    kv_cache_bytes_per_token,
    kv_engine_note,
    max_batch,
)
from accelopt.workload.presets import get_model

DSV3 = get_model("deepseek-v3")
LAYERS = 61


def test_the_bytes_are_the_cache_managers() -> None:
    assert fp4_mla_kv_bytes_per_token_layer(DSV3) == 320 + 40 + 32
    assert fp4_mla_kv_bytes_per_sequence_layer(DSV3) == 16 * 576 * 2
    cal = replace(calibration_for_spec(get_device("b200")), fp4_mla_kv_pools=True)
    assert kv_cache_bytes_per_token(DSV3, "nvfp4", cal) == LAYERS * 392
    assert kv_cache_bytes_per_token(DSV3, "nvfp4") == LAYERS * 324  # no engine: the latent alone
    assert kv_cache_bytes_per_token(DSV3, "fp8", cal) == LAYERS * 576  # fp8: not TensorRT-LLM's FP4 MLA layout
    dense = get_model("llama3-8b")
    assert kv_cache_bytes_per_token(dense, "nvfp4", cal) == kv_cache_bytes_per_token(dense, "nvfp4")


def _point(engine: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = run_main(["plan", "serve", "-m", "deepseek-v3", "--hardware", "b200", "--tp", "8",
                               "--weight-dtype", "nvfp4", "--kv-dtype", "nvfp4", "--engine", engine, "--batch", "64",
                               "--prompt", "4096", "--output", "1024", "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)["results"][0]
    point: dict[str, object] = result["points"][0]
    point["max_batch"] = result["max_batch"]
    return point


def test_plan_serve_trtllm_counts_the_pools_in_memory_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    trt = _point("trtllm", capsys)
    assert trt["kv_cache_bytes_per_token"] == LAYERS * 392
    assert trt["calibration"]["fp4_mla_kv_pools"] is True  # type: ignore[index]
    # the latent is replicated on every tp rank: 64 sequences x (5120 tokens x 61 x 392 B + 61 x 18,432 B)
    assert trt["kv_cache_bytes_per_device"] == pytest.approx(64 * LAYERS * (5120 * 392 + 18432), rel=1e-12)
    sgl = _point("sglang", capsys)
    assert sgl["kv_cache_bytes_per_token"] == LAYERS * 324
    assert sgl["calibration"]["fp4_mla_kv_pools"] is False  # type: ignore[index]


def test_the_pools_lower_the_largest_batch() -> None:
    spec = get_device("b200")
    cal = replace(calibration_for_spec(spec), memory_basis="free")
    kw = dict(tp=8, prompt_len=4096, output_len=1024, weight_dtype="nvfp4", kv_dtype="nvfp4")
    latent = max_batch(DSV3, spec, calibration=cal, **kw)  # type: ignore[arg-type]
    pools = max_batch(DSV3, spec, calibration=replace(cal, fp4_mla_kv_pools=True), **kw)  # type: ignore[arg-type]
    # the same KV bytes hold 324 / (392 + 18432 / 5120) of the sequences, to within one
    assert abs(pools - latent * 324 * 5120 / (392 * 5120 + 18432)) <= 1


def test_the_note_says_what_is_counted() -> None:
    note = " ".join((kv_engine_note(DSV3, "nvfp4", "trtllm") or "").split())
    assert "counted, 392 B a token and layer (against 324 B for the latent alone)" in note
    assert "18,432 B a sequence and layer for the ring" in note and "not counted" not in note.split("values a token")[1]
    bare = " ".join((kv_engine_note(DSV3, "nvfp4", None) or "").split())
    assert "side pools are not counted" in bare and "--engine trtllm counts them" in bare
