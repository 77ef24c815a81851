"""Activation offload on the tpu-recipes Trillium rows: with full recompute, the layer input each layer keeps lives in
host memory (MaxText remat_policy 'custom' with decoder_layer_input 'offload'); the rows carry it as offload_layers =
their layer count (`plan --offload-layers`). Memory only: the chip keeps one layer's recompute working set and the
logits; the step time does not change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}
ROW = "maxtext-v6e-llama31-405b-x2"  # full recompute, layer input offloaded, 126 layers, 1 x 8192 tokens per chip


def test_offload_removes_exactly_the_kept_layer_inputs() -> None:
    """Without offload full recompute keeps L x s b h x 2 B (bf16 layer input, no tensor parallel); with every layer
    offloaded those bytes leave the chip and nothing else moves. Tolerance: exact to float rounding (rel 1e-9)."""
    q = run_query(ROWS[ROW])
    layers, s, h = int(ROWS[ROW]["layers"]), int(ROWS[ROW]["seq"]), int(ROWS[ROW]["hidden"])
    assert q.offload_layers == layers and q.recompute == "full" and q.pp == 1
    on = predict_layout(q).terms
    off = predict_layout(replace(q, offload_layers=0)).terms
    kept = layers * s * int(ROWS[ROW]["mbs"]) * h * 2.0
    assert off["mem_activations_bytes"] - on["mem_activations_bytes"] == pytest.approx(kept, rel=1e-9)
    for k in ("mem_weights_bytes", "mem_optimizer_bytes", "step_time_s"):
        assert on[k] == off[k]


def test_every_trillium_row_offloads_all_its_layers() -> None:
    # newrows' GPT-3 175B (remat full) and Gemma 3 12B (decoder_layer_input 'device') recipes keep the layer input on
    # the device (runs-file newrows block): no offload
    on_device = {"maxtext-v6e-gpt3-175b-256", "maxtext-v6e-gemma3-12b-1x256", "maxtext-v6e-gemma3-12b-2x256",
                 "maxtext-v6e-gemma3-12b-4x256"}
    rows = [r for r in ROWS.values() if r["id"].startswith("maxtext-v6e-") and r["id"] not in on_device]
    # 12 since tpu_new's Mistral 7B v6e-8 row (2026-12-03: remat custom, decoder_layer_input offloaded, as the 8B rows)
    assert len(rows) == 12 and all(not ROWS[rid]["offload_layers"] for rid in on_device)
    for r in rows:
        assert int(r["offload_layers"]) == int(r["layers"]) and r["recompute"] == "full", r["id"]
