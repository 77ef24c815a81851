"""Lead (rtece, 2026-12-05 s32, issue 10): Transformer Engine's fused cross-entropy on the Megatron-Bridge rows.

The question (rh100's lead, /work/wt/notes/rh100.md): the H100 FP8 Llama 3 70B rows are predicted 17-20% too slow and
the last pipeline stage's logits and loss are the largest term of their critical path (test_h100_fp8_70b_lead). The
model charges the loss as three fp32 read + write passes over the [T, V/t] logits, 24 B a logit, 2 kernels a pass
(compute.logits_forward / logits_step_s). What the Megatron-Bridge runs execute:

- the recipes set it: llama3_8b_pretrain_config and its siblings set cfg.model.cross_entropy_loss_fusion = True and
  cfg.model.cross_entropy_fusion_impl = "te" (src/megatron/bridge/recipes/llama/llama3.py at
  NVIDIA-NeMo/Megatron-Bridge@0d5f5558c16fc7b3eec45698768522e74f1a87a2, "# Kernel selections");
- the performance scripts force the implementation for every model: _set_common_perf_overrides sets
  recipe.model.cross_entropy_fusion_impl = "te", called by set_workload_base_configs (scripts/performance/utils/
  overrides.py at NVIDIA-NeMo/Megatron-Bridge@00538e26aa5419eb94c4fab3629b99059867a135); GPT-OSS's dumped resolved
  config shows cross_entropy_fusion_impl te (finding (10) of the H100 GPT-OSS record, test_gptoss_config_dump);
- Transformer Engine's Triton parallel_cross_entropy (transformer_engine/pytorch/triton/cross_entropy.py at
  NVIDIA/TransformerEngine@02965d2eba9d93d129f25942f8ef1352f2eefd2d, read by rmoe, finding (8)): online_softmax_kernel
  reads each bf16 row once (2 B) for its max and sum, the loss kernel reads only each row's statistics and target
  logit; cross_entropy_backward_kernel reads the saved row and writes the gradient in place (2 + 2 B): 6 B a logit,
  2 kernels forward and 1 backward (compute.TE_CE_*; plan --te-cross-entropy, runs-file column te_cross_entropy).

Charged at TE's bytes on every row of the Megatron-Bridge performance tables (ids 'mb*'), the FP8 70B rows move by
about a point and stay beyond +15%, while the four H100 GPT-OSS 120B rows of the 26.02 - 26.04.01 tables (now -22.4
to -24.8%, after ryarn2's unfused YaRN RoPE) cross to beyond -25%, and the training held-out median grows. Restricted to
the Hopper rows the median holds but the same four rows cross. So, by the project's rule (no row pushed beyond 25%, the
held-out median no worse), the change is not adopted: a lead, with its figures here. The GPT-OSS H100 rows miss
something else that the over-charged loss now hides; the Blackwell FP8 fit rows (mb-b200-llama3-8b,
mb260201-gb200-llama3-70b-fp8, mb2602-gb200-llama3-70b-fp8) would move too, so an adoption would re-run that rule.

Tolerances stated before measuring: 'about a point' = each FP8 70B row 0.5 to 1.5 points nearer zero; 'cross' = within
25% now, beyond with TE's bytes; the medians compared at the 0.01-point rounding they are quoted at.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest

from accelopt.predict import compute as C
from accelopt.predict.validation import read_runs, reproduce, validate_report


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): this record's whole-file held-out figures were made before [family.nvidia-blackwell]'s
    fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 row: replayed at the model before it
    (conftest.gb300_before_gb3_ctx), so they stay checked."""

RECOMPUTED_IDS: frozenset[str] = frozenset()
"""No row note quotes these figures; a lead (the runs file's te_cross_entropy block quotes them)."""

RUNS_FILE = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "predict" / "data" / \
    "published_training_runs.csv"
MODEL_CE_BYTES = 24.0  # three fp32 read + write passes (compute.logits_step_s's default)

ROWS = read_runs()
BY_ID = {r["id"]: r for r in ROWS}
FP8_70B = ("mb-h100-llama3-70b", "mb2509-h100-llama3-70b", "mb2602-h100-llama3-70b-fp8",
           "mb260201-h100-llama3-70b-fp8", "mb2604-h100-llama3-70b-fp8", "mb260401-h100-llama3-70b-fp8")
GPTOSS_H100 = tuple(f"{rel}-h100-gptoss-120b" for rel in ("mb2602", "mb260201", "mb2604", "mb260401"))
BLACKWELL_FP8_FIT = ("mb-b200-llama3-8b", "mb260201-gb200-llama3-70b-fp8", "mb2602-gb200-llama3-70b-fp8")
BOUND = 0.25

# The figures the runs file's block quotes (training held out, 466 rows): (median %, within 6%, beyond 25%).
NOW = ("5.29", 250, 35)
TE_EVERY_MB_ROW = ("5.38", 250, 39)
TE_HOPPER_MB_ROWS = ("5.29", 251, 39)


