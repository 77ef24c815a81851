"""MosaicML llm-foundry (PyTorch FSDP) published runs, on H100 and A100, with the 'pytorch-fsdp' stack calibration.

Source of the mpt-* rows: MosaicML llm-foundry, scripts/train/benchmarking/README.md, tables
"H100 80GB BF16 (Large Scale, >= 128 GPUs)", "H100 80GB BF16" and (mpt-a100-* rows) "A100 80GB with 1600 Gbps
node-node interconnect (RoCE)" (FSDP; published step time = GlobalBatchSize (T) / Throughput (T/s));
architectures from scripts/train/yamls/pretrain/mpt-*.yaml.

Rule declared in calibration.toml before fitting: only matmul_eff_max of nvidia-hopper/pytorch-fsdp was fitted, on
mpt-1b-512 and mpt-70b-512; every other MPT row is held out. nvidia-ampere/pytorch-fsdp is not fitted (the Ampere
values), so the A100 rows test whether the Ampere curve transfers from Megatron-LM to llm-foundry.
"""

from __future__ import annotations

import statistics

import pytest

from accelopt.errors import InputError
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.validation import fit_stack_eff_max, read_runs, run_setup, validate_all

RESULTS = {r.id: r for r in validate_all()}
MPT_H100 = sorted(k for k, r in RESULTS.items() if k.startswith("mpt-") and r.hardware == "h100-sxm")
MPT_A100 = sorted(k for k in RESULTS if k.startswith("mpt-a100-"))
FITTED = {"mpt-1b-512", "mpt-70b-512"}
HELD_OUT_H100 = [k for k in MPT_H100 if k not in FITTED]


def test_mpt_rows_are_pytorch_fsdp_and_only_two_are_fitted() -> None:
    assert len(MPT_H100) == 24 and len(MPT_A100) == 6  # 6 rows of 256 GPUs added 2026-11-30
    assert all(RESULTS[k].stack == "pytorch-fsdp" for k in MPT_H100 + MPT_A100)
    assert {k for k in MPT_H100 + MPT_A100 if RESULTS[k].fitted} == FITTED
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


# A100 llm-foundry runs (MosaicML llm-foundry A100 80GB table), nothing fitted on this stack: the Ampere curve
# (fitted on Narayanan et al. 2021) gives -15.5%..+2.3%, median 8.8%. Tolerance 20% each, median <= 10%.
@pytest.mark.parametrize("run_id", MPT_A100)
def test_a100_llm_foundry_run_within_20_percent(run_id: str) -> None:
    r = RESULTS[run_id]
    assert not r.fitted
    assert abs(r.error) <= 0.20, f"{run_id} ({r.source}): {r.error:+.1%}"


def test_a100_llm_foundry_median() -> None:
    assert statistics.median(abs(RESULTS[k].error) for k in MPT_A100) <= 0.10


def test_fsdp_stack_overrides_only_eff_max_on_hopper() -> None:
    cals = load_calibrations()
    hop, amp = cals["nvidia-hopper"], cals["nvidia-ampere"]
    fsdp = hop.stacks["pytorch-fsdp"]
    # Hopper's megatron eff_max is fitted on its own H100 BF16 rows since hopbf16 (2026-12-01; it carried the Ampere
    # fit's 0.74 before); the half-size point is still the Ampere curve's (calibration.toml).
    # 0.60 since hopdiag's causal FlashAttention-2 work re-ran the rule (2026-12-01; 0.70 after fa2 + ubuf)
    assert (hop.matmul_eff_max, hop.matmul_half_flop) == (0.60, amp.matmul_half_flop)
    assert fsdp.matmul_half_flop == hop.matmul_half_flop and fsdp.memory_eff == hop.memory_eff
    assert fsdp.matmul_eff_max < hop.matmul_eff_max
    assert set(fsdp.fitted_on) == FITTED
    assert list(hop.fitted_on) == ["dgxc-h100-llama31-8b-bf16-8", "dgxc-h100-nemotron4-340b-bf16-128"]
    assert "pytorch-fsdp" not in amp.stacks  # inherits the Ampere values


def test_bundled_fsdp_value_is_what_the_declared_fit_gives() -> None:
    cals = load_calibrations()
    fit = fit_stack_eff_max("nvidia-hopper", "pytorch-fsdp", sorted(FITTED))
    assert fit.matmul_eff_max == cals["nvidia-hopper"].stacks["pytorch-fsdp"].matmul_eff_max


def test_fsdp_h100_a100_rate_ratio() -> None:
    """Diagnosis check: the large-GEMM rate ratio H100/A100 this implies is ~2.3-2.5 (llm-foundry's published MFU
    implies ~2.3), not the 3.2 datasheet-peak ratio (989 vs 312 TFLOP/s dense BF16)."""
    cals = load_calibrations()
    h100 = cals["nvidia-hopper"].stacks["pytorch-fsdp"].matmul_eff_max
    ratio = 989 * h100 / (312 * cals["nvidia-ampere"].matmul_eff_max)
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
