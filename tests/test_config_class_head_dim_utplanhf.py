"""A Gemma, Gemma 2 or Qwen3 config.json that leaves out head_dim (or Gemma 2's sliding_window) is read as
transformers builds it: the config class's default, said in a note (a user trial, utplanhf).

GemmaConfig and Gemma2Config default head_dim to 256 and Qwen3Config to 128, whatever hidden / heads is, and
Gemma2Config sliding_window to 4096 (transformers @008e574, models/{gemma,gemma2,qwen3}/configuration_*.py). The
reader took hidden / heads and no window without a word: Gemma 2 9B without head_dim counted 9,010,494,976 parameters
for 9,241,705,984.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from accelopt.workload.presets import load_hf_config

# google/gemma-2-9b config.json (the sizes)
GEMMA2_9B = {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "head_dim": 256, "hidden_size": 3584,
             "intermediate_size": 14336, "max_position_embeddings": 8192, "num_attention_heads": 16,
             "num_hidden_layers": 42, "num_key_value_heads": 8, "sliding_window": 4096, "vocab_size": 256000,
             "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "query_pre_attn_scalar": 256}
# google/gemma-7b config.json (the sizes)
GEMMA_7B = {"architectures": ["GemmaForCausalLM"], "model_type": "gemma", "head_dim": 256, "hidden_size": 3072,
            "intermediate_size": 24576, "max_position_embeddings": 8192, "num_attention_heads": 16,
            "num_hidden_layers": 28, "num_key_value_heads": 16, "vocab_size": 256000, "hidden_act": "gelu"}
# Qwen/Qwen3-0.6B config.json (the sizes)
QWEN3_06B = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "head_dim": 128, "hidden_size": 1024,
             "intermediate_size": 3072, "max_position_embeddings": 40960, "max_window_layers": 28,
             "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "vocab_size": 151936,
             "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": None}


def _load(tmp_path: Path, cfg: dict[str, Any], leave_out: str) -> Any:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({k: v for k, v in cfg.items() if k != leave_out}), encoding="utf-8")
    return load_hf_config(p)


def _noted(m: Any, words: str) -> bool:
    return any(words in n and "used, as transformers builds it" in n for n in m.config_defaults)


def test_gemma2_without_head_dim_counts_heads_of_256(tmp_path: Path) -> None:
    m = _load(tmp_path, GEMMA2_9B, "head_dim")
    # 9,241,705,984: google/gemma-2-9b's checkpoint (transformers 4.57.1 builds the same from its config:
    # tests/test_workload_architectures.py HF_PARAMS)
    assert m.head_dim == 256 and m.params_total() == 9_241_705_984
    assert _noted(m, "leaves out head_dim 256") and _noted(m, "Gemma2Config")


def test_gemma2_without_sliding_window_keeps_its_local_layers(tmp_path: Path) -> None:
    m = _load(tmp_path, GEMMA2_9B, "sliding_window")
    # Gemma Team 2024, "Gemma 2", sec. 2: local sliding-window attention (4096 tokens) on every other layer
    assert m.sliding_window == 4096 and m.windowed_layers == 21
    assert _noted(m, "leaves out sliding_window 4,096")


def test_gemma_without_head_dim_counts_heads_of_256(tmp_path: Path) -> None:
    m = _load(tmp_path, GEMMA_7B, "head_dim")
    # Gemma Team 2024, "Gemma" (arXiv 2403.08295), Table 1: 7B has d_model 3072, 16 heads, head size 256;
    # 8,537,680,896 parameters as google/gemma-7b's checkpoint holds them (embeddings 786,825,216 + the rest)
    assert m.head_dim == 256 and m.params_total() == 8_537_680_896
    assert _noted(m, "leaves out head_dim 256") and _noted(m, "GemmaConfig")


def test_qwen3_without_head_dim_counts_heads_of_128(tmp_path: Path) -> None:
    m = _load(tmp_path, QWEN3_06B, "head_dim")
    # Qwen3 technical report (arXiv 2505.09388) Table 1 / the Qwen3-0.6B model card: 16 query and 8 K/V heads of
    # 128 on hidden 1024; 0.6B parameters, 0.44B without the (tied) embedding
    assert m.head_dim == 128
    assert round(m.params_total() / 1e9, 1) == 0.6
    assert round((m.params_total() - m.vocab * m.hidden) / 1e9, 2) == 0.44
    assert _noted(m, "leaves out head_dim 128") and _noted(m, "Qwen3Config")


def test_a_given_head_dim_is_kept(tmp_path: Path) -> None:
    m = _load(tmp_path, {**QWEN3_06B, "head_dim": 64}, "")
    assert m.head_dim == 64 and not any("leaves out head_dim" in n for n in m.config_defaults)
