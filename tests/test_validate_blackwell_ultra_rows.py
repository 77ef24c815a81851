"""The held-out DGX-GB300 / DGX-B300 rows of the Megatron-Bridge 25.11 and 26.02 tables (b300 block of the runs file):
the figures their notes quote, recomputed from the rows and the model."""

from __future__ import annotations

import functools
import re
from importlib.resources import files

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import matmul_ratio
from accelopt.predict.serving import device_scaled, serving_calibrations
from accelopt.predict.validation import read_runs, reproduce


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

B300_235B, B200_235B = "mb2602-b300-qwen3-235b", "mb2602-b200-qwen3-235b"
GB300_GPTOSS = "mb-gb300-gptoss-120b"


@functools.cache
def _rows() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in read_runs()}


def _tokens_per_gpu(row: dict[str, str]) -> float:
    return int(row["global_batch"]) * int(row["seq"]) / (float(row["step_s"]) * int(row["devices"]))


def test_block_rows_are_the_published_figures() -> None:
    """step_s = GBS x seq / (tokens/s/GPU x GPUs) gives back each row's published Tokens / sec / GPU."""
    published = {"mb-gb300-llama3-8b": 37556, "mb-gb300-llama3-8b-mx": 36108, "mb-gb300-llama3-70b": 4520,
                 "mb-gb300-llama31-405b": 999, "mb-gb300-dsv3-bf16": 3848, "mb-gb300-dsv3-fp8": 4357,
                 GB300_GPTOSS: 18347, "mb-gb300-qwen3-30b": 28934, "mb-gb300-qwen3-235b": 6131,
                 "mb2602-gb300-llama3-70b-mxfp8": 4596, "mb2602-gb300-llama3-70b-fp8": 5003,
                 "mb2602-gb300-llama31-405b-mxfp8": 931, "mb2602-gb300-llama31-405b-fp8": 988,
                 "mb2602-gb300-qwen3-30b": 30376, "mb2602-b300-qwen3-30b": 29521,
                 "mb2602-gb300-qwen3-235b": 6583, B300_235B: 2691}
    rows = _rows()
    for rid, tok in published.items():
        assert _tokens_per_gpu(rows[rid]) == pytest.approx(tok, rel=1e-4), rid
        assert rows[rid]["hardware"] in ("b300", "gb300")


