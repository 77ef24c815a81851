"""Config readers' silent approximations (utcfg, s33): a qwen2_moe / qwen3_moe config with no expert-count key was
read as dense, where transformers' Qwen2MoeConfig builds 60 experts (top 4) and Qwen3MoeConfig 128 (top 8); a gemma2
config without final_logit_softcapping got no 'not modelled' note, where Gemma2Config's default is 30.0 (transformers
@008e574 models/<type>/configuration_<type>.py). The counts below are hand counts by transformers' module shapes."""

from __future__ import annotations

from pathlib import Path

from conftest import QWEN3_30B_A3B, QWEN15_MOE, write_hf_config

from accelopt.workload.presets import get_model

GEMMA2_9B = {  # google/gemma-2-9b config.json (sizes)
    "model_type": "gemma2", "hidden_size": 3584, "intermediate_size": 14336, "num_hidden_layers": 42,
    "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256, "vocab_size": 256000,
    "max_position_embeddings": 8192, "sliding_window": 4096, "attn_logit_softcapping": 50.0,
    "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 256}


def _without(cfg: dict[str, object], *keys: str) -> dict[str, object]:
    return {k: v for k, v in cfg.items() if k not in keys}


def test_qwen3_moe_without_an_expert_count_builds_the_class_experts(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "q3", _without(QWEN3_30B_A3B, "num_experts",
                                                                  "num_experts_per_tok"))))
    assert (cfg.experts, cfg.top_k, cfg.ffn) == (128, 8, 768)
    (note,) = [n for n in cfg.config_defaults if "num_experts 128" in n]
    assert "num_experts_per_tok 8" in note and "Qwen3MoeConfig" in note, note
    # Qwen3MoeSparseMoeBlock: gate [128, h] + 128 experts of 3 x h x 768, on each of the 48 layers
    h = 2048
    moe = 128 * 3 * h * 768 + 128 * h
    attn = h * 32 * 128 + 2 * h * 4 * 128 + 32 * 128 * h + 2 * 128  # q, k, v, o; q_norm, k_norm
    total = 48 * (attn + moe + 2 * h) + 2 * 151936 * h + h
    assert cfg.params_total() == total == 30_532_122_624, (cfg.params_total(), total)


def test_the_top_k_given_alone_is_kept(tmp_path: Path) -> None:
    """num_experts_per_tok 2 with no count: 128 experts, top 2 (it was refused as 'num_experts_per_tok 2 with one
    expert', a dense read)."""
    cfg = get_model(str(write_hf_config(tmp_path, "q3", {**_without(QWEN3_30B_A3B, "num_experts"),
                                                          "num_experts_per_tok": 2})))
    assert (cfg.experts, cfg.top_k) == (128, 2)
    assert [n for n in cfg.config_defaults if "num_experts 128" in n and "num_experts_per_tok" not in n]


def test_qwen2_moe_without_an_expert_count_builds_the_class_experts(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "q15", _without(QWEN15_MOE, "num_experts",
                                                                   "num_experts_per_tok"))))
    assert (cfg.experts, cfg.top_k, cfg.ffn) == (60, 4, 1408)
    assert [n for n in cfg.config_defaults if "num_experts 60, num_experts_per_tok 4" in n and "Qwen2MoeConfig" in n]


def test_a_null_or_given_count_is_the_configs(tmp_path: Path) -> None:
    """A present key is the config's: num_experts 1 stays a dense read (no class count filled)."""
    cfg = get_model(str(write_hf_config(tmp_path, "q3", {**QWEN3_30B_A3B, "num_experts": 1,
                                                          "num_experts_per_tok": 1})))
    assert cfg.experts == 1
    assert not [n for n in cfg.config_defaults if "num_experts 128" in n]


def test_gemma2_without_the_final_cap_gets_the_class_default_note(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "g2", GEMMA2_9B)))
    assert [n for n in cfg.config_defaults if n.startswith("final_logit_softcapping 30: ") and "not modelled" in n]
    assert [n for n in cfg.config_defaults if "leaves out final_logit_softcapping 30" in n and "Gemma2Config" in n]


def test_gemma2_with_a_null_final_cap_has_none(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "g2", {**GEMMA2_9B, "final_logit_softcapping": None})))
    assert not [n for n in cfg.config_defaults if "final_logit_softcapping" in n], cfg.config_defaults


def test_qwen2_moe_one_expert_is_the_expert_and_the_shared_expert(tmp_path: Path) -> None:
    """Qwen2MoeSparseMoeBlock with num_experts 1: one expert of moe_intermediate_size 1408 and the shared expert of
    shared_expert_intermediate_size 5632 (modeling_qwen2_moe.py: num_experts > 0 builds the block): 3 x h x (1408 +
    5632) a layer, the dense read of intermediate_size 5632 counted 3 x h x 5632. The routers and shared-expert gates
    (2 x 24 x 2048) are said, not counted."""
    cfg = get_model(str(write_hf_config(tmp_path, "q15", {**QWEN15_MOE, "num_experts": 1, "num_experts_per_tok": 1})))
    assert (cfg.experts, cfg.ffn) == (1, 1408 + 5632)
    (note,) = [n for n in cfg.config_defaults if n.startswith("one routed expert")]
    assert "shared expert 5,632" in note and "98,304 parameters" in note, note
    h = 2048
    attn = h * 2048 * 3 + 3 * 2048 + 2048 * h  # q, k, v with biases (Qwen2-MoE qkv_bias), o
    assert cfg.params_total() == 24 * (attn + 3 * h * 7040 + 2 * h) + 2 * 151936 * h + h
