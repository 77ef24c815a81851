"""A llama-type config.json with a num_experts key was read as a mixture of experts (Llama 3 8B's shape with
num_experts 8, top 2: 47.5B parameters), though transformers' LlamaConfig has no expert field and LlamaForCausalLM
builds one dense MLP per layer (huggingface/transformers src/transformers/models/llama/configuration_llama.py
@008e5743: fields vocab_size ... head_dim; base_model_tp_plan layers.*.mlp.gate_proj / up_proj / down_proj), so
the key is an attribute nothing reads. It is now listed with the other unused keys and said in a note; the model is
dense (8.03B, Llama 3 8B's published count: Meta's model card, 8B). Mixtral keeps its experts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.workload.presets import load_hf_config

LLAMA3_8B = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
             "max_position_embeddings": 8192}


def _load(tmp_path: Path, **extra: Any) -> Any:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({**LLAMA3_8B, **extra}), encoding="utf-8")
    return load_hf_config(p)


@pytest.mark.parametrize("model_type", ["llama", "mistral"])
def test_expert_keys_of_a_dense_type_are_ignored_and_said(model_type: str, tmp_path: Path) -> None:
    dense = _load(tmp_path, model_type=model_type)
    cfg = _load(tmp_path, model_type=model_type, num_experts=8, num_experts_per_tok=2)
    assert cfg.experts == 1 and cfg.params_total() == dense.params_total()
    assert {"num_experts", "num_experts_per_tok"} <= set(cfg.unused_keys)
    assert any(n.startswith("ignored: num_experts, num_experts_per_tok: model_type " + model_type)
               for n in cfg.config_defaults)


def test_llama3_8b_shape_counts_8b(tmp_path: Path) -> None:
    cfg = _load(tmp_path, num_local_experts=8, num_experts_per_tok=2)
    assert cfg.params_total() == pytest.approx(8.03e9, rel=0.01)  # Llama 3 8B: its safetensors index, 16.06e9 B bf16


def test_mixtral_keeps_its_experts(tmp_path: Path) -> None:
    cfg = _load(tmp_path, model_type="mixtral", num_local_experts=8, num_experts_per_tok=2)
    assert cfg.experts == 8 and cfg.top_k == 2 and "num_local_experts" not in cfg.unused_keys
