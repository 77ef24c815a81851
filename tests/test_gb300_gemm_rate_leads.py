"""The GB300 Llama 3.1 405B FP8-CS TP 4 rows beyond 25% (mb2604 / mb260401 / mb2606-gb300-llama31-405b-fp8), examined
again for a GB300 GEMM rate (rgb300, session 34, 2026-12-06, issue 10); every figure the UNEXPLAINED entries quote from
this examination (test_row_notes_checked._RGB300_S34) is recomputed here.

1. The clock ceiling. Max graphics clocks as the parts report them: GB300 2070 MHz (facebookexperimental/triton PR
   #2023, 2026-07-14: denoise.sh locks 'the locked 2070 MHz clock' at GB300's 1400 W default and max power limit),
   GB200 2062 MHz and B200 1965 MHz ('device-reported maximum SM clock', the clock-speed table of stas00/ml-engineering
   compute/accelerator/README.md in the version the catalog's mamf-* rows cite, code index id 58395098631, GB300 'not
   disclosed' there; ByteDance-Seed/VeOmni PR #986, 2026-07-28, the same two as 'tensor-core boost clock'); SM counts:
   B200 148 (the catalog), GB200 148 by NVIDIA's own peak (2.5 PFLOP/s dense BF16 = 148 x 8192 x 2.062 GHz; VeOmni
   writes 152), GB300 152 in cuBLASLt's occupancy cap ('the same as GB200's', triton PR #2768) or 148 in a
   FlashAttention-4 analysis's device line (test_row_notes_checked._RGB300_S32). At equal SM counts GB300's tensor
   rate at its max clock is 2070 / 2062 of GB200's; at 152 vs 148, 152 x 2070 / (148 x 2062).
2. The one measured Blackwell pair at one dtype (the MAMF table, the catalog's mamf-b200 / mamf-gb200): B200 and
   GB200 FP8 reach the same fraction of SMs x 16384 FP8 FLOP per clock x max clock, so GB200's measured gain over B200
   is its clock, not its 200 W more; the model already charges GB300 B200's fraction of the datasheet peak (no GB300
   measurement: calibration keeps B200's), x1.055 GB200's FP8 GEMM rate.
3. GB300 GEMM figures found: triton PR #740 (2025-12-17, 'Perf number on GB300', tritonbench gemm, whose Operator's
   DEFAULT_PRECISION is 'fp16', code index id 12666389718; no locked clock shown) aten_matmul at (8192, 8192, K), K
   512 ... 16384; triton PR #2023 'measured cuBLAS GEMM ... ~1600-2174 tflops at 1400 W' at the locked max clock, no
   dtype or shape given. Each is a lower bound on a maximum achievable rate; they disagree by 1.2x.
4. What the rows need: GB300's GEMM efficiencies (16-bit and fp8) times a factor, applied to every GB300 row as
   device_scaled would apply a measured rate; and PR #2023's top figure taken as GB300's measured 16-bit rate through
   device_scaled itself (fp8 then takes the 16-bit ratio, as device_scaled says), sized on the whole runs file.

Tolerance (stated before computing): a ratio or fraction to the digits quoted, a row's error to its 0.1 point, a
held-out median to its 0.01 point, counts exact.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import replace

import pytest
from conftest import trn1_link_before_rtrn2_ctx

from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import calibration as calmod
from accelopt.predict.calibration import device_scaled, load_calibrations
from accelopt.predict.validation import read_runs, reproduce_rows


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): this record was made before the fitted GB300 fp8_device_factor brought the three GB300 TP 4
    rows within 25% (their entries now test_row_notes_checked.GB300_405B_RECORD): replayed at the model before it
    (conftest.gb300_before_gb3_ctx), so its figures stay checked."""

RUNS = read_runs()
GB300_TP4_ROWS = tuple(f"{rel}-gb300-llama31-405b-fp8" for rel in ("mb2604", "mb260401", "mb2606"))
FAMILY = "nvidia-blackwell"

MAX_CLOCK_HZ = {"gb300": 2070e6, "gb200": 2062e6, "b200": 1965e6}  # sources: the module docstring (1)
FP8_FLOP_PER_CLOCK_PER_SM = 16384  # dense; 2 x the 8192 BF16 of VeOmni PR #986 (the datasheet FP8 = 2 x BF16 peaks)
PR740_GB300_ATEN_TFLOPS = (1595.79, 1745.78, 1751.9, 1756.31, 1717.37, 1812.09)  # K = 512 ... 16384, M = N = 8192
PR2023_GB300_CUBLAS_TOP_TFLOPS = 2174.0
NEEDED_FACTOR = 1.065  # the least of 1.06 / 1.065 / 1.07 that brings all three rows within 25%


def _max_clock_peak(name: str, sms: int) -> float:
    return sms * FP8_FLOP_PER_CLOCK_PER_SM * MAX_CLOCK_HZ[name]


