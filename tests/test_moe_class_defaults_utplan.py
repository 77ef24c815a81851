"""User trial utplan (s33): `plan` / `plan explain` on hand-written MoE configs that leave out the experts' width.

transformers builds such a config with its config class's default (Qwen3MoeConfig moe_intermediate_size 768,
Qwen2MoeConfig 1408 and shared_expert_intermediate_size 5632, DeepseekV3Config 2048, n_shared_experts 1,
first_k_dense_replace 3; transformers @008e574 models/<type>/configuration_<type>.py). Before the fix the experts were
read as intermediate_size (the dense width) wide without a word: Qwen3-30B-A3B's config less moe_intermediate_size
planned as a 233B-parameter model. Parameter counts are hand counts by transformers' module shapes (below)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import QWEN3_30B_A3B, QWEN15_MOE, run_main, write_hf_config

DSV3_SMALL = {  # a DeepSeek-V3 scaled down by hand: MLA with q compression, 32 routed + 1 shared expert
    "model_type": "deepseek_v3", "first_k_dense_replace": 1, "hidden_act": "silu", "hidden_size": 1024,
    "intermediate_size": 4096, "kv_lora_rank": 128, "max_position_embeddings": 4096, "moe_intermediate_size": 512,
    "n_routed_experts": 32, "n_shared_experts": 1, "num_attention_heads": 16, "num_experts_per_tok": 4,
    "num_hidden_layers": 8, "num_key_value_heads": 16, "q_lora_rank": 384, "qk_nope_head_dim": 64,
    "qk_rope_head_dim": 32, "v_head_dim": 64, "tie_word_embeddings": False, "vocab_size": 32000}


def _dsv3_small_hand_count() -> int:
    """transformers DeepseekV3 modules: q_a_proj [h, q_lora], q_a_layernorm, q_b_proj [q_lora, heads x (nope + rope)],
    kv_a_proj_with_mqa [h, kv_lora + rope], kv_a_layernorm, kv_b_proj [kv_lora, heads x (nope + v)], o_proj
    [heads x v, h]; two RMSNorms a layer; dense MLP 3 x h x ffn; MoE: (routed + shared) x 3 x h x moe_ffn + router
    [experts, h]; embedding and untied lm_head; final norm."""
    h, heads, ql, kvl, nope, rope, v = 1024, 16, 384, 128, 64, 32, 64
    attn = h * ql + ql + ql * heads * (nope + rope) + h * (kvl + rope) + kvl + kvl * heads * (nope + v) + heads * v * h
    dense_mlp, moe = 3 * h * 4096, (32 + 1) * 3 * h * 512 + 32 * h
    return 8 * (attn + 2 * h) + 1 * dense_mlp + 7 * moe + 2 * 32000 * h + h


def _params(tmp_path: Path, name: str, cfg: dict[str, object], capsys: pytest.CaptureFixture[str]) -> dict:
    path = write_hf_config(tmp_path, name, cfg)
    code, out, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "64",
                               "--zero", "3", "--json"], capsys)
    assert code in (0, 2), err
    return json.loads(out)


def test_dsv3_like_mla_moe_count_matches_the_hand_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _params(tmp_path, "dsv3-small", DSV3_SMALL, capsys)
    assert data["model_figures"]["params_total"] == _dsv3_small_hand_count() == 461_362_176


@pytest.mark.parametrize(("name", "cfg", "left_out"), [
    ("qwen3-30b-a3b", QWEN3_30B_A3B, ("moe_intermediate_size",)),
    ("qwen1.5-moe", QWEN15_MOE, ("moe_intermediate_size",)),
    ("qwen1.5-moe-shared", QWEN15_MOE, ("shared_expert_intermediate_size",)),
    ("dsv3-small", DSV3_SMALL, ("moe_intermediate_size",)),
])
def test_a_left_out_expert_width_is_the_config_class_default_and_said(
        name: str, cfg: dict[str, object], left_out: tuple[str, ...], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Each config here gives the class's default value, so leaving the key out must not change the count; the note
    names the key and the default (before: Qwen3-30B-A3B 233,469,315,072 parameters, no note)."""
    want = _params(tmp_path, name + "-full", cfg, capsys)["model_figures"]
    if name == "dsv3-small":  # DSV3_SMALL's experts are narrower than DeepseekV3Config's 2048: compare with that
        cfg = {**cfg, "moe_intermediate_size": 2048}
        want = _params(tmp_path, name + "-2048", cfg, capsys)["model_figures"]
    data = _params(tmp_path, name, {k: v for k, v in cfg.items() if k not in left_out}, capsys)
    assert data["model_figures"]["params_total"] == want["params_total"]
    assert data["model_figures"]["params_active"] == want["params_active"]
    assert any(f"the config leaves out {left_out[0]}" in n for n in data["notes"]), data["notes"]


