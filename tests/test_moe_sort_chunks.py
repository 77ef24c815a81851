"""Megatron-Core's all-to-all dispatcher sorts the routed tokens by local expert and back (gptoss, 2026-12-04).

NVIDIA/Megatron-LM megatron/core/transformer/moe/token_dispatcher.py at 0014f13713bfa38a8bab4ae11edd6917d35165ce,
MoEAlltoAllTokenDispatcher: dispatch_postprocess 'Permutation 2: Sort tokens by local expert' (sort_chunks_by_idxs,
if self.num_local_experts > 1) and combine_preprocess 'Unpermutation 2: Unsort tokens by local expert': two copies of
every routed row per MoE layer forward, one each again in the backward (compute.moe_sort_chunks_s).
"""

from __future__ import annotations

import numpy as np

from accelopt.predict import compute as C
from accelopt.predict.query import predict_layout
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}


def _setup(rid: str) -> tuple[object, C.Device]:
    res = predict_layout(run_query(ROWS[rid]))
    return res.setup.model, _device(res.spec, "bf16", res.cal, "delayed")


def test_two_sorts_of_every_routed_row_and_none_with_one_local_expert() -> None:
    mdl, dev = _setup("mb260201-gb200-gptoss-120b")  # 128 experts, top 4, hidden 2880
    a = np.asarray
    T = 16384.0
    rows = T * 4  # etp = tp = 1: every routed row lands on some rank's local experts
    want = C.memory_ops_s(4.0 * rows * 2880 * 2.0, dev, 2.0)
    assert float(C.moe_sort_chunks_s(mdl, a(T), a(1.0), a(1.0), a(64.0), 2.0, dev)) == float(want)
    assert float(C.moe_sort_chunks_s(mdl, a(T), a(1.0), a(1.0), a(128.0), 2.0, dev)) == 0.0  # one local expert


def test_only_megatron_all_to_all_rows_pay_it() -> None:
    # the PyTorch-FSDP (NeMo AutoModel, DeepEP) row and the Megatron rows on the flex dispatcher (moe_dispatcher
    # deepep / hybridep: DeepEP's fused dispatch lands the tokens and one local permute groups them by expert, no
    # sort_chunks_by_idxs) keep their steps; a Megatron alltoall MoE row pays
    # 2026-12-04 (sortchunks): mb2509-h100-dsv3-fp8 21.69742005003989 -> 21.70780809483989, its step on this tree
    # before the sort cost (6d8929c1, recomputed); the gptoss tree's figure predates a later merge
    # 2026-12-05 (utplan2): -> 21.707677299330616, its optimizer step reading and writing the row's 8 B of state
    # (optimizer_state_bytes 8: 2 x 8 + 4 = 20 B per parameter, was a fixed 28), not the dispatcher
    # 2026-12-05 (moeopt): 4.2525463721649235 -> 4.270972010373879, 21.707677299330616 -> 21.712520966153225 and
    # 25.09123923060549 -> 25.10898677066519, the routed experts' optimizer step over their expert-data-parallel group
    # (tp dp cp / (etp ep) ranks, where it divided them by dp x cp), not the dispatcher
    # 2026-12-05 (rhopperadopt): 4.270972010373879 -> 4.265282268727527, 21.712520966153225 -> 22.00011528918342 and
    # 25.10898677066519 -> 25.251883459648987, the H100 fused attention core at cuDNN's measured rate and the Hopper
    # re-run 0.60 -> 0.58, not the dispatcher
    # 2026-12-06 (utleft): 4.265282268727527 -> 4.265282315742453, GPT-OSS's q, k, v and o biases counted (the row
    # model's attn_bias), not the dispatcher
    before = {"am-h100-gptoss-120b-64": 4.265282315742453,  # as committed before (gptoss, 2026-12-04), then moeopt
              "mb2509-h100-dsv3-fp8": 22.00011528918342, "mb2606-h100-qwen3-30b": 25.251883459648987}
    for rid, step in before.items():
        assert predict_layout(run_query(ROWS[rid])).terms["step_time_s"] == step
    assert predict_layout(run_query(ROWS["mb260201-gb200-gptoss-120b"])).terms["step_time_s"] > 2.0746969903651995
