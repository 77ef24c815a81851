"""Megatron-Bridge 25.09's LLAMA rows (mb2509-*-llama*), added 2026-12-01 by nemon as held-out rows.

Each row must be its table's (Tokens / sec / GPU -> step_s) and stay held out; the two beyond 25% carry checked notes
whose figures are recomputed here from the model (tests/test_row_notes_checked.py: RECOMPUTED_BY names this file), so
a model change that moves one fails until the note is rewritten. Tolerance for a quoted figure: its last written digit.
"""
from __future__ import annotations

import numpy as np
import pytest
from runs_rows import table_step_s

from accelopt.predict import comm
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
TOKENS_PER_S = {  # the 25.09 tables' Tokens / sec / GPU (main figure; *-mx: the figure in parentheses)
    "mb2509-gb200-llama3-8b": 31357, "mb2509-gb200-llama3-8b-mx": 29925, "mb2509-gb200-llama3-70b": 3986,
    "mb2509-gb200-llama3-70b-mx": 3546, "mb2509-gb200-llama31-405b": 729, "mb2509-gb200-llama31-405b-mx": 578,
    "mb2509-b200-llama3-8b": 29994, "mb2509-b200-llama3-8b-mx": 29388, "mb2509-b200-llama31-405b": 664,
    "mb2509-b200-llama31-405b-mx": 622, "mb2509-h100-llama3-8b": 14079, "mb2509-h100-llama3-70b": 1619,
    "mb2509-h100-llama31-405b": 302,
}
FSDP_405B, MX_405B = "mb2509-gb200-llama31-405b", "mb2509-gb200-llama31-405b-mx"
RECOMPUTED_IDS = frozenset({FSDP_405B, MX_405B})


def _terms(run_id: str) -> dict[str, float]:
    return {k: float(v) for k, v in predict_layout(run_query(ROWS[run_id])).terms.items()}


@pytest.mark.parametrize("run_id", TOKENS_PER_S)
def test_step_is_the_tables_tokens_per_second(run_id: str) -> None:
    row = ROWS[run_id]
    assert float(row["step_s"]) == pytest.approx(table_step_s(row, TOKENS_PER_S[run_id]), abs=1e-4)
    assert row["fp8_recipe"] == ("mxfp8" if run_id.endswith("-mx") else "current")
    assert not reproduce(row).fitted


def test_fsdp_405b_note_recomputes() -> None:
    """The note: -4.6% (5.36 s since the Blackwell fp8 rule's re-run 0.50 -> 0.46 after rcb, 2026-12-01; -10.9%, 5.00 s
    after hopdiag's causal FlashAttention-2 change; -17.0%, 4.67 s before it) with the 64-rank
    shard group split 32 x 2 over the two NVL72 racks (it was 4 x 16
    by gcd, +66.8%, 9.37 s, before the split-domain fix)."""
    t, r = _terms(FSDP_405B), reproduce(ROWS[FSDP_405B])
    # 2026-12-05 (rblackwell): 5.36 s, -4.6% -> 5.08 s, -9.6%: GB200's fused attention core at its measured cuDNN
    # rate and the Blackwell fp8 rule re-run 0.46 -> 0.50
    # 2026-12-05 (rgb300): 5.08 s, -9.6% -> 5.17 s, -8.0%: the row's cudnn_before_9_17 cell (the 25.09 container
    # predates cuDNN 9.17), GB200's fused core at its catalog rate under such a release (tests/test_cudnn_before_917.py)
    assert r.predicted_step_s == pytest.approx(5.17, abs=0.005) and r.error == pytest.approx(-0.080, abs=0.0005)
    d_in, d_out = comm.split_domain(np.array([64]), np.array([2]), 72)
    assert (int(d_in[0]), int(d_out[0])) == (32, 2) == (t["in_dp_ranks_in_domain"], t["in_dp_domains"])
    # -0.079 since rblackwell (2026-12-05); -0.044 after the Blackwell fp8 re-run 0.50 -> 0.46 (2026-12-01, after
    # rcb); hopdiag -0.080 (-0.089 before)
    # -0.052 since rgb300 (2026-12-05, the cudnn_before_9_17 cell)
    assert reproduce(ROWS["mb2509-gb200-llama3-70b"]).error == pytest.approx(-0.052, abs=0.0005)


