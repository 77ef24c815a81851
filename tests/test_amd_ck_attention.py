"""The AMD Infinity Hub v25.2 'Mistral 7B' rows' sliding window and the ROCm Composable Kernel (CK) attention kernels'
masked-tile skipping (issue 10; examined 2026-12-03, amd_ih). The figures the rows' notes and the runs file's AMD block
quote are recomputed here.

Sources (stored copies in the public code index):
- AMD-AIG-AIMA/pytorch-training-benchmark mistral.py at 81a01fa1f5c7482d8d6360b5815c458f6b81d40c: the BF16 model on
  'MI3' devices runs flash-attn's FlashSelfAttention(window_size=(window_size - 1, 0)) called with causal=True; the
  FP8 model a TE TransformerLayer(self_attn_mask_type='causal', window_size=(window_size, 0));
  configs/mistral-7b-v0.1.json window_size 1024.
- flash-attn's ROCm CK backend (ROCm/flash-attention csrc/flash_attn_ck/mha_fwd.cpp at
  1a122470301ca894704834ea0c5849623f1bdda4, and mha_bwd.cpp): with is_causal the mask is mask_info::decode('b:' +
  window_size_left + ',0'), so the left window is kept, not dropped. (FlashSelfAttention's window_size keyword, which
  it hands to flash_attn_qkvpacked_func, exists since flash-attn 2.3; no stored copy of 2.6.3's modules/mha.py was
  read: the run passing the keyword without a TypeError is the evidence that the installed version took it.)
- ROCm/TransformerEngine transformer_engine/common/fused_attn_rocm/fused_attn_ck.cpp (2024 copy, the 'swa filter' of
  is_ck_backend_supported): a causal mask takes a window (-1, 0) or (>=0, 0), and ck_attn_fwd / ck_attn_bwd receive
  window_size_left.
- ROCm/composable_kernel include/ck_tile/ops/fmha/block/block_masking.hpp (at 5cc5797eec2f63278a8a1bda4963218c0312a12f;
  the same functions in the 2024 ck:: copy): GenericAttentionMask::GetTileRangeAlongX gives the key tiles one query
  tile visits in the forward (from the window's first key, tile-aligned, to the diagonal), GetTileRangeAlongY the query
  tiles one key tile visits in the backward (block_fmha_bwd_dq_dk_dv_pipeline_kr_ktr_vr.hpp: 'mask.GetTileRangeAlongY(
  k_origin...)', early exit when no tile is left); make_generic_attention_mask_coordinates_from_lr_window turns a
  bottom-right (left, right) window into y = left + 1 + (y_total - x_total), x = right + 1 + (x_total - y_total).
"""

from __future__ import annotations

import pytest

from accelopt.predict import compute
from accelopt.predict.calibration import load_calibrations, with_values
from accelopt.predict.validation import fit_stack_eff_max, read_runs, reproduce, run_model

FAMILY = "amd-instinct-cdna3"
FIT_ROW = "amd-ih-mi300x-llama31-8b-bf16-s8192"
MISTRAL_ROWS = ("amd-ih-mi300x-mistral-7b-bf16-s8192", "amd-ih-mi300x-mistral-7b-fp8-s8192",
                "amd-ih-mi325x-mistral-7b-bf16-s8192", "amd-ih-mi325x-mistral-7b-fp8-s8192")
IH_FP8_ROWS = ("amd-ih-mi300x-llama31-8b-fp8-s8192", "amd-ih-mi300x-llama31-8b-fp8-s4096",
               "amd-ih-mi325x-llama31-8b-fp8-s8192", "amd-ih-mi325x-llama31-8b-fp8-s4096",
               "amd-ih-mi300x-mistral-7b-fp8-s8192", "amd-ih-mi325x-mistral-7b-fp8-s8192")
SEQ = 8192
CK_TILE = 128  # keys / queries per CK fmha tile at head dim 128 (the forward's bm0 = bn0 = 128)
# ROCm blog 'Measuring Max-Achievable FLOPs - Part 2' (2025-02-28), Table 1, MI300X (TFLOP/s) and the catalog's peaks:
# the declared fp8 derivation of calibration.toml (fp8_derived_from), fp8 = bf16 x (1273 / 2614.9) / (708 / 1307.4)
MAF_FP8_OVER_BF16_SHARE = (1273 / 2614.9) / (708 / 1307.4)


def _rows() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in read_runs()}


