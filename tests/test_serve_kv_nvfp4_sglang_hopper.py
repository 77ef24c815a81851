"""`plan serve --kv-dtype nvfp4 --engine sglang` on a Hopper GPU (h100, h200) is served, as SGLang runs its FP4 KV
cache there; TensorRT-LLM's and vLLM's NVFP4 caches stay Blackwell-only, and without an engine Hopper is refused
naming --engine sglang (issue 10, Serving: "FP8/FP4 KV cache"; utserve brief 2, 2026-12-06). It was refused for
every engine: 'an NVFP4 KV cache runs on NVIDIA Blackwell GPUs only'.

Sources, read before these tests were written:
- SGLang's attention-backend support matrix (docs.sglang.io/docs/advanced_features/attention_backend): 'FP4 KV
  Cache' for the MHA backends Triton, Torch Native, FlexAttention, FA4, TRTLLM MHA and the MLA backends FlashInfer
  MLA, FlashMLA, Cutlass MLA, TRTLLM MLA, FA4; not FA3, the Hopper default. FA4 'supports both prefill and decode on
  SM90 (Hopper) and SM100 (Blackwell)' (sgl-project.github.io commit e83f1320).
- sgl-project/sglang python/sglang/srt/mem_cache/kv_cache_dtype.py configure_kv_cache_dtype: nvfp4 /
  fp4_mx_block16 need torch.float4_e2m1fn_x2 ('PyTorch 2.8.0+ with CUDA 12.8+'), no compute-capability check; the
  quantize / dequantize is its own PyTorch code (KVFP4QuantizeUtil, torch.compile).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import USER_GPU, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import kv_device_problem, kv_engine_note, nvfp4_kv_runs
from accelopt.workload.presets import get_model

LLAMA, DSV3 = get_model("llama3-8b"), get_model("deepseek-v3")


@pytest.mark.parametrize("device", ["h100-sxm", "h200"])
def test_sglang_serves_an_fp4_kv_cache_on_hopper(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    spec = get_device(device)
    assert kv_device_problem(spec, "nvfp4", "sglang") is None
    assert nvfp4_kv_runs(LLAMA, spec, "sglang") and nvfp4_kv_runs(DSV3, spec, "sglang")
    assert not nvfp4_kv_runs(LLAMA, spec, None) and not nvfp4_kv_runs(LLAMA, spec, "trtllm")
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", device, "--kv-dtype", "nvfp4",
                               "--engine", "sglang", "--batch", "8", "--json"], capsys)
    assert code == 0, err
    point = json.loads(out)["results"][0]["points"][0]
    assert point["kv_dtype"] == "nvfp4" and point["kv_cache_bytes_per_token"] == 32 * 8 * 128 * 2 * 0.5625


@pytest.mark.parametrize("engine", ["trtllm", "vllm", None])
def test_other_engines_and_none_are_refused_naming_sglang(engine: str | None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--kv-dtype", "nvfp4", "--batch", "8"]
    code, out, err = run_main(args + (["--engine", engine] if engine else []), capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    named = f"with --engine {engine}" if engine else "without --engine"
    assert f"--kv-dtype nvfp4 {named} on h100-sxm (Hopper, compute capability 9.0)" in flat
    assert "SGLang's runs on Hopper" in flat
    assert "fix: give --engine sglang for its FP4 KV cache on h100-sxm" in flat


@pytest.mark.parametrize("device", ["a100-sxm-80gb", "l40s"])
def test_sglang_serves_an_fp4_kv_cache_on_ampere_and_ada(device: str, capsys: pytest.CaptureFixture[str]) -> None:
    """utleft7 (2026-12-06, rvs32c's note): Ampere was refused for SGLang though the Hopper rule's reason (its own
    PyTorch quantize / dequantize, no compute-capability check) holds there too, and SGLang's MHA default on Ampere
    and Ada 'falls back to triton' (docs.sglang.io attention_backend, 'Other Architectures (Ampere, Ada)'), whose
    row lists an FP4 KV cache. Fails before: refused, 'SGLang's on Hopper too'."""
    spec = get_device(device)
    assert kv_device_problem(spec, "nvfp4", "sglang") is None and nvfp4_kv_runs(LLAMA, spec, "sglang")
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", device, "--kv-dtype", "nvfp4",
                             "--engine", "sglang", "--batch", "8"], capsys)
    assert code == 0, err
    why, fix = kv_device_problem(spec, "nvfp4", "vllm") or ("", "")
    assert "SGLang's runs on Hopper, Ada and Ampere too" in why and fix.startswith("give --engine sglang"), why


def test_volta_stays_refused_for_sglang() -> None:
    why, fix = kv_device_problem(get_device("v100-sxm"), "nvfp4", "sglang") or ("", "")
    assert "SGLang's on Hopper, Ada and Ampere too (compute capability 8.x, 9.x)" in why
    assert fix.endswith("(or an Ampere, Ada or Hopper one with --engine sglang)")


def test_the_sglang_note_names_the_hopper_backends() -> None:
    note = " ".join((kv_engine_note(LLAMA, "nvfp4", "sglang") or "").split())
    assert "on Hopper, launch SGLang with --attention-backend triton" in note and "fa3, takes no FP4 KV cache" in note


def test_a_user_hopper_spec_without_its_capability_is_told_to_give_it(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """utleft7 (2026-12-06, rvs32c's note): a --catalog Hopper GPU without compute_capability is not known to be
    Hopper, so nvfp4 with --engine sglang is refused; the fix named a Hopper GPU but not the missing field, as the SM120
    branch does. With the field cited it is served."""
    spec = tmp_path / "my.toml"
    spec.write_text(USER_GPU, encoding="utf-8")
    args = ["plan", "serve", "-m", "llama3-8b", "--hardware", "my-gpu", "--catalog", str(spec), "--kv-dtype", "nvfp4",
            "--engine", "sglang", "--batch", "8"]
    code, _, err = run_main(args, capsys)
    flat = " ".join(err.split())
    assert code == 2 and "Traceback" not in flat, err
    assert "or give compute_capability in its spec TOML, with its source" in flat, flat
    spec.write_text(USER_GPU + 'compute_capability = ["9.0", "my sheet"]\n', encoding="utf-8")
    code, _, err = run_main(args, capsys)
    assert code == 0, err
