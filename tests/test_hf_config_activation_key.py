"""The MLP's gating and the unknown-type note read one activation key (uplan3, 2026-12-01).

A config of a type without a rule here naming its activation hidden_activation (Gemma's spelling) got the note 'a
gated MLP (3 matrices; hidden_act silu)' over a plain MLP's numbers (the MLP read hidden_act alone); LG's EXAONE 3.0
names it activation_function "silu" over a gated MLP (c_fc_0, c_fc_1, c_proj) and was counted as a plain one: 5.94 B
parameters for EXAONE-3.0-7.8B-Instruct.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.workload.presets import load_hf_config

BASE: dict[str, Any] = {"hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 4096,
                        "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 102400,
                        "tie_word_embeddings": False}


def _load(tmp_path: Path, cfg: dict[str, Any]) -> Any:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return load_hf_config(path)


def test_exaone_activation_function_silu_is_a_gated_mlp(tmp_path: Path) -> None:
    # LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct config.json (its size keys); model card: 7.8B parameters. By hand:
    # 32 x (2 x 4096^2 + 2 x 4096 x 1024 + 3 x 4096 x 14336 + 2 norms x 4096) + 2 x 102400 x 4096 + 4096 = 7,818,448,896
    m = _load(tmp_path, {**BASE, "model_type": "exaone", "num_layers": 32, "activation_function": "silu"})
    assert m.mlp == "swiglu"
    assert m.params_total() == pytest.approx(7_818_448_896, rel=1e-6)
    assert any("gated MLP (3 matrices; activation_function silu)" in n for n in m.config_defaults)


def test_note_and_mlp_read_the_same_key(tmp_path: Path) -> None:
    m = _load(tmp_path, {**BASE, "model_type": "newlm", "num_hidden_layers": 32, "hidden_activation": "silu"})
    assert m.mlp == "swiglu"
    assert any("gated MLP (3 matrices; hidden_activation silu)" in n for n in m.config_defaults)
    plain = _load(tmp_path, {**BASE, "model_type": "newlm", "num_hidden_layers": 32, "hidden_act": "gelu"})
    assert plain.mlp == "gelu"
    assert any("plain MLP (2 matrices; hidden_act 'gelu')" in n for n in plain.config_defaults)


def test_experts_without_top_k_say_top_1(tmp_path: Path) -> None:
    # a MoE config without num_experts_per_tok was read as top-1 routing without a word (uplan3, 2026-12-01)
    cfg = {**BASE, "model_type": "newlm", "num_hidden_layers": 32, "hidden_act": "silu", "num_local_experts": 8}
    m = _load(tmp_path, cfg)
    assert (m.experts, m.top_k) == (8, 1)
    assert any("no num_experts_per_tok" in n and "top-1" in n for n in m.config_defaults)
    given = _load(tmp_path, {**cfg, "num_experts_per_tok": 2})
    assert given.top_k == 2 and not any("num_experts_per_tok" in n for n in given.config_defaults)
