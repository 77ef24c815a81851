"""The runs file's moe_dispatcher cell on every MoE row whose expert group spans more than one scale-up domain
(dispatch, issue 10, 2026-12-03): the dispatcher the row's cited recipe / preset runs, set before the rows were
predicted with it, rows chosen by that rule and not by their errors.

Read (the runs file's 'dispatch' block): Megatron-Bridge scripts/performance/configs/deepseek/deepseek_llm_pretrain.py
at 0132842 (25.09: deepseek_v3_h100_1024gpus_fp8_config passes enable_deepep=True, the flex dispatcher with DeepEP);
PR #3368 ('b200 DSv3 better cfg', merged 2026-04-17: the B200 MXFP8 V2 preset PP 8, VP 2, EP 32 in one replace() with
moe_flex_dispatcher_backend 'deepep', the 26.04.01 table's layout); qwen3_workload_base_configs.py at 01b2977 (H100
235B presets: moe_token_dispatcher_type 'alltoall'); gpt_oss_workload_base_configs.py at 1e7adfa (26.02 B300 / B200
BF16 V2 at EP 64: no flex backend).

Fails before dispatch: the two DeepSeek-V3 rows' cells were blank.
"""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.predict import comm
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
# the rows whose expert group crosses a scale-up domain, and the cell each one's recipe gives ('' = all-to-all)
CROSS_NODE = {
    "mb-h100-qwen3-235b": "", "mb2602-h100-qwen3-235b": "", "mb260201-h100-qwen3-235b": "",
    "mb2604-h100-qwen3-235b": "", "mb260401-h100-qwen3-235b": "",
    "mb2604-h100-qwen3-30b": "hybridep", "mb260401-h100-qwen3-30b": "hybridep",
    "mb2606-h100-qwen3-30b": "hybridep",  # mb2606 (2026-12-03): the 26.04.01 sibling's cell (PR #2477's HybridEP)
    "mb2509-h100-dsv3-fp8": "deepep", "mb260401-b200-dsv3": "deepep",
    "mb2602-b300-gptoss-120b": "", "mb2602-b200-gptoss-120b": "",
    # NeMo AutoModel (automodel, 2026-12-03): enable_deepep true / dispatcher deepep in every benchmark config
    "am-h100-dsv3-1024": "deepep", "am-h100-dsv3-256": "deepep", "am-h100-kimik2-256": "deepep",
    "am-h100-gptoss-120b-64": "deepep",
}
# (before: the all-to-all, after: the cell) as the two rows' notes quote them
# 2026-12-04 (sortchunks): the all-to-all side of each move, +21.3% (30.64 s) -> +24.1% (31.36 s) and +157.3% (50.66 s)
# -> +160.5% (51.31 s), the local-expert sort cost (only the all-to-all dispatcher sorts); the DeepEP side did not move
# (-14.1%, +48.4%: 21.70 -> 21.71 s and 29.20 -> 29.22 s and +48.3% -> +48.4% were already so before it)
# 2026-12-05 (moeopt): steps 31.36 -> 31.37 s and 42.85 -> 20.76 s -> 42.86 -> 20.77 s, the experts' optimizer step
# over their expert-data-parallel group
# 2026-12-05 (rhopperadopt): +24.1% -> -14.1% (11.31 -> 2.49 s, 31.37 -> 21.71 s) before the H100 fused attention core
# at cuDNN's measured rate and the Hopper re-run 0.60 -> 0.58
MOVED = {"mb2509-h100-dsv3-fp8": ("+25.3%", "-12.9%", "11.41 -> 2.58 s", "31.65 -> 22.00 s"),
         # 2026-12-05 (moenemo): with the row's ep_a2a_overlap cell (PR #3368's preset) the move is +160.5% -> +48.4%
         # (35.27 -> 14.37 s, 51.31 -> 29.22 s) -> +117.6% -> +5.4% (27.04 -> 6.14 s, 42.85 -> 20.76 s)
         # 2026-12-05 (rblackwell): +117.6% -> +5.4% (27.04 -> 6.14 s; 42.86 -> 20.77 s) before B200's fused attention
         # core ran at its measured cuDNN rate with the fp8 re-run
         "mb260401-b200-dsv3": ("+120.1%", "+7.9%", "27.09 -> 6.19 s", "43.33 -> 21.24 s")}
RECOMPUTED_IDS = frozenset(MOVED)


def _nodes(row: dict[str, str]) -> int:
    res = predict_layout(run_query(row))
    links = comm.Links.of(res.spec, res.cal, None)
    ep = int(row.get("ep") or 1)
    etp = int(row.get("etp") or row.get("tp") or 1)
    return int(comm.split_domain(np.asarray(ep), np.asarray(etp), links.domain)[1])


def test_every_cross_node_moe_row_is_listed() -> None:
    got = sorted(rid for rid, r in ROWS.items() if int(r.get("ep") or 1) > 1 and _nodes(r) > 1)
    assert got == sorted(CROSS_NODE)


@pytest.mark.parametrize("rid", sorted(CROSS_NODE))
def test_cell_is_the_recipes(rid: str) -> None:
    assert (ROWS[rid].get("moe_dispatcher") or "").strip() == CROSS_NODE[rid]


@pytest.mark.parametrize("rid", sorted(MOVED))
def test_the_moves_the_notes_quote(rid: str) -> None:
    before, after, ep_s, step_s = MOVED[rid]
    row = ROWS[rid]
    old, new = reproduce({**row, "moe_dispatcher": ""}), reproduce(row)
    assert (f"{100 * old.error:+.1f}%", f"{100 * new.error:+.1f}%") == (before, after)
    t_old = predict_layout(run_query({**row, "moe_dispatcher": ""})).terms["t_ep_comm_s"]
    t_new = predict_layout(run_query(row)).terms["t_ep_comm_s"]
    assert f"{t_old:.2f} -> {t_new:.2f} s" == ep_s
    assert f"{old.predicted_step_s:.2f} -> {new.predicted_step_s:.2f} s" == step_s
    note = " ".join(row["note"].split())
    assert f"expert dispatch {ep_s}: predicted {before} -> {after} ({step_s}" in note


def test_deepep_rate_at_the_rows_ep() -> None:
    """DeepEP's legacy.md normal kernels: EP 64 51 / 50 GB/s (the H100 row), EP 32 58 / 57 (the B200 row)."""
    got = comm.hier_dispatch_rate("deepep", np.array([64, 32]))
    assert np.allclose(got, [50.5e9, 57.5e9], rtol=1e-12)


def test_gptoss_26_02_rows_did_not_move() -> None:
    """Blank on both EP 64 GPT-OSS rows: the 26.02 preset names no flex dispatcher; with DeepEP or HybridEP they would
    move, which is why the cell matters and why it stays what the recipe says."""
    for rid in ("mb2602-b300-gptoss-120b", "mb2602-b200-gptoss-120b"):
        row = ROWS[rid]
        assert "1e7adfa90b18d15594c049ed3ca3554096495594" in row["note"]
        assert reproduce({**row, "moe_dispatcher": "hybridep"}).predicted_step_s < reproduce(row).predicted_step_s