def test_b300_qwen3_235b_note_figures() -> None:
    """The note: published B300 / B200 0.707x (2691 / 3805), the model's B300 step 18.5 s against B200's 23.2 s
    (1.25x the other way; 22.2 s and 54.4% without the recipe's a2a overlap), equal FP8 peaks, 62.1% too fast
    (19.2 s and 60.6% before the recipe's edge stages, moecells 2026-12-01). Recomputed by hopdiag (2026-12-01, causal
    FlashAttention-2 work): 18.0 / 22.7 / 21.7 s, 63.1% and 55.4% before; recomputed by recon2 after rcb and the
    Blackwell fp8 rule's re-run 0.50 -> 0.46 (2026-12-01): 17.8 / 22.5 / 21.6 s, 1.26x, 63.4% and 55.7% before.
    Recomputed by moe (2026-12-02) after compute.grouped_gemm_s charges one launch gap per local expert (TE
    GroupedLinear's per-expert cuBLAS GEMMs): 20.0 / 24.7 / 23.7 s, 1.24x, 58.9% and 51.3% (18.5 / 23.2 / 22.2 s,
    1.25x, 62.1% and 54.4% before). Recomputed by dpscale (2026-12-02) after training.dist_opt_latency_s (the
    distributed optimizer's per-bucket ring latencies): without the a2a overlap 23.8 s, 51.2% (23.7 s, 51.3% before).
    Recomputed by bucket2 (2026-12-02) with the recipe's 128 Mi-parameter comm-overlap bucket (dp_bucket_params):
    without the a2a overlap 23.7 s (23.749), 51.2% (23.8 s before); the other figures unchanged at their digits.
    Recomputed by gptoss2 (2026-12-02) after training.dp_grad_allreduce_s reduces routed experts' gradients over their
    expert-data-parallel group (B200 EP 8 x PP 8 on 8-GPU nodes: 4 peers on 4 nodes): B200 24.9 s (24.7 s before);
    without the a2a overlap 23.8 s (23.769; 23.749 before); the other figures unchanged at their digits.
    The note's own sentence is checked too since recon4 (2026-12-02): it still said 24.7 s and 'the B200 row is itself
    -28.2%' after gptoss2 (now -27.7%), and 'the GB300 row of this table -1.8%' (+1.0% since before 2026-12-02).
    Recomputed by moe4 (2026-12-02) after the per-expert GEMM floor (nvidia-blackwell expert_gemm_floor_s, 33.4 us,
    TransformerEngine PR #3134): 23.3 / 28.3 / 27.0 s, 1.22x, 52.2% and 44.5%; the B200 row -17.9% (20.0 / 24.9 /
    23.8 s, 1.24x, 58.9% and 51.2%, -27.7% before). Recomputed by sortchunks (2026-12-04) after
    compute.moe_sort_chunks_s (the all-to-all dispatcher's local-expert sorts): 24.3 / 29.3 / 28.0 s, 1.21x, 50.2% and
    42.5%; the B200 row -14.9%, the GB300 row +6.3% (23.3 / 28.3 / 27.0 s, 52.2% and 44.5%, -17.9% and +1.0% before;
    the ratio pinned 1.22 was already 1.21 at 28.28 / 23.28 s)."""
    rows = _rows()
    b300, b200 = rows[B300_235B], rows[B200_235B]
    assert _tokens_per_gpu(b300) / _tokens_per_gpu(b200) == pytest.approx(2691 / 3805, rel=1e-4)
    assert round(2691 / 3805, 3) == 0.707
    # 2026-12-04 (vpfix): (23.3, 28.3) -> (24.3, 29.3) s, 1.22 -> 1.21x, -52.2 -> -50.2%, without the a2a overlap
    # 27.0 -> 28.0 s, -44.5 -> -42.5%: the day's merges (the sort cost, vpchunk's edge costs); the sentence rewritten in
    # place, its bracketed record keeping the old figures
    p300, p200 = reproduce(b300).predicted_step_s, reproduce(b200).predicted_step_s
    # 2026-12-04 (sortchunks): 23.3 / 28.3 s -> 24.3 / 29.3 s, 1.22x -> 1.21x (1.2149 already before), -52.2% ->
    # -50.2%, without the a2a overlap 27.0 s -> 28.0 s and -44.5% -> -42.5%, the local-expert sort cost
    # 2026-12-05 (rblackwell): 24.3 / 29.3 s -> 24.1 / 30.2 s, 1.21x -> 1.26x, -50.2% -> -50.6%, without the a2a
    # overlap 28.0 s -> 27.8 s and -42.5% -> -42.9%: B200's fused attention core at its measured cuDNN rate (B300 has
    # none and stays on the curve) and the fp8 re-run 0.46 -> 0.50
    assert (round(p300, 1), round(p200, 1)) == (24.1, 30.2)
    assert round(p200 / p300, 2) == 1.26
    assert round((p300 / float(b300["step_s"]) - 1) * 100, 1) == -50.6
    without = reproduce({**b300, "ep_a2a_overlap": ""}).predicted_step_s
    assert round(without, 1) == 27.8
    assert round((without / float(b300["step_s"]) - 1) * 100, 1) == -42.9
    assert get_device("b300").peak("fp8") == get_device("b200").peak("fp8") == 4.5e15
    r = get_device("b300").measured_matmul_flop_per_s["fp8"] / get_device("b200").measured_matmul_flop_per_s["fp8"]
    assert round(r, 3) == 0.977  # equal peaks: the MAMF fraction-of-peak ratio is the rate ratio
    text = b300["note"].split(" [Recomputed")[0]  # the note's sentence, not its dated records of earlier figures
    gb300 = reproduce(rows["mb2602-gb300-qwen3-235b"]).error
    assert f"B300 {p200 / p300:.2f}x faster ({p200:.1f} / {p300:.1f} s:" in text
    assert f"the B200 row is itself {reproduce(b200).error:+.1%} and the GB300 row of this table {gb300:+.1%}." in text


