"""Llama-style attention_bias and mlp_bias (issue 10, s31 rbias).

transformers LlamaAttention puts bias=config.attention_bias on q_proj, k_proj, v_proj AND o_proj, and LlamaMLP
bias=config.mlp_bias on gate_proj, up_proj and down_proj (src/transformers/models/llama/modeling_llama.py
@5dd4a63548857797727ae73eeb6a6e886ea02a3e); Qwen3Attention and Qwen3MoeAttention read attention_bias the same way
(@9ee3f431, @16b6c53c), and Olmo2Attention (@7264638d), while their MLPs are bias-free; MistralAttention builds all
four bias=False whatever the config says (@93e0020c), so Mistral's key stays listed. A true value was listed as 'not
modelled' and its parameters left out; now they are counted (parameters and so weight memory), the key is read for
those families only, and text is refused. Counts below are by hand from the config's sizes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main_expect, write_hf_config

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

TINY_LLAMA: dict[str, Any] = json.loads(Path("examples/hf_tiny_llama/config.json").read_text(encoding="utf-8"))
# by hand: hidden 128, 4 heads of 32 (q 128), 2 KV heads (k, v 64 each), MLP 344, 4 layers, vocab 1024, untied
LAYER = 2 * 128 * 128 + 2 * 128 * 64 + 3 * 128 * 344 + 2 * 128  # q, o; k, v; gate, up, down; two RMSNorms
BARE = 4 * LAYER + 128 + 2 * 1024 * 128  # + the final norm, input and output embeddings
ATTN_BIAS = 128 + 64 + 64 + 128  # q, k, v outputs and o_proj's hidden outputs
MLP_BIAS = 2 * 344 + 128  # gate and up outputs, down_proj's hidden outputs
# Qwen/Qwen3-0.6B's shape (hidden 1024, 16 heads of 128, 8 KV heads, MLP 3072, 28 layers, tied): q is 2048 wide, o's
# bias is its 1024 outputs, not q's width
QWEN3_06B: dict[str, Any] = {
    "model_type": "qwen3", "hidden_act": "silu", "hidden_size": 1024, "head_dim": 128, "intermediate_size": 3072,
    "max_position_embeddings": 40960, "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
    "tie_word_embeddings": True, "vocab_size": 151936}
QWEN3_ATTN_BIAS = 16 * 128 + 8 * 128 + 8 * 128 + 1024
QWEN3_MOE: dict[str, Any] = {
    **QWEN3_06B, "model_type": "qwen3_moe", "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 768,
    "decoder_sparse_step": 1}


def test_hand_count_is_what_transformers_builds() -> None:
    """BARE is what transformers' LlamaForCausalLM builds from the example config (988,288 parameters under 4.31.0);
    the bias counts are the shapes above: this was a check of literals only (it could not fail), now BARE meets the
    built model."""
    tf = pytest.importorskip("transformers")
    import torch

    with torch.device("meta"):
        model = tf.LlamaForCausalLM(tf.LlamaConfig(**{k: v for k, v in TINY_LLAMA.items() if k != "architectures"}))
    assert sum(p.numel() for p in model.parameters()) == BARE == 988_288
    assert (LAYER, ATTN_BIAS, MLP_BIAS, QWEN3_ATTN_BIAS) == (181_504, 384, 816, 5120)


@pytest.mark.parametrize(("given", "attn", "mlp"), [
    ({}, False, False), ({"attention_bias": False, "mlp_bias": False}, False, False),
    ({"attention_bias": True}, True, False), ({"mlp_bias": True}, False, True),
    ({"attention_bias": True, "mlp_bias": True}, True, True), ({"attention_bias": None}, False, False)])
def test_llama_counts_what_its_keys_turn_on(tmp_path: Path, given: dict[str, Any], attn: bool, mlp: bool) -> None:
    m = load_hf_config(write_hf_config(tmp_path, "m", {**TINY_LLAMA, **given}))
    assert (m.attn_bias, m.mlp_bias, m.qkv_bias, m.biases) == (attn, mlp, False, False)
    assert m.attn_bias_params() == (ATTN_BIAS if attn else 0) and m.mlp_bias_params(m.ffn) == (MLP_BIAS if mlp else 0)
    assert m.params_total() == BARE + 4 * (ATTN_BIAS * attn + MLP_BIAS * mlp)
    assert not {"attention_bias", "mlp_bias"} & set(m.unused_keys)


def test_qwen3_attention_bias_is_on_all_four(tmp_path: Path) -> None:
    bare = load_hf_config(write_hf_config(tmp_path, "bare", QWEN3_06B))
    m = load_hf_config(write_hf_config(tmp_path, "biased", {**QWEN3_06B, "attention_bias": True}))
    assert m.attn_bias and not m.qkv_bias and m.attn_bias_params() == QWEN3_ATTN_BIAS
    assert m.params_total() - bare.params_total() == 28 * QWEN3_ATTN_BIAS == 143_360
    assert "attention_bias" not in m.unused_keys


def test_qwen3_moe_reads_attention_bias_but_not_mlp_bias(tmp_path: Path) -> None:
    """Qwen3MoeMLP is bias-free whatever the config says: its mlp_bias stays listed, the experts get none."""
    bare = load_hf_config(write_hf_config(tmp_path, "bare", QWEN3_MOE))
    m = load_hf_config(write_hf_config(tmp_path, "biased", {**QWEN3_MOE, "attention_bias": True, "mlp_bias": True}))
    assert m.attn_bias and not m.mlp_bias and m.mlp_params_per_expert() == bare.mlp_params_per_expert()
    assert m.params_total() - bare.params_total() == 28 * QWEN3_ATTN_BIAS
    assert "mlp_bias" in m.unused_keys and "attention_bias" not in m.unused_keys


def test_olmo2_attention_bias_is_on_all_four(tmp_path: Path) -> None:
    olmo2 = {**{k: v for k, v in TINY_LLAMA.items() if k != "architectures"}, "model_type": "olmo2"}
    bare = load_hf_config(write_hf_config(tmp_path, "bare", olmo2))
    m = load_hf_config(write_hf_config(tmp_path, "biased", {**olmo2, "attention_bias": True, "mlp_bias": True}))
    assert m.attn_bias and not m.mlp_bias and m.params_total() - bare.params_total() == 4 * ATTN_BIAS
    assert "mlp_bias" in m.unused_keys and "attention_bias" not in m.unused_keys


def test_another_familys_keys_stay_listed(tmp_path: Path) -> None:
    """Mistral's class builds no biases whatever its config says: its keys stay listed, nothing counted."""
    mistral = {**{k: v for k, v in TINY_LLAMA.items() if k != "architectures"}, "model_type": "mistral",
               "attention_bias": True, "mlp_bias": True}
    m = load_hf_config(write_hf_config(tmp_path, "m", mistral))
    assert not (m.attn_bias or m.mlp_bias) and m.params_total() == BARE
    assert {"attention_bias", "mlp_bias"} <= set(m.unused_keys)


