"""The two Llama 3.1 405B FP8 rows of GB300 beyond 25% (too slow), examined 2026-12-02 (big405, issue 10).

Their notes quote what was examined; every figure is recomputed here from the model, the runs file and the cited
cuDNN attention measurements, and must appear in the row's note as written, so a model change that moves one fails
until the note is rewritten. The rows stay in tests/test_row_notes_checked.py's UNEXPLAINED: the examination splits
each error into two measured factors and rules attention out, but finds no cited mechanism for either factor.
Tolerance of a quoted figure: its last written digit (the note's text is compared with the recomputed one).
"""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import compute
from accelopt.predict.calibration import calibration_for
from accelopt.predict.query import predict_layout
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, reproduce, run_query


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): these two rows' notes and this examination were written before [family.nvidia-blackwell]'s
    fitted GB300 fp8_device_factor (x1.166) moved them (+22.7% / +23.7% -> +8.7% / +9.8%, tests/
    test_gb300_fp8_device_factor.py's figures): replayed at the model before it (conftest.gb300_before_gb3_ctx), so
    the figures the notes quote stay checked; the premise 'the GB300 / GB200 ratio is short' is that model's."""

ROWS = {r["id"]: r for r in read_runs()}
GB300_2511, GB300_2602 = "mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-fp8"
RECOMPUTED_IDS = frozenset({GB300_2511, GB300_2602})
TWIN = {GB300_2511: "mb-gb200-llama31-405b", GB300_2602: "mb2602-gb200-llama31-405b-fp8"}
"""The same table's GB200 row of the same model, precision and global batch (another layout: PP 16 x VP 4, TP 4)."""

# cuDNN 9.18.1 (backend 91801, frontend 1.18.0) scaled-dot-product attention, NVIDIA/cudnn-frontend
# benchmark/sdpa_benchmark_training: results/gb200_918_only_cudnn/llama3.1_20260126_110503.csv (commit
# 9072c4e78eaba9e5af685c4d5de69d18d94a1a29) and results/gb300_918_only_cudnn/llama3.1_20260126_110426.csv (commit
# b8c0656e6f6c84fc194f4d57329b55d609eff596): config llama3.1 (batch 1, 64 query / 8 KV heads, head dim 128),
# bfloat16, top_left (causal), 8192 x 8192, fwd_tflops / bwd_tflops. The script counts the causal half of the
# scores and the backward as 2.5x the forward (64 x 4 x 8192^2 x 128 / 2 / 0.704 ms = 1562 TFLOP/s on GB200).
CUDNN_918_SDPA_FLOP_PER_S = {"gb200": (1563e12, 1279e12), "gb300": (1927e12, 1391e12)}
CUDNN_918_GB200_FWD_MS = 0.704


def _note(rid: str) -> str:
    return " ".join(ROWS[rid]["note"].split())


def _terms(rid: str) -> dict[str, float]:
    return {k: float(v) for k, v in predict_layout(run_query(ROWS[rid])).terms.items()}


def _pub(rid: str) -> float:
    return float(ROWS[rid]["step_s"])


def test_cudnn_rates_are_the_scripts_flop_count() -> None:
    """The benchmark's TFLOP/s is the causal half of 4 s^2 d heads per forward (FlashAttention's count, the one
    compute.causal_work_keys charges): 64 heads x 4 x 8192^2 x 128 / 2 over 0.704 ms on GB200."""
    flops = 64 * 4 * 8192**2 * 128 / 2
    catalog = get_device("gb200").measured_fused_attention_flop_per_s["forward"]  # (was this file's own constant)
    assert flops / (CUDNN_918_GB200_FWD_MS * 1e-3) == pytest.approx(catalog, rel=1e-3)


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS))
def test_compute_alone_exceeds_the_published_step(rid: str) -> None:
    """The note: the forward + backward compute alone (no communication, bubble or optimizer) is already slower than
    the published step, so the gap is the per-GPU compute rate; the published model-FLOP rate as a share of the FP8
    peak; the model's FP8 GEMMs at the family's fp8_matmul_eff_max (GB300 unscaled: no measured matmul rate)."""
    t, pub, note = _terms(rid), _pub(rid), _note(rid)
    comp = t["t_fwd_s"] + t["t_bwd_s"]
    assert f"compute alone, {comp:.2f} s, is {100 * (comp / pub - 1):+.1f}% over the published {pub:.2f} s" in note
    spec = get_device(ROWS[rid]["hardware"])
    share = t["model_flops_per_step"] / (float(ROWS[rid]["devices"]) * pub) / spec.peak("fp8")
    eff = calibration_for(spec).fp8_matmul_eff_max
    assert t["in_first_gemm_eff"] == pytest.approx(eff, abs=0.001)  # the layer's GEMMs sit at the curve's top
    assert f"{100 * share:.1f}% of the FP8 peak in model FLOPs" in note
    assert f"FP8 GEMMs run at {100 * eff:.0f}%" in note


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS))
def test_error_splits_into_the_gb200_twin_and_the_gb300_over_gb200_ratio(rid: str) -> None:
    """(1 + e_GB300) = (1 + e_GB200 twin) x (published GB200/GB300 step ratio / the model's), exactly; the note
    quotes each factor."""
    twin = TWIN[rid]
    e300, e200 = reproduce(ROWS[rid]).error, reproduce(ROWS[twin]).error
    pub_ratio = _pub(twin) / _pub(rid)
    model_ratio = reproduce(ROWS[twin]).predicted_step_s / reproduce(ROWS[rid]).predicted_step_s
    assert 1 + e300 == pytest.approx((1 + e200) * pub_ratio / model_ratio, rel=1e-9)
    assert (
        f"{100 * e300:+.1f}% splits as the GB200 twin's {100 * e200:+.1f}% ({twin}, same table) times "
        f"{pub_ratio / model_ratio:.3f}, the published GB200/GB300 step ratio {pub_ratio:.3f} over the "
        f"model's {model_ratio:.3f}"
    ) in _note(rid)


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS))
def test_the_model_charges_the_measured_attention_rates(rid: str) -> None:
    """big405 measured cuDNN 9.18.1's GB300 rates in place of the GEMM curve (with the fp8 rule at 0.46: slower, the
    note's 'added 0.67 s'); rblackwell adopted them (tests/test_blackwell_fused_attention.py): the row's fused core now
    runs at those rates (the 16-bit peak x the measured fraction; a compute-bound core, so within 2%: the one launch
    of 4 us is 1.4% of its 0.29 ms forward), and the row is within 25%, as the note says."""
    row, q = ROWS[rid], run_query(ROWS[rid])
    spec = get_device(row["hardware"])
    cal = calibration_for(spec)
    dev = _device(spec, "fp8", cal, row["fp8_recipe"])
    seq = q.model.seq_len
    keys = compute.causal_work_keys(q.model, seq, seq)
    core_f, flops = compute.attention_core_s(
        q.model, q.mbs, seq / q.cp, seq, q.tp, True, 2.0, dev, "fused", work_keys=keys
    )
    work = flops * keys / seq
    fwd, bwd = CUDNN_918_SDPA_FLOP_PER_S[row["hardware"]]
    assert float(core_f) == pytest.approx(work / fwd, rel=0.02)
    assert float(core_f * compute.attention_bwd_time_ratio("fused", cal)) == pytest.approx(2.5 * work / bwd, rel=0.02)
    e = reproduce(row).error
    assert abs(e) <= 0.25
    assert f"the row is {100 * e:+.1f}%, within 25%" in _note(rid)
    gb300, gb200 = CUDNN_918_SDPA_FLOP_PER_S["gb300"], CUDNN_918_SDPA_FLOP_PER_S["gb200"]
    assert (round(gb300[0] / gb200[0], 2), round(gb300[1] / gb200[1], 2)) == (1.23, 1.09)


