"""Keys read only beside another one were taken as read when that one was missing (issue 10: no config key silently
dropped): a DeepSeek-V3 config without kv_lora_rank was read as multi-head attention with its q_lora_rank 1536 and
MLA head widths in no warning; GPT-OSS's layer_types (12 sliding layers) with sliding_window null ran every layer full
(as transformers does) and named nothing. Both are now in the unused-keys warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

# deepseek-ai/DeepSeek-V3 config.json: the sizes and MLA keys
DSV3 = {"model_type": "deepseek_v3", "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
        "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128, "n_shared_experts": 1,
        "n_routed_experts": 256, "num_experts_per_tok": 8, "first_k_dense_replace": 3, "moe_layer_freq": 1,
        "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
        "vocab_size": 129280, "max_position_embeddings": 163840, "tie_word_embeddings": False, "hidden_act": "silu"}
# openai/gpt-oss-20b config.json: the sizes and attention layout
OSS = {"model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880, "num_hidden_layers": 24,
       "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, "num_local_experts": 32,
       "num_experts_per_tok": 4, "vocab_size": 201088, "max_position_embeddings": 131072, "sliding_window": 128,
       "layer_types": ["sliding_attention", "full_attention"] * 12, "tie_word_embeddings": False}


def _write(tmp_path: Path, cfg: dict[str, object]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def test_mla_widths_without_kv_lora_rank_are_named(tmp_path: Path) -> None:
    cfg = {**DSV3, "kv_lora_rank": None}  # left out, DeepseekV3Config's 512 is filled (s34): a null is kept
    m = load_hf_config(_write(tmp_path, cfg))
    assert m.mla is None
    assert {"q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"} <= set(m.unused_keys)


def test_mla_widths_with_kv_lora_rank_are_read(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, DSV3))
    assert m.mla is not None and m.mla.q_lora_rank == 1536
    assert not set(m.unused_keys) & {"q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"}


def test_sliding_layer_types_without_a_window_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, {**OSS, "sliding_window": None})
    m = load_hf_config(p)
    assert m.sliding_window is None and "layer_types" in m.unused_keys
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 0 and "ignored: layer_types" in err, err


def test_sliding_layer_types_with_a_window_are_read(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, OSS))
    assert (m.sliding_window, m.sliding_window_layers) == (128, 12) and "layer_types" not in m.unused_keys
