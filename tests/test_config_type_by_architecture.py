"""A config whose model_type has no rule here but whose `architectures` names a class that has one is read as that
class's type, and says so: vLLM picks a checkpoint's implementation by `architectures` (vllm
model_executor/models/registry.py), and moonshotai/Kimi-K2-Instruct (model_type kimi_k2) is DeepseekV3ForCausalLM.
It was read under 'model_type kimi_k2 has no rule in this reader: read as a pre-norm decoder block ...' (a user
trial, utconfigs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_config

from accelopt.workload.presets import load_hf_config

# moonshotai/Kimi-K2-Instruct config.json (the sizes; tokens, rope scaling and quantization left out)
KIMI_K2 = {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "kimi_k2", "first_k_dense_replace": 1,
           "hidden_act": "silu", "hidden_size": 7168, "intermediate_size": 18432, "kv_lora_rank": 512,
           "max_position_embeddings": 131072, "moe_intermediate_size": 2048, "moe_layer_freq": 1, "n_group": 1,
           "n_routed_experts": 384, "n_shared_experts": 1, "num_attention_heads": 64, "num_experts_per_tok": 8,
           "num_hidden_layers": 61, "num_key_value_heads": 64, "q_lora_rank": 1536, "qk_nope_head_dim": 128,
           "qk_rope_head_dim": 64, "tie_word_embeddings": False, "topk_group": 1, "v_head_dim": 128,
           "vocab_size": 163840}


def test_kimi_k2_is_read_as_its_architecture(tmp_path: Path) -> None:
    m = load_hf_config(write_config(tmp_path, KIMI_K2))
    as_v3 = load_hf_config(write_config(tmp_path, {**KIMI_K2, "model_type": "deepseek_v3"}, "v3.json"))
    assert m.params_total() == as_v3.params_total() and m.params_active() == as_v3.params_active()
    # moonshotai/Kimi-K2-Instruct model card: 1T total, 32B activated parameters (1 and 2 significant digits: 5%)
    assert m.params_total() == pytest.approx(1e12, rel=0.05)
    assert m.params_active() == pytest.approx(32e9, rel=0.05)
    assert not any("has no rule in this reader: read as a pre-norm" in n for n in m.config_defaults)
    assert any("'kimi_k2' read as 'deepseek_v3'" in n and "DeepseekV3ForCausalLM" in n for n in m.config_defaults)


@pytest.mark.parametrize("archs", [["SomeNewForCausalLM"], ["DeepseekV3ForCausalLM", "LlamaForCausalLM"], None])
def test_an_unknown_architecture_keeps_the_unknown_type_note(tmp_path: Path, archs: list[str] | None) -> None:
    m = load_hf_config(write_config(tmp_path, {**KIMI_K2, "architectures": archs}))
    assert any("'kimi_k2' has no rule in this reader" in n for n in m.config_defaults)