def _mamf_fp8(name: str) -> float:
    return get_device(name).measured_matmul_flop_per_s["fp8"]


def _ratio_model_gb300_over_gb200() -> float:
    cal = load_calibrations()[FAMILY]
    r300 = device_scaled(cal, get_device("gb300")).fp8_matmul_eff_max * get_device("gb300").peak("fp8")
    r200 = device_scaled(cal, get_device("gb200")).fp8_matmul_eff_max * get_device("gb200").peak("fp8")
    return r300 / r200


def _model_gb300_16bit_rate() -> float:
    """The 16-bit GEMM rate the model's device scaling implies for GB300: B200's measured fraction of its peak (no
    GB300 measurement, so GB300 keeps the reference device's) times GB300's peak."""
    b200 = get_device("b200")
    return b200.measured_matmul_flop_per_s["bf16"] / b200.peak("bf16") * get_device("gb300").peak("bf16")


def _run(factor: float) -> dict[str, tuple[float, bool]]:
    orig = calmod.with_fused_attention

    def scaled(cal: calmod.Calibration, spec: AcceleratorSpec, **kw: bool) -> calmod.Calibration:
        cal = orig(cal, spec, **kw)
        if spec.name != "gb300":
            return cal
        return calmod.replace(cal, matmul_eff_max=min(1.0, cal.matmul_eff_max * factor),
                              fp8_matmul_eff_max=min(1.0, cal.fp8_matmul_eff_max * factor))

    mp = pytest.MonkeyPatch()
    try:
        if factor != 1.0:
            mp.setattr(calmod, "with_fused_attention", scaled)
        return {r.id: (r.error, r.fitted) for r in reproduce_rows(RUNS)}
    finally:
        mp.undo()


def _held_out(res: dict[str, tuple[float, bool]], only: str = "") -> tuple[str, int, int]:
    errs = [abs(e) for rid, (e, fitted) in res.items() if not fitted and only in rid]
    return f"{100 * statistics.median(errs):.2f}%", sum(e <= 0.06 for e in errs), sum(e > 0.25 for e in errs)


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def pr2023_ratio() -> float:
    return PR2023_GB300_CUBLAS_TOP_TFLOPS * 1e12 / _model_gb300_16bit_rate()


@pytest.fixture(scope="module")
def sized() -> Iterator[dict[float, dict[str, tuple[float, bool]]]]:
    with trn1_link_before_rtrn2_ctx():  # the entries' figures: made before rtrn2 (2026-12-06) moved Trainium1's rows
        got = {f: _run(f) for f in (1.0, 1.06, NEEDED_FACTOR, 1.07, pr2023_ratio())}
    yield got


def clock_sentence() -> str:
    eq = MAX_CLOCK_HZ["gb300"] / MAX_CLOCK_HZ["gb200"]
    uneq = 152 * MAX_CLOCK_HZ["gb300"] / (148 * MAX_CLOCK_HZ["gb200"])
    b200 = _mamf_fp8("b200") / _max_clock_peak("b200", 148)
    gb200 = _mamf_fp8("gb200") / _max_clock_peak("gb200", 148)
    return (f"GB300's tensor rate at its max clock is {eq:.3f}x GB200's at equal SM counts ({uneq:.3f}x at 152 vs "
            f"148); the MAMF table's B200 and GB200 FP8 rows reach {b200:.3f} / {gb200:.3f} of 148 SMs x 16384 FLOP "
            f"x max clock, so GB200's measured gain over B200 ({_mamf_fp8('gb200') / _mamf_fp8('b200'):.3f}x) is its "
            f"clock ({MAX_CLOCK_HZ['gb200'] / MAX_CLOCK_HZ['b200']:.3f}x), not its 200 W more; the model already "
            f"charges GB300 {_ratio_model_gb300_over_gb200():.3f}x GB200's FP8 GEMM rate")


def figures_sentence() -> str:
    top = max(PR740_GB300_ATEN_TFLOPS)
    gb200_bf16 = get_device("gb200").measured_matmul_flop_per_s["bf16"] / 1e12
    model = _model_gb300_16bit_rate() / 1e12
    return (f"PR #740's GB300 aten_matmul table gives {min(PR740_GB300_ATEN_TFLOPS):.0f}-{top:.0f} TFLOP/s, its top "
            f"{top / gb200_bf16:.3f}x GB200's MAMF BF16 ({gb200_bf16:.0f}) and {top / (model):.3f}x the {model:.0f} "
            f"the model charges GB300; PR #2023's {PR2023_GB300_CUBLAS_TOP_TFLOPS:.0f} is {pr2023_ratio():.3f}x it")


