"""At --tp > 1 a multi-head latent attention model's KV cache is cached whole on every tensor-parallel rank (one
latent a token and layer: no heads to split; SGLang's data-parallel attention docs say the cache is duplicated across
the GPUs), so its KV cache per device does not shrink with --tp. `plan serve` modelled it so and said nothing, while
a grouped-query model's replicated K/V heads got a note (kv_replication_note, utserve3): a user trial (utserve, s33,
2026-12-06) of a DeepSeek-V2-Lite-shaped deepseek_v3 config saw 573 MB of KV cache per device at batch 8 at --tp 1, 2
and 4 alike, without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, write_hf_config

MLA = {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "hidden_size": 2048,
       "intermediate_size": 10944, "moe_intermediate_size": 1408, "n_routed_experts": 64, "n_shared_experts": 2,
       "num_experts_per_tok": 6, "first_k_dense_replace": 1, "moe_layer_freq": 1, "num_hidden_layers": 27,
       "num_attention_heads": 16, "num_key_value_heads": 16, "kv_lora_rank": 512, "q_lora_rank": None,
       "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 102400,
       "max_position_embeddings": 163840, "tie_word_embeddings": False}


def _run(path: Path, tp: int, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run_main(["plan", "serve", "--model", str(path), "--hardware", "h200", "--tp", str(tp),
                               "--batch", "8", "--json", *extra], capsys)
    assert code == 0, err
    return json.loads(out)


def test_the_replicated_latent_is_said_at_tp_above_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_hf_config(tmp_path, "mla-lite", MLA)
    kv = {}
    for tp in (1, 2, 4):
        doc = _run(path, tp, capsys)
        kv[tp] = doc["results"][0]["points"][0]["kv_cache_bytes_per_device"]
        said = [n for n in doc["notes"] if "multi-head latent attention: its KV cache" in n]
        if tp == 1:
            assert not said, said
            continue
        (note,) = said
        assert f"--tp {tp} with mla-lite's" in note and "576 values a token and layer" in note, note  # 512 + 64
        assert f"the replica's is {tp}x the model's" in note and "--attention-dp" in note, note
    # what the note says: the latent is not split, 27 layers x 576 values x 2 B x 8 requests x 2,304 tokens
    assert kv[1] == kv[2] == kv[4] == 27 * 576 * 2 * 8 * (2048 + 256)


def test_no_note_for_a_grouped_query_model_within_its_heads(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--tp", "2", "--batch", "1", "--json"],
                              capsys)
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if "latent" in n or "replicated on" in n]


def test_with_attention_dp_the_note_says_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --attention-dp given the note still ended '--attention-dp gives each rank its own requests' cache
    instead', advice already taken (rvA, s33): it says what attention DP did to the cache per device, which holds its
    group's requests only (requests_per_rank: ceil(8 / 2) = 4 of the replica's 8), still whole on each of the
    group's --tp ranks."""
    path = write_hf_config(tmp_path, "mla-lite", MLA)
    doc = _run(path, 2, capsys, "--attention-dp", "2")
    (note,) = [n for n in doc["notes"] if "multi-head latent attention: its KV cache" in n]
    assert "gives each rank its own requests' cache instead" not in note, note
    assert "each of the 2 ranks of an attention-DP group caches all of it for that group's requests" in note, note
    assert "--attention-dp 2 splits the replica's requests over 2 groups of 2 ranks" in note, note
    assert "a device caches its own group's requests (1/2 of the replica's" in note, note
    assert "the replica's is 2x the model's" in note, note
    kv = doc["results"][0]["points"][0]["kv_cache_bytes_per_device"]
    assert kv == 27 * 576 * 2 * 4 * (2048 + 256)  # 4 requests' latents, not 8: what the note says