@pytest.mark.parametrize("key", ["attention_bias", "mlp_bias"])
def test_text_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(InputError, match=rf"{key} = 'false' is not true or false"):
        load_hf_config(write_hf_config(tmp_path, "m", {**TINY_LLAMA, key: "false"}))
    with pytest.raises(InputError, match=rf"{key} = 1 is not true or false"):
        load_hf_config(write_hf_config(tmp_path, "m1", {**TINY_LLAMA, key: 1}))


def test_plan_exits_2_on_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_hf_config(tmp_path, "m", {**TINY_LLAMA, "attention_bias": "true"})
    _, err = run_main_expect(capsys, "plan", "--model", str(path), "--devices", "1", "--top", "1", code=2)
    assert "attention_bias = 'true' is not true or false" in err and "without quotes" in err


def test_plan_prints_no_not_modelled_line_for_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_hf_config(tmp_path, "m", {**TINY_LLAMA, "attention_bias": True, "mlp_bias": True})
    out, err = run_main_expect(capsys, "plan", "--model", str(path), "--devices", "1", "--top", "1")
    said = " ".join((out + err).split())
    assert "attention_bias" not in said and "mlp_bias" not in said  # before: '... not modelled ..., ignored: ...'
    assert f"{BARE + 4 * (ATTN_BIAS + MLP_BIAS):,} parameters" in said  # 993,088 as read from its config


@pytest.mark.parametrize(("mtype", "extra", "mlp_read"), [
    ("granite", {}, True), ("granitemoe", {"num_local_experts": 4, "num_experts_per_tok": 2}, False),
    ("phimoe", {"num_local_experts": 4, "num_experts_per_tok": 2}, False)])
