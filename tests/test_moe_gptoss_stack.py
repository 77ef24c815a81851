"""GPT-OSS-120B on Megatron-Bridge 25.11's stack (issue 10, moe3, 2026-12-02): the GB200 / GB300 rows' recipe cells, and
the checked reason of the three Blackwell rows beyond 25%.

Cells. NVIDIA-NeMo/Megatron-Bridge scripts/performance/configs/gpt_oss/workload_base_configs.py at
6b296ac1061fd756eaf2355c9fbef77af5dcf499 is the one stored preset with the 25.11 table's GB200 layout (num_gpus 64,
global_batch_size 1280, micro_batch_size 1, expert_model_parallel_size 64; gpt_oss_llm_pretrain.py at that commit sets
seq_length 8192): GPT_OSS_120B_GB200_BF16_BASE_CONFIG has recompute_modules ['layernorm', 'moe_act'] and no
moe_a2a_overlap. The row's ep_a2a_overlap 1 had come from the later GB200 V2 preset (07eea52, MBS 4). No stored GB300
BF16 preset (6b296ac, an earlier stored version, 07eea52 V1 and V2) sets moe_a2a_overlap or recompute_modules; the
GB300 row's 1 was a copy of the GB200 row's.

Reason. NVIDIA's blog 'Boosting MoE Training Throughput with Advanced Fusion Kernels' (developer.nvidia.com,
2026-06-15): fused CuTe-DSL grouped-GEMM + GLU kernels with sync-free MoE (full-iteration CUDA graphs) gave 93% end to
end in NVIDIA's GPT-OSS pre-training setup, so the unfused, host-synchronised MoE block was 1 - 1/1.93 = 48.2% of that
step; the model charges no host or synchronisation time. Checked here: each row's miss against that share, the rows
within the issue's 25% once the model's step is scaled by 1.93, and the model within 25% of NVIDIA's fused-stack run
(Megatron-Bridge PR #5717, commit 0480586879f2513958fd8634fc529693ae13e536: 64 GB300, MXFP8, 2481.140 ms per step,
33017.081 tokens/s/GPU) at the stored GB300 FP8_MX_V2 preset's EP 16 and MBS 4 (07eea52; the PR lists neither).

Fail before moe3: the GB200 cells (ep_a2a_overlap 1, no recompute_modules), the GB300 cell (1) and the notes' figures
(-59.4% and -55.7% then).
"""

from __future__ import annotations

import pytest

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import RunResult, read_runs, reproduce, run_query


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

ROWS = {r["id"]: r for r in read_runs()}
GB200, B200, GB300, H100 = "mb-gb200-gptoss-120b", "mb-b200-gptoss-120b", "mb-gb300-gptoss-120b", "mb-h100-gptoss-120b"
B300_235B = "mb2602-b300-qwen3-235b"
RECOMPUTED_IDS = frozenset((GB200, B200, GB300))
ISSUE_BOUND = 0.25  # issue 10: a row beyond 25% carries a checked reason

PRESET_COMMIT = "6b296ac1061fd756eaf2355c9fbef77af5dcf499"
PRESET_GB200 = {"devices": "64", "global_batch": "1280", "mbs": "1", "ep": "64", "seq": "8192"}  # at PRESET_COMMIT
OLD_CELLS = {GB200: {"recompute_modules": "", "ep_a2a_overlap": "1"}, GB300: {"ep_a2a_overlap": "1"}}

BLOG_GPTOSS_GAIN = 0.93  # end-to-end, NVIDIA's GPT-OSS pre-training setup (the blog above)
FUSED_STEP_S, FUSED_TOKENS_S_GPU = 2.481140, 33017.081  # Megatron-Bridge PR #5717, GB300 MXFP8, 64 GPUs
FUSED_CELLS = {
    "seq": "4096",
    "mbs": "4",
    "ep": "16",
    "dtype": "fp8",
    "fp8_recipe": "mxfp8",
    "ep_a2a_overlap": "1",
    "step_s": f"{FUSED_STEP_S}",
    # rcudnn2 (2026-12-05): the GB300 25.11 row now carries cudnn_before_9_17 (its container's cuDNN 9.13.1.26); the
    # PR's run names no container before cuDNN 9.17, so its cell stays blank as it was (the core at the 9.18.1 rate)
    "cudnn_before_9_17": "",
}  # on the GB300 row: GBS 1280, 64 GPUs, TP 1, PP 1 as the PR's token count
B200_235B_STEPS_S = (20.1, 16.9)  # PR #1760: B200 Qwen3-235B MXFP8 with and without moe_a2a_overlap + VP


def _factor() -> float:
    return 1.0 + BLOG_GPTOSS_GAIN


def _fused() -> RunResult:
    return reproduce({**ROWS[GB300], **FUSED_CELLS})


def test_gb200_cells_are_the_preset_with_the_tables_layout() -> None:
    row = ROWS[GB200]
    assert {c: row[c] for c in PRESET_GB200} == PRESET_GB200
    assert row["recompute_modules"] == "layernorm+moe_act"
    assert not (row.get("ep_a2a_overlap") or "").strip()
    assert PRESET_COMMIT in row["note"]
    assert "recompute_modules blank -> layernorm+moe_act and ep_a2a_overlap 1 -> blank" in row["note"]


