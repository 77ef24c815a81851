"""`plan serve --kv-dtype nvfp4 --engine vllm` with a config.json whose head size vLLM's NVFP4 cache does not take
(s31 fin2, from rvkv's leftover). vLLM runs its NVFP4 KV cache on the TRTLLM attention backend, whose metadata
builder raises 'TRTLLM NVFP4 KV cache requires head_size to be a multiple of 16 and <= 256' (a stored copy of
vLLM's TRTLLM backend, read 2026-12-05). No preset breaks it; a config.json could, and it was planned without a word.
Now refused (exit 2) naming the head size and the fix; SGLang and TensorRT-LLM are not limited by that source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.serving import kv_engine_refusal
from accelopt.workload.presets import get_model


def _config(tmp_path: Path, hidden: int, heads: int, head_dim: int | None = None) -> str:
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden,
           "intermediate_size": 4 * hidden, "num_hidden_layers": 4, "num_attention_heads": heads,
           "num_key_value_heads": heads, "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5}
    if head_dim is not None:
        cfg["head_dim"] = head_dim
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return str(path)


ARGS = ["--hardware", "b200", "--kv-dtype", "nvfp4", "--batch", "8", "--prompt", "512", "--output", "64"]


@pytest.mark.parametrize(("hidden", "heads", "head_dim", "said"), [(2304, 32, None, "72"), (4096, 8, 512, "512")])
def test_vllm_refuses_a_head_size_its_nvfp4_cache_does_not_take(
        hidden: int, heads: int, head_dim: int | None, said: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    model = _config(tmp_path, hidden, heads, head_dim)
    code, out, err = run_main(["plan", "serve", "-m", model, *ARGS, "--engine", "vllm"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, err
    assert f"head size {said}" in flat and "a multiple of 16 and at most 256" in flat, flat
    assert "fix: use --kv-dtype fp8 or bf16 with vllm, or --engine trtllm or sglang" in flat, flat
    for engine in ("trtllm", "sglang"):
        code, _, err = run_main(["plan", "serve", "-m", model, *ARGS, "--engine", engine], capsys)
        assert code == 0, err


def test_the_presets_head_sizes_pass() -> None:
    for name in ("llama3-8b", "gemma2-9b", "qwen3-8b"):
        assert kv_engine_refusal(get_model(name), "nvfp4", "vllm") is None
    assert kv_engine_refusal(get_model("llama3-8b"), "fp8", "vllm") is None