def _is_hopper(row: dict[str, str]) -> bool:
    return row["hardware"].startswith(("h100", "h200"))


def _judged(row: dict[str, str]) -> tuple[float, bool]:
    res = reproduce(row)
    return res.error, res.fitted


@pytest.fixture(scope="module")
def errors() -> dict[str, dict[str, tuple[float, bool]]]:
    """{'now' | 'te': {id: (error, fitted)}}: 'te' holds the Megatron-Bridge rows ('mb*') with te_cross_entropy 1.
    The record was made before rtrn2 (2026-12-06) set Trainium1's link: replayed at the cells before it
    (conftest.trn1_link_before_rtrn2_ctx; its 466-row figures, 5.29% / 250 / 35 here, are 5.24% / 253 / 34 since)."""
    from conftest import trn1_link_before_rtrn2_ctx

    with trn1_link_before_rtrn2_ctx():
        now = {r.id: (r.error, r.fitted) for r in validate_report().runs}
        te = {r["id"]: _judged({**r, "te_cross_entropy": "1"}) for r in ROWS if r["id"].startswith("mb")}
    return {"now": now, "te": te}


def _figures(errs: dict[str, tuple[float, bool]]) -> tuple[str, int, int]:
    held = [abs(e) for e, fitted in errs.values() if not fitted]
    assert len(held) == 466
    return (f"{100 * statistics.median(held):.2f}", sum(x <= 0.06 for x in held), sum(x > BOUND for x in held))


def test_the_megatron_bridge_rows_run_the_default_loss_cell() -> None:
    # the rows the lead would flag: no eager loss cell (that charge is PyTorch's eager passes, not a fused kernel)
    mb = [r for r in ROWS if r["id"].startswith("mb")]
    assert len(mb) > 100 and not any((r.get("eager_cross_entropy") or "").strip() for r in mb)
    assert MODEL_CE_BYTES / (C.TE_CE_FWD_BYTES + C.TE_CE_BWD_BYTES) == 4.0


def test_the_fp8_70b_rows_move_about_a_point_and_stay_slow(errors: dict[str, Any]) -> None:
    for rid in FP8_70B:
        before, after = errors["now"][rid][0], errors["te"][rid][0]
        assert 0.005 <= before - after <= 0.015 and after > 0.15, (rid, before, after)


def test_the_h100_gptoss_rows_cross_the_bound(errors: dict[str, Any]) -> None:
    for rid in GPTOSS_H100:
        before, after = errors["now"][rid][0], errors["te"][rid][0]
        assert -BOUND <= before < 0 and after < -BOUND, (rid, before, after)


def test_the_held_out_figures(errors: dict[str, Any]) -> None:
    now, te = errors["now"], errors["te"]
    assert _figures(now) == NOW
    assert _figures({**now, **te}) == TE_EVERY_MB_ROW  # the median grows: not adoptable
    hopper = {rid: v for rid, v in te.items() if _is_hopper(BY_ID[rid])}
    assert _figures({**now, **hopper}) == TE_HOPPER_MB_ROWS  # narrowed to Hopper: the same four rows cross
    crossed = sorted(rid for rid, (e, fitted) in te.items() if not fitted and abs(e) > BOUND >= abs(now[rid][0]))
    assert crossed == sorted(GPTOSS_H100)


def test_an_adoption_would_move_the_blackwell_fp8_fit_rows(errors: dict[str, Any]) -> None:
    for rid in BLACKWELL_FP8_FIT:
        assert errors["now"][rid][1] and abs(errors["te"][rid][0] - errors["now"][rid][0]) > 0.001, rid


def _span(errs: list[float]) -> str:
    """'-22.4 .. -24.8%': the smallest and the largest |error|, as the block writes them."""
    lo, hi = sorted(errs, key=abs)[0], sorted(errs, key=abs)[-1]
    return f"{100 * lo:+.1f} .. {100 * hi:+.1f}%"


def test_the_runs_file_block_as_quoted(errors: dict[str, Any]) -> None:
    text = " ".join(line.lstrip("# ").strip() for line in RUNS_FILE.read_text(encoding="utf-8").splitlines()
                    if line.startswith("#"))
    now, te = errors["now"], errors["te"]
    assert (f"median goes {NOW[0]}% -> {TE_EVERY_MB_ROW[0]}% over 466 (within 6% {NOW[1]} -> {TE_EVERY_MB_ROW[1]}, "
            f"beyond 25% {NOW[2]} -> {TE_EVERY_MB_ROW[2]})") in text
    g_now, g_te = ([d[rid][0] for rid in GPTOSS_H100] for d in (now, te))
    assert f"26.02 .. 26.04.01 ({_span(g_now)}) cross to {_span(g_te)}" in text
    l_now, l_te = ([d[rid][0] for rid in FP8_70B] for d in (now, te))
    assert f"move about a point ({_span(l_now)} -> {_span(l_te)})" in text
    assert f"Hopper mb rows only: median {TE_HOPPER_MB_ROWS[0]}% (within 6% {TE_HOPPER_MB_ROWS[1]})" in text
