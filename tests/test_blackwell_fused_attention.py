"""The fused attention core at its device's measured cuDNN rates (rblackwell, 2026-12-05, issue 10; r405's lead,
adopted).

A run whose attention kernel is 'fused' (cuDNN's scaled dot product attention through Transformer Engine: the runs
file's blank attention_kernel cell) ran its attention core on the 16-bit GEMM curve (0.74 of the bf16 peak on
nvidia-blackwell). cuDNN's own benchmark measures that core below the curve on every Blackwell device it covers, and
differently per device; the catalog now holds those measurements (measured_fused_attention_flop_per_s, sources
cudnn-sdpa-b200 / -gb200 / -gb300 of nvidia_datacenter.toml):
- B200: cuDNN 9.10.2, NVIDIA/cudnn-frontend benchmark/sdpa_benchmark_training/artifacts/
  sdpa_bf16_benchmark_results_NVIDIA_B200.csv at cb560b92882357764b874dc3be2c469a488a94a7 (batch 1, 8192 x 8192,
  128 query / 8 KV heads, head dim 128, causal): forward / backward 1197.4 / 940.0 TFLOP/s;
- GB200 / GB300: cuDNN 9.18.1, results/gb200_918_only_cudnn/llama3.1_20260126_110503.csv (commit 9072c4e) and
  results/gb300_918_only_cudnn/llama3.1_20260126_110426.csv (commit b8c0656), 8192 causal, bf16, 64 / 8 heads:
  1563 / 1279 and 1927 / 1391 TFLOP/s (GB300's row: fwd_time_ms 0.571, bwd_time_ms 1.976);
- B300 (and B100): no measurement (cudnn-frontend's stored b300 results are DeepSeek-V4 / Kimi-K3 / DiT shapes, no
  llama3.1 row), so its core stays on the curve and `plan explain` says so.
calibration.with_fused_attention turns them into fractions of the device's 16-bit peak; the Blackwell fp8 rule was
re-run as calibration.toml declares it (fit_fp8_eff_max on its three fit rows: 0.46 -> 0.50;
tests/test_calibration_fits.py). Tolerance: the quoted digits (a fraction to 0.001, a percentage to 0.01 point, a
row's error to 0.1 point).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import calibration as calmod
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import attention_bwd_time_ratio, attention_kernel_bwd_rate, attention_kernel_rate
from accelopt.predict.validation import read_runs, reproduce


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

# (forward, backward) FLOP/s as the cited CSV rows print them (sources: the module docstring)
CUDNN_MEASURED_FLOP_PER_S = {"b200": (1197.391e12, 939.954e12), "gb200": (1563e12, 1279e12),
                             "gb300": (1927e12, 1391e12)}
GB300_FWD_BWD_MS = (0.571, 1.976)
ROWS_R405 = ("mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-fp8", "mb260201-gb300-llama31-405b-fp8",
             "mb2604-gb300-llama31-405b-fp8", "mb260401-gb300-llama31-405b-fp8", "mb2606-gb300-llama31-405b-fp8")
RECOMPUTED_IDS = frozenset(ROWS_R405[:3])
"""The three GB300 rows the change brought within 25% (no longer in UNEXPLAINED)."""


def test_the_catalog_holds_the_cited_rates() -> None:
    """Each measured device's catalog entry is the CSV row, with its source; B300 has none."""
    for dev, rates in CUDNN_MEASURED_FLOP_PER_S.items():
        spec = get_device(dev)
        assert (spec.measured_fused_attention_flop_per_s["forward"],
                spec.measured_fused_attention_flop_per_s["backward"]) == rates
        assert "NVIDIA/cudnn-frontend" in spec.sources["measured_fused_attention_flop_per_s.forward"]
    assert not get_device("b300").measured_fused_attention_flop_per_s


