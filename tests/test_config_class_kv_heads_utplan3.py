"""A config.json that leaves out num_key_value_heads gets its config class's default, as transformers (and vLLM,
which builds the class) builds it: Qwen3Config's is 32, not num_attention_heads (transformers @008e574
models/qwen3/configuration_qwen3.py: `num_key_value_heads: int | None = 32`; None alone means = heads). A Qwen3
config without the key was read as multi-head attention (a user trial, utplan3). Classes whose default is None
(LlamaConfig) keep the multi-head reading and its note (tests/test_config_kv_heads_note.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_main, write_config

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# Qwen/Qwen3-32B config.json's sizes (64 heads x 128, 8 K/V heads), num_key_value_heads left out below
QWEN3_32B = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 5120, "head_dim": 128,
             "intermediate_size": 25600, "num_attention_heads": 64, "num_hidden_layers": 64, "num_key_value_heads": 8,
             "vocab_size": 151936, "max_position_embeddings": 40960, "tie_word_embeddings": False,
             "use_sliding_window": False}


def _without_kv(cfg: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {k: v for k, v in cfg.items() if k != "num_key_value_heads"} | more


def test_qwen3_without_kv_heads_gets_the_class_default_32(tmp_path: Path) -> None:
    read = load_hf_config(write_config(tmp_path, _without_kv(QWEN3_32B)))
    as_32 = load_hf_config(write_config(tmp_path, QWEN3_32B | {"num_key_value_heads": 32}, "32.json"))
    assert read.n_kv_heads == 32  # was 64 (= num_attention_heads)
    assert read.params_total() == as_32.params_total()
    said = [n for n in read.config_defaults if "num_key_value_heads 32" in n]
    assert len(said) == 1 and "Qwen3Config" in said[0], read.config_defaults
    assert not [n for n in read.config_defaults if "multi-head attention assumed" in n]


@pytest.mark.parametrize(("mtype", "kv"), [("mistral", 8), ("mixtral", 8), ("qwen2", 32), ("qwen2_moe", 16),
                                           ("qwen3_moe", 4), ("gemma", 16), ("gemma2", 4), ("stablelm", 32)])
def test_each_family_gets_its_own_class_default(tmp_path: Path, mtype: str, kv: int) -> None:
    cfg = {"model_type": mtype, "hidden_size": 2048, "num_attention_heads": 32, "num_hidden_layers": 2,
           "vocab_size": 1000, "intermediate_size": 4096, "max_position_embeddings": 4096, "head_dim": 64}
    if mtype in ("mixtral", "qwen2_moe", "qwen3_moe"):
        cfg |= {"num_local_experts": 8, "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 512}
    assert load_hf_config(write_config(tmp_path, cfg)).n_kv_heads == kv


def test_a_null_kv_heads_is_still_multi_head(tmp_path: Path) -> None:
    # transformers: `if self.num_key_value_heads is None: self.num_key_value_heads = self.num_attention_heads`
    assert load_hf_config(write_config(tmp_path, QWEN3_32B | {"num_key_value_heads": None})).n_kv_heads == 64


def test_llama_without_kv_heads_stays_multi_head(tmp_path: Path) -> None:
    cfg = {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 32, "num_hidden_layers": 2,
           "vocab_size": 1000, "intermediate_size": 4096, "max_position_embeddings": 4096}
    read = load_hf_config(write_config(tmp_path, cfg))
    assert read.n_kv_heads == 32 and [n for n in read.config_defaults if "multi-head attention assumed" in n]


def test_a_class_default_that_does_not_divide_the_heads_is_refused(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    p = write_config(tmp_path, _without_kv(QWEN3_32B, num_attention_heads=40))
    with pytest.raises(InputError, match=r"default of transformers Qwen3Config.*32 K/V heads, does not divide its 40"):
        load_hf_config(p)
    code, _, err = run_main(["plan", "serve", "-m", str(p), "--hardware", "h100-sxm", "--batch", "1", "--prompt",
                             "128", "--output", "8"], capsys)
    assert code == 2 and "give num_key_value_heads" in err and "Traceback" not in err


def test_mistral_without_sliding_window_gets_the_class_window(tmp_path: Path) -> None:
    # MistralConfig (transformers @008e574): `sliding_window: int | None = 4096`; null means no window
    cfg = {"model_type": "mistral", "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
           "num_hidden_layers": 32, "vocab_size": 32000, "intermediate_size": 14336, "max_position_embeddings": 32768}
    read = load_hf_config(write_config(tmp_path, cfg))
    assert read.sliding_window == 4096 and read.windowed_layers == 32  # was: no window
    assert [n for n in read.config_defaults if "sliding_window 4,096" in n and "MistralConfig" in n]
    assert load_hf_config(write_config(tmp_path, cfg | {"sliding_window": None}, "null.json")).sliding_window is None
