"""amd-instinct-cdna3's held-out rows (issue 10; the weak family, 8.58% over 18): what they share, and what that
shared gap does to amd-mi300x-llama2-7b-fp8 (UNEXPLAINED in tests/test_row_notes_checked.py). rmisc, s32, 2026-12-05.

The family's Infinity Hub v25.2 tables (AMD's ROCm PyTorch Training Container README; runs-file block 'AMD Instinct,
Infinity Hub pytorch-training tables') publish each model, device and sequence in BF16 and in FP8. Every BF16 row is
within 3% and every FP8 twin too fast by 8-11%: in all six pairs the model's BF16 / FP8 step ratio (the speed FP8
buys) is 1.08-1.12x the published one. What the pairs share is the FP8 part of the step, whose GEMM rate is DERIVED
(calibration.toml [family.amd-instinct-cdna3] fp8_derived_from: the bf16 fit x AMD's MAF FP8 / BF16 fractions of peak,
measured with a pre-release hipBLASLt branch, db8e93b 'a target for the ROCm 6.5 GA software release', ROCm blog
'Measuring Max-Achievable FLOPs - Part 2' Appendix B); the declared fp8 fit on the FP8 twin of the bf16 fit row was
REJECTED (2026-12-03, amdfit: its optimum on the grid floor). The figures below are read at other fp8 values on a
scratch calibration, not adopted: the Infinity Hub fit row's own zero, and the value amd-mi300x-llama2-7b-fp8 needs.

Tolerance: the quoted digits (ratios to 0.01, errors to 0.1 point, fp8 values to 0.001 by bisection to 1e-4).
"""

from __future__ import annotations

from dataclasses import replace

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.validation import read_runs, reproduce

ROWS = {r["id"]: r for r in read_runs()}
FAMILY = "amd-instinct-cdna3"
LLAMA2 = "amd-mi300x-llama2-7b-fp8"
IH_FP8_FIT = "amd-ih-mi300x-llama31-8b-fp8-s8192"  # the FP8 twin of the bf16 fit row (amdfit's declared fit row)
PAIRS = [(f"amd-ih-{d}-{m}-bf16-{s}", f"amd-ih-{d}-{m}-fp8-{s}") for d, m, s in (
    ("mi300x", "llama31-8b", "s8192"), ("mi300x", "llama31-8b", "s4096"), ("mi300x", "mistral-7b", "s8192"),
    ("mi325x", "llama31-8b", "s8192"), ("mi325x", "llama31-8b", "s4096"), ("mi325x", "mistral-7b", "s8192"))]
_CALS = load_calibrations()


def error_at_fp8(run_id: str, fp8_eff_max: float) -> float:
    """The row's signed error with the family's fp8_matmul_eff_max replaced (every other value as bundled)."""
    cals = dict(_CALS)
    cals[FAMILY] = replace(_CALS[FAMILY], fp8_matmul_eff_max=fp8_eff_max)
    return reproduce(ROWS[run_id], cals).error


def bisect_fp8(run_id: str, target: float, lo: float, hi: float) -> float:
    """The fp8 value at which the row's error crosses `target` (error falls as the value rises), to 1e-4."""
    assert error_at_fp8(run_id, lo) > target > error_at_fp8(run_id, hi)
    while hi - lo > 1e-4:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if error_at_fp8(run_id, mid) > target else (lo, mid)
    return lo


def pair_figures() -> dict[str, float]:
    results = {rid: reproduce(ROWS[rid]) for pair in PAIRS for rid in pair}
    excess = [(results[b].predicted_step_s / results[f].predicted_step_s)
              / (results[b].published_step_s / results[f].published_step_s) for b, f in PAIRS]
    return {"excess_min": min(excess), "excess_max": max(excess),
            "bf16_worst": max(abs(results[b].error) for b, _ in PAIRS),
            "fp8_least": max(results[f].error for _, f in PAIRS), "fp8_most": min(results[f].error for _, f in PAIRS)}


def test_the_six_infinity_hub_pairs_differ_in_the_fp8_part_only() -> None:
    """BF16 within 2.7%, FP8 -7.9 .. -10.9%: the model's BF16 / FP8 ratio is 1.08-1.12x the published in each pair."""
    assert all(not reproduce(ROWS[f]).fitted for _, f in PAIRS)
    p = pair_figures()
    assert (round(p["excess_min"], 2), round(p["excess_max"], 2)) == (1.08, 1.12)
    assert round(100 * p["bf16_worst"], 1) == 2.7
    assert (round(100 * p["fp8_least"], 1), round(100 * p["fp8_most"], 1)) == (-7.9, -10.9)


def test_one_fp8_rate_for_the_family_leaves_the_llama2_log_row_within_25pct() -> None:
    """At the bundled derived 0.36 the Llama 2 log row is -27.8%; it comes within 25% at 0.342 or less (894 TFLOP/s
    of the 2614.9 peak, 0.70 of the MAF 1273); the Infinity Hub FP8 fit row's own zero is at 0.305, where the log row
    is -18.2%: a family FP8 rate that carried the Infinity Hub rows would carry this one within 25%, with an 18%
    remainder of its own stack (the Primus twin: tests/test_amd_llama2_primus_twin.py)."""
    assert _CALS[FAMILY].fp8_matmul_eff_max == 0.36
    assert round(100 * error_at_fp8(LLAMA2, 0.36), 1) == -27.8
    bound = bisect_fp8(LLAMA2, -0.25, 0.30, 0.36)
    assert round(bound, 3) == 0.342
    peak = get_device("mi300x").peak_flop_per_s["fp8"]
    assert round(bound * peak / 1e12) == 894 and round(bound * peak / 1273e12, 2) == 0.70
    zero = bisect_fp8(IH_FP8_FIT, 0.0, 0.30, 0.32)
    assert round(zero, 3) == 0.305
    assert round(100 * error_at_fp8(LLAMA2, zero), 1) == -18.2


def test_the_entry_quotes_these_figures() -> None:
    from test_row_notes_checked import _RMISC32_AMD, UNEXPLAINED  # tests/ is on sys.path

    p = pair_figures()
    zero = bisect_fp8(IH_FP8_FIT, 0.0, 0.30, 0.32)
    quoted = [f"{p['excess_min']:.2f}-{p['excess_max']:.2f}x the published",
              f"at {bisect_fp8(LLAMA2, -0.25, 0.30, 0.36):.3f} or less", f"zero at {zero:.3f}",
              f"this row is at {100 * error_at_fp8(LLAMA2, zero):.1f}%"]
    text = " ".join(_RMISC32_AMD.split())
    assert all(q in text for q in quoted), [q for q in quoted if q not in text]
    assert text in " ".join(UNEXPLAINED[LLAMA2].split())