def test_recipe_cells_read_2026_12_01() -> None:
    """Cells corrected from the Megatron-Bridge recipes (ultra, 2026-12-01), the commit and setting named in each note:
    LLAMA3_70B GB300 FP8-CS cpu_offloading_num_layers 20 (the rows had the GB200 recipe's 40);
    QWEN3_235B B300 moe_a2a_overlap True (the row had the B200 recipe's False)."""
    rows = _rows()
    for rid in ("mb-gb300-llama3-70b", "mb2602-gb300-llama3-70b-fp8"):
        assert rows[rid]["offload_layers"] == "20", rid
        assert "cpu_offloading_num_layers 20" in rows[rid]["note"], rid
    assert rows["mb-gb200-llama3-70b"]["offload_layers"] == "40"  # the GB200 recipe's, unchanged
    b300 = rows[B300_235B]
    assert (b300["ep_a2a_overlap"], b300["vp"], b300["ep"], b300["pp"]) == ("1", "4", "8", "8")
    assert "moe_a2a_overlap True" in b300["note"] and "f29a269" in b300["note"]
    assert not (rows[B200_235B].get("ep_a2a_overlap") or "").strip()  # B200: moe_a2a_overlap False


def test_gb300_gptoss_note_figures() -> None:
    """The note: 56.0% too fast (3.93 s; 53.0%, 4.19 s before hopdiag's causal FlashAttention-2 change); the table's
    Model TFLOP/s 565 is 22.6% of the GB300 bf16 peak. Recomputed by moe (2026-12-02) after the per-expert launch gaps
    of compute.grouped_gemm_s: 55.8%, 3.94 s (56.0%, 3.93 s before). Recomputed by dpscale (2026-12-02) after
    training.dist_opt_latency_s: 55.6%, 3.96 s (55.8%, 3.94 s before). Recomputed by gptoss2 (2026-12-02) after
    training.dp_grad_allreduce_s (EP 64 in one NVL72 domain: expert data parallel 1, no expert gradient reduced; the
    model had reduced them over the 64 dp ranks): 55.7%, 3.95 s (55.6%, 3.96 s before). Recomputed by moe3 (2026-12-02)
    after its ep_a2a_overlap cell went 1 -> blank (every stored GB300 BF16 preset sets no moe_a2a_overlap; the 1 was a
    copy of the GB200 row's): 46.0%, 4.82 s (55.7%, 3.95 s before). Recomputed by sortchunks (2026-12-04) after
    compute.moe_sort_chunks_s (the all-to-all dispatcher's local-expert sorts): 44.1%, 4.99 s (46.0%, 4.82 s before).
    Recomputed by fc2bias (2026-12-05) after compute.moe_fc2_bias_s (the biased experts' unfused fc2 bias): 40.5%,
    5.31 s (44.1%, 4.99 s before). Recomputed by moeopt (2026-12-05) after training.optimizer_step_bytes (the routed
    experts' optimizer step over their expert-data-parallel group): 40.4%, 5.32 s (40.5%, 5.31 s before)."""
    row = _rows()[GB300_GPTOSS]
    # 2026-12-04 (vpfix): 4.82 -> 4.99 s, -46.0 -> -44.1%, the day's merges (the row's note appends them)
    pred = reproduce(row).predicted_step_s
    # 2026-12-04 (sortchunks): 4.82 s -> 4.99 s and -46.0% -> -44.1%, the local-expert sort cost
    # 2026-12-05 (fc2bias): 4.99 s -> 5.31 s and -44.1% -> -40.5%, the fc2-bias charge
    # 2026-12-05 (moeopt): 5.31 s -> 5.32 s and -40.5% -> -40.4%, the experts' optimizer step over their
    # expert-data-parallel group; 2026-12-05 (rblackwell): 5.32 s -> 5.41 s and -40.4% -> -39.4%, GB300's fused
    # attention core at its measured cuDNN rate and the fp8 re-run; rcudnn2 (2026-12-05): 5.41 s -> 5.52 s and
    # -39.4% -> -38.2%, the 25.11 row's core at GB300's measured rate before cuDNN 9.17 (cudnn_before_9_17)
    assert round(pred, 2) == 5.52
    assert round((pred / float(row["step_s"]) - 1) * 100, 1) == -38.2
    assert round(565e12 / get_device("gb300").peak("bf16") * 100, 1) == 22.6


# Same-layout GB300 / GB200 pairs of one table (Megatron-Bridge 25.11; 26.02 for the FSDP 70B pair): the published
# step-time ratio GB200 / GB300 and the model's. Equal dense FP8 peaks (5 PFLOP/s) and the same NVL72 domain; the
# recipes differ only by the 70B FP8-CS offload (GB300 20 layers, GB200 40; no time term) and, on the 8B pair, a CUDA
# graph (no cell). Tolerance stated before measuring (2026-12-01, ultra): within 5 points of the published ratio.
SAME_LAYOUT_PAIRS = [("mb-gb200-llama3-8b", "mb-gb300-llama3-8b"), ("mb-gb200-llama3-8b-mx", "mb-gb300-llama3-8b-mx"),
                     ("mb-gb200-llama3-70b", "mb-gb300-llama3-70b"),
                     ("mb2602-gb200-llama3-70b-fp8", "mb2602-gb300-llama3-70b-fp8")]
