"""`--offload-inputs`: with full recompute, the layer input each layer keeps lives in host memory (MaxText
remat_policy 'custom' with decoder_layer_input 'offload', as the AI-Hypercomputer/tpu-recipes Trillium configs set).
Memory only: the chip keeps one layer's recompute working set and the logits; the step time does not change."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import explain_terms, run_main

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}
ROW = "maxtext-v6e-llama31-405b-x2"  # full recompute, layer input offloaded, 126 layers, 1 x 8192 tokens per chip


def test_offload_removes_exactly_the_kept_layer_inputs() -> None:
    """Without offload full recompute keeps L x s b h x 2 B (bf16 layer input, no tensor parallel); with it those bytes
    leave the chip and nothing else moves. Tolerance: exact to float rounding (rel 1e-9)."""
    q = run_query(ROWS[ROW])
    assert q.offload_layer_inputs and q.recompute == "full"
    on = predict_layout(q).terms
    off = predict_layout(replace(q, offload_layer_inputs=False)).terms
    layers, s, h = int(ROWS[ROW]["layers"]), int(ROWS[ROW]["seq"]), int(ROWS[ROW]["hidden"])
    kept = layers * s * int(ROWS[ROW]["mbs"]) * h * 2.0
    assert off["mem_activations_bytes"] - on["mem_activations_bytes"] == pytest.approx(kept, rel=1e-9)
    for k in ("mem_weights_bytes", "mem_optimizer_bytes", "step_time_s"):
        assert on[k] == off[k]


def test_offload_without_full_recompute_has_no_effect_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "explain", "--model", "llama3-8b", "--hardware", "tpu-v6e", "--devices", "8", "--tp", "1",
            "--zero", "3", "--mbs", "1", "--global-batch", "8seq", "--seq-len", "4096", "--recompute", "selective",
            "--json"]
    _, base, _ = run_main(args, capsys)
    _, out, err = run_main([*args, "--offload-inputs"], capsys)
    assert explain_terms(json.loads(out)) == explain_terms(json.loads(base))
    assert "--offload-inputs has no effect here" in out + err
