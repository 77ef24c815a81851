"""A switch of a config.json written as text ("parallel_attn": "false", a hand edit or a YAML export) was read by its
truth value: a non-empty string is true, so "false" turned Falcon's parallel attention, GPT-NeoX's parallel residual,
Falcon's multi-query attention or new decoder architecture ON without a word (Falcon-7B with parallel_attn "false"
was planned with one tensor-parallel all-reduce per layer, as the parallel block). Such a value now exits 2 naming
the key and the fix; JSON booleans (and null, falsy as in transformers) read as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# tiiuae/falcon-7b config.json (the keys that set sizes)
FALCON_7B: dict[str, Any] = {"model_type": "falcon", "hidden_size": 4544, "num_attention_heads": 71,
                             "num_hidden_layers": 32, "vocab_size": 65024, "multi_query": True,
                             "parallel_attn": True, "new_decoder_architecture": False, "bias": False}
# EleutherAI/gpt-neox-20b
NEOX_20B: dict[str, Any] = {"model_type": "gpt_neox", "hidden_size": 6144, "intermediate_size": 24576,
                            "num_hidden_layers": 44, "num_attention_heads": 64, "vocab_size": 50432,
                            "max_position_embeddings": 2048, "use_parallel_residual": True,
                            "tie_word_embeddings": False}
# Qwen/Qwen2.5-1.5B
QWEN: dict[str, Any] = {"model_type": "qwen2", "hidden_size": 1536, "intermediate_size": 8960,
                        "num_hidden_layers": 28, "num_attention_heads": 12, "num_key_value_heads": 2,
                        "vocab_size": 151936, "max_position_embeddings": 131072, "sliding_window": 4096,
                        "max_window_layers": 21, "use_sliding_window": False, "tie_word_embeddings": True}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


@pytest.mark.parametrize(("base", "key", "value"), [
    (FALCON_7B, "parallel_attn", "false"), (FALCON_7B, "parallel_attn", "true"), (FALCON_7B, "multi_query", "false"),
    (FALCON_7B, "new_decoder_architecture", "false"), (FALCON_7B, "parallel_attn", 0),
    (NEOX_20B, "use_parallel_residual", "false"), (QWEN, "use_sliding_window", "false")])
def test_a_switch_that_is_not_a_boolean_is_refused(tmp_path: Path, base: dict[str, Any], key: str,
                                                   value: Any) -> None:
    with pytest.raises(InputError, match=f"{key} = {value!r} is not true or false"):
        load_hf_config(_write(tmp_path, {**base, key: value}))


def test_the_cli_names_the_key_and_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, {**FALCON_7B, "parallel_attn": "false"})
    code, out, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2, out
    assert "parallel_attn = 'false' is not true or false" in err and "a JSON boolean, without quotes" in err


def test_booleans_and_null_read_as_before(tmp_path: Path) -> None:
    assert load_hf_config(_write(tmp_path, FALCON_7B)).parallel_block
    assert not load_hf_config(_write(tmp_path, {**FALCON_7B, "parallel_attn": False})).parallel_block
    assert load_hf_config(_write(tmp_path, {**FALCON_7B, "multi_query": False})).kv_heads is None
    assert not load_hf_config(_write(tmp_path, {**NEOX_20B, "use_parallel_residual": False})).parallel_block
    assert load_hf_config(_write(tmp_path, QWEN)).sliding_window is None  # switched off