def test_the_gb300_rates_are_the_scripts_flop_count() -> None:
    """64 heads x 4 x 8192^2 x 128 / 2 (the causal half, FlashAttention's count) over the row's times, the backward
    2.5x that work: within 0.2% of the printed TFLOP/s the catalog holds (it read this file's own constants, a check
    of literals only)."""
    fwd_flops = 64 * 4 * 8192**2 * 128 / 2
    fwd_ms, bwd_ms = GB300_FWD_BWD_MS
    rates = get_device("gb300").measured_fused_attention_flop_per_s
    assert fwd_flops / (fwd_ms * 1e-3) == pytest.approx(rates["forward"], rel=2e-3)
    assert 2.5 * fwd_flops / (bwd_ms * 1e-3) == pytest.approx(rates["backward"], rel=2e-3)


def test_each_device_runs_its_fused_core_at_its_own_measured_rate() -> None:
    """The fractions of the bf16 peak (B200 2.25, GB200 / GB300 2.5 PFLOP/s) the model charges for 'fused', against
    the curve's 0.74; a device without a measurement (B300; H100 before rhopperadopt) keeps the curve (rate 0) and its
    calibration says so; flash2 / unfused are not touched."""
    got = {}
    for dev in (*CUDNN_MEASURED_FLOP_PER_S, "b300", "h100-sxm"):
        cal = calibration_for(get_device(dev))
        got[dev] = (round(attention_kernel_rate("fused", cal), 3), round(attention_kernel_bwd_rate("fused", cal), 3))
        assert attention_kernel_rate("unfused", cal) == 0.0
        assert attention_kernel_rate("flash2", cal) == cal.flash2_attention_eff
        if got[dev] == (0.0, 0.0):
            assert cal.fused_attention_basis.startswith(f"no measured fused-attention rate of {dev} ")
        else:
            # h100-sxm 'derived' since rvgb300 (2026-12-05; 'measured' before): H200's run carried over
            word = "derived" if dev == "h100-sxm" else "measured"
            assert f"{word} rates on {dev}" in cal.fused_attention_basis and "cudnn-frontend" in \
                cal.fused_attention_basis
    # h100-sxm (0.0, 0.0) before rhopperadopt (2026-12-05): cuDNN's H200 run, 644 / 541 of 989.5 TFLOP/s
    assert got == {"b200": (0.532, 0.418), "gb200": (0.625, 0.512), "gb300": (0.771, 0.556), "b300": (0.0, 0.0),
                   "h100-sxm": (0.651, 0.547)}
    assert load_calibrations()["nvidia-blackwell"].matmul_eff_max == 0.74
    # the backward: 2.5x the forward's work at its own rate, 2.5 x 0.771 / 0.556 = 3.46x the forward's time on GB300
    assert float(attention_bwd_time_ratio("fused", calibration_for(get_device("gb300")))) == pytest.approx(
        2.5 * 1927 / 1391, rel=1e-9)


def _spec(**rates: float) -> AcceleratorSpec:
    base = get_device("gb300")
    return AcceleratorSpec(**{**base.to_dict(), "measured_fused_attention_flop_per_s": rates})


@pytest.mark.parametrize(("rates", "says"), [
    ({"forward": 1.9e15}, "gives forward only"),
    ({"forward": 1.9e15, "backward": 1.4e15, "bwd": 1.0}, "unknown key 'bwd'"),
    ({"forward": 3e15, "backward": 1.4e15}, "at most the device's 16-bit peak"),
])
def test_a_bad_measurement_names_the_problem(rates: dict[str, float], says: str) -> None:
    with pytest.raises(InputError, match=says):
        _spec(**rates)


def test_a_rate_on_a_device_without_a_16_bit_peak_says_so() -> None:
    """The message named the peak as '(None)'; it says the device lists none."""
    base = get_device("gb300")
    peaks = {d: v for d, v in base.peak_flop_per_s.items() if d not in ("bf16", "fp16")}
    with pytest.raises(InputError, match="lists no bf16 or fp16 peak") as e:
        AcceleratorSpec(**{**base.to_dict(), "peak_flop_per_s": peaks,
                           "measured_fused_attention_flop_per_s": {"forward": 1.9e15, "backward": 1.4e15}})
    assert "None" not in str(e.value)