def test_mx_405b_note_recomputes() -> None:
    """The note: 5.81 s, -18.0%; the B200 twin 6.13 s (-6.9%); published GB200 1.076x slower, model 1.056x faster.
    Without the recipe's edge stages (edge_layers 15, mbread 2026-12-01): 6.07 s (-14.3%) and 6.40 s (-2.7%).
    (Since dpscale's per-bucket ring latency and bucket2's dp_bucket_params cells, 2026-12-02, recon3: -18.1%,
    -14.4%, -2.8% before them. Since pp's per-chunk gradient reduction, 2026-12-02; 5.80 / -18.2%, 6.36 / -3.5%,
    1.096, 6.06 / -14.5%, 6.63 / +0.7% before it; since the Blackwell fp8 rule's re-run 0.50 -> 0.46 after rcb,
    2026-12-01; 5.45 / 6.00 / 1.100 / 5.72 / 6.27 s after hopdiag's causal FlashAttention-2 work, 4.97 / 5.50 /
    1.107 / 5.23 / 5.78 s before it.)"""
    # 2026-12-04 (vpfix): (5.81, -0.180) -> (5.82, -0.179), (6.13, -0.069) -> (6.14, -0.067); even stages
    # (6.07, -0.143) -> (6.08, -0.142), (6.40, -0.027) -> (6.42, -0.026), vpchunk's pipeline edge costs
    # (the B200 / GB200 ratio 1.056 unchanged; the row's note appends these)
    # 2026-12-05 (rblackwell): (5.82, -0.179) -> (5.53, -0.220), (6.14, -0.067) -> (5.95, -0.097), the model's B200 /
    # GB200 ratio 1.056 -> 1.076 (the published one); even stages (6.08, -0.142) -> (5.79, -0.183), (6.42, -0.026) ->
    # (6.22, -0.056): each device's fused attention core at its measured cuDNN rate, the fp8 re-run 0.46 -> 0.50
    # 2026-12-05 (rgb300): GB200 (5.53, -0.220) -> (5.62, -0.207), the model's B200 / GB200 ratio 1.076 -> 1.059; even
    # stages (5.79, -0.183) -> (5.88, -0.170): the GB200 row's cudnn_before_9_17 cell (the B200 rate is cuDNN 9.10.2's)
    gb, b = reproduce(ROWS[MX_405B]), reproduce(ROWS["mb2509-b200-llama31-405b-mx"])
    assert (round(gb.predicted_step_s, 2), round(gb.error, 3)) == (5.62, -0.207)
    assert (round(b.predicted_step_s, 2), round(b.error, 3)) == (5.95, -0.097)
    assert round(TOKENS_PER_S["mb2509-b200-llama31-405b-mx"] / TOKENS_PER_S[MX_405B], 3) == 1.076
    assert round(b.predicted_step_s / gb.predicted_step_s, 3) == 1.059
    even = {rid: reproduce({**ROWS[rid], "edge_layers": ""}) for rid in (MX_405B, "mb2509-b200-llama31-405b-mx")}
    assert (round(even[MX_405B].predicted_step_s, 2), round(even[MX_405B].error, 3)) == (5.88, -0.170)
    assert (round(even["mb2509-b200-llama31-405b-mx"].predicted_step_s, 2),
            round(even["mb2509-b200-llama31-405b-mx"].error, 3)) == (6.22, -0.056)
    for k in ("tp", "pp", "cp", "vp", "devices", "global_batch", "mbs"):
        assert ROWS[MX_405B][k] == ROWS["mb2509-b200-llama31-405b-mx"][k], k


@pytest.mark.parametrize(("group", "inner", "domain", "split"), [
    (64, 1, 8, (8, 8)),      # 8-GPU nodes, a power-of-two group: as the gcd rule split it
    (16, 8, 8, (1, 16)),     # one rank per node (tp 8 inner)
    (64, 2, 72, (32, 2)),    # NVL72: 36 per domain at stride 2 -> 2 domains, 32 each (the gcd rule: 4 x 16)
    (100, 1, 36, (33, 3)),   # uneven: 3 domains, the smallest even share 33
    (4, 1, 72, (4, 1)),      # inside one domain
])
def test_split_domain_spreads_a_group_over_the_fewest_domains(group: int, inner: int, domain: int,
                                                               split: tuple[int, int]) -> None:
    d_in, d_out = comm.split_domain(np.array([group]), np.array([inner]), domain)
    assert (int(d_in[0]), int(d_out[0])) == split