def need_sentence(sized: dict[float, dict[str, tuple[float, bool]]]) -> str:
    base, need, top = sized[1.0], sized[NEEDED_FACTOR], sized[pr2023_ratio()]
    rows = " / ".join(_pct(need[r][0]) for r in GB300_TP4_ROWS)
    fp8 = _mamf_fp8("gb200") / 1e12 * _ratio_model_gb300_over_gb200() * NEEDED_FACTOR
    b, n, t = _held_out(base), _held_out(need), _held_out(top)
    gb, gn, gt = _held_out(base, "gb300"), _held_out(need, "gb300"), _held_out(top, "gb300")
    worst = min(top, key=lambda r: top[r][0] if "gb300" in r else 1.0)
    crossed = sorted(r for r in base for res in (need, top) if (abs(base[r][0]) > 0.25) != (abs(res[r][0]) > 0.25))
    others = "no other row crosses 25% either way" if set(crossed) == set(GB300_TP4_ROWS) else f"also {crossed}"
    return (f"GB300's GEMM efficiencies x{NEEDED_FACTOR} (x1.06 leaves mb2606 at "
            f"{_pct(sized[1.06]['mb2606-gb300-llama31-405b-fp8'][0])}) bring the three rows to {rows}, an FP8 rate of "
            f"{fp8:.0f} TFLOP/s, {fp8 * 1e12 / _mamf_fp8('gb200'):.3f}x GB200's MAMF; held-out median {b[0]} -> "
            f"{n[0]}, within 6% {b[1]} -> {n[1]}, beyond 25% {b[2]} -> {n[2]} (the GB300 rows' median {gb[0]} -> "
            f"{gn[0]}); "
            f"PR #2023's figure as GB300's measured 16-bit rate (x{pr2023_ratio():.3f} through device_scaled, fp8 on "
            f"the 16-bit ratio) gives {t[0]}, {t[1]}, {t[2]} (GB300 {gt[0]}), the three rows "
            f"{' / '.join(_pct(top[r][0]) for r in GB300_TP4_ROWS)}, and {worst} {_pct(base[worst][0])} -> "
            f"{_pct(top[worst][0])}; {others}")


def test_the_clock_ceiling() -> None:
    assert round(MAX_CLOCK_HZ["gb300"] / MAX_CLOCK_HZ["gb200"], 3) == 1.004
    # NVIDIA's GB200 dense BF16 peak is 148 SMs x 8192 x the 2062 MHz boost clock, to 0.1%
    assert 148 * 8192 * MAX_CLOCK_HZ["gb200"] == pytest.approx(get_device("gb200").peak("bf16"), rel=1e-3)
    assert get_device("gb200").peak("fp8") == get_device("gb300").peak("fp8") == 2 * get_device("gb300").peak("bf16")
    b200 = _mamf_fp8("b200") / _max_clock_peak("b200", 148)
    gb200 = _mamf_fp8("gb200") / _max_clock_peak("gb200", 148)
    assert abs(b200 - gb200) < 0.005  # the measured pair tracks SMs x max clock


def test_the_model_already_charges_gb300_above_the_ceiling() -> None:
    ratio = _ratio_model_gb300_over_gb200()
    assert round(ratio, 3) == 1.055
    assert ratio > 152 * MAX_CLOCK_HZ["gb300"] / (148 * MAX_CLOCK_HZ["gb200"])


def test_pr2023_through_device_scaled_is_the_factor_sized() -> None:
    cal = load_calibrations()[FAMILY]
    spec = replace(get_device("gb300"), measured_matmul_flop_per_s={"bf16": PR2023_GB300_CUBLAS_TOP_TFLOPS * 1e12})
    got = device_scaled(cal, spec)
    assert got.device_ratio == pytest.approx(pr2023_ratio(), rel=1e-12)
    assert got.device_ratio_fp8 == pytest.approx(pr2023_ratio(), rel=1e-12)  # fp8 takes the 16-bit ratio
    assert get_device("gb300").measured_matmul_flop_per_s == {}  # not adopted: the catalog keeps no GB300 rate


def test_the_needed_factor_is_the_least_of_the_grid(sized: dict[float, dict[str, tuple[float, bool]]]) -> None:
    assert all(abs(sized[1.0][r][0]) > 0.25 for r in GB300_TP4_ROWS)  # the entries stay
    assert abs(sized[1.06]["mb2606-gb300-llama31-405b-fp8"][0]) > 0.25
    assert all(abs(sized[f][r][0]) <= 0.25 for r in GB300_TP4_ROWS for f in (NEEDED_FACTOR, 1.07))


def test_the_entries_quote_these_figures(sized: dict[float, dict[str, tuple[float, bool]]]) -> None:
    from test_row_notes_checked import _RGB300_S34, GB300_405B_RECORD  # tests/ is on sys.path

    text = " ".join(_RGB300_S34.split())
    for sentence in (clock_sentence(), figures_sentence(), need_sentence(sized)):
        assert sentence in text, sentence
    assert all(_RGB300_S34 in GB300_405B_RECORD[rid] for rid in GB300_TP4_ROWS)