def test_gb300_cells_are_its_presets() -> None:
    row = ROWS[GB300]
    assert not (row.get("ep_a2a_overlap") or "").strip() and not (row.get("recompute_modules") or "").strip()
    assert "ep_a2a_overlap 1 -> blank (the 1 was copied from the GB200" in row["note"]


@pytest.mark.parametrize("rid", [GB200, GB300])
def test_notes_quote_what_the_cells_moved(rid: str) -> None:
    before, after = reproduce({**ROWS[rid], **OLD_CELLS[rid]}), reproduce(ROWS[rid])
    sentence = (
        f"predicted {before.error:+.1%} -> {after.error:+.1%} ({before.predicted_step_s:.2f} -> "
        f"{after.predicted_step_s:.2f} s"
    )
    assert sentence in ROWS[rid]["note"]
    assert after.predicted_step_s > before.predicted_step_s  # both cells make the step longer
    if rid == GB200:  # the overlap had hidden most of the all-to-alls; the modules' recompute adds a little
        old = predict_layout(run_query({**ROWS[rid], **OLD_CELLS[rid]})).terms
        new = predict_layout(run_query(ROWS[rid])).terms
        hidden = old["t_ep_comm_raw_s"] - old["t_ep_comm_s"]
        assert new["t_ep_comm_s"] == pytest.approx(new["t_ep_comm_raw_s"], rel=1e-12)  # none hidden now
        assert (
            f"the overlap had hidden {hidden:.2f} s of the {old['t_ep_comm_raw_s']:.2f} s of all-to-alls, now "
            f"exposed, the modules' recompute adds {new['t_recompute_s']:.2f} s"
        ) in ROWS[rid]["note"]


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS))
def test_each_miss_is_the_fused_kernels_share(rid: str) -> None:
    """The note's 'misses m of this row's step (x 1.93 = t s, e)': had the model charged the blog's share, the row
    would be within the issue's 25%."""
    r, note = reproduce(ROWS[rid]), ROWS[rid]["note"]
    scaled = _factor() * r.predicted_step_s
    assert f"what they remove was {1 - 1 / _factor():.1%} of that setup's step (1 - 1/{_factor():.2f})" in note
    assert (
        f"misses {-r.error:.1%} of this row's step (x {_factor():.2f} = {scaled:.2f} s, "
        f"{scaled / r.published_step_s - 1:+.1%})"
    ) in note
    assert abs(scaled / r.published_step_s - 1) <= ISSUE_BOUND
    assert "Reason checked (moe3, 2026-12-02)" in note
    for other in sorted(RECOMPUTED_IDS - {rid}) if rid != GB300 else ():  # the GB300 note refers to GB200's
        assert f"{-reproduce(ROWS[other]).error:.1%} of {other}'s" in note


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS))
def test_the_fused_stack_run_is_within_the_bound(rid: str) -> None:
    """NVIDIA's fused-stack GB300 run: its token count is GBS 1280 x seq 4096 on 64 GPUs, and the model is within 25%
    of its step where the 25.11 rows miss by about half."""
    assert pytest.approx(FUSED_TOKENS_S_GPU * FUSED_STEP_S * 64, rel=1e-5) == 1280 * 4096
    f = _fused()
    assert abs(f.error) <= ISSUE_BOUND < -reproduce(ROWS[rid]).error
    assert f"the model gives {f.predicted_step_s:.2f} s ({f.error:+.1%}, within 25%)" in ROWS[rid]["note"]


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS))
def test_the_h100_row_is_left_out_of_the_factor(rid: str) -> None:
    h = reproduce(ROWS[H100])
    assert abs(h.error) <= ISSUE_BOUND
    assert (
        f"the H100 row ({h.error:+.1%}, within 25%; x {_factor():.2f} would give "
        f"{_factor() * h.predicted_step_s / h.published_step_s - 1:+.1%})"
    ) in ROWS[rid]["note"]


def test_b300_note_quotes_the_b200_overlap_and_vp_cost() -> None:
    """mb2602-b300-qwen3-235b (checked since row_bw, tests/test_b300_qwen3_recipe_change.py): PR #1760's B200
    figures against the row's miss."""
    r, note = reproduce(ROWS[B300_235B]), ROWS[B300_235B]["note"]
    with_, without = B200_235B_STEPS_S
    assert (
        f"their size on B200, {with_} / {without} = {with_ / without:.2f}x, is well short of the "
        f"{r.published_step_s / r.predicted_step_s:.2f}x this row's {-r.error:.1%} miss implies"
    ) in note
    # the examination's own sentence, not only the dated sortchunks record after it (rreview, 2026-12-05: a refresh
    # had rewritten that record's 2.01x / 50.2% and left this sentence at them)
    assert note.split("is well short of the ", 1)[1].startswith(
        f"{r.published_step_s / r.predicted_step_s:.2f}x this row's {-r.error:.1%} miss implies")
    assert ("(sortchunks, 2026-12-04): PR #1760's overlap and VP cost, their size on B200, 20.1 / 16.9 = 1.19x, is "
            "well short of the 2.01x this row's 50.2% miss implies") in note
    assert ROWS[B300_235B]["ep_a2a_overlap"] == "1" and ROWS[B300_235B]["vp"] == "4"  # the recipe's, kept
