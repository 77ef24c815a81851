"""Biased routed experts on Megatron-Core's TEGroupedMLP add fc2's bias unfused (gptoss3, 2026-12-05; a side commit).

megatron/core/transformer/moe/experts.py at svcnemo-autobot/Megatron-LM@37b95c51a9883f8b852ed586160f06345ad7d946
(a Megatron-LM mirror): linear_fc2 is built with skip_bias_add True and forward ends with
self._apply_bias(output, output_bias, tokens_per_expert, permuted_probs), an eager loop over the local experts
(t + b * p, torch.cat): compute.moe_fc2_bias_s. GPT-OSS's experts carry biases (Megatron-Bridge GPTOSSProvider
add_bias_linear True); the runs file's moe_expert_bias cell says so on its GPT-OSS rows.
"""

from __future__ import annotations

import numpy as np

from accelopt.predict import compute as C
from accelopt.predict.query import predict_layout
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}


def test_bytes_and_kernels_per_routed_element() -> None:
    res = predict_layout(run_query(ROWS["mb2604-h100-gptoss-120b"]))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal, "delayed")
    a = np.asarray
    elems = 4096.0 * 4 * 2880  # T x top 4 x h, etp = tp = 1
    fwd, bwd = C.moe_fc2_bias_s(mdl, a(4096.0), a(1.0), a(1.0), a(8.0), dev)
    assert float(fwd) == float(C.memory_ops_s(12.0 * elems, dev, 2 * 16 + 1.0))
    assert float(bwd) == float(C.memory_ops_s(16.0 * elems, dev, 4 * 16 + 1.0))
    f32, b32 = C.moe_fc2_bias_s(mdl, a(4096.0), a(1.0), a(1.0), a(8.0), dev, fp32_probs=True)
    assert float(f32) == float(C.memory_ops_s(28.0 * elems, dev, 2 * 16 + 2.0))
    assert float(b32) == float(C.memory_ops_s(40.0 * elems, dev, 5 * 16 + 2.0))


def test_every_megatron_gptoss_row_pays_and_no_other_row() -> None:
    gptoss = [rid for rid in ROWS if "-gptoss-" in rid]
    assert all(ROWS[rid]["moe_expert_bias"] == "1" for rid in gptoss) and len(gptoss) == 28
    for rid in gptoss:
        without = reproduce(dict(ROWS[rid], moe_expert_bias="")).predicted_step_s
        with_ = reproduce(ROWS[rid]).predicted_step_s
        if rid.startswith("am-"):  # NeMo AutoModel: its own experts, not TEGroupedMLP
            assert with_ == without
        else:
            assert with_ > without
    assert not any((r.get("moe_expert_bias") or "").strip() for rid, r in ROWS.items() if rid not in gptoss)
