"""H100 published runs with full layouts: MosaicML's FSDP runs, a known gap of the model.

Source of the mpt-* rows: MosaicML llm-foundry, scripts/train/benchmarking/README.md, tables
"H100 80GB BF16 (Large Scale, >= 128 GPUs)" and "H100 80GB BF16" (FSDP, amp_bf16; published step time =
GlobalBatchSize (T) / Throughput (T/s)); architectures from scripts/train/yamls/pretrain/mpt-*.yaml.

nvidia-hopper carries the Ampere curve (not fitted; see calibration.toml for the rejected fit). With it every MPT
run is predicted 18-40% too fast: the FSDP/ZeRO-3 regime costs more than the model counts. These tests pin that
known gap (direction and size) so a model change that closes it, or widens it, shows up.
"""

from __future__ import annotations

import statistics

import pytest

from accelopt.errors import InputError
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.validation import read_runs, run_setup, validate_all

RESULTS = {r.id: r for r in validate_all()}
MPT = sorted(k for k in RESULTS if k.startswith("mpt-"))


def test_eighteen_mpt_runs_are_held_out_on_h100() -> None:
    assert len(MPT) == 18
    assert all(RESULTS[k].hardware == "h100-sxm" and not RESULTS[k].fitted for k in MPT)


@pytest.mark.parametrize("run_id", MPT)
def test_mpt_known_gap_predicted_too_fast_by_at_most_45_percent(run_id: str) -> None:
    r = RESULTS[run_id]
    assert -0.45 <= r.error < 0.0, f"{run_id} ({r.source}): {r.error:+.1%}"


def test_mpt_median_gap() -> None:
    # measured 2026-11-26: median |error| 28% over the 18 runs (largest models 18-24%, 1B-7B 28-40%)
    med = statistics.median(abs(RESULTS[k].error) for k in MPT)
    assert 0.15 <= med <= 0.35


def test_hopper_family_is_not_fitted() -> None:
    cals = load_calibrations()
    hop, amp = cals["nvidia-hopper"], cals["nvidia-ampere"]
    assert hop.fitted_on == [] or list(hop.fitted_on) == []
    assert (hop.matmul_eff_max, hop.matmul_half_flop) == (amp.matmul_eff_max, amp.matmul_half_flop)


def test_mpt_rows_parse_as_fsdp_layouts() -> None:
    rows = {r["id"]: r for r in read_runs()}
    setup, lay = run_setup(rows["mpt-7b-8"])  # FULL_SHARD, no activation checkpointing
    assert (lay.tp, lay.pp, lay.dp, lay.zero, lay.recompute, lay.sp, lay.m) == (1, 1, 8, 3, "none", False, 1)
    assert setup.dtype == "bf16" and setup.model.tied_embeddings
    _, lay = run_setup(rows["mpt-3b-512"])  # SHARD_GRAD_OP
    assert lay.zero == 2
    _, lay = run_setup(rows["llama3-405b-8k"])
    assert (lay.recompute, lay.sp) == ("selective", True)


def test_bad_dtype_in_a_run_row_is_an_input_error() -> None:
    row = dict(next(r for r in read_runs() if r["id"] == "mpt-7b-8"), dtype="fp4")
    with pytest.raises(InputError, match="dtype"):
        run_setup(row)
