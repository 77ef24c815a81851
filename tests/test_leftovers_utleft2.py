"""Leftovers of the s33 user trials (helper utleft2): each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, write_hf_config


def _plan_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--devices", "64", "--top", "3", "--json", *argv],
                              capsys)
    assert code == 0, err
    data = json.loads(out)
    data.pop("search_s", None)  # the search's own wall time
    return data


@pytest.mark.parametrize(("typed", "plain"), [("20M", "20000000"), ("1.5M", "1500000"), ("2B", "2000000000")])
def test_budget_usd_reads_the_suffixes_tokens_reads(typed: str, plain: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --budget-usd 20M` was refused ('is not a number') while `--tokens 7B` was read."""
    assert _plan_json(["--budget-usd", typed], capsys) == _plan_json(["--budget-usd", plain], capsys)


def test_an_unreadable_budget_names_the_suffixes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--budget-usd", "20Q"], capsys)
    assert code == 2 and "--budget-usd '20Q' is not a number" in err and "20k or 1.5M" in err, err


def _explain(tmp_path: Path, name: str, cfg: dict[str, object], capsys: pytest.CaptureFixture[str]) -> dict:
    path = write_hf_config(tmp_path, name, cfg)
    code, out, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "64",
                               "--zero", "3", "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


LLAMA2_7B = {  # meta-llama/Llama-2-7b-hf config.json (sizes)
    "model_type": "llama", "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 11008,
    "max_position_embeddings": 4096, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "tie_word_embeddings": False, "vocab_size": 32000}
GEMMA2_2B = {  # google/gemma-2-2b config.json (sizes): Gemma2Config's intermediate_size default is 9216, not 4 x h
    "model_type": "gemma2", "hidden_size": 2304, "intermediate_size": 9216, "num_attention_heads": 8,
    "num_hidden_layers": 26, "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 256000,
    "max_position_embeddings": 8192}


