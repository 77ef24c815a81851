"""mb2602-b300-qwen3-235b (issue 10, row_bw, 2026-12-03): the checked reason of its miss, recomputed.

The row is Megatron-Bridge 26.02's DGX-B300 Qwen3-235B-A22B MXFP8 figure (2691 tokens/s/GPU, MBS 1, PP 8, VP 4, EP 8,
moe_a2a_overlap on), predicted about twice too fast. NVIDIA's later tables of the same benchmark on the same system
(256 GPUs, MXFP8, GBS 8192, seq 4096, TP 1, PP 8, EP 8) publish it again after the recipe changed:

- 26.02.01, the same recipe (MBS 1, VP 4): 2644 tokens/s/GPU;
- 26.04, after NVIDIA-NeMo/Megatron-Bridge PR #2669 / #2706 ('disabling VP and moe_a2a_overlap' on the B300 235B
  configs, 2026-03-05 / 2026-03-09) and PR #3252 (micro_batch_size 2 for the B300 V2 configs, 2026-04-09): MBS 2, no
  VP, 4865 tokens/s/GPU;
- 26.04.01, after PR #3490 (the HybridEP flex dispatcher for the B300 235B configs; issue #3399, 2026-05-12: 'On
  B300, we moved to hybridep as it helped boosted perf but moe_a2a_overlap and VP degraded perf'): 5984.

Sources: NVIDIA-NeMo/Megatron-Bridge docs/performance-summary.md, stored versions with the sections '26.02.01 NeMo
Container', '26.04 NeMo Container' and '26.04.01 NeMo Container' (code index ids 51815770209, 51905015924,
55941132558), table 'Model: Qwen3_235B_a22B'; the 26.02 rows are the runs file's (performance-summary-archive.md).

The published step falls 1.81x from the 26.02 recipe to the 26.04 one where the model's falls 1.01x, and the model is
within 25% of both later figures: the miss is the cost of the settings the maintainers removed (the overlapped
schedule's host time, PR #1760's 'CPU overhead', which the model does not charge), measured by the publisher on the
same system. The B200 layout's figure barely moves between the releases (3805 -> 3776), so the releases' software is
not the difference. Each figure below must appear in the row's note as written.
"""

from __future__ import annotations

import pytest

from accelopt.predict.validation import RunResult, read_runs, reproduce

ROWS = {r["id"]: r for r in read_runs()}
B300, B200 = "mb2602-b300-qwen3-235b", "mb2602-b200-qwen3-235b"
RECOMPUTED_IDS = frozenset({B300})
ISSUE_BOUND = 0.25  # issue 10: a row beyond 25% carries a checked reason

GPUS, GBS, SEQ = 256, 8192, 4096  # every table row quoted here
B300_TOKENS_S_GPU = {"26.02": 2691, "26.02.01": 2644, "26.04": 4865, "26.04.01": 5984}
B200_TOKENS_S_GPU = {"26.02": 3805, "26.04.01": 3776}  # MBS 1, PP 8, no VP, EP 8 in both tables
DSV3_2602_TOKENS_S_GPU = {"b300": 2983, "b200": 2689}
"""The 26.02 table's DeepSeek-V3 MXFP8 rows, one layout on both systems (256 GPUs, GBS 4096, MBS 1, PP 16, EP 8)."""
LATER_RECIPE_CELLS = {"mbs": "2", "vp": "1", "ep_a2a_overlap": "", "p2p_overlap": ""}
"""The 26.04 / 26.04.01 B300 recipe on the row: MBS 2, no VP (p2p_overlap only where VP > 1, runs-file header), no
moe_a2a_overlap (PR #2669); the dispatcher (HybridEP from 26.04.01) has no cell."""


def _step_s(tokens_s_gpu: float) -> float:
    return GBS * SEQ / (tokens_s_gpu * GPUS)


def _note() -> str:
    return " ".join(ROWS[B300]["note"].split())


def _later() -> RunResult:
    return reproduce({**ROWS[B300], **LATER_RECIPE_CELLS, "step_s": f"{_step_s(B300_TOKENS_S_GPU['26.04']):.4f}"})


def test_the_row_is_the_26_02_figure_and_26_02_01_repeats_it() -> None:
    assert float(ROWS[B300]["step_s"]) == pytest.approx(_step_s(B300_TOKENS_S_GPU["26.02"]), rel=1e-5)
    again = _step_s(B300_TOKENS_S_GPU["26.02.01"])
    assert f"2644 tokens/s/GPU ({again:.2f} s, {100 * (1 - 2644 / 2691):.1f}% below this row's 2691)" in _note()
    assert (ROWS[B300]["mbs"], ROWS[B300]["vp"], ROWS[B300]["ep_a2a_overlap"]) == ("1", "4", "1")


def test_the_published_step_falls_where_the_models_does_not() -> None:
    """48.71 -> 26.94 s published (1.81x); the model 23.27 -> 22.97 s (1.01x)."""
    pub_before, pub_after = float(ROWS[B300]["step_s"]), _step_s(B300_TOKENS_S_GPU["26.04"])
    model_before, model_after = reproduce(ROWS[B300]).predicted_step_s, _later().predicted_step_s
    assert pub_before / pub_after > 1.75 and model_before / model_after < 1.05
    assert (
        f"The published step falls {pub_before / pub_after:.2f}x ({pub_before:.2f} -> {pub_after:.2f} s) where the "
        f"model's falls {model_before / model_after:.2f}x ({model_before:.2f} -> {model_after:.2f} s"
    ) in _note()


def test_the_model_is_within_25pct_of_both_later_figures() -> None:
    later = _later()
    e_2604 = later.error
    e_260401 = later.predicted_step_s / _step_s(B300_TOKENS_S_GPU["26.04.01"]) - 1
    assert abs(e_2604) <= ISSUE_BOUND and abs(e_260401) <= ISSUE_BOUND
    assert abs(reproduce(ROWS[B300]).error) > ISSUE_BOUND  # the row itself stays beyond, with this reason
    assert (
        f"the model is {100 * e_2604:+.1f}% against the 26.04 row ({_step_s(4865):.2f} s) and "
        f"{100 * e_260401:+.1f}% against the 26.04.01 one ({_step_s(5984):.2f} s)"
    ) in _note()


def test_the_b200_layout_barely_moves_between_the_releases() -> None:
    """The same tables' DGX-B200 row at one layout: 26.02 3805, 26.04.01 3776 tokens/s/GPU (the runs file's row is the
    26.02 one), so the releases' software is not what sped B300 up."""
    assert float(ROWS[B200]["step_s"]) == pytest.approx(_step_s(B200_TOKENS_S_GPU["26.02"]), rel=1e-5)
    move = B200_TOKENS_S_GPU["26.04.01"] / B200_TOKENS_S_GPU["26.02"] - 1
    assert abs(move) < 0.01
    assert f"the B200 row's layout gives 3805 (26.02) and 3776 (26.04.01) tokens/s/GPU ({100 * move:+.1f}%)" in _note()


def test_dgx_b300_is_not_slower_than_dgx_b200_at_one_layout() -> None:
    """The same 26.02 table's DeepSeek-V3 MXFP8 pair at one layout: B300 1.11x B200's rate, so the Qwen3-235B row's
    0.71x is not the system's."""
    ratio = DSV3_2602_TOKENS_S_GPU["b300"] / DSV3_2602_TOKENS_S_GPU["b200"]
    assert ratio > 1
    assert f"gives B300 2983 and B200 2689 tokens/s/GPU ({ratio:.2f}x)" in _note()
