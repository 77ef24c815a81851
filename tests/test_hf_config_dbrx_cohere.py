"""Two published configs a new user plans that the reader got wrong (uplan3, 2026-12-01).

DBRX (databricks/dbrx-base config.json) names its sizes n_layers / n_heads / max_seq_len and nests the attention and
MoE sizes under attn_config / ffn_config (transformers DbrxConfig, DbrxAttentionConfig, DbrxFFNConfig): it stopped at
'none of num_hidden_layers, n_layer, num_layers is set', which sent the user to add a key the model does not have.
Command R (CohereForAI/c4ai-command-r-v01 config.json) gives no tie_word_embeddings; CohereConfig's default is True
(transformers models/cohere/configuration_cohere.py), and it was read as untied: 2.1 B parameters (4.2 GB of bf16
weights) too many, with a note that called the default unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# databricks/dbrx-base config.json (the keys that set sizes, and the ones that do not, as published)
DBRX: dict[str, Any] = {
    "architectures": ["DbrxForCausalLM"], "model_type": "dbrx", "d_model": 6144, "n_heads": 48, "n_layers": 40,
    "max_seq_len": 32768, "vocab_size": 100352, "resid_pdrop": 0.0, "emb_pdrop": 0.0,
    "attn_config": {"kv_n_heads": 8, "clip_qkv": 8, "rope_theta": 500000},
    "ffn_config": {"ffn_hidden_size": 10752, "moe_num_experts": 16, "moe_top_k": 4, "moe_jitter_eps": 0.01,
                   "moe_loss_weight": 0.05, "moe_normalize_expert_weights": 1, "ffn_act_fn": {"name": "silu"}},
    "output_router_logits": False, "router_aux_loss_coef": 0.05, "tie_word_embeddings": False,
    "torch_dtype": "bfloat16", "use_cache": True, "initializer_range": 0.02}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


def test_dbrx_sizes_are_read_from_its_own_keys(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, DBRX))
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.vocab) == (40, 6144, 48, 8, 100352)
    assert (m.experts, m.top_k, m.ffn, m.mlp, m.tied_embeddings) == (16, 4, 10752, "swiglu", False)
    assert m.context is not None and m.context.positions == 32768
    # Databricks' model card: 132B total parameters, 36B active. By hand: attention 2 x 6144^2 + 2 x 6144 x 1024 =
    # 88.08M, experts 16 x 3 x 6144 x 10752 = 3.171B, router 6144 x 16, 2 norms of 6144; x 40 layers + embeddings
    # 2 x 100352 x 6144 = 1.233B: 131.60B total; active: attention + 4 experts = 880.9M x 40 + 1.233B = 36.47B
    assert m.params_total() == pytest.approx(131.6e9, rel=2e-3)
    assert m.params_active() == pytest.approx(36.5e9, rel=3e-3)
    assert not any(k.startswith(("attn_config", "ffn_config")) for k in m.unused_keys)


def test_dbrx_nested_key_errors_name_the_nested_key(tmp_path: Path) -> None:
    bad = {**DBRX, "attn_config": {**DBRX["attn_config"], "kv_n_heads": "8"}}
    with pytest.raises(InputError, match=r"attn_config\.kv_n_heads"):
        load_hf_config(_write(tmp_path, bad))
    with pytest.raises(InputError, match="ffn_config is not a JSON object"):
        load_hf_config(_write(tmp_path, {**DBRX, "ffn_config": 3}))


def test_dbrx_unknown_nested_key_is_listed_as_not_modelled(tmp_path: Path) -> None:
    cfg = {**DBRX, "ffn_config": {**DBRX["ffn_config"], "moe_shared_width": 512}}
    assert "ffn_config.moe_shared_width" in load_hf_config(_write(tmp_path, cfg)).unused_keys


def test_cohere_ties_its_embeddings_by_default(tmp_path: Path) -> None:
    # CohereForAI/c4ai-command-r-v01 config.json (no tie_word_embeddings key); model card: 35 billion parameters.
    # By hand: 40 x (4 x 8192^2 + 3 x 8192 x 22528 + 8192 norm) + 256000 x 8192 (tied) + 8192 = 34,980,831,232
    cfg = {"architectures": ["CohereForCausalLM"], "model_type": "cohere", "hidden_act": "silu", "hidden_size": 8192,
           "intermediate_size": 22528, "logit_scale": 0.0625, "max_position_embeddings": 8192,
           "num_attention_heads": 64, "num_hidden_layers": 40, "num_key_value_heads": 64, "use_qk_norm": False,
           "vocab_size": 256000}
    m = load_hf_config(_write(tmp_path, cfg))
    assert m.tied_embeddings is True
    assert not any("tie_word_embeddings" in n for n in m.config_defaults)
    assert m.params_total() == pytest.approx(34_980_831_232, rel=1e-4)


# mosaicml/mpt-7b config.json as published (llm-foundry's MPTConfig keys)
MPT7B: dict[str, Any] = {
    "architectures": ["MPTForCausalLM"], "model_type": "mpt", "d_model": 4096, "n_heads": 32, "n_layers": 32,
    "expansion_ratio": 4, "max_seq_len": 2048, "vocab_size": 50432, "no_bias": True, "learned_pos_emb": True,
    "norm_type": "low_precision_layernorm", "init_device": "cpu", "embedding_fraction": 1.0, "emb_pdrop": 0,
    "resid_pdrop": 0, "logit_scale": None, "tokenizer_name": "EleutherAI/gpt-neox-20b", "verbose": 0,
    "torch_dtype": "bfloat16", "use_cache": False,
    "attn_config": {"alibi": True, "alibi_bias_max": 8, "attn_impl": "torch", "attn_pdrop": 0,
                    "attn_type": "multihead_attention", "attn_uses_sequence_id": False, "clip_qkv": None,
                    "prefix_lm": False, "qk_ln": False, "softmax_scale": None}}


def test_mpt_sizes_are_read_from_its_own_keys(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, MPT7B))
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.ffn, m.mlp) == (32, 4096, 32, None, 16384, "gelu")
    assert m.tied_embeddings is True and m.context is not None and m.context.positions == 2048
    # model card: 6.7B parameters. By hand: 32 x (4 x 4096^2 + 2 x 4096 x 16384 + 2 norms x 4096) + 50432 x 4096
    # (tied) + 4096 = 6,649,286,656
    assert m.params_total() == pytest.approx(6_649_286_656, rel=1e-4)
    assert m.unused_keys == () and m.config_defaults == ()


def test_mpt_grouped_query_and_width(tmp_path: Path) -> None:
    gqa = {**MPT7B, "expansion_ratio": 3.5,
           "attn_config": {**MPT7B["attn_config"], "attn_type": "grouped_query_attention", "kv_n_heads": 8}}
    m = load_hf_config(_write(tmp_path, gqa))
    assert (m.kv_heads, m.ffn) == (8, 14336)
    with pytest.raises(InputError, match="expansion_ratio"):
        load_hf_config(_write(tmp_path, {**MPT7B, "expansion_ratio": 4.0001}))
    with pytest.raises(InputError, match="attn_type"):
        load_hf_config(_write(tmp_path, {**MPT7B, "attn_config": {"attn_type": "linear"}}))
    biased = load_hf_config(_write(tmp_path, {**MPT7B, "no_bias": False,
                                              "attn_config": {**MPT7B["attn_config"], "alibi": False}}))
    assert {"learned_pos_emb", "no_bias"} <= set(biased.unused_keys)  # a position table and biases not counted: said


def test_starcoder2_ties_by_default_and_keeps_its_unknown_block_note(tmp_path: Path) -> None:
    # bigcode/starcoder2-3b config.json (no tie_word_embeddings); Starcoder2Config's default is True; model card: 3B.
    # By hand (the common block, biases not counted): 30 x (3072^2 x 2 + 2 x 3072 x 256 + 2 x 3072 x 12288 + 2 norms
    # x 3072) + 49152 x 3072 + 3072 = 3,029,523,456
    cfg = {"architectures": ["Starcoder2ForCausalLM"], "model_type": "starcoder2", "hidden_act": "gelu_pytorch_tanh",
           "hidden_size": 3072, "intermediate_size": 12288, "max_position_embeddings": 16384,
           "num_attention_heads": 24, "num_hidden_layers": 30, "num_key_value_heads": 2, "sliding_window": 4096,
           "use_bias": True, "vocab_size": 49152}
    m = load_hf_config(_write(tmp_path, cfg))
    assert m.tied_embeddings is True
    assert m.params_total() == pytest.approx(3_029_523_456, rel=1e-4)
    assert any("has no rule in this reader" in n for n in m.config_defaults)
    assert not any("tie_word_embeddings" in n for n in m.config_defaults)


# THUDM/glm-4-9b-chat config.json (remote code, model_type chatglm)
GLM4_9B: dict[str, Any] = {
    "architectures": ["ChatGLMModel"], "model_type": "chatglm", "add_bias_linear": False, "add_qkv_bias": True,
    "apply_query_key_layer_scaling": True, "apply_residual_connection_post_layernorm": False,
    "attention_dropout": 0.0, "attention_softmax_in_fp32": True, "bias_dropout_fusion": True,
    "ffn_hidden_size": 13696, "fp32_residual_connection": False, "hidden_dropout": 0.0, "hidden_size": 4096,
    "kv_channels": 128, "layernorm_epsilon": 1.5625e-07, "multi_query_attention": True, "multi_query_group_num": 2,
    "num_attention_heads": 32, "num_layers": 40, "original_rope": True, "padded_vocab_size": 151552,
    "post_layer_norm": True, "rmsnorm": True, "rope_ratio": 500, "seq_length": 131072, "use_cache": True,
    "torch_dtype": "bfloat16", "tie_word_embeddings": False, "eos_token_id": [151329, 151336, 151338],
    "pad_token_id": 151329}


def test_chatglm_sizes_are_read_from_its_own_keys(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, GLM4_9B))
    assert (m.layers, m.hidden, m.heads, m.kv_heads, m.vocab, m.ffn, m.mlp) == (
        40, 4096, 32, 2, 151552, 13696, "swiglu")
    assert m.context is not None and m.context.positions == 131072
    # model card: 9.4B parameters. By hand (qkv bias not counted): 40 x (2 x 4096^2 + 2 x 4096 x 256 + 3 x 4096 x
    # 13696 + 2 x 4096) + 2 x 151552 x 4096 + 4096 = 9,399,767,040
    assert m.params_total() == pytest.approx(9_399_767_040, rel=1e-6)
    assert m.unused_keys == ("add_qkv_bias",)  # its biases are not counted: said
    with pytest.raises(InputError, match="padded_vocab_size"):
        load_hf_config(_write(tmp_path, {**GLM4_9B, "padded_vocab_size": "151552"}))


@pytest.mark.parametrize("act", [None, "gelu"])
def test_cohere_mlp_is_gated_whatever_its_activation(tmp_path: Path, act: str | None) -> None:
    # CohereMLP builds gate_proj, up_proj and down_proj whatever hidden_act names (transformers
    # models/cohere/modeling_cohere.py, stored commit 015bfeb), and CohereConfig's hidden_act defaults to "silu".
    # A config without hidden_act (or with another activation) was read as a plain 2-matrix MLP: 27,598,856,192
    # parameters for Command R, whose card says 35 billion (by hand above: 34,980,831,232).
    cfg: dict[str, Any] = {"architectures": ["CohereForCausalLM"], "model_type": "cohere", "hidden_size": 8192,
                           "intermediate_size": 22528, "max_position_embeddings": 8192, "num_attention_heads": 64,
                           "num_hidden_layers": 40, "num_key_value_heads": 64, "vocab_size": 256000}
    if act is not None:
        cfg["hidden_act"] = act
    m = load_hf_config(_write(tmp_path, cfg))
    assert m.mlp == "swiglu"
    assert m.params_total() == pytest.approx(34_980_831_232, rel=1e-4)
