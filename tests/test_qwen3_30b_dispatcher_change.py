"""The Megatron-Bridge Qwen3-30B-A3B rows on DGX-B200 and DGX-H100 (issue 10, moe_host, 2026-12-03): the checked
reason of their misses, recomputed.

The 25.11 and 26.02 rows (mb-*-qwen3-30b, mb2602-*-qwen3-30b) are predicted 24-55% too fast. NVIDIA's later tables of
the same benchmark on the same systems publish them again after the recipes changed their MoE token dispatcher:

- DGX-B200 (8 GPUs, MXFP8, GBS 512, seq 4096, EP 8): NVIDIA-NeMo/Megatron-Bridge PR #2499 ('Fix Qwen3 30B A3B B200 perf
  config to use hybridep+flex dispatcher', 2026-02-23, merged) says the B200 configs hard-coded
  moe_token_dispatcher_type 'alltoall' (which 'silently disables the flex dispatcher backend'), left
  micro_batch_size unset and left 'attn' out of cuda_graph_scope; it sets the flex dispatcher with HybridEP, MBS 4 and
  the attention graph. The tables then publish MBS 4 at 26695 (26.02.01), 26859 (26.04) and 27136 (26.04.01)
  tokens/s/GPU against 9299 (25.11) and 9691 (26.02) at MBS 1.
- DGX-H100 (16 GPUs, FP8, GBS 1024, seq 4096): PR #2477 ('Update Qwen3 30B H100 Base Configs with HybridEP',
  2026-02-22, merged; issue #2119, 2026-05-12: '30B has been moved to hybridEP'). The 26.02.01 table publishes the
  26.02 row's own layout (PP 2, VP 12, EP 8, MBS 1) at 9058 tokens/s/GPU against 5113; the 26.04 / 26.04.01 tables
  publish another layout (PP 1, EP 16 over the two nodes) at 8901 / 8960.

Sources: docs/performance-summary.md, stored versions with the sections '26.02.01 NeMo Container', '26.04 NeMo
Container' and '26.04.01 NeMo Container' (code index ids 51815770209, 51905015924, 55941132558), table
'Model: Qwen3_30B_a3B'; the 25.11 and 26.02 figures are the runs file's rows.

With the settings the runs file has cells for (MBS) the model is within 10% of every later B200 figure and of the
H100 figure at the unchanged layout (its table cells did not change), while it misses the earlier rows by 24-55%:
the extra time is the earlier recipes', measured by the publisher on the same system, and the change the maintainers
name is the dispatcher (all-to-all -> HybridEP; on B200 also the attention added to the CUDA graphs). The dispatcher
has no cell and no source sizes its cost per MoE layer, so no mechanism is adopted and the rows stay beyond 25%
(B200 25.11, H100) with this reason. Reported too, not hidden: at the 26.04 H100 layout (EP 16 across two nodes) the
model is about 35% too SLOW (its expert all-to-all over the scale-out links).
2026-12-04 (sortchunks): the local-expert sort cost (compute.moe_sort_chunks_s) moves these all-to-all rows: B200 25.11
-26.8% -> -24.8% (no longer beyond 25%), 26.02 -23.8% -> -21.6%; H100 -54.7% -> -52.2% and -49.8% -> -47.3%; the 26.04
H100 layout +34.3% / +35.2% -> +38.7% / +39.6% too slow; B200 235B -31.0% -> -28.4%. Each note carries the new figures.
Each figure below must appear in the row's note as written.
"""

from __future__ import annotations

import pytest

from accelopt.predict.validation import RunResult, read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
SEQ = 4096
B200_ROWS = ("mb-b200-qwen3-30b", "mb2602-b200-qwen3-30b")
H100_ROWS = ("mb-h100-qwen3-30b", "mb2602-h100-qwen3-30b")
B200_235B = "mb-b200-qwen3-235b"
RECOMPUTED_IDS = frozenset({*B200_ROWS, *H100_ROWS, B200_235B})

