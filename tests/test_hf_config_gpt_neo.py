"""GPT-Neo's config (EleutherAI/gpt-neo-1.3B) names its heads num_heads and lists its local-window layers in
attention_layers / attention_types (GPTNeoConfig): `plan` stopped at 'none of num_attention_heads, n_head is set'
(uplan3, 2026-12-01). Its count is checked against transformers' own GPTNeoForCausalLM built on the meta device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# EleutherAI/gpt-neo-1.3B config.json (the keys that set sizes)
NEO_1_3B: dict[str, Any] = {
    "activation_function": "gelu_new", "architectures": ["GPTNeoForCausalLM"],
    "attention_layers": ["global", "local"] * 12, "attention_types": [[["global", "local"], 12]],
    "hidden_size": 2048, "intermediate_size": None, "max_position_embeddings": 2048, "model_type": "gpt_neo",
    "num_heads": 16, "num_layers": 24, "vocab_size": 50257, "window_size": 256, "layer_norm_epsilon": 1e-05}


def _load(tmp_path: Path, cfg: dict[str, Any]) -> Any:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return load_hf_config(path)


def test_gpt_neo_is_read(tmp_path: Path) -> None:
    m = _load(tmp_path, NEO_1_3B)
    assert (m.layers, m.hidden, m.heads, m.ffn, m.mlp, m.tied_embeddings) == (24, 2048, 16, 8192, "gelu", True)
    assert (m.sliding_window, m.sliding_window_layers) == (256, 12)
    assert m.unused_keys == ()
    # By hand: 24 x (4 x 2048^2 + 2 x 2048 x 8192 + 2 norms x 2048) + 50257 x 2048 (tied) + 2048 x 2048 (wpe) + 2048
    # = 1,315,180,544; transformers' model adds its biases (q/k/v have none): 395,264 more (0.03%), checked below
    assert m.params_total() == 1_315_180_544


def test_gpt_neo_count_matches_transformers(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    cfg = tf.GPTNeoConfig(**{k: v for k, v in NEO_1_3B.items() if k not in ("architectures", "model_type",
                                                                          "attention_layers", "intermediate_size")})
    with torch.device("meta"):
        real = sum(p.numel() for p in tf.GPTNeoForCausalLM(cfg).parameters())
    assert _load(tmp_path, NEO_1_3B).params_total() == pytest.approx(real, rel=5e-4)


def test_attention_types_alone_and_bad_lists(tmp_path: Path) -> None:
    m = _load(tmp_path, {k: v for k, v in NEO_1_3B.items() if k != "attention_layers"})
    assert (m.sliding_window, m.sliding_window_layers) == (256, 12)
    with pytest.raises(InputError, match="attention_layers"):
        _load(tmp_path, {**NEO_1_3B, "attention_layers": ["global"] * 23})
