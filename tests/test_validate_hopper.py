"""MosaicML llm-foundry (PyTorch FSDP) published runs, on H100 and A100, with the 'pytorch-fsdp' stack calibration.

Source of the mpt-* rows: MosaicML llm-foundry, scripts/train/benchmarking/README.md, tables
"H100 80GB BF16 (Large Scale, >= 128 GPUs)", "H100 80GB BF16" and (mpt-a100-* rows) "A100 80GB with 1600 Gbps
node-node interconnect (RoCE)" (FSDP; published step time = GlobalBatchSize (T) / Throughput (T/s));
architectures from scripts/train/yamls/pretrain/mpt-*.yaml.

Rule declared in calibration.toml before fitting: only matmul_eff_max of nvidia-hopper/pytorch-fsdp was fitted, on
mpt-1b-512 and mpt-70b-512; every other MPT row is held out. nvidia-ampere/pytorch-fsdp (2026-12-02, ampfsdp): the same
rule carried over, declared before it was run, on mpt-a100-1b-8 and mpt-a100-70b-64 (the same two model sizes at seq
2048 and their largest GPU count); every other A100 llm-foundry row (61 in all, the whole A100-80GB table) and every
torchtitan A100 row is held out.
"""

from __future__ import annotations

import dataclasses
import statistics

import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import Calibration, calibration_for, load_calibrations
from accelopt.predict.validation import fit_stack_eff_max, read_runs, reproduce, run_setup, validate_all

RESULTS = {r.id: r for r in validate_all()}
MPT_H100 = sorted(k for k, r in RESULTS.items() if k.startswith("mpt-") and r.hardware == "h100-sxm")
MPT_A100 = sorted(k for k in RESULTS if k.startswith("mpt-a100-"))
FITTED = {"mpt-1b-512", "mpt-70b-512"}
FITTED_A100 = {"mpt-a100-1b-8", "mpt-a100-70b-64"}
HELD_OUT_H100 = [k for k in MPT_H100 if k not in FITTED]
HELD_OUT_A100 = [k for k in MPT_A100 if k not in FITTED_A100]
SEQ = {r["id"]: int(r["seq"]) for r in read_runs()}


def test_mpt_rows_are_pytorch_fsdp_and_only_two_are_fitted() -> None:
    # 6 rows of 256 GPUs added 2026-11-30; the A100 table's other 55 rows 2026-12-02 (ampfsdp: all 61)
    assert len(MPT_H100) == 24 and len(MPT_A100) == 61
    assert all(RESULTS[k].stack == "pytorch-fsdp" for k in MPT_H100 + MPT_A100)
    assert {k for k in MPT_H100 + MPT_A100 if RESULTS[k].fitted} == FITTED | FITTED_A100
    assert all(RESULTS[k].hardware == "a100-sxm-80gb" for k in MPT_A100)


# Held-out H100 runs (MosaicML llm-foundry H100 tables), measured 2026-11-26 with eff_max 0.56: 13B-70B within
# -6%..+7% except mpt-13b-8 (-22%); 1B-7B still 7-21% too fast (one eff_max cannot cover the small models' larger
# non-GEMM share). Tolerance 25%. Re-measured 2026-11-30 with the per-layer FSDP ring latencies, the FlashAttention-2
# rate and eff_max 0.60 (same rule): 13B-70B -9%..+4% except mpt-13b-8 (-24%); 1B-7B -7%..-12%, no longer worse at
# 512 GPUs than at 128 (1B: -11.3% / -10.3%, was -16.4% / -24.5%).
@pytest.mark.parametrize("run_id", HELD_OUT_H100)
def test_held_out_h100_mpt_run_within_25_percent(run_id: str) -> None:
    r = RESULTS[run_id]
    assert abs(r.error) <= 0.25, f"{run_id} ({r.source}): {r.error:+.1%}"


def test_held_out_h100_mpt_median() -> None:
    # measured 2026-11-26: median |error| 8.6% over the 16 held-out H100 runs (was 29% with the Ampere curve);
    # 7.5% on 2026-11-30 (per-layer FSDP ring latencies, attention at the FlashAttention-2 rate, eff_max 0.60)
    assert statistics.median(abs(RESULTS[k].error) for k in HELD_OUT_H100) <= 0.10


