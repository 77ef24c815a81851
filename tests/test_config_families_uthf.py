"""Architectures a user trial of `plan` / `plan explain` / `plan serve` tried for the first time (uthf, 2026-12-04):
ERNIE 4.5 MoE and Hunyuan-A13B, whose MoE figures have their own keys (ERNIE was planned as a dense 3.3B model, its
experts only in the unused-keys warning; Hunyuan stopped at its own per-layer lists), and MiniMax-M1, whose lightning
(linear) attention layers were planned as softmax attention. Each parameter count is checked against the model card,
within the tolerance stated beside it (a hand count of the transformers module, exact, beside each)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# baidu/ERNIE-4.5-21B-A3B-PT config.json (the sizes; tokens and rope left out)
ERNIE_21B = {"architectures": ["Ernie4_5_MoeForCausalLM"], "model_type": "ernie4_5_moe", "hidden_act": "silu",
             "hidden_size": 2560, "intermediate_size": 12288, "max_position_embeddings": 131072,
             "num_attention_heads": 20, "num_key_value_heads": 4, "head_dim": None, "num_hidden_layers": 28,
             "rms_norm_eps": 1e-05, "vocab_size": 103424, "rope_theta": 500000, "use_bias": False,
             "tie_word_embeddings": True, "moe_num_experts": 64, "moe_layer_start_index": 1,
             "moe_intermediate_size": 1536, "moe_k": 6, "moe_layer_interval": 1, "moe_num_shared_experts": 2,
             "moe_layer_end_index": 27, "moe_gate_act": "softmax"}
# baidu/ERNIE-4.5-300B-A47B-PT config.json (the sizes): no shared experts, three dense layers first, untied
ERNIE_300B = {**ERNIE_21B, "hidden_size": 8192, "intermediate_size": 28672, "num_attention_heads": 64,
              "num_key_value_heads": 8, "num_hidden_layers": 54, "tie_word_embeddings": False,
              "moe_layer_start_index": 3, "moe_layer_end_index": 53, "moe_intermediate_size": 3584, "moe_k": 8,
              "moe_num_shared_experts": 0}
# tencent/Hunyuan-A13B-Instruct config.json (the sizes): per-layer lists of the MoE figures
HUNYUAN_A13B = {"architectures": ["HunYuanMoEV1ForCausalLM"], "model_type": "hunyuan_v1_moe", "attention_bias": False,
                "attention_head_dim": 128, "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096,
                "intermediate_size": 3072, "max_position_embeddings": 32768, "mlp_bias": False,
                "moe_intermediate_size": [3072] * 32, "moe_topk": [8] * 32, "num_attention_heads": 32,
                "num_experts": 64, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_shared_expert": [1] * 32,
                "rope_scaling": {"alpha": 1000.0, "factor": 1.0, "type": "dynamic"}, "rope_theta": 10000.0,
                "tie_word_embeddings": True, "use_cla": False, "use_mixed_mlp_moe": True, "use_qk_norm": True,
                "vocab_size": 128167}
# MiniMaxAI/MiniMax-M1-80k config.json (the sizes): lightning attention (0) on 7 of every 8 layers
MINIMAX_M1 = {"architectures": ["MiniMaxM1ForCausalLM"], "model_type": "minimax_m1",
              "attn_type_list": [0, 0, 0, 0, 0, 0, 0, 1] * 10, "hidden_size": 6144, "intermediate_size": 9216,
              "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128, "num_hidden_layers": 80,
              "num_local_experts": 32, "num_experts_per_tok": 2, "vocab_size": 200064,
              "max_position_embeddings": 10240000, "postnorm": True, "rotary_dim": 64}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


@pytest.mark.parametrize(("cfg", "exact", "card_total", "card_active", "rel_total", "rel_active"), [
    # ERNIE 4.5 technical report / baidu/ERNIE-4.5-21B-A3B-PT model card: 21B total, 3B active (1B rounding: 5%, 15%).
    # Hand count of Ernie4_5_MoeForCausalLM: tied embedding 264,765,440 + 28 x attention 15,728,640 + layer 0's MLP
    # 94,371,840 + 27 x (64 experts x 11,796,480 + shared MLP 23,592,960 + router 163,840) + norms 145,920
    (ERNIE_21B, 21_825_436_160, 21e9, 3e9, 0.05, 0.15),
    # baidu/ERNIE-4.5-300B-A47B-PT model card: 300B total, 47B active (rounding: 1%, 3%)
    (ERNIE_300B, 299_484_160_000, 300e9, 47e9, 0.01, 0.03),
    # tencent/Hunyuan-A13B-Instruct model card: 80B total, 13B active (1B rounding: 2%, 4%). Hand count of
    # HunYuanMoEV1ForCausalLM: tied embedding 524,972,032 + 32 x (attention 41,943,040 + 64 experts x 37,748,736 +
    # shared MLP 37,748,736 + router 262,144 + norms 8,192 + query/key_layernorm 2 x 128) + final norm 4,096; the
    # q/k norms (32 x 256 = 8,192) were left out until ut5hf (tests/test_config_2025_models_ut5hf.py): 80,393,175,040
    (HUNYUAN_A13B, 80_393_183_232, 80e9, 13e9, 0.02, 0.04),
])
def test_moe_figures_under_their_own_keys_are_read(tmp_path: Path, cfg: dict[str, Any], exact: int,
                                                   card_total: float, card_active: float, rel_total: float,
                                                   rel_active: float) -> None:
    m = load_hf_config(_write(tmp_path, cfg))
    assert m.params_total() == exact
    assert m.params_total() == pytest.approx(card_total, rel=rel_total)
    assert m.params_active() == pytest.approx(card_active, rel=rel_active)
    assert m.unused_keys == ()  # the MoE keys are read, not listed as ignored
    assert not any("has no rule" in n for n in m.config_defaults), m.config_defaults


def test_ernie_dense_layers_after_the_last_moe_one_are_noted(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, {**ERNIE_21B, "moe_layer_end_index": 25}))
    assert m.moe_layers == 25  # layers 1..25
    assert any("moe_layer_end_index 25" in n for n in m.config_defaults), m.config_defaults


@pytest.mark.parametrize("end", [None, -1])
def test_ernie_end_index_left_out_is_the_last_layer(tmp_path: Path, end: int | None) -> None:
    assert load_hf_config(_write(tmp_path, {**ERNIE_21B, "moe_layer_end_index": end})).moe_layers == 27


def test_hunyuan_per_layer_values_that_differ_are_refused(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, {**HUNYUAN_A13B, "moe_topk": [8] * 16 + [4] * 16})
    with pytest.raises(InputError, match="moe_topk gives different values per layer"):
        load_hf_config(path)
    code, _, err = run_main(["plan", "serve", "--model", str(path), "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "fix:" in err and "Traceback" not in err


@pytest.mark.parametrize("cfg", [
    MINIMAX_M1,
    {**MINIMAX_M1, "model_type": "my_minimax"},  # the lightning layers named by attn_type_list, whatever the type
    # Jamba's / Nemotron-H's per-layer mixer keys under a type without a rule
    {**MINIMAX_M1, "model_type": "my_hybrid", "attn_type_list": None,
     "layers_block_type": ["mamba", "attention"] * 40},
    {**MINIMAX_M1, "model_type": "my_hybrid", "attn_type_list": None, "hybrid_override_pattern": "M-M*-" * 16},
])
def test_linear_attention_layers_are_refused(tmp_path: Path, cfg: dict[str, Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, cfg)
    with pytest.raises(InputError, match=r"model transformers|state-space"):
        load_hf_config(path)
    for argv in (["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "64"],
                 ["plan", "serve", "--model", str(path), "--hardware", "h100-sxm"]):
        code, _, err = run_main(argv, capsys)
        assert code == 2 and "error:" in err and "fix:" in err and "Traceback" not in err


def test_an_all_attention_mixer_list_is_planned(tmp_path: Path) -> None:
    # attn_type_list of 1s only (every layer softmax attention): nothing to refuse
    m = load_hf_config(_write(tmp_path, {**MINIMAX_M1, "model_type": "my_minimax", "attn_type_list": [1] * 80}))
    assert m.layers == 80


def test_tied_embeddings_said_beside_text_config_are_read(tmp_path: Path) -> None:
    # Qwen2.5-VL-3B (Qwen/Qwen2.5-VL-3B-Instruct) says tie_word_embeddings true beside its language model's sizes; in
    # the nested form (text_config without the key) it was untied by the type's default, with the note 'the config
    # gives no tie_word_embeddings'. Qwen2.5 3B model card: 3.09B parameters, 2.77B without the embedding (0.01B
    # rounding: 0.5%)
    text = {"model_type": "qwen2_5_vl_text", "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 11008,
            "num_hidden_layers": 36, "num_attention_heads": 16, "num_key_value_heads": 2, "vocab_size": 151936,
            "max_position_embeddings": 128000, "use_sliding_window": False}
    cfg = {"model_type": "qwen2_5_vl", "tie_word_embeddings": True, "text_config": text,
           "vision_config": {"depth": 32, "hidden_size": 1280}}
    m = load_hf_config(_write(tmp_path, cfg))
    assert m.tied_embeddings and m.params_total() == pytest.approx(3.09e9, rel=0.005)
    assert m.params_total() - 151936 * 2048 == pytest.approx(2.77e9, rel=0.005)
    assert not any("tie_word_embeddings" in n for n in m.config_defaults), m.config_defaults
    # the text model's own word wins where it gives one
    assert not load_hf_config(_write(tmp_path, {**cfg, "text_config": {**text, "tie_word_embeddings": False}}
                                     )).tied_embeddings


# zai-org/GLM-4.5-Air config.json (the sizes)
GLM45_AIR = {"architectures": ["Glm4MoeForCausalLM"], "model_type": "glm4_moe", "attention_bias": True,
             "first_k_dense_replace": 1, "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096,
             "intermediate_size": 10944, "max_position_embeddings": 131072, "moe_intermediate_size": 1408, "n_group": 1,
             "n_routed_experts": 128, "n_shared_experts": 1, "num_attention_heads": 96, "num_experts_per_tok": 8,
             "num_hidden_layers": 46, "num_key_value_heads": 8, "num_nextn_predict_layers": 1,
             "partial_rotary_factor": 0.5, "tie_word_embeddings": False, "topk_group": 1, "use_qk_norm": False,
             "vocab_size": 151552}


def test_glm45_and_deepseek_v32_have_a_rule(tmp_path: Path) -> None:
    # GLM-4.5-Air model card: 106B total, 12B active without the embeddings (1B rounding: 1%, 5%); it was read so
    # already, beside the unknown-type note asking to compare the count with the card's. Its multi-token-prediction
    # layer stays listed; its q/k/v biases (attention_bias) are counted since s32 utcode2 (Glm4MoeAttention,
    # tests/test_llama_biases.py), listed before.
    m = load_hf_config(_write(tmp_path, GLM45_AIR))
    assert m.params_total() == pytest.approx(106e9, rel=0.01)
    assert m.params_active() - 2 * 151552 * 4096 == pytest.approx(12e9, rel=0.05)
    assert m.unused_keys == ("num_nextn_predict_layers",) and m.qkv_bias
    bare = load_hf_config(_write(tmp_path, {k: v for k, v in GLM45_AIR.items()
                                            if k not in ("tie_word_embeddings", "hidden_act")}))
    assert not bare.tied_embeddings and bare.mlp == "swiglu" and bare.config_defaults == ()
    # deepseek-ai/DeepSeek-V3.2-Exp: DeepSeek-V3's sizes with a sparse-attention indexer, which is listed (not read)
    v32 = {**GLM45_AIR, "model_type": "deepseek_v32", "index_topk": 2048, "index_n_heads": 64, "index_head_dim": 128}
    m = load_hf_config(_write(tmp_path, v32))
    assert {"index_topk", "index_n_heads", "index_head_dim"} <= set(m.unused_keys)
    assert not any("has no rule" in n for n in m.config_defaults), m.config_defaults


def test_active_count_is_said_without_the_input_embedding_too(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # openai/gpt-oss-20b config.json (the sizes): OpenAI's gpt-oss model card, Table 1: 20.91B total, 3.61B active,
    # which leaves out the input embedding (201,088 x 2,880); the note printed 4.19B active and nothing to compare
    cfg = {"model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880, "head_dim": 64,
           "num_attention_heads": 64, "num_key_value_heads": 8, "num_hidden_layers": 24, "num_local_experts": 32,
           "num_experts_per_tok": 4, "experts_per_token": 4, "vocab_size": 201088, "sliding_window": 128,
           "layer_types": ["sliding_attention", "full_attention"] * 12, "max_position_embeddings": 131072,
           "tie_word_embeddings": False}
    code, out, _ = run_main(["plan", "--model", str(_write(tmp_path, cfg)), "--hardware", "h100-sxm", "--devices", "8",
                             "--json"], capsys)
    assert code == 0
    note = next(n for n in json.loads(out)["notes"] if "as read from its config" in n)
    # utleft (2026-12-06): + GPT-OSS's q, k, v and o biases, 24 x (4096 + 512 + 512 + 2880) = 192,000 (GptOssConfig
    # sets attention_bias true where the config leaves it out); 20,907,927,360 and 3,607,283,520 before
    assert "20,908,119,360 parameters" in note and "3,607,475,520 without the input embedding" in note
    assert 20_908_119_360 - 20_907_927_360 == 24 * (64 * 64 + 2 * 8 * 64 + 2880)
    assert round(3_607_475_520 / 1e9, 2) == 3.61
