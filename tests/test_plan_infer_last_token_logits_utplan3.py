"""`plan infer` of a causal LM's Hugging Face config charged the output layer (LM head, hidden x vocab) for every
token of the sequence, while a serving engine computes it for the last position of each prompt only, the one it
samples the next token from (vLLM vllm/v1/worker/gpu_model_runner.py: `sample_hidden_states =
hidden_states[logits_indices]` before `compute_logits`; `plan serve`'s prefill_flops the same). With a 32k vocabulary
at 256 tokens the head was the largest GEMM and its logits the largest tensor. Now it is captured on the last
position (workload.inference_zoo.last_token_logits) and said in a note (a user trial, utinfer / utplan3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, write_config

pytest.importorskip("transformers")

H, V, T, B, L = 128, 32000, 256, 2, 2
LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H, "intermediate_size": 344,
         "num_hidden_layers": L, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": V,
         "max_position_embeddings": 1024, "tie_word_embeddings": False}


def _capture(p: Path):  # type: ignore[no-untyped-def]
    from accelopt.workload.hf import build_from_hf_config
    from accelopt.workload.inference_zoo import capture_inference

    return capture_inference(build_from_hf_config(str(p), batch_size=B, seq_len=T, meta=True),
                             rebuild=lambda: build_from_hf_config(str(p), batch_size=B, seq_len=T))


def test_the_lm_head_is_charged_for_the_last_token_only(tmp_path: Path) -> None:
    wl = _capture(write_config(tmp_path, LLAMA))
    head = [op for op in wl.ops if op.module == "lm_head"]
    assert head and sum(op.flops * op.count for op in head) == 2 * B * 1 * H * V  # was 2 x B x T x H x V
    assert wl.meta["logits_last_token"] == "lm_head"
    # the layers still run every token: the q projection of layer 0 is 2 x B x T x H x H
    q = [op for op in wl.ops if op.module == "model.layers.0.self_attn.q_proj"]
    assert sum(op.flops * op.count for op in q) == 2 * B * T * H * H


def test_a_tied_head_gpt2_is_charged_so_too(tmp_path: Path) -> None:
    gpt2 = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": H, "n_head": 4, "n_layer": L,
            "n_positions": 1024, "vocab_size": V}
    wl = _capture(write_config(tmp_path, gpt2))
    head = [op for op in wl.ops if op.module == "lm_head"]
    assert head and sum(op.flops * op.count for op in head) == 2 * B * H * V


def test_plan_infer_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", str(write_config(tmp_path, LLAMA)), "--hardware", "h100-sxm", "--batch",
                               str(B), "--input-size", str(T), "--json"], capsys)
    assert code == 0, err
    notes = [n for n in json.dumps(json.loads(out)).split('"') if "output layer (lm_head" in n]
    assert notes and f"(1 of its {T:,})" in notes[0]


def test_a_masked_lm_keeps_every_position(tmp_path: Path) -> None:
    # BERT's MLM head predicts masked positions anywhere in the sequence: not a causal LM, unchanged
    bert = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": H, "num_attention_heads": 4,
            "num_hidden_layers": L, "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 512}
    wl = _capture(write_config(tmp_path, bert))
    assert "logits_last_token" not in wl.meta
    decoder = [op for op in wl.ops if op.module.endswith("predictions.decoder")]
    assert decoder and sum(op.flops * op.count for op in decoder) == 2 * B * T * H * 1000


def test_the_zoo_gpt_head_is_charged_so_too() -> None:
    from accelopt.workload import zoo
    from accelopt.workload.inference_zoo import capture_inference

    bundle = zoo.build("gpt", "tiny", batch_size=B)
    t, h, v = bundle.meta["seq_len"], bundle.meta["hidden"], bundle.meta["vocab"]
    wl = capture_inference(bundle)
    head = [op for op in wl.ops if op.module == "head"]
    assert t > 1 and head and sum(op.flops * op.count for op in head) == 2 * B * h * v  # was 2 x B x t x h x v
    assert wl.meta["logits_last_token"] == "head"