# A100 llm-foundry runs (MosaicML llm-foundry A100 80GB table). Until 2026-12-02 the runs file held its six seq-2048
# rows, nothing fitted on this stack: the Ampere curve (fitted on Narayanan et al. 2021) gave -15.5%..+2.3%, median
# 8.8%; tolerance 20% each, median <= 10%. Since ampfsdp (2026-12-02) the whole table is in (61 rows) and two of its
# seq-2048 rows are the fit rows of nvidia-ampere/pytorch-fsdp: the same bounds hold the table's held-out seq-2048 rows
# (nine: -16.7%..+4.4%, median 6.7%; -12.3%..+5.4%, median 5.4%, since longseq's triton cells); over the whole table
# the median was a strict xfail (16.2%) until longseq found the kernel the table ran (7.1% since, below).
SEQ_2048_A100 = [k for k in HELD_OUT_A100 if SEQ[k] == 2048]


@pytest.mark.parametrize("run_id", SEQ_2048_A100)
def test_a100_llm_foundry_run_within_20_percent(run_id: str) -> None:
    r = RESULTS[run_id]
    assert not r.fitted
    assert abs(r.error) <= 0.20, f"{run_id} ({r.source}): {r.error:+.1%}"


def test_a100_llm_foundry_median() -> None:
    assert len(SEQ_2048_A100) == 9
    assert statistics.median(abs(RESULTS[k].error) for k in SEQ_2048_A100) <= 0.10


def test_a100_llm_foundry_median_over_the_whole_table() -> None:
    """A strict xfail at 16.2% (ampfsdp) until longseq (2026-12-02) set the table's attention kernel to triton: 7.1%
    over its 59 held-out rows."""
    assert len(HELD_OUT_A100) == 59
    assert statistics.median(abs(RESULTS[k].error) for k in HELD_OUT_A100) <= 0.10


def _as_flash2(row: dict[str, str]) -> dict[str, str]:
    """The row as the runs file held it before longseq: FlashAttention-2 through llm-foundry's unpadding wrapper."""
    return {**row, "attention_kernel": "flash2", "attention_unpad": "1"}


def test_a100_table_runs_flash_attention_in_triton() -> None:
    """The figures calibration.toml (nvidia-ampere triton rates), the runs-file notes and README quote: the 28 held-out
    A100 llm-foundry rows at seq >= 8192 ran FlashAttention in Triton (the table's sweep, torch 1.13.1, no --attn_impl;
    submit_benchmarks.py's default 'triton'); at its derived rates they missed by a median 9.3%, -24.8..+7.9%, none
    beyond 25% (longseq); since ce (2026-12-02: the table's eager cross-entropy, the declared rule re-run 0.66 -> 0.68)
    by 8.8%, -26.6..+5.6%; since a100_long (2026-12-03: the Triton backward re-derived, 0.315 -> 0.280) by 3.3%,
    -25.6..+7.5%, mpt-a100-30b-8-8k beyond 25% throughout (UNEXPLAINED in tests/test_row_notes_checked.py); read as
    flash2 with the unpad copies (the cells before longseq) by 31.2% (32.0% at ce's values), every one too fast."""
    rows = {r["id"]: r for r in read_runs()}
    long_rows = [k for k in HELD_OUT_A100 if SEQ[k] >= 8192]
    assert len(long_rows) == 28
    assert {rows[k]["attention_kernel"] for k in HELD_OUT_A100} == {"triton"}
    assert {(rows[k].get("attention_unpad") or "").strip() for k in HELD_OUT_A100} == {""}
    own = {k: RESULTS[k].error for k in long_rows}
    assert round(statistics.median(abs(e) for e in own.values()), 3) == 0.033  # 0.088 at 0.315
    assert (round(min(own.values()), 3), round(max(own.values()), 3)) == (-0.256, 0.075)  # -0.266, 0.056 at 0.315
    assert min(own, key=lambda k: own[k]) == "mpt-a100-30b-8-8k"
    cals = load_calibrations()
    before = [reproduce(_as_flash2(rows[k]), cals).error for k in long_rows]
    # 31.2% when longseq wrote it; 32.0% at ce's values (eager cross-entropy, matmul_eff_max 0.68)
    assert all(e < 0 for e in before) and round(statistics.median(abs(e) for e in before), 3) == 0.320
    assert sum(abs(e) > 0.25 for e in before) == 18  # 20 when longseq wrote it (before ce's values)
    assert [k for k, e in own.items() if abs(e) > 0.25] == ["mpt-a100-30b-8-8k"]


