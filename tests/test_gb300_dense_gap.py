"""GB300 dense FP8 rows against their GB200 siblings, examined again 2026-12-04 (gb300, issue 10).

The Llama FP8 rows of GB300 are predicted 15-20 points slower, relative to their GB200 siblings, than published. The
candidates the issue named were checked here; none is adopted, and every figure the UNEXPLAINED entries of the five
GB300 405B FP8 rows quote from this examination (tests/test_row_notes_checked.py, _GB300_GAP) is recomputed below, so
a model change that moves one fails until the entry is rewritten:
- the same 70B FP8-CS FSDP benchmark, at the same cells, in four Megatron-Bridge tables: the published GB300 step
  fell release after release while the model's (which has no release input) is one figure, so no per-device constant
  (a clock, a power limit, an exponent rate) fits the 25.11 row and the 26.04.01 row at once;
- attention: the whole attention core removed from GB300 (the bound of every attention mechanism, Blackwell Ultra's
  doubled softmax exponent rate included) leaves the 405B rows beyond 20%; and at the cited exponent rates the
  forward core's exponentials take less time than the model's forward core on every Llama pair, so an overlapped
  max(tensor, exponent) term (FlashAttention-3's pipelining of softmax under the GEMMs) would move none of them;
- power: FBGEMM PR #4197 attributes GB200's GEMM gain over B200 mainly to the power cap; read as a power law it
  contradicts the MAMF table's measured GEMM rates of the same two devices.
The recipe split (FP8-CS against MXFP8) is examined at the end (gb300, then recipe, 2026-12-04): the quantize costs the
model charges are the ones Transformer Engine's source gives, and no cost read there turns the published order; and
(gb300, 2026-12-05) the same-layout pairs on B200 / GB200, whose FP8-CS rows the model has right, put the term in the
MXFP8 rows' time, while the declared re-fit takes back any cut of FP8-CS's quantize cost from the GB300 405B rows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import compute
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

ROWS = {r["id"]: r for r in read_runs()}
RELEASES = ("25.11", "26.02", "26.04", "26.04.01")
FSDP_70B = {"gb300": ("mb-gb300-llama3-70b", "mb2602-gb300-llama3-70b-fp8", "mb2604-gb300-llama3-70b-fp8",
                      "mb260401-gb300-llama3-70b-fp8"),
            "gb200": ("mb-gb200-llama3-70b", "mb2602-gb200-llama3-70b-fp8", "mb2604-gb200-llama3-70b-fp8",
                      "mb260401-gb200-llama3-70b-fp8")}
"""Llama 3 70B FP8-CS, 64 GPUs, GBS 256, MBS 2, Megatron FSDP 64, TP = PP = CP = 1, one row per table (RELEASES)."""
GB300_405B_FP8 = ("mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-fp8", "mb260201-gb300-llama31-405b-fp8",
                  "mb2604-gb300-llama31-405b-fp8", "mb260401-gb300-llama31-405b-fp8")
"""The GB300 405B FP8 rows whose UNEXPLAINED entries quote this examination."""

# SFU exponent rate (MUFU.EX2, exponentials per second per GPU): NVIDIA's 'Inside NVIDIA Blackwell Ultra' blog
# (2025-08) table row 'Attention acceleration (SFU EX2)', 10.7 TeraExponentials/s on GB300 / B300 and 5 on GB200 /
# B200, as copied in https://verda.com/blog/gb300-nvl72-architecture ('Per-GPU specifications' table) and in the
# catalog's gb300 note (code index ids 49490317988, 69618267955).
EXP_PER_S = {"gb200": 5e12, "b200": 5e12, "gb300": 10.7e12, "b300": 10.7e12}
# FBGEMM PR #4197 (pytorch/FBGEMM, 2025-05-27, 'Enable FP8 Grouped/Batched/Regular GEMM with dispatched SM100'):
# 'B200 provides ~2x speedup compared to H100 - GB200 provides ~2.8x ... The advanced perf gain of GB200 vs. B200 is
# mainly derived from GPU cap power limit: GB200 achieves 1200W cap power limit, while B200 only achieves 750W'.
FBGEMM_SPEEDUPS, FBGEMM_CAPS_W = (2.0, 2.8), (750.0, 1200.0)


def _cells(rid: str) -> dict[str, str]:
    return {k: v for k, v in ROWS[rid].items() if k not in ("id", "source", "note", "step_s")}


def _pub(rid: str) -> float:
    return float(ROWS[rid]["step_s"])


def _steps(rids: tuple[str, ...]) -> str:
    return " -> ".join(f"{_pub(r):.2f}" for r in rids)


@pytest.fixture(scope="module")
def fsdp_70b() -> dict[str, list[Any]]:
    return {dev: [reproduce(ROWS[r]) for r in rids] for dev, rids in FSDP_70B.items()}


def test_the_70b_fsdp_benchmark_has_one_set_of_cells_per_device() -> None:
    """Every table's row of the benchmark has the same cells as its 25.11 row; GB300 and GB200 differ only in the
    device and the CPU-offloaded layers (the recipes' cpu_offloading_num_layers 20 / 40, memory only in the model)."""
    for rids in FSDP_70B.values():
        # rcudnn2 (2026-12-05): the 25.11 row's container carries cuDNN 9.13.1.26 (cudnn_before_9_17, a release
        # input, not a recipe cell); the tables' rows are otherwise the same
        assert [ROWS[r].get("cudnn_before_9_17") or "" for r in rids] == ["1", "", "", ""], rids
        def recipe(rid: str) -> dict[str, Any]:  # a blank cell and a cell the row does not reach are the same
            return {k: v for k, v in _cells(rid).items() if v and k != "cudnn_before_9_17"}

        assert all(recipe(r) == recipe(rids[0]) for r in rids), rids
    gb300, gb200 = _cells(FSDP_70B["gb300"][0]), _cells(FSDP_70B["gb200"][0])
    assert {k for k in gb300 if gb300[k] != gb200[k]} == {"hardware", "offload_layers"}


def test_no_per_device_constant_fits_both_releases(fsdp_70b: dict[str, list[Any]]) -> None:
    """The model gives one step per device; the published GB300 step fell 7.25 -> 6.10 s while GB200's did not, so
    the factor that makes 26.04.01 exact puts 25.11 far too fast. rcudnn2 (2026-12-05): one step per device for the
    26.x tables; 25.11's is longer by its cuDNN 9.13 core (cudnn_before_9_17; GB300 7.36 against 7.16 s, GB200 7.79
    against 7.56 s), 2.7% of GB300's where the published step falls 15.9%."""
    for dev, res in fsdp_70b.items():
        assert len({round(r.predicted_step_s, 9) for r in res[1:]}) == 1, dev
        assert res[0].predicted_step_s > res[1].predicted_step_s, dev
    assert round(1 - fsdp_70b["gb300"][1].predicted_step_s / fsdp_70b["gb300"][0].predicted_step_s, 3) == 0.027
    assert round(1 - _pub(FSDP_70B["gb300"][-1]) / _pub(FSDP_70B["gb300"][0]), 3) == 0.159
    g300, g200 = fsdp_70b["gb300"], fsdp_70b["gb200"]
    pubs = [_pub(r) for r in FSDP_70B["gb300"]]
    assert pubs == sorted(pubs, reverse=True)
    ratios = [_pub(b) / _pub(a) for a, b in zip(FSDP_70B["gb300"], FSDP_70B["gb200"], strict=True)]
    assert round(ratios[0], 3) == 1.048 and min(ratios[1:]) > 1.2
    assert round(g200[0].predicted_step_s / g300[0].predicted_step_s, 2) == 1.06  # 1.05 before rblackwell
    text = _gap_text()
    assert f"GB300 step falls {_steps(FSDP_70B['gb300'])} s" in text
    assert f"GB200's moves {_steps(FSDP_70B['gb200'])} s" in text


def _attention_removed(monkeypatch: pytest.MonkeyPatch, rids: tuple[str, ...]) -> list[float]:
    """Each row's error with the attention core's time set to 0 (its FLOPs kept)."""
    real = compute.attention_core_s

    def no_time(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        t, flops = real(*args, **kwargs)
        return np.zeros_like(t), flops

    with monkeypatch.context() as m:
        m.setattr(compute, "attention_core_s", no_time)
        return [reproduce(ROWS[r]).error for r in rids]


@pytest.mark.xfail(strict=True, reason=(
    "rblackwell (2026-12-05): with each Blackwell device's fused attention core at its measured cuDNN "
    "rate and the fp8 rule re-run 0.46 -> 0.50, the attention core removed leaves these rows at +12.9% to "
    "+21.3% (no longer all beyond 20%; still all too slow)"))
def test_attention_removed_leaves_the_405b_rows_beyond_20pct(monkeypatch: pytest.MonkeyPatch) -> None:
    errors = _attention_removed(monkeypatch, GB300_405B_FP8)
    before = [reproduce(ROWS[r]).error for r in GB300_405B_FP8]
    assert all(0.20 < a < b for a, b in zip(errors, before, strict=True)), (errors, before)


def _exp_over_core(rid: str) -> float:
    """Forward attention-core exponentials (one per score the kernel computes: batch x local heads x queries x the
    keys it visits, compute.causal_work_keys) at the device's exponent rate, over the model's forward core time."""
    seen: list[tuple[float, float]] = []
    real = compute.attention_core_s

    def spy(model: Any, b: Any, s: Any, keys: Any, tp: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        t, flops = real(model, b, s, keys, tp, *args, **kwargs)
        work = kwargs.get("work_keys")
        n = b * model.heads / tp * s * (keys if work is None else work)
        seen.append((float(np.ravel(t)[0]), float(np.ravel(n)[0])))
        return t, flops

    row = ROWS[rid]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(compute, "attention_core_s", spy)
        predict_layout(run_query(row))
    t_core, n_exp = seen[0]
    return n_exp / EXP_PER_S[row["hardware"]] / t_core


SFU_ROWS = ("mb260401-gb200-llama3-70b-fp8", "mb260401-gb300-llama3-70b-fp8", "mb2604-b200-gptoss-120b",
            "mb260401-gb200-gptoss-120b")


@pytest.mark.xfail(strict=True, reason=(
    "rblackwell (2026-12-05): at the measured cuDNN rates the GPT-OSS-120B B200 forward core is faster "
    "than its exponentials take (0.93x): the term would bind on GB200 (1.21x) only"))
def test_an_overlapped_exponent_term_binds_only_at_head_width_64() -> None:
    """max(tensor, exponent) would change a row only where the ratio exceeds 1: GPT-OSS (head width 64, half the
    GEMM work per score) on B200 / GB200, not the Llama rows (head width 128) of either device."""
    r = {rid: _exp_over_core(rid) for rid in SFU_ROWS}
    assert r["mb260401-gb200-llama3-70b-fp8"] < 1 and r["mb260401-gb300-llama3-70b-fp8"] < 1
    assert r["mb2604-b200-gptoss-120b"] > 1 and r["mb260401-gb200-gptoss-120b"] > 1
    assert ROWS["mb2604-b200-gptoss-120b"]["hardware"] == "b200"


def _power_law() -> tuple[float, float, float]:
    """(exponent of FBGEMM's reading, the GEMM-rate ratio it gives GB200 over B200 at the catalog's caps, the MAMF
    table's measured fraction-of-peak ratio GB200 / B200)."""
    a = math.log(FBGEMM_SPEEDUPS[1] / FBGEMM_SPEEDUPS[0]) / math.log(FBGEMM_CAPS_W[1] / FBGEMM_CAPS_W[0])
    gb200, b200 = get_device("gb200"), get_device("b200")
    assert gb200.tdp_w and b200.tdp_w
    law = (gb200.tdp_w / b200.tdp_w) ** a
    f200, f_b200 = gb200.measured_matmul_fraction("fp8"), b200.measured_matmul_fraction("fp8")
    assert f200 and f_b200
    return a, law, f200 / f_b200


def test_the_power_cap_reading_contradicts_the_measured_gemm_rates() -> None:
    """FBGEMM's 1.4x for 1.6x the cap is an exponent of 0.72; at the catalog's caps it has GB200's GEMMs faster than
    B200's, where the MAMF table measures GB200's fraction of its peak below B200's."""
    a, law, mamf = _power_law()
    assert round(a, 2) == 0.72 and law > 1 > mamf


def _gap_text() -> str:
    from test_row_notes_checked import _GB300_GAP  # tests/ is on sys.path (pytest's rootdir import)

    return _GB300_GAP


def _expected_sentences(monkeypatch: pytest.MonkeyPatch, fsdp_70b: dict[str, list[Any]]) -> Iterator[str]:
    g300, g200 = fsdp_70b["gb300"], fsdp_70b["gb200"]
    ratios = [_pub(b) / _pub(a) for a, b in zip(FSDP_70B["gb300"], FSDP_70B["gb200"], strict=True)]
    yield (f"the model one step for each device ({g300[0].predicted_step_s:.2f} / {g200[0].predicted_step_s:.2f} s)")
    yield (f"(GB200 / GB300 {ratios[0]:.3f} in 25.11, {ratios[-1]:.3f} in 26.04.01; the model's "
           f"{g200[0].predicted_step_s / g300[0].predicted_step_s:.2f})")
    yield (f"a GB300 factor that makes 26.04.01 exact ({100 * g300[-1].error:+.1f}% -> 0) puts 25.11 "
           f"({100 * g300[0].error:+.1f}%) at {100 * ((1 + g300[0].error) / (1 + g300[-1].error) - 1):+.1f}%")
    errors = _attention_removed(monkeypatch, GB300_405B_FP8)
    yield f"leaves these 405B FP8 rows at {100 * min(errors):+.1f}% to {100 * max(errors):+.1f}%"
    r = {rid: _exp_over_core(rid) for rid in SFU_ROWS}
    yield (f"take {r['mb260401-gb200-llama3-70b-fp8']:.2f}x (GB200) / {r['mb260401-gb300-llama3-70b-fp8']:.2f}x "
           "(GB300) of the model's forward core on the 26.04.01 70B FP8 pair")
    yield (f"GPT-OSS-120B on B200 / GB200, {r['mb2604-b200-gptoss-120b']:.2f}x / "
           f"{r['mb260401-gb200-gptoss-120b']:.2f}x")
    a, law, mamf = _power_law()
    yield (f"read as a power law (exponent {a:.2f}) makes GB200's GEMMs {law:.2f}x B200's at the catalog's 1200 / "
           f"1000 W, where the MAMF table measures {mamf:.3f}x")


def test_the_unexplained_entries_quote_the_examination(monkeypatch: pytest.MonkeyPatch,
                                                        fsdp_70b: dict[str, list[Any]]) -> None:
    from test_row_notes_checked import GB300_405B_RECORD, UNEXPLAINED
    entries = {**UNEXPLAINED, **GB300_405B_RECORD}  # gb3 (2026-12-06): the three TP 4 rows' entries kept

    text = _gap_text()
    missing = [s for s in _expected_sentences(monkeypatch, fsdp_70b) if s not in text]
    assert not missing, missing
    # rblackwell (2026-12-05): the rows still beyond 25% (the others' notes keep what was examined)
    assert all(text in entries[rid] for rid in GB300_405B_FP8 if rid in entries)


# --- the recipe split (gb300, 2026-12-04) ----------------------------------------------------------------------------

RECIPE_RELEASES = ("mb2602", "mb260201", "mb2604", "mb260401", "mb2606")
"""The tables that publish the 405B FP8-CS and MXFP8 rows on both GB300 and GB200 (26.02 to 26.06)."""


def _recipe_pair(rel: str, system: str) -> tuple[str, str]:
    return f"{rel}-{system}-llama31-405b-fp8", f"{rel}-{system}-llama31-405b-mxfp8"


def _mx_over_cs(system: str) -> tuple[list[float], list[float]]:
    """Per table: the published and the model's MXFP8 / FP8-CS step ratio."""
    pub, model = [], []
    for rel in RECIPE_RELEASES:
        cs, mx = (reproduce(ROWS[r]) for r in _recipe_pair(rel, system))
        pub.append(mx.published_step_s / cs.published_step_s)
        model.append(mx.predicted_step_s / cs.predicted_step_s)
    return pub, model


def _recipe_sentences() -> Iterator[str]:
    g300, g200 = _mx_over_cs("gb300"), _mx_over_cs("gb200")
    yield (f"on GB300 {' / '.join(f'{x:.3f}' for x in g300[0])}x and on GB200 "
           f"{' / '.join(f'{x:.3f}' for x in g200[0])}x")
    same = RECIPE_RELEASES.index("mb260201")
    other = {f"{x:.3f}" for i, x in enumerate(g300[1]) if i != same}
    assert len(other) == 1 and len({f"{x:.3f}" for x in g200[1]}) == 1
    yield (f"(GB300 {other.pop()}x at the two layouts, {g300[1][same]:.3f}x at the 26.02.01 pair's identical cells, "
           f"TP 2, CP 2, VP 4; GB200 {g200[1][0]:.3f}x)")
    mx_err = {sysn: [reproduce(ROWS[_recipe_pair(rel, sysn)[1]]).error for rel in RECIPE_RELEASES]
              for sysn in ("gb300", "gb200")}
    yield (f"the GB300 MXFP8 rows are still {100 * min(mx_err['gb300']):+.1f}% to {100 * max(mx_err['gb300']):+.1f}% "
           f"where GB200's are {100 * min(mx_err['gb200']):+.1f}% to {100 * max(mx_err['gb200']):+.1f}%")


def test_the_recipe_term_is_backwards_on_both_systems() -> None:
    """In every table both systems publish MXFP8 slower than FP8-CS and the model has it faster; the 26.02.01 GB300
    pair differs in the fp8_recipe cell alone."""
    a, b = (_cells(r) for r in _recipe_pair("mb260201", "gb300"))
    assert {k for k in a if a[k] != b[k]} == {"fp8_recipe"}
    for system in ("gb300", "gb200"):
        pub, model = _mx_over_cs(system)
        assert min(pub) > 1 > max(model), system


def test_the_unexplained_entries_quote_the_recipe_split() -> None:
    from test_row_notes_checked import _GB300_RECIPE, GB300_405B_RECORD, UNEXPLAINED
    entries = {**UNEXPLAINED, **GB300_405B_RECORD}  # gb3 (2026-12-06): the three TP 4 rows' entries kept

    missing = [s for s in _recipe_sentences() if s not in _GB300_RECIPE]
    assert not missing, missing
    assert all(_GB300_RECIPE in entries[rid] for rid in (*GB300_405B_FP8, "mb2606-gb300-llama31-405b-fp8")
               if rid in entries)  # rblackwell: three of them within 25%


# --- the recipes' costs read from Transformer Engine (recipe, 2026-12-04) -------------------------------------------
# Sources read (code index, NVIDIA/TransformerEngine):
# - transformer_engine/pytorch/csrc/extensions/normalization.cpp @01a4d046939c8505b5b0aeb70322f8c88c89262a
#   (rmsnorm_fwd / layernorm_fwd): the fused norm + quantize kernel is kept for delayed scaling only ("Always used
#   fused kernel for FP8 delayed scaling"); a Float8CurrentScalingQuantizer output runs unfused: the norm writes 16 bit,
#   nvte_compute_amax reads it, the amax is all-reduced over amax_reduction_group when with_amax_reduction, then
#   nvte_quantize_noop casts; an MXFP8 output is unfused too unless NVTE_NORM_FWD_USE_CUDNN, one quantize kernel.
#   That is compute.fp8_cast_bytes on Blackwell: current 2 + 2 + 1 bytes in two kernels, MXFP8 2 + 2 x (1 + 1/32)
#   bytes in one, delayed 2 + 1 in one (no transpose: FP8_GEMM_LAYOUTS 'any').
# - transformer_engine/pytorch/csrc/extensions/gemm.cpp (code index id 6772846872): before each GEMM,
#   swizzle_scaling_factors(A_tensor, transa) and swizzle_scaling_factors(B_tensor, !transb), a kernel each that
#   reads and writes an MXFP8 operand's E8M0 scales (1 byte per 32 elements) when the quantizer did not write them in
#   the GEMM layout (optimize_for_gemm, default False in the Quantizer base class; which TE release of the 26.02-26.06
#   containers sets it for the linear layers' quantizers was not established).


def _pair(system: str = "gb300") -> tuple[Any, Any]:
    """The model's results of the 26.02.01 pair of `system` (FP8-CS, MXFP8); on GB300 they differ in fp8_recipe
    alone."""
    cs, mx = (reproduce(ROWS[r]) for r in _recipe_pair("mb260201", system))
    return cs, mx


def _ratio(system: str = "gb300") -> float:
    cs, mx = _pair(system)
    return float(mx.predicted_step_s / cs.predicted_step_s)


def _mx_rate_cut(monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    """MXFP8 GEMMs at `factor` x the FP8 peak (the rate a block-scaled GEMM would need to lose)."""
    from accelopt.predict import training

    original = compute.linear_precision

    def cut(spec: Any, dtype: str, cal: Any, fp8_recipe: str = "delayed") -> Any:
        lin = original(spec, dtype, cal, fp8_recipe)
        if fp8_recipe != "mxfp8" or lin is None:
            return lin
        return dataclasses.replace(lin, peak_flop_per_s=lin.peak_flop_per_s * factor)

    monkeypatch.setattr(training, "linear_precision", cut)


def _recipe_costs(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The 26.02.01 GB300 pair under each cost the source reading allows (see the comment above)."""
    cs0, mx0 = _pair()
    out = {"pub": mx0.published_step_s / cs0.published_step_s, "cs0": cs0.error, "mx0": mx0.error}
    original = compute.fp8_cast_bytes
    with monkeypatch.context() as m:  # current scaling at the least a per-tensor cast moves: delayed's fused cast
        m.setattr(compute, "fp8_cast_bytes", lambda r, f, s=None: original("delayed" if r == "current" else r, f, s))
        out["cs1"], out["fused300"], out["fused200"] = _pair()[0].error, _ratio(), _ratio("gb200")
    with monkeypatch.context() as m:  # two swizzle kernels per MXFP8 GEMM input, its row- and column-wise scales
        m.setattr(compute, "fp8_cast_bytes",
                  lambda r, f, s=None: (lambda b, k: (b + 4 / 32, k + 2) if r == "mxfp8" else (b, k))(
                      *original(r, f, s)))
        out["mx1"], out["swizzle"] = _pair()[1].error, _ratio()
    lo, hi = 0.5, 1.0  # bisection: the MXFP8 GEMM rate that gives the published ratio
    for _ in range(12):
        mid = (lo + hi) / 2
        with monkeypatch.context() as m:
            _mx_rate_cut(m, mid)
            lo, hi = (mid, hi) if _ratio() > out["pub"] else (lo, mid)
    with monkeypatch.context() as m:
        _mx_rate_cut(m, lo)
        out["rate"], out["mx2"] = lo, _pair()[1].error
    return out


def _recipe_cost_sentences(c: dict[str, float]) -> Iterator[str]:
    yield (f"charging FP8-CS only delayed scaling's fused cast (3 B, one kernel, no amax pass) gives the 26.02.01 "
           f"GB300 pair {c['fused300']:.3f}x (published {c['pub']:.3f}x; GB200 {c['fused200']:.3f}x) and the FP8-CS "
           f"row {100 * c['cs0']:+.1f}% -> {100 * c['cs1']:+.1f}%")
    yield (f"the scale swizzle charged in full (2 more kernels and 4/32 B per MXFP8 input element) gives "
           f"{c['swizzle']:.3f}x and the MXFP8 row {100 * c['mx0']:+.1f}% -> {100 * c['mx1']:+.1f}%")
    yield (f"an MXFP8 GEMM rate of {c['rate']:.2f}x the FP8 peak would give the published ratio, and would move the "
           f"MXFP8 row {100 * c['mx0']:+.1f}% -> {100 * c['mx2']:+.1f}%")


def test_the_model_charges_the_quantize_costs_read_from_transformer_engine() -> None:
    """Blackwell (FP8_GEMM_LAYOUTS 'any', no FP8 transpose): current = norm output read by the amax pass, read again
    and cast (2 + 2 + 1 B, 2 kernels); MXFP8 = one pass writing the row- and column-wise copies with their scales;
    delayed = one fused cast (normalization.cpp @01a4d046, above)."""
    assert compute.fp8_cast_bytes("current", "nvidia-blackwell") == (2 + 2 + 1, 2)
    assert compute.fp8_cast_bytes("mxfp8", "nvidia-blackwell") == (2 + 2 * (1 + 1 / 32), 1)
    assert compute.fp8_cast_bytes("delayed", "nvidia-blackwell") == (2 + 1, 1)


def test_no_quantize_cost_turns_the_recipe_term(monkeypatch: pytest.MonkeyPatch) -> None:
    """With FP8-CS's amax pass free the 26.02.01 GB300 pair closes less than half its gap to the published ratio;
    the cited MXFP8-only cost (the scale swizzle) leaves MXFP8 the shorter; the GEMM rate cut that closes the ratio
    pushes this GB300 MXFP8 row, already too slow, further out: no quantize cost read from the source turns the
    order (which side carries the term: the same-layout pairs at the end, gb300 2026-12-05)."""
    c = _recipe_costs(monkeypatch)
    assert c["pub"] > 1 and c["fused300"] < 1 + (c["pub"] - 1) / 2
    assert c["swizzle"] < 1 and c["mx1"] > c["mx0"] > 0
    assert c["rate"] < 0.95 and c["mx2"] > c["mx0"] + 0.05


def test_the_unexplained_entries_quote_the_recipe_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_row_notes_checked import _GB300_RECIPE

    missing = [s for s in _recipe_cost_sentences(_recipe_costs(monkeypatch)) if s not in _GB300_RECIPE]
    assert not missing, missing


# --- which side carries the recipe term (gb300, 2026-12-05) -----------------------------------------------------------
# The same-layout FP8-CS / MXFP8 pairs of the Megatron-Bridge tables: on B200 and GB200, where the model has the
# FP8-CS rows right, the MXFP8 rows are the ones off; and the Blackwell fp8 rule's fit rows are FP8-CS rows, so a cost
# taken off FP8-CS is taken back by the declared re-fit.

SAME_LAYOUT_PAIRS = (
    ("mb-b200-llama3-8b", "mb-b200-llama3-8b-mx"), ("mb2509-b200-llama3-8b", "mb2509-b200-llama3-8b-mx"),
    ("mb-gb200-llama3-8b", "mb-gb200-llama3-8b-mx"), ("mb2509-gb200-llama3-8b", "mb2509-gb200-llama3-8b-mx"),
    ("mb-b200-llama31-405b", "mb-b200-llama31-405b-mx"), ("mb2509-b200-llama31-405b", "mb2509-b200-llama31-405b-mx"),
    ("mb-gb300-llama3-8b", "mb-gb300-llama3-8b-mx"),
    ("mb260201-gb300-llama31-405b-fp8", "mb260201-gb300-llama31-405b-mxfp8"),
)
"""(FP8-CS, MXFP8) rows of one table, one device and one layout: their cells differ in fp8_recipe and, on the 25.x
pairs, fp8_params (which times nothing at ZeRO 1: test_same_layout_pairs_differ_in_the_recipe_alone)."""
SIX_GB300_405B_CS = (*GB300_405B_FP8, "mb2606-gb300-llama31-405b-fp8")


def test_same_layout_pairs_differ_in_the_recipe_alone() -> None:
    for cs, mx in SAME_LAYOUT_PAIRS:
        a, b = _cells(cs), _cells(mx)
        assert {k for k in a if a[k] != b[k]} <= {"fp8_recipe", "fp8_params"}, cs
        assert (a["fp8_recipe"], b["fp8_recipe"], a["zero"]) == ("current", "mxfp8", "1"), cs
        step = reproduce(ROWS[cs]).predicted_step_s
        assert reproduce({**ROWS[cs], "fp8_params": b["fp8_params"]}).predicted_step_s == pytest.approx(step), cs


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def _side_sentences() -> Iterator[str]:
    res = {r: reproduce(ROWS[r]) for pair in SAME_LAYOUT_PAIRS for r in pair}
    pub = [res[mx].published_step_s / res[cs].published_step_s for cs, mx in SAME_LAYOUT_PAIRS]
    mod = [res[mx].predicted_step_s / res[cs].predicted_step_s for cs, mx in SAME_LAYOUT_PAIRS]
    yield (f"the eight same-layout FP8-CS / MXFP8 pairs of the tables (25.11 and 25.09 B200 / GB200 Llama 3 8B and "
           f"B200 405B, 25.11 GB300 8B, 26.02.01 GB300 405B) publish the MXFP8 step {min(pub):.3f}x to "
           f"{max(pub):.3f}x the FP8-CS one where the model gives {min(mod):.3f}x to {max(mod):.3f}x")
    others = [p for p in SAME_LAYOUT_PAIRS if "gb300" not in p[0]]
    cs_err = [res[cs].error for cs, _ in others]
    mx_err = [res[mx].error for _, mx in others]
    yield (f"on the six B200 / GB200 pairs the FP8-CS rows are {_pct(min(cs_err))} to {_pct(max(cs_err))} (one a fit "
           f"row) and the MXFP8 rows {_pct(min(mx_err))} to {_pct(max(mx_err))}")
    g8, g405 = (p for p in SAME_LAYOUT_PAIRS if "gb300" in p[0])
    yield (f"on GB300 both are too slow, FP8-CS {_pct(res[g8[0]].error)} / {_pct(res[g405[0]].error)} and MXFP8 "
           f"{_pct(res[g8[1]].error)} / {_pct(res[g405[1]].error)} (8B / 405B)")


def _refit_six(monkeypatch: pytest.MonkeyPatch, cost: str) -> tuple[float, list[float], list[float]]:
    """The family's declared fp8 rule re-run with FP8-CS's quantize charged `cost` ('delayed': delayed scaling's fused
    cast, 'none': no quantize pass at all): (fitted value, the six rows' errors, the fit rows' errors)."""
    from accelopt.predict.calibration import load_calibrations
    from accelopt.predict.validation import fit_fp8_eff_max

    cals = load_calibrations()
    fit_rows = list(cals["nvidia-blackwell"].fp8_fitted_on)
    original = compute.fp8_cast_bytes

    def charged(r: str, f: str, s: Any = None) -> tuple[float, float]:
        if r != "current":
            return original(r, f, s)
        return original("delayed", f, s) if cost == "delayed" else (0.0, 0.0)

    with monkeypatch.context() as m:
        m.setattr(compute, "fp8_cast_bytes", charged)
        fam = fit_fp8_eff_max("nvidia-blackwell", fit_rows)
        trial = {**cals, "nvidia-blackwell": fam}
        six = [reproduce(ROWS[r], trial).error for r in SIX_GB300_405B_CS]
        fits = [reproduce(ROWS[r], trial).error for r in fit_rows]
    return fam.fp8_matmul_eff_max, six, fits


def _refit_sentences(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from accelopt.predict.calibration import load_calibrations

    bundled = load_calibrations()["nvidia-blackwell"].fp8_matmul_eff_max
    now = [reproduce(ROWS[r]).error for r in SIX_GB300_405B_CS]
    v1, six1, _ = _refit_six(monkeypatch, "delayed")
    v0, six0, _ = _refit_six(monkeypatch, "none")
    yield (f"FP8-CS charged only delayed scaling's fused cast re-fits fp8_matmul_eff_max {bundled:.2f} -> {v1:.2f} and "
           f"leaves these six rows at {_pct(min(six1))} to {_pct(max(six1))} (now {_pct(min(now))} to "
           f"{_pct(max(now))}); FP8-CS's quantize charged nothing at all, the bound of every current-scaling "
           f"mechanism, re-fits {v0:.2f} and leaves them at {_pct(min(six0))} to {_pct(max(six0))}")


@pytest.mark.xfail(strict=True, reason=(
    "rblackwell (2026-12-05): after the declared fp8 re-run 0.46 -> 0.50 the fit row mb-b200-llama3-8b "
    "(FP8-CS) is +4.4%, beyond this test's 2.5%"))
def test_the_recipe_term_sits_in_the_mxfp8_rows_where_fp8_cs_is_right() -> None:
    """Every same-layout pair publishes MXFP8 slower and the model has it faster; where the FP8-CS row is within 2.5%
    (B200, GB200) its MXFP8 twin is 5% or more too fast: the missing cost is MXFP8's, and GB300's two pairs show the
    same sign with both rows too slow."""
    for cs, mx in SAME_LAYOUT_PAIRS:
        a, b = reproduce(ROWS[cs]), reproduce(ROWS[mx])
        assert b.published_step_s / a.published_step_s > 1 > b.predicted_step_s / a.predicted_step_s, cs
        assert b.error < a.error, cs
        if "gb300" in cs:
            assert b.error > 0.05, cs
        else:
            assert abs(a.error) < 0.025 and b.error < -0.05, cs


@pytest.mark.xfail(strict=True, reason=(
    "rblackwell (2026-12-05): at the measured attention rates FP8-CS charged only delayed scaling's fused "
    "cast, re-fitted, leaves the GB300 rows at +22.3% at the least, no longer all beyond 25%"))
def test_no_fp8_cs_cost_cut_survives_the_declared_refit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Blackwell fp8 rule fits three FP8-CS rows, so a cut of FP8-CS's quantize cost lowers the fitted GEMM rate
    and leaves the six GB300 405B FP8-CS rows where they are or slower, beyond 25% whatever the cut."""
    from accelopt.predict.calibration import load_calibrations

    bundled = load_calibrations()["nvidia-blackwell"].fp8_matmul_eff_max
    now = [reproduce(ROWS[r]).error for r in SIX_GB300_405B_CS]
    for cost in ("delayed", "none"):
        value, six, fits = _refit_six(monkeypatch, cost)
        assert value < bundled and max(abs(e) for e in fits) < 0.08, cost
        assert min(six) > 0.25 and min(six) >= min(now) - 0.01, cost


def test_the_unexplained_entries_quote_the_recipe_side(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_row_notes_checked import _GB300_RECIPE_SIDE, GB300_405B_RECORD, UNEXPLAINED
    entries = {**UNEXPLAINED, **GB300_405B_RECORD}  # gb3 (2026-12-06): the three TP 4 rows' entries kept

    missing = [s for s in (*_side_sentences(), *_refit_sentences(monkeypatch)) if s not in _GB300_RECIPE_SIDE]
    assert not missing, missing
    assert all(_GB300_RECIPE_SIDE in entries[rid] for rid in SIX_GB300_405B_CS
               if rid in entries)  # rblackwell: three of them within 25%


# rgb300 (2026-12-05): the GB300 factor of the three TP 4, CP 1 rows still beyond 25%, read as one ratio per table
# and set beside a second framework's GB300 / GB200 figures; the sentences the UNEXPLAINED entries quote
# (tests/test_row_notes_checked.py, _RGB300) are rebuilt here from the runs file and the model.
TABLES_405B = (("25.11", "mb-gb300-llama31-405b", "mb-gb200-llama31-405b"),
               *((rel, f"{p}-gb300-llama31-405b-fp8", f"{p}-gb200-llama31-405b-fp8") for rel, p in (
                   ("26.02", "mb2602"), ("26.02.01", "mb260201"), ("26.04", "mb2604"), ("26.04.01", "mb260401"),
                   ("26.06", "mb2606"))))
"""The 405B FP8-CS benchmark's GB300 / GB200 rows, one pair per Megatron-Bridge table."""
RGB300_ROWS = ("mb2604-gb300-llama31-405b-fp8", "mb260401-gb300-llama31-405b-fp8", "mb2606-gb300-llama31-405b-fp8")
PAIR_8B = ("mb-gb300-llama3-8b", "mb-gb200-llama3-8b")
# NVIDIA technical blog 'Train Models Faster with JAX and MaxText Using NVFP4 on NVIDIA Blackwell' (2026-06-09),
# its FP8 baselines as printed in the copy at https://agenticdaily.ai/articles/train-llama-3-1-405b-73-faster-with-
# nvidia-nvfp4-on-blackwell ('Llama 3.1 405B on GB200: 1.44x speedup (155.7 to 222.4 TF/s per GPU)', 'on GB300:
# 1.73x speedup (210.3 to 363.3 TF/s per GPU)', 'Llama 3 8B on GB200 ... (149.7 to ...)', 'on GB300: 1.31x speedup
# (175.9 to 230.1 TF/s per GPU)'); the stored copy of NVIDIA's page stops before its table.
MAXTEXT_FP8_TF = {"405b": {"gb300": 210.3, "gb200": 155.7}, "8b": {"gb300": 175.9, "gb200": 149.7}}


def _ratio_pub(gb300: str, gb200: str) -> float:
    return _pub(gb200) / _pub(gb300)


def _ratio_model(gb300: str, gb200: str) -> float:
    return reproduce(ROWS[gb200]).predicted_step_s / reproduce(ROWS[gb300]).predicted_step_s


def test_the_405b_benchmark_keeps_one_gb300_ratio_across_tables_and_layouts() -> None:
    """The published GB200 / GB300 step ratio of the 405B FP8-CS benchmark stays within 1.22-1.26 in all six tables, at
    either GB300 layout (TP 2 CP 2 in 25.11 / 26.02.01, TP 4 CP 1 after), where the model's is 1.05-1.10: unlike the
    70B FSDP benchmark (1.048 -> 1.235), no release moved it."""
    pub = [_ratio_pub(a, b) for _, a, b in TABLES_405B]
    model = [_ratio_model(a, b) for _, a, b in TABLES_405B]
    assert all(1.22 < r < 1.26 for r in pub), pub
    assert all(1.04 < r < 1.10 for r in model), model
    layouts = {(ROWS[a]["tp"], ROWS[a]["cp"]) for _, a, _ in TABLES_405B}
    assert layouts == {("2", "2"), ("4", "1")}
    assert all(ROWS[b]["tp"] == "4" and ROWS[b]["pp"] == "16" for _, _, b in TABLES_405B)


def test_the_8b_pair_differs_in_the_device_alone() -> None:
    """The 25.11 Llama 3 8B FP8 pair has the same cells but the device: the published GB300 step is 1.19x shorter, the
    model's 1.06x: the GB300 factor at one set of cells, without any layout or release in between."""
    a, b = (_cells(r) for r in PAIR_8B)
    assert {k for k in a if a[k] != b[k]} == {"hardware"}
    assert _ratio_pub(*PAIR_8B) > 1.15 > 1.10 > _ratio_model(*PAIR_8B) > 1.0


def test_a_second_framework_publishes_the_factor() -> None:
    """NVIDIA's MaxText (JAX, Transformer Engine) FP8 baselines put GB300 1.35x GB200 per GPU on Llama 3.1 405B and
    1.18x on Llama 3 8B: a GB300 lead as large as Megatron-Bridge's outside its recipes, larger at 405B than at 8B."""
    r405 = MAXTEXT_FP8_TF["405b"]["gb300"] / MAXTEXT_FP8_TF["405b"]["gb200"]
    r8 = MAXTEXT_FP8_TF["8b"]["gb300"] / MAXTEXT_FP8_TF["8b"]["gb200"]
    assert r405 > 1.3 > 1.15 < r8 < r405


def _rgb300_sentences() -> Iterator[str]:
    pub = " / ".join(f"{_ratio_pub(a, b):.3f}" for _, a, b in TABLES_405B)
    m22, m41 = _ratio_model(*TABLES_405B[0][1:]), _ratio_model(*TABLES_405B[-1][1:])
    yield (f"the published GB200 / GB300 step ratio of this 405B FP8-CS benchmark is one figure in the six tables "
           f"(25.11 to 26.06), {pub}, at GB300's TP 2, CP 2 and TP 4, CP 1 alike, where the model gives "
           f"{m22:.3f} and {m41:.3f}")
    tp4, tp2 = (reproduce(ROWS[TABLES_405B[i][1]]).predicted_step_s for i in (1, 0))
    yield f"(its TP 4 step {100 * (tp4 / tp2 - 1):.1f}% longer)"
    yield (f"the 25.11 Llama 3 8B FP8 pair, whose cells differ in the device alone, publishes "
           f"{_ratio_pub(*PAIR_8B):.3f} where the model gives {_ratio_model(*PAIR_8B):.3f}")
    e8 = reproduce(ROWS[PAIR_8B[0]]).error, reproduce(ROWS[PAIR_8B[1]]).error
    yield f"(GB300 {100 * e8[0]:+.1f}%, GB200 {100 * e8[1]:+.1f}%)"
    mt = MAXTEXT_FP8_TF
    yield (f"Llama 3.1 405B {mt['405b']['gb300']} vs {mt['405b']['gb200']} "
           f"({mt['405b']['gb300'] / mt['405b']['gb200']:.3f}x) and Llama 3 8B {mt['8b']['gb300']} vs "
           f"{mt['8b']['gb200']} ({mt['8b']['gb300'] / mt['8b']['gb200']:.3f}x)")
    bub = [predict_layout(run_query(ROWS[r])).terms for r in (RGB300_ROWS[-1], "mb2606-gb200-llama31-405b-fp8")]
    yield f"the model charges that as a {bub[0]['t_bubble_s']:.2f} s vs {bub[1]['t_bubble_s']:.2f} s pipeline bubble"
    # facebookexperimental/triton PR #2768 (2026-08-06, cuBLASLt 13.1.1 on GB300): the occupancy cap 'bisects to
    # exactly 9728 output elements ... which is sm_count 152 * threads_per_sm 2048 / W 32, and both hardware counts are
    # the same as GB200's'
    sms, threads, w = 152, 2048, 32
    yield f"an occupancy cap of {sms * threads // w} output elements = {sms} SMs x {threads} threads / {w}"


def test_the_unexplained_entries_quote_the_gb300_ratio() -> None:
    from test_row_notes_checked import _RGB300, GB300_405B_RECORD, UNEXPLAINED
    entries = {**UNEXPLAINED, **GB300_405B_RECORD}  # gb3 (2026-12-06): the three TP 4 rows' entries kept

    missing = [s for s in _rgb300_sentences() if s not in _RGB300]
    assert not missing, missing
    assert all(_RGB300 in entries[rid] for rid in RGB300_ROWS)