SAME_LAYOUT_PAIRS = [
    ("mb-gb200-llama3-8b", "mb-gb300-llama3-8b"),
    ("mb-gb200-llama3-70b", "mb-gb300-llama3-70b"),
    ("mb2602-gb200-llama3-70b-fp8", "mb2602-gb300-llama3-70b-fp8"),
]
"""tests/test_validate_blackwell_ultra_rows.py's same-layout FP8-CS pairs (its strict xfail quotes this test)."""


def test_measured_attention_leaves_the_gb300_over_gb200_ratio_short() -> None:
    """The strict xfail test_gb300_over_gb200_same_layout_speedup_within_5_points names Blackwell Ultra's doubled
    softmax exponent rate as a candidate: big405 found cuDNN 9.18.1's measured attention on both devices moved the
    model's GB200/GB300 step ratio by at most +0.010 (8B: 1.046 -> 1.056); with those rates adopted (rblackwell) the
    model's ratio is 1.055-1.056 on all three pairs against the published 1.192 / 1.048 / 1.238, so it does not give
    the published spread. rcudnn2 (2026-12-05): the 25.11 pairs 1.055 / 1.056 -> 1.058 / 1.058, their cores at the
    rates before cuDNN 9.17 (cudnn_before_9_17); still not the published spread."""
    moves = {}
    for gb200, gb300 in SAME_LAYOUT_PAIRS:
        steps = {rid: reproduce(ROWS[rid]).predicted_step_s for rid in (gb200, gb300)}
        moves[gb300] = (round(steps[gb200] / steps[gb300], 3), round(_pub(gb200) / _pub(gb300), 3))
    assert moves == {"mb-gb300-llama3-8b": (1.058, 1.192), "mb-gb300-llama3-70b": (1.058, 1.048),
                     "mb2602-gb300-llama3-70b-fp8": (1.056, 1.238)}