B200_GPUS, B200_GBS = 8, 512
B200_TOKENS_S_GPU = {"25.11": 9299, "26.02": 9691, "26.02.01": 26695, "26.04": 26859, "26.04.01": 27136}
"""DGX-B200 Qwen3_30B_a3B MXFP8 rows: MBS 1 in 25.11 / 26.02, MBS 4 from 26.02.01 (PR #2499)."""
H100_GPUS, H100_GBS = 16, 1024
H100_TOKENS_S_GPU = {"26.02": 5113, "26.02.01": 9058, "26.04": 8901, "26.04.01": 8960}
"""DGX-H100 Qwen3_30B_a3B FP8 rows at GBS 1024: PP 2, VP 12, EP 8 in 26.02 / 26.02.01; PP 1, EP 16 from 26.04."""
H100_2604_CELLS = {"pp": "1", "vp": "1", "dp": "16", "ep": "16", "p2p_overlap": ""}
"""The 26.04 / 26.04.01 H100 layout on the 26.02 row: PP 1, no VP (p2p_overlap only where VP > 1), EP 16."""
B200_235B_TOKENS_S_GPU = {"26.02": 3805, "26.04.01": 3776}
"""The 256-GPU DGX-B200 Qwen3_235B_a22B MXFP8 row (MBS 1, PP 8, EP 8), still on the all-to-all dispatcher."""


def _step_s(tokens_s_gpu: float, gbs: int, gpus: int) -> float:
    return gbs * SEQ / (tokens_s_gpu * gpus)


def _note(rid: str) -> str:
    return " ".join(ROWS[rid]["note"].split())


def _at(rid: str, cells: dict[str, str], published_step_s: float) -> RunResult:
    return reproduce({**ROWS[rid], **cells, "step_s": f"{published_step_s:.4f}"})


def test_the_rows_are_the_earlier_tables() -> None:
    for rid, rel in zip(B200_ROWS, ("25.11", "26.02"), strict=True):
        assert float(ROWS[rid]["step_s"]) == pytest.approx(
            _step_s(B200_TOKENS_S_GPU[rel], B200_GBS, B200_GPUS), abs=0.006)
        assert ROWS[rid]["mbs"] == "1"
    row = ROWS["mb2602-h100-qwen3-30b"]
    assert float(row["step_s"]) == pytest.approx(_step_s(H100_TOKENS_S_GPU["26.02"], H100_GBS, H100_GPUS), abs=0.006)
    assert (row["pp"], row["vp"], row["ep"], row["mbs"], row["global_batch"]) == ("2", "12", "8", "1", "1024")


@pytest.mark.parametrize("rid", [pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=(
    "rblackwell (2026-12-05): B200's fused attention core at its measured cuDNN rate and the fp8 re-run put this MBS 1 "
    "row at -19.6%, no longer beyond 20%"))) if r == "mb2602-b200-qwen3-30b" else r for r in B200_ROWS])
def test_b200_the_model_meets_the_later_mbs4_figures(rid: str) -> None:
    """MBS 4 (PR #2499) is the one changed setting with a cell: the model is within 10% of all three later figures,
    and the published step falls more than the model's (the dispatcher and the attention graph, no cell)."""
    later = {rel: _at(rid, {"mbs": "4"}, _step_s(B200_TOKENS_S_GPU[rel], B200_GBS, B200_GPUS))
             for rel in ("26.02.01", "26.04", "26.04.01")}
    assert all(abs(r.error) < 0.10 for r in later.values())
    assert abs(reproduce(ROWS[rid]).error) > 0.20
    pub_before, pub_after = float(ROWS[rid]["step_s"]), later["26.02.01"].published_step_s
    model_before, model_after = reproduce(ROWS[rid]).predicted_step_s, later["26.02.01"].predicted_step_s
    assert pub_before / pub_after > model_before / model_after > 1.0
    errs = " / ".join(f"{100 * later[rel].error:+.1f}%" for rel in ("26.02.01", "26.04", "26.04.01"))
    assert (
        f"at MBS 4 the model gives {model_after:.2f} s, {errs} against them; the published step falls "
        f"{pub_before / pub_after:.2f}x ({pub_before:.2f} -> {pub_after:.2f} s) where the model's falls "
        f"{model_before / model_after:.2f}x ({model_before:.2f} -> {model_after:.2f} s)"
    ) in _note(rid)
    assert "26695 (26.02.01), 26859 (26.04) and 27136 (26.04.01) tokens/s/GPU" in _note(rid)


