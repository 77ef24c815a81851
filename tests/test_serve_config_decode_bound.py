"""A back-of-envelope bound on `plan serve` for configs the examples do not cover (utserve, s33, 2026-12-06: a user
trial of Qwen3-MoE, a scaled-down DeepSeek-V3 MLA model, Gemma 2 / Gemma 3, Mistral with a sliding window, Phi-3 and
Llama 3.1 config.json files on h100-sxm, h200, b200, mi300x, l4, gaudi3 and tpu-v6e).

A decode step at batch 1 reads every weight a token uses at least once: the active parameters (a MoE token's top-k
experts, not all of them) less the input embedding (its lookup reads one row), at the weights' bytes, over the
tensor-parallel ranks' aggregate bandwidth (the pipeline stages of one token run one after another). So TPOT >= those
bytes / (tp x peak memory bandwidth) (Pope et al. 2022, "Efficiently Scaling Transformer Inference", sec. 2; gpt-fast's
README prints achieved GB/s beside tokens/s for the same reason), whatever the calibration's efficiencies. A
predictor that read nvfp4 weights at 0.25 B, split the weights over pp as well as tp for one token, or counted fewer
experts than top-k would break it; at --pp 1 the step's memory term alone (no fitted per-step overhead) obeys it.
The same points' memory must add up and their `fits` agree with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import write_hf_config

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving_plan import ServeOptions, plan_serve
from accelopt.workload.presets import get_model

CONFIGS: dict[str, dict[str, Any]] = {
    # Qwen3-30B-A3B's shape (Qwen/Qwen3-30B-A3B config.json): 128 experts, top-8
    "qwen3-moe": {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 2048,
                  "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128,
                  "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_attention_heads": 32,
                  "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 151936, "max_position_embeddings": 40960,
                  "tie_word_embeddings": False, "decoder_sparse_step": 1, "mlp_only_layers": []},
    # DeepSeek-V2-Lite's shape in a deepseek_v3 config: MLA (kv_lora_rank 512), 64 experts top-6, 2 shared
    "mla-moe": {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "hidden_size": 2048,
                "intermediate_size": 10944, "moe_intermediate_size": 1408, "n_routed_experts": 64,
                "n_shared_experts": 2, "num_experts_per_tok": 6, "first_k_dense_replace": 1, "moe_layer_freq": 1,
                "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16, "kv_lora_rank": 512,
                "q_lora_rank": None, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
                "vocab_size": 102400, "max_position_embeddings": 163840, "tie_word_embeddings": False},
    # Gemma 2 9B: head_dim 256 != 3584 / 16, a window on every other layer, soft-capping, tied embeddings
    "gemma2": {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 3584,
               "intermediate_size": 14336, "num_hidden_layers": 42, "num_attention_heads": 16,
               "num_key_value_heads": 8, "head_dim": 256, "vocab_size": 256000, "max_position_embeddings": 8192,
               "sliding_window": 4096, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
               "hidden_activation": "gelu_pytorch_tanh"},
    # Gemma 3 12B text: 5 sliding layers (1,024 keys) per global one
    "gemma3": {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "hidden_size": 3840,
               "intermediate_size": 15360, "num_hidden_layers": 48, "num_attention_heads": 16,
               "num_key_value_heads": 8, "head_dim": 256, "vocab_size": 262208, "max_position_embeddings": 131072,
               "sliding_window": 1024, "sliding_window_pattern": 6, "hidden_activation": "gelu_pytorch_tanh"},
    "mistral-sw": {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
                   "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
                   "num_key_value_heads": 8, "vocab_size": 32000, "max_position_embeddings": 32768,
                   "sliding_window": 4096, "hidden_act": "silu", "tie_word_embeddings": False},
    "phi3": {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 3072,
             "intermediate_size": 8192, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
             "vocab_size": 32064, "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
             "partial_rotary_factor": 0.75, "hidden_act": "silu", "tie_word_embeddings": False},
    "llama3.1": {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
                 "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
                 "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "hidden_act": "silu", "tie_word_embeddings": False},
}
DEVICES = ("h100-sxm", "h200", "b200", "mi300x", "l4", "gaudi3", "tpu-v6e")
BYTES_AT_LEAST = {"bf16": 2.0, "fp8": 1.0, "nvfp4": 0.5}  # nvfp4: 4-bit values, its scales left out (a lower bound)


def _weights(device: str) -> tuple[str, ...]:
    spec = get_device(device)
    return ("bf16", "fp8", "nvfp4") if "fp4" in spec.peak_flop_per_s else \
        ("bf16", "fp8") if "fp8" in spec.peak_flop_per_s else ("bf16",)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_batch_1_decode_is_no_faster_than_its_weight_reads(name: str, tmp_path: Path) -> None:
    path = write_hf_config(tmp_path, name, CONFIGS[name])
    model = get_model(str(path))
    read_params = model.params_active() - model.vocab * model.hidden  # the embedding lookup reads one row
    checked = 0
    for device in DEVICES:
        bandwidth = get_device(device).memory_bandwidth_byte_per_s
        for dtype in _weights(device):
            for tp, pp in ((1, 1), (2, 1), (2, 2)):
                run = plan_serve(ServeOptions(model=str(path), hardware=device, tp=tp, pp=pp, batch="1", prompt=2048,
                                              output=128, weight_dtype=dtype, kv_dtype="bf16"))
                for s in run.sweeps:
                    (p,) = s.points
                    floor_s = read_params * BYTES_AT_LEAST[dtype] / (tp * bandwidth)
                    where = f"{name} on {device} tp {tp} pp {pp} {dtype}"
                    assert p.tpot_s >= floor_s, (where, p.tpot_s, floor_s)
                    if pp == 1:  # the step's own memory term, without the engine's fitted per-step overhead
                        assert p.decode_step.memory_s >= floor_s, (where, p.decode_step.memory_s, floor_s)
                    assert p.tpot_s < 50 * floor_s + 0.1, (where, p.tpot_s, floor_s)  # not absurdly slow either
                    parts = p.weights_bytes_per_device + p.kv_cache_bytes_per_device + p.workspace_bytes_per_device
                    assert p.memory_bytes_per_device == pytest.approx(parts, rel=1e-9), where
                    assert p.fits == (p.memory_bytes_per_device <= p.usable_memory_bytes_per_device), where
                    checked += 1
    assert checked >= 30  # most (device, dtype, layout) triples serve each model