# The published GB300 / GB200 Llama 3.1 405B FP8 (current scaling) pair in every Megatron-Bridge table that has one
# (tokens/s/GPU; 256 GPUs, GBS 1536, seq 8192; GB200 TP 4, PP 16, VP 4 in each; GB300 TP 2 CP 2 in 25.11 and 26.02.01,
# TP 4 CP 1 in 26.02, 26.04 and 26.04.01). NVIDIA-NeMo/Megatron-Bridge docs/performance-summary.md and
# performance-summary-archive.md, stored versions (code index ids: 26.02.01 51815770209, 26.04 51905015924, 26.04.01
# 55941132558); the 25.11 and 26.02 pairs are the runs file's rows. Read 2026-12-03 (row_bw).
PUBLISHED_405B_FP8_PAIRS = {"25.11": (999, 813), "26.02": (988, 793), "26.02.01": (1024, 818), "26.04": (1036, 842),
                            "26.04.01": (1024, 832)}


def test_the_gb300_factor_repeats_in_every_release() -> None:
    """The UNEXPLAINED entry of both rows: the published GB300 / GB200 rate ratio is 1.23-1.25 in all five tables, at
    either GB300 layout, so the GB300 factor is no single run's noise; the two pairs in the runs file are those rows."""
    ratios = {rel: gb300 / gb200 for rel, (gb300, gb200) in PUBLISHED_405B_FP8_PAIRS.items()}
    assert (round(min(ratios.values()), 2), round(max(ratios.values()), 2)) == (1.23, 1.25)
    for rid, rel in ((GB300_2511, "25.11"), (GB300_2602, "26.02")):
        assert _pub(TWIN[rid]) / _pub(rid) == pytest.approx(ratios[rel], rel=2e-4), rid
    for rid in RECOMPUTED_IDS:  # the row notes (their UNEXPLAINED entries until rblackwell brought them within 25%)
        assert "GB300 / GB200 405B FP8 ratio is 1.23-1.25 in all five tables" in _note(rid), rid
