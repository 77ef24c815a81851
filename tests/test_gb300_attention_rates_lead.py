"""The six GB300 Llama 3.1 405B FP8-CS rows predicted 28-39% too slow (r405, 2026-12-05, issue 10): a lead measured,
not adopted.

What the model charges these rows: the busiest stage's forward + backward compute alone exceeds the published step
(tests/test_big405_gb300_rows.py), its linear layers at the Blackwell fp8 rule's 0.46 of the FP8 peak, while the
fused attention core (cuDNN through Transformer Engine: the rows' attention_kernel cell is blank = fused) runs on the
16-bit GEMM curve (0.74 of the bf16 peak). cuDNN's own measured rates for that core are below the curve on every
Blackwell device that has one, and differ by device:
- B200: cuDNN 9.10.2, NVIDIA/cudnn-frontend benchmark/sdpa_benchmark_training/artifacts/
  sdpa_bf16_benchmark_results_NVIDIA_B200.csv at cb560b92882357764b874dc3be2c469a488a94a7 (the pyt_cudnn row of batch
  1, 8192 x 8192, 128 query / 8 KV heads, head dim 128, causal): forward / backward 1197.4 / 940.0 TFLOP/s (the figures
  tests/test_validate_unseen_runs.py quotes for moenemo's single-rate trial);
- GB200 / GB300: cuDNN 9.18.1, results/gb200_918_only_cudnn/llama3.1_20260126_110503.csv (commit 9072c4e) and
  results/gb300_918_only_cudnn/llama3.1_20260126_110426.csv (commit b8c0656), 8192 causal, bf16: 1563 / 1279 and
  1927 / 1391 TFLOP/s (the figures tests/test_big405_gb300_rows.py quotes);
- B300: no measurement (its core stays on the curve in the trial).
big405 put the GB300 rates into these rows alone, without the declared re-fit, and they got slower; moenemo put
B200's rate into every Blackwell row and re-ran the fp8 rule (0.46 -> 0.52), which worsened the held-out median
(5.73% -> 5.79%). The trial here puts each device's own measured rate into its rows and re-runs the fp8 rule as
calibration.toml declares it (fit_fp8_eff_max on its three fit rows, nothing else re-fitted). Every figure the six
rows' UNEXPLAINED entries quote from it is recomputed below. Tolerance: the quoted digits (a percentage to 0.01 point,
a row's error to 0.1 point, the re-fit value exactly on the 0.02 grid).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterator

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import compute
from accelopt.predict.calibration import Calibration, load_calibrations
from accelopt.predict.validation import fit_fp8_eff_max, read_runs, reproduce

# (forward, backward) FLOP/s of cuDNN's fused causal attention at 8192 x 8192 (sources: the module docstring)
CUDNN_MEASURED_FLOP_PER_S = {"b200": (1197.391e12, 939.954e12), "gb200": (1563e12, 1279e12),
                             "gb300": (1927e12, 1391e12)}
ROWS_R405 = ("mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-fp8", "mb260201-gb300-llama31-405b-fp8",
             "mb2604-gb300-llama31-405b-fp8", "mb260401-gb300-llama31-405b-fp8", "mb2606-gb300-llama31-405b-fp8")
_SCALED_TO = re.compile(r"scaled to (\w+)")


def _device_of(cal: Calibration) -> str:
    """The device a device-scaled Blackwell calibration was made for: device_scaled writes 'scaled to X' or 'not
    scaled to X' into its notes; the reference device (b200) keeps the family's values and no note."""
    m = _SCALED_TO.search(cal.device_note_fp8 or cal.device_note)
    return m.group(1) if m else cal.reference_device


def _fraction(dev: str, i: int) -> float:
    peak = get_device(dev).peak("bf16")
    assert peak is not None
    return CUDNN_MEASURED_FLOP_PER_S[dev][i] / peak


@pytest.fixture(scope="module")
def trial() -> Iterator[dict[str, tuple[float, float, bool]]]:
    """{row id: (error now, error in the trial, fitted)} over every bundled training row, and the re-fit value under
    the key 'refit' (as (before, after, False))."""
    mp = pytest.MonkeyPatch()
    rate0, bwd0 = compute.attention_kernel_rate, compute.attention_kernel_bwd_rate
    cals = load_calibrations()
    rows = read_runs()
    before = {r["id"]: reproduce(r, cals) for r in rows}

    def measured(kernel: str, cal: Calibration, i: int, orig: Callable[[str, Calibration], float]) -> float:
        dev = _device_of(cal)
        if kernel == "fused" and cal.family == "nvidia-blackwell" and dev in CUDNN_MEASURED_FLOP_PER_S:
            return _fraction(dev, i)
        return orig(kernel, cal)

    mp.setattr(compute, "attention_kernel_rate", lambda k, cal: measured(k, cal, 0, rate0))
    mp.setattr(compute, "attention_kernel_bwd_rate", lambda k, cal: measured(k, cal, 1, bwd0))
    try:
        fam = cals["nvidia-blackwell"]
        refit = fit_fp8_eff_max("nvidia-blackwell", list(fam.fp8_fitted_on))
        trial_cals = {**cals, "nvidia-blackwell": refit}
        out = {r["id"]: (before[r["id"]].error, reproduce(r, trial_cals).error, before[r["id"]].fitted) for r in rows}
        out["refit"] = (fam.fp8_matmul_eff_max, refit.fp8_matmul_eff_max, False)
        yield out
    finally:
        mp.undo()


def _figures(errs: list[float]) -> str:
    a = [abs(e) for e in errs]
    return (f"{100 * statistics.median(a):.2f}%, {sum(e <= 0.06 for e in a)} within 6%, "
            f"{sum(e > 0.25 for e in a)} beyond 25%")


def test_the_measured_rates_are_below_the_gemm_curve_and_differ_by_device() -> None:
    """The cited rates as fractions of each device's bf16 peak (B200 2.25, GB200 / GB300 2.5 PFLOP/s), against the
    curve's 0.74: the core is slower than the model charges on every measured device, least so on GB300's forward
    (Blackwell Ultra's doubled exponent rate)."""
    got = {d: (round(_fraction(d, 0), 3), round(_fraction(d, 1), 3)) for d in CUDNN_MEASURED_FLOP_PER_S}
    assert got == {"b200": (0.532, 0.418), "gb200": (0.625, 0.512), "gb300": (0.771, 0.556)}
    assert load_calibrations()["nvidia-blackwell"].matmul_eff_max == 0.74


# cuDNN 9.22 (backend 92200, frontend 1.21.1) on GB300, NVIDIA/cudnn-frontend benchmark/sdpa_benchmark_training/
# results/llama3.1/gb300/llama3.1_20260424_100757.csv (commit 60e572b7c8fe1976631af4141f307900ef17cad5): bfloat16,
# top_left, batch 2, 8192 x 8192, 64 / 8 heads, head dim 128, non-deterministic backward: fwd / bwd TFLOP/s.
CUDNN_922_GB300_FLOP_PER_S = (1856e12, 1435e12)


def test_the_gb300_rates_hold_across_cudnn_versions() -> None:
    """The entries: a later cuDNN on GB300 measures the same core within 4% (so which version a release's container
    ran moves the trial little)."""
    for new, old in zip(CUDNN_922_GB300_FLOP_PER_S, CUDNN_MEASURED_FLOP_PER_S["gb300"], strict=True):
        assert abs(new / old - 1) < 0.04
    from test_row_notes_checked import UNEXPLAINED  # tests/ is on sys.path (pytest's rootdir import)

    for rid in ROWS_R405:
        assert "9.22 on GB300, results/llama3.1/gb300 of 2026-04-24: 1856 / 1435, within 4%" in " ".join(
            UNEXPLAINED[rid].split())


def test_the_trial_refit_and_held_out_figures(trial: dict[str, tuple[float, float, bool]]) -> None:
    """The declared fp8 rule re-run under the trial gives 0.50; held-out median / within 6% / beyond 25% before and
    after, and the nvidia-blackwell family's median, as the entries quote them."""
    assert trial["refit"][:2] == (0.46, 0.50)
    held = {rid: v for rid, v in trial.items() if rid != "refit" and not v[2]}
    # 2026-12-05 (rtpuaxis: TPU ICI axis shares): 46 -> 45 beyond 25% before the trial
    assert _figures([v[0] for v in held.values()]) == "5.73%, 239 within 6%, 45 beyond 25%"
    # 2026-12-05 (moeopt): 241 -> 242 within 6% under the trial, the experts' optimizer step over their
    # expert-data-parallel group
    assert _figures([v[1] for v in held.values()]) == "5.58%, 242 within 6%, 41 beyond 25%"  # 42 before rtpuaxis
    fams = {r["id"]: reproduce(r).family for r in read_runs()}
    bw = [v for rid, v in held.items() if fams[rid] == "nvidia-blackwell"]
    assert (len(bw), round(100 * statistics.median(abs(v[0]) for v in bw), 2),
            round(100 * statistics.median(abs(v[1]) for v in bw), 2)) == (162, 8.01, 7.84)  # 8.0, 7.81 before moeopt
    dtypes = {r["id"]: r["dtype"] for r in read_runs()}
    fp8 = [v for rid, v in held.items() if dtypes[rid] == "fp8"]
    assert (len(fp8), round(100 * statistics.median(abs(v[0]) for v in fp8), 2),
            round(100 * statistics.median(abs(v[1]) for v in fp8), 2)) == (204, 6.77, 6.8)  # 6.85 before moeopt


EXPECTED_MOVES = {"mb-gb300-llama31-405b": "+27.9% -> +20.8%", "mb2602-gb300-llama31-405b-fp8": "+30.8% -> +23.7%",
                  "mb260201-gb300-llama31-405b-fp8": "+31.1% -> +23.8%",
                  "mb2604-gb300-llama31-405b-fp8": "+37.1% -> +29.8%",
                  "mb260401-gb300-llama31-405b-fp8": "+35.5% -> +28.3%",
                  "mb2606-gb300-llama31-405b-fp8": "+38.7% -> +31.3%"}
# 2026-12-05 (moeopt): nemo2502-b200-mixtral-8x22b -29.2% -> -29.1% before the trial, the experts' optimizer step
OTHERS = {"mb2602-gb200-llama31-405b-fp8": "+10.1% -> +4.5%", "mb2606-gb200-llama31-405b-fp8": "+17.1% -> +11.1%",
          "nemo2502-b200-mixtral-8x22b": "-29.1% -> -22.0%", "mb2509-gb200-llama31-405b": "-4.6% -> -9.6%",
          "mb-b200-llama3-8b": "+0.2% -> +4.4%"}
"""The GB200 twins of two of the six, the other row that leaves 25%, the held-out row and the fit row moved most the
other way."""


def test_the_six_rows_and_the_others_moved_as_quoted(trial: dict[str, tuple[float, float, bool]]) -> None:
    got = {rid: f"{100 * trial[rid][0]:+.1f}% -> {100 * trial[rid][1]:+.1f}%" for rid in (*EXPECTED_MOVES, *OTHERS)}
    assert got == {**EXPECTED_MOVES, **OTHERS}
    beyond = sorted(rid for rid, v in trial.items() if rid != "refit" and abs(v[0]) > 0.25 >= abs(v[1]))
    assert beyond == ["mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-fp8", "mb260201-gb300-llama31-405b-fp8",
                      "nemo2502-b200-mixtral-8x22b"]


@pytest.mark.parametrize("rid", ROWS_R405)
def test_each_unexplained_entry_quotes_the_lead(rid: str) -> None:
    from test_row_notes_checked import UNEXPLAINED  # tests/ is on sys.path (pytest's rootdir import)

    entry = " ".join(UNEXPLAINED[rid].split())
    assert "fp8 rule re-run 0.46 -> 0.50" in entry
    assert "held-out median 5.73% -> 5.58%, 239 -> 242 within 6%, 45 -> 41 beyond 25%" in entry
    assert f"this row {EXPECTED_MOVES[rid]}" in entry
    assert "while the held-out FP8 rows' median goes 6.77% -> 6.80%" in entry