@pytest.mark.parametrize(("name", "cfg", "width"), [("llama2-7b", LLAMA2_7B, 11008), ("gemma2-2b", GEMMA2_2B, 9216)])
def test_a_left_out_mlp_width_is_the_config_class_default(name: str, cfg: dict[str, object], width: int,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """transformers LlamaConfig intermediate_size=11008, Gemma2Config 9216 (@008e574): the width was 4 x hidden
    (Llama-2-7B's config less intermediate_size counted 8,084,520,960 parameters for 6,738,415,616)."""
    want = _explain(tmp_path, name, cfg, capsys)["model_figures"]
    data = _explain(tmp_path, name + "-less", {k: v for k, v in cfg.items() if k != "intermediate_size"}, capsys)
    assert data["model_figures"]["params_total"] == want["params_total"]
    assert any("the config leaves out" in n and f"intermediate_size {width:,}" in n for n in data["notes"]), \
        data["notes"]
    if name == "llama2-7b":
        assert want["params_total"] == 6_738_415_616  # Llama 2 paper, Table 1: 7B (the HF checkpoint's count)


FALCON_40B = {  # tiiuae/falcon-40b config.json (sizes; model_type RefinedWeb there, falcon after transformers 4.33)
    "model_type": "falcon", "alibi": False, "bias": False, "hidden_size": 8192, "multi_query": True,
    "n_head": 128, "n_head_kv": 8, "n_layer": 60, "new_decoder_architecture": True, "parallel_attn": True,
    "vocab_size": 65024}


def test_falcon_context_is_falcon_config_default_and_its_head_tied(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """FalconConfig max_position_embeddings=2048 (transformers @5fd8eda): the context was reported unknown.
    The count is the hand count with lm_head tied to word_embeddings (FalconForCausalLM _tied_weights_keys
    ['lm_head.weight'], FalconConfig leaves tie_word_embeddings to PretrainedConfig's True): the Hub's '41.8B'
    is this plus a stored copy of the head, 65024 x 8192 = 532,676,608."""
    data = _explain(tmp_path, "falcon-40b", FALCON_40B, capsys)
    assert data["model_figures"]["seq_len"] == 2048
    assert any("the config leaves out max_position_embeddings 2,048" in n for n in data["notes"]), data["notes"]
    assert not any("context length is unknown" in n for n in data["notes"])
    h, heads, kv, hd = 8192, 128, 8, 64
    layer = h * (heads + 2 * kv) * hd + h * h + 2 * 4 * h * h + 2 * 2 * h  # qkv, dense, MLP, ln_attn/ln_mlp (w+b)
    hand = 60 * layer + 65024 * h + 2 * h  # word_embeddings (tied head), ln_f
    assert data["model_figures"]["params_total"] == hand == 41_303_293_952
    assert hand + 65024 * h == 41_835_970_560  # the Hub's 41.8B


def test_final_logit_softcapping_is_said_not_modelled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Gemma 2's final_logit_softcapping (logits / cap, tanh, x cap) was read as costing nothing, without a word."""
    data = _explain(tmp_path, "gemma2-2b-cap", {**GEMMA2_2B, "final_logit_softcapping": 30.0}, capsys)
    assert any(n.startswith("final_logit_softcapping 30: ") and "not timed" in n for n in data["notes"]), \
        data["notes"]
    plain = _explain(tmp_path, "gemma2-2b-nocap", {**GEMMA2_2B, "final_logit_softcapping": None}, capsys)
    assert not any("final_logit_softcapping" in n for n in plain["notes"])


QWEN15_MOE = {  # Qwen/Qwen1.5-MoE-A2.7B config.json (sizes)
    "model_type": "qwen2_moe", "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 5632,
    "max_position_embeddings": 8192, "moe_intermediate_size": 1408, "num_attention_heads": 16, "num_experts": 60,
    "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 16,
    "shared_expert_intermediate_size": 5632, "tie_word_embeddings": False, "vocab_size": 151936}
QWEN3_8B = {  # Qwen/Qwen3-8B config.json (sizes)
    "model_type": "qwen3", "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 12288,
    "max_position_embeddings": 40960, "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8,
    "tie_word_embeddings": False, "vocab_size": 151936}


def test_qwen_moe_shared_gate_and_qwen3_qk_norms_are_counted(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Hand counts by transformers' modules (@008e574): Qwen2MoeSparseMoeBlock gate [experts, h], experts x 3 x h x
    moe_ffn, shared_expert 3 x h x shared_ffn, shared_expert_gate [1, h] (49,152 over 24 layers, left out before);
    Qwen2MoeAttention q/k/v with biases; Qwen3Attention q_norm / k_norm of head_dim each (left out before)."""
    h = 2048
    attn = 4 * h * h + 3 * h  # q, k, v, o (16 K/V heads of 128) + q/k/v biases
    moe = 60 * h + 60 * 3 * h * 1408 + 3 * h * 5632 + h
    qwen15 = 24 * (attn + moe + 2 * h) + 2 * 151936 * h + h
    assert _explain(tmp_path, "qwen15-moe", QWEN15_MOE, capsys)["model_figures"]["params_total"] == qwen15
    assert qwen15 == 14_315_784_192  # Qwen1.5-MoE-A2.7B model card: 14.3B
    h = 4096
    attn = h * 32 * 128 + 2 * h * 8 * 128 + 32 * 128 * h + 2 * 128  # + q_norm, k_norm
    qwen3 = 36 * (attn + 3 * h * 12288 + 2 * h) + 2 * 151936 * h + h
    assert _explain(tmp_path, "qwen3-8b", QWEN3_8B, capsys)["model_figures"]["params_total"] == qwen3
    assert qwen3 == 8_190_735_360  # Qwen/Qwen3-8B model card: 8.2B


def _explain_preset(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, float], list[str]]:
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                               "--zero", "3", "--json", *argv], capsys)
    assert code == 0, err
    data = json.loads(out)
    return {t["name"]: t["value"] for t in data["terms"]}, data["notes"]


def test_selective_recompute_under_flash_says_it_saves_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Under a flash kernel selective's memory equals none's while the core attention's re-run is charged
    (Megatron-Core re-runs it whatever the backend): that was charged without a word."""
    sel, notes = _explain_preset(["--recompute", "selective"], capsys)
    none, none_notes = _explain_preset(["--recompute", "none"], capsys)
    assert sel["mem_activations_bytes"] == none["mem_activations_bytes"] and sel["t_recompute_s"] > 0
    said = [n for n in notes if n.startswith("recompute selective with a fused (flash) attention kernel")]
    assert len(said) == 1 and f"t_recompute_s = {sel['t_recompute_s']:.4g} s" in said[0], notes
    assert not any(n.startswith("recompute selective") for n in none_notes)
    _, unfused = _explain_preset(["--recompute", "selective", "--no-flash"], capsys)
    assert not any(n.startswith("recompute selective") for n in unfused)