def test_deepseek_v3_left_out_shared_and_dense_layers_are_the_class_defaults(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = {**DSV3_SMALL, "n_shared_experts": 1, "first_k_dense_replace": 3}
    want = _params(tmp_path, "with", cfg, capsys)["model_figures"]["params_total"]
    less = {k: v for k, v in DSV3_SMALL.items() if k not in ("n_shared_experts", "first_k_dense_replace")}
    data = _params(tmp_path, "without", less, capsys)
    assert data["model_figures"]["params_total"] == want
    assert any("n_shared_experts 1, first_k_dense_replace 3" in n for n in data["notes"]), data["notes"]


@pytest.mark.parametrize("cfg", [QWEN3_30B_A3B, QWEN15_MOE, DSV3_SMALL])
def test_a_null_expert_width_exits_2_naming_the_key(cfg: dict[str, object], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = write_hf_config(tmp_path, "null-width", {**cfg, "moe_intermediate_size": None})
    code, _, err = run_main(["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "64"], capsys)
    assert code == 2 and "moe_intermediate_size is null" in err and "fix:" in err, err
    assert "Traceback" not in err


def test_a_dense_config_of_an_moe_type_gets_no_moe_default(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Filled only where the config names its experts: a qwen3_moe file with num_experts 0 says nothing of them."""
    data = _params(tmp_path, "dense", {**{k: v for k, v in QWEN3_30B_A3B.items() if k not in (
        "moe_intermediate_size", "num_experts_per_tok")}, "num_experts": 0}, capsys)
    assert not any("moe_intermediate_size" in n for n in data["notes"]), data["notes"]


MIXTRAL_8X7B = {  # mistralai/Mixtral-8x7B-v0.1 config.json (sizes)
    "model_type": "mixtral", "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
    "max_position_embeddings": 32768, "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "num_local_experts": 8, "sliding_window": None, "tie_word_embeddings": False,
    "vocab_size": 32000}
PHI3_MINI = {  # microsoft/Phi-3-mini-4k-instruct config.json (sizes; partial_rotary_factor changes no weight)
    "model_type": "phi3", "hidden_act": "silu", "hidden_size": 3072, "intermediate_size": 8192,
    "max_position_embeddings": 4096, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "partial_rotary_factor": 0.5, "sliding_window": 2047, "tie_word_embeddings": False, "vocab_size": 32064}


def _gqa_layer(h: int, heads: int, kv: int, head_dim: int) -> int:
    """q_proj, k_proj, v_proj, o_proj without biases (MixtralAttention, Phi3Attention's fused qkv_proj alike)."""
    return h * heads * head_dim + 2 * h * kv * head_dim + heads * head_dim * h


def test_mixtral_and_phi3_counts_match_the_hand_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """transformers MixtralSparseMoeBlock: gate [experts, h] + experts x (w1, w3 [ffn, h], w2 [h, ffn]); Phi3MLP:
    gate_up_proj [2 ffn, h] + down_proj [h, ffn]; two RMSNorms a layer, a final one, embedding and untied head."""
    h = 4096
    mixtral = 32 * (_gqa_layer(h, 32, 8, 128) + 8 * 3 * h * 14336 + 8 * h + 2 * h) + 2 * 32000 * h + h
    h = 3072
    phi3 = 32 * (_gqa_layer(h, 32, 32, 96) + 3 * h * 8192 + 2 * h) + 2 * 32064 * h + h
    assert _params(tmp_path, "mixtral", MIXTRAL_8X7B, capsys)["model_figures"]["params_total"] == mixtral
    assert _params(tmp_path, "phi3", PHI3_MINI, capsys)["model_figures"]["params_total"] == phi3
    assert (mixtral, phi3) == (46_702_792_704, 3_821_079_552)