def _ck_keys_per_query(window_left: int | None, seq: int = SEQ, tile: int = CK_TILE) -> float:
    """Mean keys a CK forward computes per query of a self-attention of `seq` tokens under a bottom-right causal mask
    with `window_left` keys to the left (None: plain causal): block_masking.hpp GetTileRangeAlongX over the query
    tiles. Coordinates (y_total = x_total = seq): y = left + 1, x = 1; IsLocal only with a window."""
    y, x = (seq if window_left is None else window_left + 1), 1
    total = 0
    for i_y in range(0, seq, tile):
        x_start = 0 if window_left is None else (max(-y + i_y + 1, 0) // tile) * tile
        x_end = -(-min(i_y + tile - 1 + x, seq) // tile) * tile  # rounded up to a whole tile
        total += x_end - x_start
    return total / (seq // tile)


def test_ck_skips_the_tiles_outside_the_causal_diagonal_and_the_window() -> None:
    """At 8192 tokens with 128-key tiles a causal query tile visits (i + 1) tiles (mean 4160 keys per query) and a
    1024-key window (flash-attn window_size_left 1023) at most 9 (mean 1080): 0.26 of causal. The FlashAttention-2 work
    count (compute.causal_work_keys: the exact mask, no tile rounding) gives 960 / 4096.5 = 0.234; rounding to tiles is
    within 12% of it. The model's count for amd-instinct-cdna3 today is every score: 1024 / 8192 = 0.125, half the
    kernel's ratio, which is why the windowed rows come out too fast against the Llama fit row."""
    causal, windowed = _ck_keys_per_query(None), _ck_keys_per_query(1023)
    assert (causal, windowed) == (4160.0, 1080.0)
    model = run_model(_rows()[MISTRAL_ROWS[0]])
    fa2_ratio = float(compute.causal_work_keys(model, SEQ, model.keys_attended(SEQ, True))
                      / compute.causal_work_keys(model, SEQ, SEQ))
    assert fa2_ratio == pytest.approx(960.06 / 4096.5, rel=1e-3)
    assert windowed / causal == pytest.approx(fa2_ratio, rel=0.12)
    every_score_ratio = float(model.keys_attended(SEQ, True)) / SEQ
    assert every_score_ratio == 0.125 and not compute.runs_fa2_algorithm("fused", FAMILY)


@pytest.mark.xfail(strict=True, reason="CK skips masked tiles (block_masking.hpp, test above), but "
                   "amd-instinct-cdna3 is not in compute.FA2_FUSED_FAMILIES: its bf16 matmul_eff_max 0.44 was "
                   "fitted with every score charged, and listing the family moves that fit row -0.2% -> -8.9%, so "
                   "the change needs the declared bf16 rule re-run (0.44 -> 0.40, fp8 derived 0.40 -> 0.36), which "
                   "this branch may not do (notes amd_ih; the last test holds the figures)")
def test_cdna3_fused_attention_is_modelled_as_the_tile_skipping_kernel() -> None:
    assert compute.runs_fa2_algorithm("fused", FAMILY)


def test_mistral_rows_lie_between_full_and_windowed_attention() -> None:
    """The window cell is what ran (module docstring), and neither bracket fits: with it the four rows are predicted
    too fast (-6.4% .. -16.9%), without it (full causal attention) too slow (+10.3% .. +14.7%)."""
    rows = _rows()
    for run_id in MISTRAL_ROWS:
        row = rows[run_id]
        assert row["sliding_window"] == "1024", run_id
        windowed, full = reproduce(row).error, reproduce({**row, "sliding_window": ""}).error
        assert -0.18 < windowed < -0.05 and 0.10 < full < 0.16, (run_id, windowed, full)


def test_tile_skipping_with_the_declared_bf16_rule_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the integrator would adopt (not applied on this branch, see the xfail above): with amd-instinct-cdna3's
    fused attention modelled as the FlashAttention-2 algorithm (causal and window skip, 2.5x backward), the bf16 rule
    of calibration.toml re-run exactly as declared (fit_stack_eff_max on the fit row, grid 0.30..0.98) lands on 0.40
    and the declared fp8 derivation gives 0.40 x 0.899 = 0.36. Then the two bf16 Mistral rows come within 3% (-10.0% /
    -6.4% before) and the six Infinity Hub FP8 rows sit together at -7.9% .. -10.9% (-4.4% .. -16.9% before): the
    Mistral-only gap goes, an FP8 gap common to Llama and Mistral stays (calibration.toml's FP8 share assumption)."""
    monkeypatch.setattr(compute, "FA2_FUSED_FAMILIES", (*compute.FA2_FUSED_FAMILIES, FAMILY))
    refit = fit_stack_eff_max(FAMILY, "megatron", [FIT_ROW])
    assert refit.matmul_eff_max == pytest.approx(0.40)
    fp8 = round(refit.matmul_eff_max * MAF_FP8_OVER_BF16_SHARE, 2)
    assert fp8 == pytest.approx(0.36)
    cals = load_calibrations()
    trial = {**cals, FAMILY: with_values(cals[FAMILY], matmul_eff_max=refit.matmul_eff_max, fp8_matmul_eff_max=fp8)}
    rows = _rows()
    assert abs(reproduce(rows[FIT_ROW], trial).error) < 0.01
    for run_id in ("amd-ih-mi300x-mistral-7b-bf16-s8192", "amd-ih-mi325x-mistral-7b-bf16-s8192"):
        assert abs(reproduce(rows[run_id], trial).error) < 0.03, run_id
    fp8_errors = [reproduce(rows[run_id], trial).error for run_id in IH_FP8_ROWS]
    assert all(-0.115 < e < -0.075 for e in fp8_errors), fp8_errors