def test_h100_the_same_layout_published_177x_faster() -> None:
    """26.02 -> 26.02.01 at identical table cells: 5113 -> 9058 tokens/s/GPU; the model (no dispatcher cell) does not
    move and is within 11% of the later figure."""
    rid = "mb2602-h100-qwen3-30b"
    later = _at(rid, {}, _step_s(H100_TOKENS_S_GPU["26.02.01"], H100_GBS, H100_GPUS))
    assert later.predicted_step_s == reproduce(ROWS[rid]).predicted_step_s
    assert abs(later.error) < 0.15 < abs(reproduce(ROWS[rid]).error)
    ratio = H100_TOKENS_S_GPU["26.02.01"] / H100_TOKENS_S_GPU["26.02"]
    assert (
        f"9058 tokens/s/GPU ({later.published_step_s:.2f} s), {ratio:.2f}x this row's 5113; the model, with the same "
        f"cells, gives {later.predicted_step_s:.2f} s, {100 * later.error:+.1f}% against it"
    ) in _note(rid)


def test_h100_the_later_layout_the_model_is_too_slow() -> None:
    """Reported, not hidden: at the 26.04 / 26.04.01 layout (EP 16 over the two nodes) the model is over 25% too slow;
    its expert all-to-all grows from the one-node EP 8 time to the two-node EP 16 one."""
    from accelopt.predict.query import predict_layout

    rid = "mb2602-h100-qwen3-30b"
    r04 = _at(rid, H100_2604_CELLS, _step_s(H100_TOKENS_S_GPU["26.04"], H100_GBS, H100_GPUS))
    r0401 = _at(rid, H100_2604_CELLS, _step_s(H100_TOKENS_S_GPU["26.04.01"], H100_GBS, H100_GPUS))
    assert r04.error > 0.25 and r0401.error > 0.25
    ep16 = predict_layout(run_query({**ROWS[rid], **H100_2604_CELLS})).terms["t_ep_comm_s"]
    ep8 = predict_layout(run_query(ROWS[rid])).terms["t_ep_comm_s"]
    assert ep16 > 4 * ep8
    assert (
        f"at the 26.04 / 26.04.01 layout (PP 1, EP 16 over the two nodes; 8901 / 8960 tokens/s/GPU) the model is "
        f"{100 * r04.error:+.1f}% / {100 * r0401.error:+.1f}% (too slow: {r04.predicted_step_s:.2f} s, its expert "
        f"all-to-all {ep16:.2f} s where it is {ep8:.2f} s at EP 8 in one node)"
    ) in _note(rid)


def test_h100_2511_row_points_to_its_2602_sibling() -> None:
    """The 25.11 H100 layout (MBS 2, GBS 512, PP 2, VP 24) is not republished; its note quotes the 26.02 sibling's."""
    sib = "mb2602-h100-qwen3-30b"
    later = _at(sib, {}, _step_s(H100_TOKENS_S_GPU["26.02.01"], H100_GBS, H100_GPUS))
    note = _note("mb-h100-qwen3-30b")
    assert (f"the 26.02 row's own layout at 9058 tokens/s/GPU, 1.77x its 5113, and the model is "
            f"{100 * later.error:+.1f}% against that") in note
    assert f"this row's miss ({100 * reproduce(ROWS['mb-h100-qwen3-30b']).error:+.1f}%)" in note
    assert f"the 26.02 row's ({100 * reproduce(ROWS[sib]).error:+.1f}%)" in note


def test_b200_235b_has_no_later_measurement_of_its_recipe() -> None:
    """The B200 235B recipe stayed on the all-to-all dispatcher; its 256-GPU row barely moves between the releases."""
    move = B200_235B_TOKENS_S_GPU["26.04.01"] / B200_235B_TOKENS_S_GPU["26.02"] - 1
    assert abs(move) < 0.01
    sib = reproduce(ROWS["mb2602-b200-qwen3-235b"]).error
    assert (f"its 256-GPU row barely moves (3805 in 26.02, 3776 in 26.04.01, {100 * move:+.1f}%; the model "
            f"{100 * sib:+.1f}% against the 26.02 one)") in _note(B200_235B)
