"""Ling (Ant Group inclusionAI, model_type bailing_moe): its shared experts are num_shared_experts (DeepSeek spells
them n_shared_experts), each moe_intermediate_size wide, run as one gated MLP of moe_intermediate_size x
num_shared_experts beside the routed experts (mlx-lm mlx_lm/models/bailing_moe.py @0506aad, BailingMoeSparseMoeBlock;
BailingMoeMLP: gate_proj, up_proj, down_proj; tie_word_embeddings False in BailingMoeConfig). The key was listed as
not modelled and the shared experts left out: Ling-lite-1.5 counted 16.32B of its 16.8B and 2.27B of its 2.75B active
parameters per token (a user trial, utconfigs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_config

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# inclusionAI/Ling-lite-1.5 config.json (the sizes; tokens, dropout and numerics flags left out), as quoted field for
# field in a public repository's parse test of the real checkpoint's config
LING_LITE = {"architectures": ["BailingMoeForCausalLM"], "model_type": "bailing_moe", "first_k_dense_replace": 0,
             "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 1408, "max_position_embeddings": 32768,
             "moe_intermediate_size": 1408, "num_experts": 64, "num_shared_experts": 2, "norm_topk_prob": True,
             "num_attention_heads": 16, "num_experts_per_tok": 6, "num_hidden_layers": 28, "num_key_value_heads": 4,
             "rms_norm_eps": 1e-06, "rope_theta": 600000, "tie_word_embeddings": False, "use_bias": False,
             "use_qkv_bias": False, "vocab_size": 126464, "norm_head": False}


def test_ling_lite_counts_its_shared_experts(tmp_path: Path) -> None:
    m = load_hf_config(write_config(tmp_path, LING_LITE))
    # Hand count of BailingMoeForCausalLM: embedding + lm_head 2 x 258,998,272 + 28 x (query_key_value 6,291,456
    # + dense 4,194,304 + 64 experts x 8,650,752 + shared MLP 17,301,504 + router 131,072 + norms 4,096)
    # + final norm 2,048
    assert m.params_total() == 16_801_974_272
    # inclusionAI/Ling README: "Ling-Lite has 16.8 billion parameters with 2.75 billion activated parameters"
    # (3 significant digits: within 0.5%)
    assert m.params_total() == pytest.approx(16.8e9, rel=0.005)
    assert m.params_active() == pytest.approx(2.75e9, rel=0.005)
    assert "num_shared_experts" not in m.unused_keys
    assert not any("has no rule" in n for n in m.config_defaults), m.config_defaults


def test_both_spellings_of_the_shared_experts_must_agree(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="n_shared_experts = 1 and num_shared_experts = 2"):
        load_hf_config(write_config(tmp_path, {**LING_LITE, "n_shared_experts": 1}))
