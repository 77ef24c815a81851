"""Families a usertest of `plan` / `plan serve` tried for the first time (ut_plan3): OLMoE, Phi-3.5-MoE, Granite-3.0
MoE, BLOOM, GPT-NeoX-20B. Each config.json is the published one (Phi-3.5-MoE's longrope factor lists left out); each
parameter count is checked against the published figure, within the tolerance stated beside it, and the unused-keys
warning names only keys that change the arithmetic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.workload.presets import load_hf_config

# allenai/OLMoE-1B-7B-0924 config.json (huggingface.co/allenai/OLMoE-1B-7B-0924/blob/main/config.json)
OLMOE = {"architectures": ["OlmoeForCausalLM"], "attention_bias": False, "clip_qkv": None, "eos_token_id": 50279,
         "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 1024,
         "max_position_embeddings": 4096, "model_type": "olmoe", "norm_topk_prob": False, "num_attention_heads": 16,
         "num_experts": 64, "num_experts_per_tok": 8, "num_hidden_layers": 16, "num_key_value_heads": 16,
         "pad_token_id": 1, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "router_aux_loss_coef": 0.01,
         "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 50304}
# microsoft/Phi-3.5-MoE-instruct config.json (rope_scaling's longrope factor lists left out)
PHIMOE = {"architectures": ["PhiMoEForCausalLM"], "attention_bias": True, "bos_token_id": 1, "eos_token_id": 32000,
          "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "input_jitter_noise": 0.01,
          "intermediate_size": 6400, "lm_head_bias": True, "max_position_embeddings": 131072, "model_type": "phimoe",
          "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8,
          "num_local_experts": 16, "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0, "router_jitter_noise": 0.01, "sliding_window": 131072,
          "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 32064}
# ibm-granite/granite-3.0-3b-a800m-base config.json
GRANITE_MOE = {"architectures": ["GraniteMoeForCausalLM"], "attention_bias": False, "attention_multiplier": 0.015625,
               "bos_token_id": 0, "embedding_multiplier": 12.0, "eos_token_id": 0, "hidden_act": "silu",
               "hidden_size": 1536, "initializer_range": 0.02, "intermediate_size": 512, "logits_scaling": 6.0,
               "max_position_embeddings": 4096, "model_type": "granitemoe", "num_attention_heads": 24,
               "num_experts_per_tok": 8, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 40,
               "pad_token_id": 0, "residual_multiplier": 0.22, "rms_norm_eps": 1e-06, "rope_theta": 10000,
               "tie_word_embeddings": True, "torch_dtype": "bfloat16", "vocab_size": 49155}
# bigscience/bloom-7b1 config.json
BLOOM_7B1 = {"apply_residual_connection_post_layernorm": False, "architectures": ["BloomForCausalLM"],
             "attention_dropout": 0.0, "attention_softmax_in_fp32": True, "bias_dropout_fusion": True,
             "bos_token_id": 1, "eos_token_id": 2, "hidden_dropout": 0.0, "hidden_size": 4096,
             "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "masked_softmax_fusion": True,
             "model_type": "bloom", "n_head": 32, "n_inner": None, "n_layer": 30, "offset_alibi": 100,
             "pad_token_id": 3, "pretraining_tp": 1, "skip_bias_add": True, "skip_bias_add_qkv": False,
             "slow_but_exact": False, "unk_token_id": 0, "use_cache": True, "vocab_size": 250880}
# EleutherAI/gpt-neox-20b config.json
NEOX_20B = {"architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu_fast",
            "hidden_size": 6144, "initializer_range": 0.02, "intermediate_size": 24576, "layer_norm_eps": 1e-05,
            "max_position_embeddings": 2048, "model_type": "gpt_neox", "num_attention_heads": 64,
            "num_hidden_layers": 44, "rotary_emb_base": 10000, "rotary_pct": 0.25, "tie_word_embeddings": False,
            "use_cache": True, "use_parallel_residual": True, "vocab_size": 50432}


def _load(tmp_path: Path, cfg: dict[str, Any]) -> Any:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return load_hf_config(path)


@pytest.mark.parametrize(("cfg", "total", "active", "rel"), [
    # Muennighoff et al. 2024, "OLMoE" (arXiv 2409.02060), Table 1: 6.9B total, 1.3B active (0.1B rounding: 4%)
    (OLMOE, 6.9e9, 1.3e9, 0.04),
    # microsoft/Phi-3.5-MoE-instruct model card: 41.9B parameters (the Hub's count), 6.6B active (0.1B rounding: 2%)
    (PHIMOE, 41.9e9, 6.6e9, 0.02),
    # bigscience/bloom-7b1: 7,069,016,064 parameters, the count Hugging Face reports for the checkpoint; biases and the
    # embedding LayerNorm are not counted here (30 x 9 x 4096 bias values + norms: 0.02%), so within 0.1%
    (BLOOM_7B1, 7_069_016_064, 7_069_016_064, 0.001),
    # EleutherAI/gpt-neox-20b model card (huggingface.co/EleutherAI/gpt-neox-20b): 20,554,567,680 parameters; within
    # 0.1% (biases not counted)
    (NEOX_20B, 20_554_567_680, 20_554_567_680, 0.001),
])
def test_parameters_match_the_published_count(tmp_path: Path, cfg: dict[str, Any], total: float, active: float,
                                              rel: float) -> None:
    m = _load(tmp_path, cfg)
    assert m.params_total() == pytest.approx(total, rel=rel)
    assert m.params_active() == pytest.approx(active, rel=rel)


def test_granite_moe_active_figure_is_without_embeddings(tmp_path: Path) -> None:
    # ibm-granite/granite-3.0-3b-a800m-base model card: 3.3B parameters, 800M active (0.1B rounding: 3% and 7%). The
    # 800M leaves out the tied 49,155 x 1,536 embedding (75.5M): 883M with it, 807M without.
    m = _load(tmp_path, GRANITE_MOE)
    assert m.params_total() == pytest.approx(3.3e9, rel=0.03)
    assert m.params_active() - 49155 * 1536 == pytest.approx(800e6, rel=0.07)


@pytest.mark.parametrize(("cfg", "listed"), [
    (BLOOM_7B1, ()),  # Megatron-DeepSpeed fusion / softmax-precision switches: no FLOPs, bytes or memory
    (GRANITE_MOE, ()),  # scalar multipliers (elementwise)
    # its lm_head bias is not counted: it stays named; attention_bias is read since s32 utcode2 (PhimoeAttention's
    # q, k, v and o biases, tests/test_llama_biases.py), listed before
    (PHIMOE, ("lm_head_bias",)),
    (OLMOE, ()),
])
def test_only_keys_that_change_the_arithmetic_are_listed(tmp_path: Path, cfg: dict[str, Any],
                                                         listed: tuple[str, ...]) -> None:
    assert _load(tmp_path, cfg).unused_keys == listed


@pytest.mark.parametrize("cfg", [OLMOE, PHIMOE, GRANITE_MOE])
def test_moe_families_have_a_rule(tmp_path: Path, cfg: dict[str, Any]) -> None:
    # they were read with the unknown-type note ('has no rule in this reader ... compare the parameter count'), over
    # counts that match the published ones above; without tie_word_embeddings they are untied as their config
    # classes default, and without hidden_act their experts are gated (the classes' silu), with no note either way
    m = _load(tmp_path, cfg)
    assert not any("has no rule" in n for n in m.config_defaults), m.config_defaults
    bare = _load(tmp_path, {k: v for k, v in cfg.items() if k not in ("tie_word_embeddings", "hidden_act")})
    assert not bare.tied_embeddings and bare.mlp == "swiglu" and bare.config_defaults == ()