def test_plan_explain_prints_the_rate_and_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain` on GB300: the fused core's rates in the header and a note with the source; on B300 the note
    says the core stays on the GEMM curve, a default."""
    base = ["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--tp", "1", "--pp", "1", "--zero", "3",
            "--json"]
    for dev, want in (("gb300", "attention core (fused kernel) at 0.771 (forward) / 0.556 (backward) x the 16-bit "
                                "peak: the fused kernel's measured rates on gb300, 1927 / 1391 TFLOP/s"),
                      ("b300", "attention core (fused kernel): no measured fused-attention rate of b300")):
        code, out, err = run_main([*base, "--hardware", dev], capsys)
        assert code == 0, err
        notes = json.loads(out)["notes"]
        assert any(n.startswith(want) for n in notes), notes
    code, out, err = run_main([*base[:-1], "--hardware", "gb300"], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    assert "fused attention at 0.771 (forward) / 0.556 (backward) x peak, measured" in text
    assert "cudnn-frontend" in text


@pytest.fixture(scope="module")
def before_after() -> Iterator[dict[str, tuple[float, float, bool]]]:
    """{row id: (error before, error now, fitted)} over every bundled training row, 'before' being the model as it
    was: every fused core on the GEMM curve (no device's measurement applied) and the fp8 rule's previous 0.46.
    'Now' is this change alone (rblackwell's): since rhopperadopt (2026-12-05) the Hopper devices' measured rates and
    the Hopper re-runs (0.60 -> 0.58, maxtext 0.54 -> 0.52) are left out of both sides, so the figures stay this
    change's (tests/test_hopper_fused_attention.py measures that one); so are rgb300's rates under a cuDNN release
    before 9.17 (2026-12-05, the cudnn_before_9_17 cell: tests/test_cudnn_before_917.py)."""
    cals = load_calibrations()
    hop = cals["nvidia-hopper"]
    undo = {0.58: 0.60, 0.52: 0.54}
    stacks = {k: calmod.replace(c, matmul_eff_max=undo.get(c.matmul_eff_max, c.matmul_eff_max))
              for k, c in hop.stacks.items()}
    base = {**cals, "nvidia-hopper": calmod.replace(hop, matmul_eff_max=0.60, stacks=stacks)}
    rows = read_runs()
    orig = calmod.with_fused_attention
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(calmod, "with_fused_attention",
                   lambda cal, spec, **kw: orig(cal, spec) if cal.family == "nvidia-blackwell" else cal)
        now = {r["id"]: reproduce(r, base) for r in rows}
        mp.setattr(calmod, "with_fused_attention", lambda cal, spec, **kw: cal)
        old = {**base, "nvidia-blackwell": calmod.replace(cals["nvidia-blackwell"], fp8_matmul_eff_max=0.46)}
        yield {r["id"]: (reproduce(r, old).error, now[r["id"]].error, now[r["id"]].fitted) for r in rows}
    finally:
        mp.undo()


def _figures(errs: list[float]) -> str:
    a = [abs(e) for e in errs]
    return (f"{100 * statistics.median(a):.2f}%, {sum(e <= 0.06 for e in a)} within 6%, "
            f"{sum(e > 0.25 for e in a)} beyond 25%")


def test_the_held_out_figures_before_and_after(before_after: dict[str, tuple[float, float, bool]]) -> None:
    """Held-out median / within 6% / beyond 25% before and after, the nvidia-blackwell family's median and the
    FP8 rows' (worse by 0.03 point, as r405 measured), as calibration.toml and the notes quote them."""
    held = {rid: v for rid, v in before_after.items() if not v[2]}
    # 46 -> 42 beyond 25% when measured on its own; 45 -> 41 over rtpuaxis's TPU ICI axis shares (merged the same day)
    # 2026-12-05 (s32 merge): 5.73% / 239 / 45 -> 5.64% / 240 / 42 before and 5.58% / 242 / 41 -> 5.56% / 243 / 38
    # after, moved by later changes to other rows (rhopperadopt2's Hopper rates, rmegablox's megablox width rate,
    # utcat's GB300 DeepSeek-V3 recompute cells, ryarn2's rope_fusion cells); the family's 8.01 -> 7.84% became
    # 8.44 -> 7.91% by the same changes (its GB300 DeepSeek-V3 and GPT-OSS rows), the FP8 rows' 6.77 -> 6.80% (0.03
    # point worse) 6.86 -> 6.86%
    # 2026-12-06 (rtrn2, Trainium1's link at NCCOM-TEST's measured bus bandwidth, Trn1 rows only): the
    # before figures were 5.64 / 240 / 42, the after ones 5.56 / 243 / 38
    assert _figures([v[0] for v in held.values()]) == "5.53%, 243 within 6%, 41 beyond 25%"
    assert _figures([v[1] for v in held.values()]) == "5.52%, 246 within 6%, 37 beyond 25%"
    fams = {r["id"]: reproduce(r).family for r in read_runs()}
    bw = [v for rid, v in held.items() if fams[rid] == "nvidia-blackwell"]
    assert (len(bw), round(100 * statistics.median(abs(v[0]) for v in bw), 2),
            round(100 * statistics.median(abs(v[1]) for v in bw), 2)) == (162, 8.44, 7.91)
    dtypes = {r["id"]: r["dtype"] for r in read_runs()}
    fp8 = [v for rid, v in held.items() if dtypes[rid] == "fp8"]
    assert (len(fp8), round(100 * statistics.median(abs(v[0]) for v in fp8), 2),
            round(100 * statistics.median(abs(v[1]) for v in fp8), 2)) == (204, 6.86, 6.86)
    others = {rid for rid, v in held.items() if fams[rid] != "nvidia-blackwell" and abs(v[0] - v[1]) > 1e-12}
    assert others == set()  # no other family's row moved


EXPECTED_MOVES = {"mb-gb300-llama31-405b": "+27.9% -> +20.8%", "mb2602-gb300-llama31-405b-fp8": "+30.8% -> +23.7%",
                  "mb260201-gb300-llama31-405b-fp8": "+31.1% -> +23.8%",
                  "mb2604-gb300-llama31-405b-fp8": "+37.1% -> +29.8%",
                  "mb260401-gb300-llama31-405b-fp8": "+35.5% -> +28.3%",
                  "mb2606-gb300-llama31-405b-fp8": "+38.7% -> +31.3%"}
OTHERS = {"mb2602-gb200-llama31-405b-fp8": "+10.1% -> +4.5%", "mb2606-gb200-llama31-405b-fp8": "+17.1% -> +11.1%",
          "nemo2502-b200-mixtral-8x22b": "-29.1% -> -22.0%", "nemo2504-gb200-mixtral-8x22b": "-33.6% -> -28.7%",
          "mb2509-gb200-llama31-405b": "-4.6% -> -9.6%", "mb-b200-llama3-8b": "+0.2% -> +4.4%"}
"""The GB200 twins of two of the six, the two Mixtral-8x22B rows, the held-out row and the fit row moved most the
other way."""


def test_the_six_rows_and_the_others_moved_as_quoted(before_after: dict[str, tuple[float, float, bool]]) -> None:
    got = {rid: f"{100 * before_after[rid][0]:+.1f}% -> {100 * before_after[rid][1]:+.1f}%"
           for rid in (*EXPECTED_MOVES, *OTHERS)}
    assert got == {**EXPECTED_MOVES, **OTHERS}
    left = sorted(rid for rid, v in before_after.items() if abs(v[0]) > 0.25 >= abs(v[1]))
    assert left == ["mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-fp8", "mb260201-gb300-llama31-405b-fp8",
                    "nemo2502-b200-mixtral-8x22b"]
    assert sorted(RECOMPUTED_IDS) == left[:3]