def test_granite_and_phimoe_attention_bias_is_on_all_four(tmp_path: Path, mtype: str, extra: dict[str, Any],
                                                          mlp_read: bool) -> None:
    """GraniteAttention, GraniteMoeAttention and PhimoeAttention put bias=config.attention_bias on q, k, v and o
    (presets._ATTENTION_BIAS_TYPES cites the commits); GraniteMLP's gate / up / down take mlp_bias, GraniteMoe's and
    PhiMoE's experts none. Their attention_bias was listed as not modelled and its parameters left out."""
    cfg = {**{k: v for k, v in TINY_LLAMA.items() if k != "architectures"}, "model_type": mtype, **extra}
    bare = load_hf_config(write_hf_config(tmp_path, "bare", cfg))
    m = load_hf_config(write_hf_config(tmp_path, "biased", {**cfg, "attention_bias": True, "mlp_bias": True}))
    assert m.attn_bias and m.mlp_bias is mlp_read
    assert m.params_total() - bare.params_total() == 4 * (ATTN_BIAS + (MLP_BIAS if mlp_read else 0))
    assert "attention_bias" not in m.unused_keys and ("mlp_bias" in m.unused_keys) is not mlp_read


def test_glm4_moe_attention_bias_is_on_q_k_v_only(tmp_path: Path) -> None:
    """Glm4MoeAttention: q_proj / k_proj / v_proj bias=config.attention_bias, o_proj bias=False (GLM-4.5's
    config.json sets it true): 128 + 64 + 64 per layer here, not o's 128 too."""
    cfg = {**{k: v for k, v in TINY_LLAMA.items() if k != "architectures"}, "model_type": "glm4_moe"}
    bare = load_hf_config(write_hf_config(tmp_path, "bare", cfg))
    m = load_hf_config(write_hf_config(tmp_path, "biased", {**cfg, "attention_bias": True}))
    assert m.qkv_bias and not m.attn_bias and m.attn_bias_params() == 128 + 64 + 64
    assert m.params_total() - bare.params_total() == 4 * (128 + 64 + 64)
    assert "attention_bias" not in m.unused_keys


# openai/gpt-oss-20b's sizes: hidden 2880, 64 heads of 64 (q 4096), 8 KV heads (k, v 512 each), 24 layers, 32 experts
GPT_OSS: dict[str, Any] = {
    "model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880, "head_dim": 64, "num_attention_heads": 64,
    "num_key_value_heads": 8, "num_hidden_layers": 24, "num_local_experts": 32, "num_experts_per_tok": 4,
    "vocab_size": 201088, "sliding_window": 128, "layer_types": ["sliding_attention", "full_attention"] * 12,
    "max_position_embeddings": 131072, "tie_word_embeddings": False}
GPT_OSS_ATTN_BIAS = 64 * 64 + 8 * 64 + 8 * 64 + 2880


@pytest.mark.parametrize(("given", "attn"), [({}, True), ({"attention_bias": True}, True),
                                             ({"attention_bias": False}, False)])
def test_gpt_oss_attention_bias_is_on_all_four_by_default(tmp_path: Path, given: dict[str, Any], attn: bool) -> None:
    """utleft (2026-12-06): GptOssAttention puts bias=config.attention_bias on q, k, v and o (modeling_gpt_oss.py
    @6edf5b31) and GptOssConfig sets attention_bias True (configuration_gpt_oss.py @828a27fd; a config's own value is
    applied after it), yet a gpt_oss config was read bias-free and its attention_bias listed as not modelled."""
    m = load_hf_config(write_hf_config(tmp_path, "g", {**GPT_OSS, **given}))
    bare = load_hf_config(write_hf_config(tmp_path, "b", {**GPT_OSS, "attention_bias": False}))
    assert m.attn_bias is attn and not m.qkv_bias and "attention_bias" not in m.unused_keys
    assert m.params_total() - bare.params_total() == (24 * GPT_OSS_ATTN_BIAS if attn else 0)
    assert GPT_OSS_ATTN_BIAS == 8000


def test_a_gpt_oss_runs_row_counts_its_attention_biases() -> None:
    """The runs files' GPT-OSS rows (moe_expert_bias 1, written as model_type gpt_oss by run_command.row_config) carry
    the q, k, v and o biases in their row model as the config.json read back does (validation.run_model)."""
    from accelopt.predict.run_command import row_config
    from accelopt.predict.validation import read_runs, run_model

    rows = [r for r in read_runs() if (r.get("moe_expert_bias") or "").strip() == "1"]
    assert len(rows) == 28
    for r in rows:
        m = run_model(r)
        assert m.attn_bias and m.expert_bias and row_config(r)["model_type"] == "gpt_oss", r["id"]
    assert not any(run_model(r).attn_bias for r in read_runs() if r not in rows and not (r.get("model") or "").strip())
