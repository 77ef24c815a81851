"""FP8 current scaling with the norm-fused amax (fp8norm, 2026-12-04, issue 10).

Transformer Engine PR #2013 (in TE v2.7) makes layernorm_fwd / rmsnorm_fwd write a current-scaling amax with their
16-bit output (NVIDIA/TransformerEngine@c38e4ba1 transformer_engine/pytorch/csrc/extensions/normalization.cpp:
create_hp_tensor_with_amax, then quantize_with_amax), so the FP8 GEMM inside a LayerNormLinear skips the separate
amax read of its input. Megatron-Core builds LayerNormLinear for the QKV projection, a dense MLP's fc1 and MLA's Q / KV
up-projections, not for MLA's down-projections or an MoE layer's experts (NVIDIA/Megatron-LM@00611e6e
megatron/core/models/gpt/gpt_layer_specs.py). The NeMo 25.04 / 25.07 containers predate the PR: their current-scaling
rows run 'current-unfused'.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accelopt.hardware.catalog import default_catalog
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import Device, layer_forward, linear_precision
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.presets import get_model

ROWS = {r["id"]: r for r in read_runs()}


def _device(spec_name: str, recipe: str, stack: str = "megatron") -> Device:
    spec = default_catalog().get(spec_name)
    cal = calibration_for(spec, stack=stack)
    lin = linear_precision(spec, "fp8", cal, recipe)
    peak16 = spec.peak("bf16")
    assert peak16 is not None and lin is not None
    return Device(peak_flop_per_s=peak16, bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal,
                  linear=lin)


@pytest.mark.parametrize(("spec", "recipe", "stack", "fused"), [
    ("h100-sxm", "current", "megatron", True),
    ("b200", "current", "megatron", True),
    ("h100-sxm", "current-unfused", "megatron", False),
    ("h100-sxm", "delayed", "megatron", False),
    ("b200", "mxfp8", "megatron", False),
    ("h100-sxm", "current", "torchtitan", False),  # torchao's Float8Linear, no TE LayerNormLinear
    ("mi300x", "current", "megatron", False),  # ROCm's TE fork not read for it
])
def test_which_runs_fuse_the_amax(spec: str, recipe: str, stack: str, fused: bool) -> None:
    lin = _device(spec, recipe, stack).linear
    assert lin is not None and lin.norm_amax_fused is fused


def test_dense_layer_saves_one_amax_read_of_qkv_and_fc1_inputs_forward_only() -> None:
    """Under sequence parallel the norm's output is the local [T/t, h] shard: one 2-byte read of it and one launch
    fewer for the QKV input and for fc1's input, nothing else in the forward."""
    mdl = get_model("llama3-8b")
    fused, unfused = _device("h100-sxm", "current"), _device("h100-sxm", "current-unfused")
    b, s, tp = 1.0, 8192.0, 2.0
    args = (mdl, np.asarray(b), np.asarray(s), np.asarray(s), np.asarray(tp), np.asarray(True), True,
            np.asarray(1.0), 2.0)
    lf, lu = layer_forward(*args, fused), layer_forward(*args, unfused)
    bw = fused.bw_byte_per_s * fused.cal.memory_eff
    one = b * s / tp * mdl.hidden * 2.0 / bw + fused.cal.kernel_overhead_s
    assert float(lu.dense_s - lf.dense_s) == pytest.approx(2.0 * one, rel=1e-9)
    assert float(lf.norm_amax_attn_s) == pytest.approx(one, rel=1e-9)
    assert float(lf.norm_amax_mlp_s) == pytest.approx(one, rel=1e-9)
    assert float(lu.dense_mlp_s - lf.dense_mlp_s) == pytest.approx(one, rel=1e-9)
    assert float(lf.attn_core_s) == float(lu.attn_core_s)
    assert float(lu.norm_amax_attn_s) == 0.0 and float(lu.norm_amax_mlp_s) == 0.0


def test_mla_saves_on_its_up_projections_not_its_down_projections() -> None:
    mdl = get_model("deepseek-v3")
    assert mdl.mla is not None and mdl.mla.q_lora_rank is not None
    dev = _device("h100-sxm", "current")
    T, tp = 4096.0, 2.0
    lf = layer_forward(mdl, np.asarray(1.0), np.asarray(T), np.asarray(T), np.asarray(tp), np.asarray(True), True,
                       np.asarray(8.0), 2.0, dev)
    bw = dev.bw_byte_per_s * dev.cal.memory_eff
    want = sum(T / tp * w * 2.0 / bw + dev.cal.kernel_overhead_s for w in (mdl.mla.kv_lora_rank, mdl.mla.q_lora_rank))
    assert float(lf.norm_amax_attn_s) == pytest.approx(want, rel=1e-9)


def test_training_step_keeps_the_backward() -> None:
    """A Megatron-Bridge FP8-CS row: the fused recipe shortens the forward by L_s x m x the savings and leaves the
    backward as the unfused recipe's (the norm fusion is a forward-only change)."""
    row = ROWS["mb2509-h100-llama3-70b"]
    assert row["fp8_recipe"] == "current"
    q = run_query(row)
    fused, unfused = predict_layout(q).terms, predict_layout(replace(q, fp8_recipe="current-unfused")).terms
    assert float(fused["t_fwd_s"]) < float(unfused["t_fwd_s"])
    assert float(fused["t_bwd_s"]) == pytest.approx(float(unfused["t_bwd_s"]), rel=1e-12)


NEMO_CS = [r for r in ROWS.values() if r["source"].startswith(("NeMo25.04", "NeMo25.07"))
           and r.get("fp8_recipe") in ("current", "current-unfused")]


def test_nemo_2504_2507_current_scaling_rows_are_unfused() -> None:
    """Their containers were released by 2025-07-31 (the NeMo Framework changelog of that date lists both), before
    TE PR #2013; the Megatron-Bridge 25.09+ containers ship TE >= 2.7.0 (Megatron-Bridge
    docs/releases/software-versions.md at 2075a5b8)."""
    assert len(NEMO_CS) == 12
    assert {r["fp8_recipe"] for r in NEMO_CS} == {"current-unfused"}
    bridge = [r for r in ROWS.values() if r["source"].startswith("Megatron-Bridge") and r.get("fp8_recipe")
              in ("current", "current-unfused")]
    assert bridge and {r["fp8_recipe"] for r in bridge} == {"current"}
