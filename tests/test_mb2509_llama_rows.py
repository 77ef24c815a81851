"""Megatron-Bridge 25.09's LLAMA rows (mb2509-*-llama*), added 2026-12-01 by nemon as held-out rows.

Each row must be its table's (Tokens / sec / GPU -> step_s) and stay held out; the two beyond 25% carry checked notes
whose figures are recomputed here from the model (tests/test_row_notes_checked.py: RECOMPUTED_BY names this file), so
a model change that moves one fails until the note is rewritten. Tolerance for a quoted figure: its last written digit.
"""
from __future__ import annotations

import numpy as np
import pytest

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
    tokens_per_step = int(row["global_batch"]) * int(row["seq"])
    published_step_s = tokens_per_step / (TOKENS_PER_S[run_id] * int(row["devices"]))
    assert float(row["step_s"]) == pytest.approx(published_step_s, abs=1e-4)
    assert row["fp8_recipe"] == ("mxfp8" if run_id.endswith("-mx") else "current")
    assert not reproduce(row).fitted


def test_fsdp_405b_note_recomputes() -> None:
    """The note: 9.37 s = 4.65 s compute + 4.71 s exposed ZeRO-3 (8.40 raw); the 64-rank group split 4 x 16."""
    t, r = _terms(FSDP_405B), reproduce(ROWS[FSDP_405B])
    assert r.predicted_step_s == pytest.approx(9.37, abs=0.005) and r.error == pytest.approx(0.668, abs=0.0005)
    compute_s = t["t_fwd_s"] + t["t_bwd_s"] + t["t_recompute_s"] + t["t_logits_s"]
    assert [round(t[k], 2) for k in ("t_fwd_s", "t_bwd_s", "t_recompute_s", "t_logits_s")] == [1.49, 2.97, 0.16, 0.03]
    assert compute_s == pytest.approx(4.65, abs=0.005)
    assert (round(t["t_zero3_comm_s"], 2), round(t["t_zero3_comm_raw_s"], 2)) == (4.71, 8.40)
    d_in, d_out = comm.split_domain(np.array([64]), np.array([2]), 72)
    assert (int(d_in[0]), int(d_out[0])) == (4, 16) == (t["in_dp_ranks_in_domain"], t["in_dp_domains"])
    assert reproduce(ROWS["mb2509-gb200-llama3-70b"]).error == pytest.approx(-0.089, abs=0.0005)


def test_mx_405b_note_recomputes() -> None:
    """The note: 5.23 s, -26.2%; the B200 twin 5.78 s (-12.3%); published GB200 1.076x slower, model 1.104x faster."""
    gb, b = reproduce(ROWS[MX_405B]), reproduce(ROWS["mb2509-b200-llama31-405b-mx"])
    assert (round(gb.predicted_step_s, 2), round(gb.error, 3)) == (5.23, -0.262)
    assert (round(b.predicted_step_s, 2), round(b.error, 3)) == (5.78, -0.123)
    assert round(TOKENS_PER_S["mb2509-b200-llama31-405b-mx"] / TOKENS_PER_S[MX_405B], 3) == 1.076
    assert round(b.predicted_step_s / gb.predicted_step_s, 3) == 1.104
    for k in ("tp", "pp", "cp", "vp", "devices", "global_batch", "mbs"):
        assert ROWS[MX_405B][k] == ROWS["mb2509-b200-llama31-405b-mx"][k], k
