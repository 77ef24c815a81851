"""`--recompute mlp`: the MLP block alone is recomputed in the backward (Megatron-Core `--recompute-granularity
selective --recompute-modules mlp`; NeuronX Distributed's activation_checkpoint_config=(CoreAttention, LlamaMLP) when
the NKI flash kernel runs, which bypasses CoreAttention: examples/training/llama/modeling_llama_nxd.py).

What is checked, from the model's own terms (no published figure): the recomputed time is exactly the MLP block's
GEMMs (compute.layer_forward's up and down projections) over the stage's layers and micro-batches; the tensor-parallel
time grows by one forward MLP collective pair, not by a whole forward's; the kept activations drop by the MLP's inner
tensors only. The model had no such variant before 2026-12-01 (`--recompute mlp` was an input error)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import layer_forward
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.training import _device, activation_bytes
from accelopt.workload.presets import get_model

BASE = LayoutQuery(model=get_model("llama3-8b"), hardware="h100-sxm", devices=16, tp=4, pp=2, recompute="none",
                   sp=True, seq_len=4096, global_batch_seqs=64)


def _terms(recompute: str) -> dict[str, float]:
    return predict_layout(replace(BASE, recompute=recompute)).terms


def test_mlp_recompute_time_is_the_mlp_gemms() -> None:
    t = _terms("mlp")
    spec = get_device(BASE.hardware)
    dev = _device(spec, "bf16", calibration_for(spec))
    model = BASE.model
    tokens = float(BASE.seq_len)  # mbs 1, no context parallel
    lt = layer_forward(model, np.asarray(1.0), np.asarray(tokens), np.asarray(tokens), np.asarray(float(BASE.tp)),
                       np.asarray(True), BASE.flash, np.asarray(1.0), activation_bytes("bf16"), dev)
    layers_per_stage = model.layers / BASE.pp
    micro_batches = t["in_micro_batches"]
    want = micro_batches * layers_per_stage * float(lt.dense_mlp_s)
    assert t["t_recompute_s"] == pytest.approx(want, rel=1e-9)
    full, none = _terms("full"), _terms("none")
    assert 0.0 == none["t_recompute_s"] < t["t_recompute_s"] < full["t_recompute_s"]


def test_mlp_recompute_repeats_one_collective_pair_and_keeps_less() -> None:
    mlp, none, full = _terms("mlp"), _terms("none"), _terms("full")
    assert none["t_tp_comm_s"] < mlp["t_tp_comm_s"] < full["t_tp_comm_s"]
    assert full["mem_activations_bytes"] < mlp["mem_activations_bytes"] < none["mem_activations_bytes"]
    # the recomputed FLOPs are hardware FLOPs only: the model FLOPs do not move
    assert mlp["model_flops_per_step"] == none["model_flops_per_step"]
    assert none["hw_flops_per_step"] < mlp["hw_flops_per_step"] < full["hw_flops_per_step"]


def test_cli_accepts_recompute_mlp(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--tp", "2",
            "--json"]
    out_mlp, _ = run_main_expect(capsys, *args, "--recompute", "mlp")
    out_none, _ = run_main_expect(capsys, *args, "--recompute", "none")
    t_mlp = {x["name"]: x["value"] for x in json.loads(out_mlp)["terms"]}
    t_none = {x["name"]: x["value"] for x in json.loads(out_none)["terms"]}
    assert t_mlp["t_recompute_s"] > 0.0 == t_none["t_recompute_s"]
    assert t_mlp["mem_activations_bytes"] < t_none["mem_activations_bytes"]