def _triton_core_slower(cals: dict[str, Calibration], factor: float) -> dict[str, Calibration]:
    """The calibrations with nvidia-ampere's triton rates (family and its stacks) divided by `factor`: the Triton core
    takes `factor` x its time (compute bound at these shapes; its one launch is not scaled)."""
    def slow(cal: Calibration) -> Calibration:
        return dataclasses.replace(cal, triton_attention_eff=cal.triton_attention_eff / factor,
                                   triton_bwd_attention_eff=cal.triton_bwd_attention_eff / factor)
    amp = cals["nvidia-ampere"]
    return {**cals, "nvidia-ampere": dataclasses.replace(
        slow(amp), stacks={name: slow(sub) for name, sub in amp.stacks.items()})}


def test_a100_long_sequence_gap_is_a_triton_core_rate_gap() -> None:
    """Diagnosis check (a100long, 2026-12-02; the runs file's mpt-a100 block quotes it): the
    held-out A100 rows' error falls with sequence length because the Triton core's share of the step grows, not through
    anything that changes with b x h or the head dim. With the core 1.25x slower, each row's predicted core time is
    (slower - own) / 0.25; the time the core would need is the published step less the rest. At the backward rate of
    the time (0.315), of the 18 rows whose core was half the predicted step or more, 16 needed 1.13-1.22x (median
    1.15x). Since a100_long re-derived that rate (0.280, 2026-12-03; calibration.toml), the 19 such rows (350m at 8k
    joins) need 1.01-1.07x, b x h 12..128, head dims 64 and 128 (median 1.05x); 13b-32k needs less (0.95x: that
    model's recompute rows run too slow at short sequence). Not a fit: nothing here changes a prediction."""
    rows = {r["id"]: r for r in read_runs()}
    slower = _triton_core_slower(load_calibrations(), 1.25)
    need, share = {}, {}
    for k in HELD_OUT_A100:
        own = RESULTS[k]
        core_s = (reproduce(rows[k], slower).predicted_step_s - own.predicted_step_s) / 0.25
        share[k] = core_s / own.predicted_step_s
        need[k] = 1 + (own.published_step_s - own.predicted_step_s) / core_s
    dominant = sorted(k for k in HELD_OUT_A100 if share[k] >= 0.5)
    assert len(dominant) == 19 and all(SEQ[k] >= 8192 for k in dominant)
    uniform = [k for k in dominant if 1.01 <= round(need[k], 2) <= 1.07]
    assert sorted(set(dominant) - set(uniform)) == ["mpt-a100-13b-8-32k"]
    assert round(need["mpt-a100-13b-8-32k"], 2) == 0.95
    b_h = {int(rows[k]["mbs"]) * int(rows[k]["heads"]) for k in uniform}
    head_dims = {int(rows[k]["hidden"]) // int(rows[k]["heads"]) for k in uniform}
    assert (min(b_h), max(b_h), head_dims) == (12, 128, {64, 128})
    assert round(statistics.median(need[k] for k in dominant), 2) == 1.05


def _triton_backward_at(cals: dict[str, Calibration], bwd: float) -> dict[str, Calibration]:
    """The calibrations with nvidia-ampere's triton backward rate (family and its stacks) set to `bwd`."""
    amp = cals["nvidia-ampere"]
    return {**cals, "nvidia-ampere": dataclasses.replace(
        amp, triton_bwd_attention_eff=bwd,
        stacks={n: dataclasses.replace(sub, triton_bwd_attention_eff=bwd) for n, sub in amp.stacks.items()})}


def test_a100_triton_backward_rate_against_its_range_ends() -> None:
    """The figures calibration.toml gives for a100_long's re-derived backward (2026-12-03): FlashAttention's A100 range
    midpoints give 0.280, the 59 held-out rows a 3.0% median (signed -1.6%; 5.2% and -4.2% at 0.315) and the 28 at
    seq >= 8192 3.3%; the ranges' ends give 0.219 / 0.346 and those 28 rows 11.1% / 12.7% (reported, not adopted)."""
    rows = {r["id"]: r for r in read_runs()}
    long_rows = [k for k in HELD_OUT_A100 if SEQ[k] >= 8192]
    cals = load_calibrations()
    assert cals["nvidia-ampere"].triton_bwd_attention_eff == 0.280
    medians = {}
    for bwd in (0.219, 0.280, 0.315, 0.346):
        at = _triton_backward_at(cals, bwd)
        err = {k: reproduce(rows[k], at).error for k in HELD_OUT_A100}
        medians[bwd] = (round(100 * statistics.median(abs(err[k]) for k in HELD_OUT_A100), 1),
                        round(100 * statistics.median(err[k] for k in HELD_OUT_A100), 1),
                        round(100 * statistics.median(abs(err[k]) for k in long_rows), 1))
    assert medians[0.280] == (3.0, -1.6, 3.3) and medians[0.315] == (5.2, -4.2, 8.8)
    assert (medians[0.219][2], medians[0.346][2]) == (11.1, 12.7)


def test_fsdp_stack_overrides_only_eff_max_on_hopper() -> None:
    cals = load_calibrations()
    hop, amp = cals["nvidia-hopper"], cals["nvidia-ampere"]
    fsdp = hop.stacks["pytorch-fsdp"]
    # Hopper's megatron eff_max is fitted on its own H100 BF16 rows since hopbf16 (2026-12-01; it carried the Ampere
    # fit's 0.74 before); the half-size point is still the Ampere curve's (calibration.toml).
    # 0.60 since hopdiag's causal FlashAttention-2 work re-ran the rule (2026-12-01; 0.70 after fa2 + ubuf); 0.58 since
    # rhopperadopt's measured fused-attention rate (2026-12-05)
    assert (hop.matmul_eff_max, hop.matmul_half_flop) == (0.58, amp.matmul_half_flop)
    assert fsdp.matmul_half_flop == hop.matmul_half_flop and fsdp.memory_eff == hop.memory_eff
    assert fsdp.matmul_eff_max < hop.matmul_eff_max
    assert set(fsdp.fitted_on) == FITTED
    assert list(hop.fitted_on) == ["dgxc-h100-llama31-8b-bf16-8", "dgxc-h100-nemotron4-340b-bf16-128"]


def test_ampere_fsdp_stack_overrides_only_eff_max() -> None:
    """ampfsdp (2026-12-02): nvidia-ampere/pytorch-fsdp holds its own matmul_eff_max (0.66, fitted by the declared
    rule; 0.68 since ce's re-run, 2026-12-02), every other value the family's; the megatron stack keeps the Narayanan
    fit (0.70)."""
    amp = load_calibrations()["nvidia-ampere"]
    fsdp = amp.stacks["pytorch-fsdp"]
    assert (amp.matmul_eff_max, fsdp.matmul_eff_max) == (0.70, 0.68)
    assert set(fsdp.fitted_on) == FITTED_A100
    same = ("matmul_half_flop", "memory_eff", "overlap_eff", "kernel_overhead_s", "flash2_attention_eff",
            "flash2_bwd_attention_eff", "triton_attention_eff", "triton_bwd_attention_eff", "scaleup_bw_eff",
            "scaleout_bw_eff", "framework_overhead_bytes")
    assert all(getattr(fsdp, f) == getattr(amp, f) for f in same)


def test_a100_pytorch_fsdp_rows_run_on_the_stack_table() -> None:
    """Every A100 pytorch-fsdp row (llm-foundry) and torchtitan row is predicted with its stack's value: at the
    megatron values instead (the tables removed) each comes out faster. (The eight torchtitan rows ran on the
    pytorch-fsdp table until 2026-12-04, ttstack; their own table's 0.60 is below the megatron 0.70 too.)"""
    spec = get_device("a100-sxm-80gb")
    assert calibration_for(spec, stack="pytorch-fsdp").matmul_eff_max == 0.68
    assert calibration_for(spec, stack="torchtitan").matmul_eff_max == 0.60
    assert calibration_for(spec).matmul_eff_max == 0.70
    cals = load_calibrations()
    no_table = {**cals, "nvidia-ampere": dataclasses.replace(cals["nvidia-ampere"], stacks={})}
    rows = [r for r in read_runs() if r["hardware"] == "a100-sxm-80gb" and r["stack"] in ("pytorch-fsdp", "torchtitan")]
    assert len(rows) == 61 + 8 and sum(r["stack"] == "torchtitan" for r in rows) == 8
    for row in rows:
        assert reproduce(row).predicted_step_s == RESULTS[row["id"]].predicted_step_s
        assert reproduce(row, no_table).predicted_step_s < RESULTS[row["id"]].predicted_step_s, row["id"]


def test_bundled_fsdp_value_is_what_the_declared_fit_gives() -> None:
    cals = load_calibrations()
    fit = fit_stack_eff_max("nvidia-hopper", "pytorch-fsdp", sorted(FITTED))
    assert fit.matmul_eff_max == cals["nvidia-hopper"].stacks["pytorch-fsdp"].matmul_eff_max


def test_bundled_ampere_fsdp_value_is_what_the_declared_fit_gives() -> None:
    """The rule declared in calibration.toml before the fit (ampfsdp), re-run: 0.66, an interior grid point (a grid
    edge, 0.30 or 0.98, would have been rejected); 0.68 since ce's re-run (2026-12-02, the A100 table's eager
    cross-entropy)."""
    fit = fit_stack_eff_max("nvidia-ampere", "pytorch-fsdp", sorted(FITTED_A100))
    assert fit.matmul_eff_max == load_calibrations()["nvidia-ampere"].stacks["pytorch-fsdp"].matmul_eff_max == 0.68
    assert 0.30 < fit.matmul_eff_max < 0.98


def test_fsdp_h100_a100_rate_ratio() -> None:
    """Diagnosis check: the large-GEMM rate ratio H100/A100 this implies is ~2.3-2.6 (llm-foundry's published MFU
    implies ~2.3), not the 3.2 datasheet-peak ratio (989 vs 312 TFLOP/s dense BF16). Since ampfsdp (2026-12-02) both
    sides are the pytorch-fsdp stacks' own fits: 989 x 0.54 / (312 x 0.68) = 2.52 (2.59 at 0.66 before ce's re-run;
    2.45 against Ampere's megatron 0.70)."""
    cals = load_calibrations()
    h100 = cals["nvidia-hopper"].stacks["pytorch-fsdp"].matmul_eff_max
    ratio = 989 * h100 / (312 * cals["nvidia-ampere"].stacks["pytorch-fsdp"].matmul_eff_max)
    assert 2.2 <= ratio <= 2.6


def test_mpt_rows_parse_as_fsdp_layouts() -> None:
    rows = {r["id"]: r for r in read_runs()}
    setup, lay = run_setup(rows["mpt-7b-8"])  # FULL_SHARD, no activation checkpointing
    assert (lay.tp, lay.pp, lay.dp, lay.zero, lay.recompute, lay.sp, lay.m) == (1, 1, 8, 3, "none", False, 1)
    assert setup.dtype == "bf16" and setup.model.tied_embeddings
    _, lay = run_setup(rows["mpt-3b-512"])  # SHARD_GRAD_OP
    assert lay.zero == 2
    _, lay = run_setup(rows["mpt-a100-70b-64"])  # 64 GPUs, micro-batch 8, grad accumulation 4
    assert (lay.dp, lay.mbs, lay.m, lay.zero, lay.recompute) == (64, 8, 4, 3, "full")
    _, lay = run_setup(rows["llama3-405b-8k"])  # 'without activation checkpointing' (Llama Team 2024 sec. 3.3.2; rca)
    assert (lay.recompute, lay.sp) == ("none", True)


def test_bad_dtype_in_a_run_row_is_an_input_error() -> None:
    row = dict(next(r for r in read_runs() if r["id"] == "mpt-7b-8"), dtype="fp4")
    with pytest.raises(InputError, match="dtype"):
        run_setup(row)


def test_unknown_stack_in_a_run_row_is_an_input_error() -> None:
    from accelopt.predict.validation import reproduce

    row = dict(next(r for r in read_runs() if r["id"] == "mpt-7b-8"), stack="jax")
    with pytest.raises(InputError, match="megatron, pytorch-fsdp"):
        reproduce(row)
