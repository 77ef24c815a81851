"""Two config values that were read silently as something else: sliding_window_pattern 0 (taken as 'left out':
every layer windowed) and num_experts_per_tok > 1 with one expert (taken as a dense model). Both exit 2 now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

BASE = {"model_type": "mistral", "num_hidden_layers": 4, "hidden_size": 256, "num_attention_heads": 4,
        "vocab_size": 1000, "max_position_embeddings": 512, "intermediate_size": 1024, "sliding_window": 128,
        "num_key_value_heads": 4}  # multi-head, as read before MistralConfig's default 8 (which 4 heads cannot take)


def _load(tmp_path: Path, **extra: object) -> object:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({**BASE, **extra}), encoding="utf-8")
    return load_hf_config(p)


def test_pattern_zero_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="sliding_window_pattern = 0") as e:
        _load(tmp_path, sliding_window_pattern=0)
    assert "leave the key out" in e.value.fix


def test_top_k_past_one_expert_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError,
                       match=r"num_experts_per_tok = 2 with num_local_experts = 1 \(read as a dense model, one "
                             r"expert\)"):
        # mixtral: MistralConfig has no expert keys and ignores them (tests/test_dense_types_ignore_experts.py)
        _load(tmp_path, model_type="mixtral", num_local_experts=1, num_experts_per_tok=2)
    assert _load(tmp_path, model_type="mixtral", num_local_experts=1, num_experts_per_tok=1) is not None  # dense
