"""utserve3 (2026-12-05): `plan serve --tp N` above the model's K/V heads says the heads are replicated.

The predictor charges each rank one whole K/V head (TransformerConfig.kv_heads_per_device, as vLLM's
QKVParallelLinear and TensorRT-LLM's dup_kv_weight build it), so a replica's KV cache is tp / kv_heads times the
model's; before, nothing in the text or the JSON said so (a Llama-like config.json with 4 K/V heads at --tp 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024,
          "intermediate_size": 2816, "num_hidden_layers": 7, "num_attention_heads": 16, "num_key_value_heads": 4,
          "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5}


def _notes(tmp_path: Path, tp: int, capsys: pytest.CaptureFixture[str]) -> list[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "-m", str(path), "--hardware", "h100-sxm", "--tp", str(tp),
                               "--batch", "8", "--prompt", "512", "--output", "64", "--json"], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if n.startswith(f"--tp {tp} over ")]


@pytest.mark.parametrize(("tp", "copies"), [(8, "2"), (16, "4")])
def test_tp_above_the_kv_heads_says_each_head_is_replicated(tp: int, copies: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (note,) = _notes(tmp_path, tp, capsys)
    assert "4 K/V heads" in note and f"replicated on {copies} ranks" in note
    assert f"the replica's KV cache is {copies}x the model's" in note


@pytest.mark.parametrize("tp", [1, 2, 4])
def test_no_note_where_tp_splits_the_heads(tp: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _notes(tmp_path, tp, capsys) == []
