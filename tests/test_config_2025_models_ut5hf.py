"""2025-26 model configs tried as a demanding user (ut5hf, 2026-12-06): `plan`, `plan explain` and `plan serve` with
`-m config.json`. Found: `plan -m` and `plan explain -m` were refused ('No such option: -m') though `plan serve`,
`plan infer` and `simulate` take it and `plan infer --help` says it takes -m "as `plan` and `plan serve`"; Gemma 3's
q_norm / k_norm weights were not counted; GLM-4.5's use_qk_norm was dropped without a word (it sat with Llama 4's
weightless norm among the keys that change nothing); DeepSeek-V3.2-Exp's sparse-attention keys were only listed as
ignored, leaving a user to guess that attention is priced dense. Each parameter count is checked against the
published one, the tolerance stated first, with a hand count of the transformers module beside it where exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_main, write_config

from accelopt.workload.presets import load_hf_config

# google/gemma-3-1b-pt config.json (https://huggingface.co/google/gemma-3-1b-pt; token ids left out)
GEMMA3_1B = {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "attention_bias": False,
             "attn_logit_softcapping": None, "cache_implementation": "hybrid", "final_logit_softcapping": None,
             "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152, "intermediate_size": 6912,
             "max_position_embeddings": 32768, "num_attention_heads": 4, "num_hidden_layers": 26,
             "num_key_value_heads": 1, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
             "rope_local_base_freq": 10000, "rope_scaling": None, "rope_theta": 1000000, "sliding_window": 512,
             "sliding_window_pattern": 6, "vocab_size": 262144}
# zai-org/GLM-4.5 config.json (https://huggingface.co/zai-org/GLM-4.5; token ids left out): unlike GLM-4.5-Air it sets
# use_qk_norm
GLM45 = {"architectures": ["Glm4MoeForCausalLM"], "model_type": "glm4_moe", "attention_bias": True, "head_dim": 128,
         "hidden_act": "silu", "hidden_size": 5120, "partial_rotary_factor": 0.5, "intermediate_size": 12288,
         "max_position_embeddings": 131072, "moe_intermediate_size": 1536, "norm_topk_prob": True,
         "num_attention_heads": 96, "n_group": 1, "topk_group": 1, "n_routed_experts": 160, "n_shared_experts": 1,
         "routed_scaling_factor": 2.5, "num_experts_per_tok": 8, "first_k_dense_replace": 3, "num_hidden_layers": 92,
         "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000, "num_nextn_predict_layers": 1,
         "tie_word_embeddings": False, "use_qk_norm": True, "vocab_size": 151552}
# deepseek-ai/DeepSeek-V3.2-Exp config.json (https://huggingface.co/deepseek-ai/DeepSeek-V3.2-Exp; rope scaling and
# quantization left out): DeepSeek-V3's sizes and the sparse-attention indexer's three keys
DSV32 = {"architectures": ["DeepseekV32ForCausalLM"], "model_type": "deepseek_v32", "vocab_size": 129280,
         "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61,
         "num_nextn_predict_layers": 1, "num_attention_heads": 128, "num_key_value_heads": 128, "n_shared_experts": 1,
         "n_routed_experts": 256, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64,
         "v_head_dim": 128, "qk_nope_head_dim": 128, "n_group": 8, "topk_group": 4, "num_experts_per_tok": 8,
         "moe_layer_freq": 1, "first_k_dense_replace": 3, "hidden_act": "silu", "max_position_embeddings": 163840,
         "tie_word_embeddings": False, "index_topk": 2048, "index_n_heads": 64, "index_head_dim": 128}
# moonshotai/Moonlight-16B-A3B config.json (https://huggingface.co/moonshotai/Moonlight-16B-A3B; token ids left
# out): DeepSeek-V3's architecture, no q low-rank (q_lora_rank null), no multi-token-prediction layer
MOONLIGHT = {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "vocab_size": 163840,
             "hidden_size": 2048, "intermediate_size": 11264, "moe_intermediate_size": 1408, "num_hidden_layers": 27,
             "num_attention_heads": 16, "num_key_value_heads": 16, "n_shared_experts": 2, "n_routed_experts": 64,
             "ep_size": 1, "routed_scaling_factor": 2.446, "kv_lora_rank": 512, "q_lora_rank": None,
             "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128, "topk_method": "noaux_tc",
             "n_group": 1, "topk_group": 1, "num_experts_per_tok": 6, "moe_layer_freq": 1, "first_k_dense_replace": 1,
             "norm_topk_prob": True, "scoring_func": "sigmoid", "aux_loss_alpha": 0.001, "seq_aux": True,
             "hidden_act": "silu", "max_position_embeddings": 8192, "rms_norm_eps": 1e-05,
             "num_nextn_predict_layers": 0, "tie_word_embeddings": False, "rope_theta": 50000.0,
             "rope_scaling": None, "attention_bias": False, "attention_dropout": 0.0}
# mistralai/Ministral-8B-Instruct-2410 config.json (https://huggingface.co/mistralai/Ministral-8B-Instruct-2410)
MINISTRAL_8B = {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "head_dim": 128,
                "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 12288,
                "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 36,
                "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 100000000.0, "sliding_window": 32768,
                "tie_word_embeddings": False, "vocab_size": 131072}
# mistralai/Mistral-Small-24B-Instruct-2501 config.json (https://huggingface.co/mistralai/Mistral-Small-24B-Instruct-2501)
MISTRAL_SMALL_3 = {**MINISTRAL_8B, "hidden_size": 5120, "intermediate_size": 32768, "num_hidden_layers": 40,
                   "sliding_window": None}
# microsoft/Phi-4-mini-instruct config.json (https://huggingface.co/microsoft/Phi-4-mini-instruct; longrope's 48
# factors written as ones)
PHI4_MINI = {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "attention_bias": False,
             "full_attn_mod": 1, "hidden_act": "silu", "hidden_size": 3072, "intermediate_size": 8192,
             "interpolate_factor": 1, "lm_head_bias": False, "max_position_embeddings": 131072, "mlp_bias": False,
             "num_attention_heads": 24, "num_hidden_layers": 32, "num_key_value_heads": 8,
             "original_max_position_embeddings": 4096, "partial_rotary_factor": 0.75, "rms_norm_eps": 1e-05,
             "rope_scaling": {"long_factor": [1.0] * 48, "short_factor": [1.0] * 48, "type": "longrope"},
             "rope_theta": 10000.0, "sliding_window": 262144, "tie_word_embeddings": True, "vocab_size": 200064}


@pytest.mark.parametrize("sub", [[], ["explain", "--devices", "8"]])
def test_plan_and_plan_explain_take_dash_m(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           sub: list[str]) -> None:
    path = write_config(tmp_path, GEMMA3_1B)
    argv = ["plan", *sub, "-m", str(path), "--hardware", "h100-sxm"] + ([] if sub else ["--devices", "8", "--top", "1"])
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "999,885,952 parameters" in out


def test_gemma3_counts_its_qk_norms(tmp_path: Path) -> None:
    # google/gemma-3-1b-pt model card: 1B (one significant figure; 1% as it lands within it). Hand count of
    # Gemma3ForCausalLM: tied embedding 262,144 x 1,152 = 301,989,888 + 26 x (q, k, v, o 2,949,120 + MLP 3 x 1,152 x
    # 6,912 = 23,887,872 + 4 norms 4,608 + q_norm, k_norm 2 x 256) + final norm 1,152; the q/k norms (26 x 512 =
    # 13,312) were left out: 999,872,640
    m = load_hf_config(write_config(tmp_path, GEMMA3_1B))
    assert m.qk_norm
    assert m.params_total() == 301_989_888 + 26 * (2_949_120 + 23_887_872 + 4_608 + 512) + 1_152 == 999_885_952
    assert m.params_total() == pytest.approx(1e9, rel=0.01)


def test_glm45_reads_use_qk_norm(tmp_path: Path) -> None:
    m = load_hf_config(write_config(tmp_path, GLM45))
    off = load_hf_config(write_config(tmp_path, {**GLM45, "use_qk_norm": False}, "off.json"))
    assert m.qk_norm and not off.qk_norm
    assert m.params_total() - off.params_total() == 92 * 2 * 128  # Glm4MoeAttention q_norm, k_norm of head_dim
    assert "use_qk_norm" not in m.unused_keys
    # zai-org/GLM-4.5 model card: 355B total, 32B active (1B rounding at 3 and 2 significant figures: 1%, 2%); the
    # active figure leaves out the input embedding and the output layer (as GLM-4.5-Air's does,
    # tests/test_config_families_uthf.py); the multi-token-prediction layer stays listed, not counted
    assert m.params_total() == pytest.approx(355e9, rel=0.01)
    assert m.params_active() - 2 * 151552 * 5120 == pytest.approx(32e9, rel=0.02)
    assert m.unused_keys == ("num_nextn_predict_layers",)


def test_deepseek_v32_says_sparse_attention_is_priced_dense(tmp_path: Path) -> None:
    m = load_hf_config(write_config(tmp_path, DSV32))
    assert {"index_topk", "index_n_heads", "index_head_dim"} <= set(m.unused_keys)  # still in the warning
    note = next(n for n in m.config_defaults if "DeepSeek Sparse Attention" in n)
    # deepseek-ai/DeepSeek-V3.2-Exp@6d8cb70d inference/model.py Indexer: wq_b 1,536 x 64 x 128 + wk 7,168 x 128 +
    # k_norm 2 x 128 + weights_proj 7,168 x 64 a layer
    per_layer = 1536 * 64 * 128 + 7168 * 128 + 2 * 128 + 7168 * 64
    assert f"{per_layer:,} a layer, {61 * per_layer:,} in all" in note and "priced dense" in note
    # deepseek-ai/DeepSeek-V3.2-Exp model card: DeepSeek-V3's 671B main-model parameters (1%); the indexer's
    # 851,524,864 weights (0.13%) are the note's, not the count's
    assert m.params_total() == pytest.approx(671e9, rel=0.01)
    assert not any("DeepSeek Sparse" in n for n in load_hf_config(write_config(
        tmp_path, {k: v for k, v in DSV32.items() if not k.startswith("index_")}, "v3.json")).config_defaults)


@pytest.mark.parametrize(("cfg", "exact", "card", "rel", "unused"), [
    # moonshotai/Moonlight-16B-A3B model card: 16B total (2 significant figures: 1%). Every key read (q_lora_rank
    # null: q projected from the hidden state, DeepseekV3Attention's q_proj)
    (MOONLIGHT, 15_960_108_544, 16e9, 0.01, ()),
    # Ministral-8B-Instruct-2410 model card, Architecture table: Parameters 8,019,808,256 (exact: 0)
    (MINISTRAL_8B, 8_019_808_256, 8_019_808_256, 0.0, ()),
    # Mistral-Small-24B-Instruct-2501 model card: 24B (2 significant figures: 2.1%). Hand count: untied embedding 2 x
    # 131,072 x 5,120 + 40 x (attention 52,428,800 + MLP 503,316,480 + norms 10,240) + final norm 5,120
    (MISTRAL_SMALL_3, 2 * 131072 * 5120 + 40 * (52_428_800 + 503_316_480 + 10_240) + 5120, 24e9, 0.021, ()),
    # Phi-4-mini-instruct model card: 3.8B (2 significant figures: 1.4%). Hand count: tied embedding 200,064 x
    # 3,072 + 32 x (qkv_proj 3,072 x 5,120 + o_proj 3,072^2 + gate_up 3,072 x 16,384 + down 8,192 x 3,072 + norms
    # 6,144) + final norm 3,072. Its full_attn_mod and interpolate_factor are no Phi3Config field: listed
    (PHI4_MINI, 614_596_608 + 32 * (15_728_640 + 9_437_184 + 50_331_648 + 25_165_824 + 6_144) + 3072, 3.8e9, 0.014,
     ("full_attn_mod", "interpolate_factor")),
])
def test_published_parameter_counts(tmp_path: Path, cfg: dict[str, Any], exact: int, card: float, rel: float,
                                    unused: tuple[str, ...]) -> None:
    m = load_hf_config(write_config(tmp_path, cfg))
    assert m.params_total() == exact
    assert m.params_total() == pytest.approx(card, rel=rel)
    assert m.unused_keys == unused


def test_moonlight_active_and_phi4_mini_rotary(tmp_path: Path) -> None:
    # Moonlight-16B-A3B model card: 3B activated (whole billions: within 0.5B)
    moon = load_hf_config(write_config(tmp_path, MOONLIGHT))
    assert moon.params_active() == pytest.approx(3e9, abs=0.5e9)
    assert moon.mla is not None and moon.mla.q_lora_rank is None
    # Phi-4-mini: partial_rotary_factor 0.75 of head_dim 128 rotates 96 dimensions a head
    assert load_hf_config(write_config(tmp_path, PHI4_MINI, "phi.json")).rotary_dim == 96


def test_use_qk_norm_is_read_or_listed_never_dropped(tmp_path: Path) -> None:
    # Hunyuan-A13B: HunYuanMoEV1Attention's query_layernorm / key_layernorm of head_dim, whatever use_qk_norm says
    # (transformers@008cd60e src/transformers/models/hunyuan_v1_moe/modeling_hunyuan_v1_moe.py): 32 x 2 x 128
    hunyuan = {"model_type": "hunyuan_v1_moe", "hidden_size": 4096, "intermediate_size": 3072, "head_dim": 128,
               "num_attention_heads": 32, "num_key_value_heads": 8, "num_hidden_layers": 32, "num_experts": 64,
               "moe_topk": 8, "moe_intermediate_size": 3072, "vocab_size": 128167, "use_qk_norm": True,
               "max_position_embeddings": 32768, "tie_word_embeddings": True}
    m = load_hf_config(write_config(tmp_path, hunyuan))
    assert m.qk_norm and "use_qk_norm" not in m.unused_keys
    # a family whose q/k norm weights are not modelled (Cohere's CohereLayerNorm over (heads, head_dim)) gets it
    # listed in the unused-keys warning; it sat among the keys that change nothing
    cohere = {"model_type": "cohere", "hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 8,
              "num_key_value_heads": 8, "num_hidden_layers": 2, "vocab_size": 1000, "use_qk_norm": True,
              "max_position_embeddings": 2048}
    c = load_hf_config(write_config(tmp_path, cohere, "cohere.json"))
    assert "use_qk_norm" in c.unused_keys and not c.qk_norm
    assert "use_qk_norm" not in load_hf_config(write_config(tmp_path, {**cohere, "use_qk_norm": False},
                                                            "off.json")).unused_keys