LAYOUT_CELLS = ("devices", "tp", "pp", "cp", "vp", "dp", "mbs", "global_batch", "seq", "zero", "recompute",
                "fp8_recipe")


@pytest.mark.parametrize(("gb200", "gb300"), SAME_LAYOUT_PAIRS)
def test_pairs_share_a_layout(gb200: str, gb300: str) -> None:
    rows = _rows()
    assert all(rows[gb200][c] == rows[gb300][c] for c in LAYOUT_CELLS), (gb200, gb300)
    assert get_device("gb200").peak("fp8") == get_device("gb300").peak("fp8") == 5e15


@pytest.mark.xfail(strict=True, reason=(
    "GB300 runs the Llama FP8 layouts 1.19-1.24x faster than GB200 in three of the four same-layout pairs (1.05x in "
    "the 25.11 70B pair) at equal FP8 peaks; the model gives 1.05x (GB200's MAMF fraction of peak x0.948 of B200's, "
    "GB300 unmeasured, so unscaled). Candidates without a cited, quantified source for training: Blackwell Ultra's "
    "doubled SFU (MUFU.EX2) rate for softmax (NVIDIA blog 'Making Softmax More Efficient with NVIDIA Blackwell "
    "Ultra'; ~35% more FP8 FPROP for DeepSeek-V3 as two summaries of it report, the page's own figure not read: an "
    "inference forward, not a training step; cuDNN 9.18.1's measured training attention, GB300 1.23x GB200's "
    "forward and 1.09x its backward, moves the model's ratios by at most +0.010, tests/test_big405_gb300_rows.py), "
    "the 1400 W power limit against GB200's 1200 W. Examined 2026-12-04 (gb300, tests/test_gb300_dense_gap.py): the "
    "70B FSDP pair's published ratio went 1.048 (25.11) -> 1.235 (26.04.01) at the same cells, so the gap follows "
    "GB300's software, and no per-device constant (clock, power limit, exponent rate) fits both releases"))
def test_gb300_over_gb200_same_layout_speedup_within_5_points() -> None:
    rows = _rows()
    misses = []
    for gb200, gb300 in SAME_LAYOUT_PAIRS:
        published = float(rows[gb200]["step_s"]) / float(rows[gb300]["step_s"])
        model = reproduce(rows[gb200]).predicted_step_s / reproduce(rows[gb300]).predicted_step_s
        if abs(model - published) > 0.05:
            misses.append((gb300, round(published, 3), round(model, 3)))
    assert not misses, misses


def _calibration_text() -> str:
    return files("accelopt.predict").joinpath("data/calibration.toml").read_text(encoding="utf-8")


def test_calibration_comments_quote_b300s_measured_ratios() -> None:
    """B300's MAMF rows (ultra, 2026-12-01) make it a measured sibling of the Blackwell reference B200: the header's
    reference_device list and the serving table's note quote its factors (bf16 1769.0/1745.0 = x1.014, fp8
    3353.3/3432.5 = x0.977 at equal peaks), and serving scales B300 by them through the same matmul_ratio."""
    b300, b200 = get_device("b300"), get_device("b200")
    r16, r8 = matmul_ratio(b300, b200, "bf16")[0], matmul_ratio(b300, b200, "fp8")[0]
    assert (round(r16 or 0, 3), round(r8 or 0, 3)) == (1.014, 0.977)
    text = re.sub(r"\s*\n#\s*", " ", _calibration_text())  # comment lines joined
    assert f"b300 bf16 x{r16:.3f}, fp8 x{r8:.3f}" in text
    assert f"B300 (measured 2026-12-01) fp8 x{r8:.3f}, 16-bit x{r16:.3f}" in text
    assert "once measured" not in text
    cal = device_scaled(serving_calibrations()["nvidia-blackwell"], b300, "fp8")
    assert cal.device_scaling is not None
    assert (cal.device_scaling.gemm_ratio, cal.device_scaling.attention_ratio) == (r8, r16)
    gb300 = device_scaled(serving_calibrations()["nvidia-blackwell"], get_device("gb300"), "fp8").device_scaling
    assert gb300 is not None and gb300.gemm_ratio is None  # the note: GB300 unmeasured, the table's values
