"""NeMo AutoModel's biased experts behind DeepEP, and DeepEP's fp32 routing probabilities (gptoss4, 2026-12-05).

AutoModel's MoE builds GroupedExpertsDeepEP when the backend's enable_deepep is set (the GPT-OSS benchmark configs:
examples/benchmark/configs/gptoss_20b_te_deepep.yaml at NVIDIA-NeMo/Automodel@037e04a6, enable_deepep true; its
GptOssModel sets MoEConfig expert_bias True, nemo_automodel/components/models/gpt_oss/model.py at the same commit).
GroupedExpertsDeepEP.forward (nemo_automodel/components/moe/layers.py, stored version 01883b416cb5) runs the expert
GEMMs as grouped_gemm's ops.gmm and adds both biases in eager PyTorch, expert by expert (_apply_bias: t + b over
torch.split, then torch.cat; fc2's as t + b * p): compute.moe_fc1_bias_s and compute.moe_fc2_bias_s. The
probabilities behind DeepEP are fp32 whatever the router's dtype: the DeepEP manager casts them before the dispatch
('DeepEP only supports float32 probs', self.token_probs.float(); Megatron-Core's _DeepepManager.dispatch and
AutoModel's copy, nemo_automodel/components/moe/megatron/token_dispatcher.py at NVIDIA-NeMo/Automodel@0231c64e, which
asserts the permuted probabilities are fp32).
All of these fail before: compute.moe_fc1_bias_s is new, the AutoModel rows paid no bias pass, and the Megatron fc2
charge took fp32 probabilities from moe_router_dtype fp32 only.
"""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.predict import compute as C
from accelopt.predict.query import predict_layout
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
AM_20B, AM_120B = "am-h100-gptoss-20b-8", "am-h100-gptoss-120b-64"


def _layer_charge(rid: str) -> tuple[float, float]:
    """(forward, backward) seconds of both bias passes, one layer, one micro-batch of the row."""
    res = predict_layout(run_query(ROWS[rid]))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal)
    a = np.asarray
    T, ep = a(float(ROWS[rid]["mbs"]) * float(ROWS[rid]["seq"])), a(float(ROWS[rid]["ep"]))
    f1, b1 = C.moe_fc1_bias_s(mdl, T, a(1.0), a(1.0), ep, dev)
    f2, b2 = C.moe_fc2_bias_s(mdl, T, a(1.0), a(1.0), ep, dev, fp32_probs=True)
    return float(f1 + f2), float(b1 + b2)


def test_fc1_bias_bytes_and_kernels() -> None:
    """GPT-OSS 20B at MBS 2: 8192 tokens x top 4 routed rows of the fc1 output, 2 x 2880 wide; 4 local experts."""
    res = predict_layout(run_query(ROWS[AM_20B]))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal)
    a = np.asarray
    elems = 8192.0 * 4 * 2 * 2880
    fwd, bwd = C.moe_fc1_bias_s(mdl, a(8192.0), a(1.0), a(1.0), a(8.0), dev)
    assert float(fwd) == float(C.memory_ops_s(8.0 * elems, dev, 4 + 1.0))
    assert float(bwd) == float(C.memory_ops_s(6.0 * elems, dev, 4 + 1.0))


def test_automodel_rows_pay_both_passes_per_layer_and_micro_batch() -> None:
    """No recompute, no pipeline: the forward grows by micro-batches x layers x the forward charge, the backward by
    the same count x (the backward charge), the 20B row (16 x 24) and the 120B row (4 x 36) alike."""
    for rid, slots in ((AM_20B, 16 * 24), (AM_120B, 4 * 36)):
        a, b = (predict_layout(run_query(dict(ROWS[rid], moe_expert_bias=v))).terms for v in ("", "1"))
        f, bw = _layer_charge(rid)
        assert float(b["t_fwd_s"] - a["t_fwd_s"]) == pytest.approx(slots * f, rel=1e-9)
        assert float(b["t_bwd_s"] - a["t_bwd_s"]) == pytest.approx(slots * bw, rel=1e-9)


def test_deepep_dispatch_makes_megatron_probabilities_fp32() -> None:
    """A Megatron GPT-OSS row behind DeepEP pays the fp32 fc2 pass (28 / 40 B) with the router's default dtype."""
    row = dict(ROWS["mb2604-h100-gptoss-120b"], moe_dispatcher="deepep")
    res = predict_layout(run_query(row))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal)
    a = np.asarray
    f32, b32 = C.moe_fc2_bias_s(mdl, a(4096.0), a(1.0), a(1.0), a(8.0), dev, fp32_probs=True)
    without = predict_layout(run_query(dict(row, moe_expert_bias=""))).terms
    # the forward term: 1280 / (dp 16 x MBS 1) = 80 micro-batches x the stage's 9 layers
    assert float(res.terms["t_fwd_s"] - without["t_fwd_s"]) == pytest.approx(80 * 9 * float(f32), rel=1e-9)
    assert float(res.terms["t_bwd_s"] - without["t_bwd_s"]) == pytest.approx(80 * 9 * float(b32), rel=1e-9)


def test_the_two_automodel_rows_move_as_quoted() -> None:
    """The charge moves the 20B row within 25% and the 120B row out of 6% (why it is not adopted alone)."""
    moved = {rid: f"{reproduce(ROWS[rid]).error:+.1%}" for rid in (AM_20B, AM_120B)}
    assert moved == {AM_20B: "-12.1%", AM_120B: "+10.5%"}
