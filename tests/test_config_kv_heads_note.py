"""Issue #10, no silent fallbacks: a grouped-query family's config.json without num_key_value_heads was read as
multi-head attention (K/V heads = attention heads) with nothing said, though the K/V projections and the KV cache of a
grouped-query model are several times smaller. The value used is now said beside the result (config_defaults: the
notes of plan, plan explain, plan serve); the figures are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

# llama: LlamaConfig's num_key_value_heads default is None (= heads); a family whose class gives a number (Mistral's
# 8) gets that number instead (tests/test_config_class_kv_heads_utplan3.py)
CFG = {"model_type": "llama", "hidden_size": 1024, "num_attention_heads": 16, "num_hidden_layers": 4,
       "vocab_size": 32000, "intermediate_size": 2816, "max_position_embeddings": 4096}


def _write(tmp_path: Path, cfg: dict, name: str = "config.json") -> str:
    p = tmp_path / name
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return str(p)


def test_missing_kv_heads_is_said_with_the_value_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_main(["plan", "serve", "--model", _write(tmp_path, CFG), "--hardware", "h100-sxm", "--batch",
                               "1", "--prompt", "128", "--output", "8", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    said = [n for n in doc["notes"] if "no num_key_value_heads" in n]
    assert len(said) == 1 and "16 K/V heads" in said[0]
    # the KV cache it prices is the multi-head one: 2 (K, V) x 4 layers x 16 heads x 64 dims x 2 bytes per token
    assert doc["results"][0]["points"][0]["kv_cache_bytes_per_token"] == 2 * 4 * 16 * 64 * 2


def test_no_kv_note_where_the_config_gives_it_or_the_family_has_none(tmp_path: Path) -> None:
    assert not [n for n in load_hf_config(_write(tmp_path, {**CFG, "num_key_value_heads": 4})).config_defaults
                if "num_key_value_heads" in n]
    gpt2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 256, "n_head": 4, "n_positions": 512, "vocab_size": 1000}
    assert not [n for n in load_hf_config(_write(tmp_path, gpt2, "gpt2.json")).config_defaults
                if "num_key_value_heads" in n]  # GPT-2 is multi-head by definition
