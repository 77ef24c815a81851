"""LEAD (rwindow, 2026-12-05, issue 10): a fused core on a 128-key sliding-window layer runs far below the device's
fused rate; measured and sized here, not adopted (no model change proposed: it moves every GPT-OSS row by about a
point and is measured on GB200 / GB300 only; the note /work/wt/notes/rwindow.md).

The model charges every fused attention core (cuDNN through Transformer Engine: the runs file's blank
attention_kernel) at the device's measured_fused_attention_flop_per_s, and on a sliding-window layer counts the work
over the window's keys only (compute.layer_forward: keys_attended, causal_work_keys). GPT-OSS alternates full causal
layers and 128-key window layers (18 of 36 on the 120B), and its Megatron-Bridge rows ran cuDNN's fused kernel on
both (tests/test_gptoss_attention_backend.py). cudnn-frontend's own benchmark runs GPT-OSS's windowed shape:
- configs/gpt_oss.py (at 0c08141, the stored version): 128 query / 128 KV heads, head dim 64, sliding_window_size
  128, batch 2, top_left (causal), backends cudnn and flash_attention_4; results/gpt_oss/gb200/
  gpt_oss_20260424_100011.csv and results/gpt_oss/gb300/gpt_oss_20260424_100022.csv at
  NVIDIA/cudnn-frontend@60e572b7c8fe1976631af4141f307900ef17cad5 (cuDNN 9.22, backend 92200, frontend 1.21.1), each
  beside the same session's Llama 3.1 run (results/llama3.1/{gb200,gb300}/llama3.1_20260424_1007{50,57}.csv, 64 / 8
  heads, head dim 128), and FlashAttention-4 on the same shape (results/gpt_oss/gb200/gpt_oss_20260813_110803.csv at
  20dc108987f2dc9efe87fd1f87dc4ea4a3b94f38).
- The script's FLOP count (benchmark_single_sdpa.py, flops(), the stored version at 3b465d4): with a window W,
  'each query attends to at most W keys': W (W + 1) / 2 + (S - W) W (query, key) pairs per head, x 2 x batch x
  heads x (qk + vo) forward, x (3 qk + 2 vo) backward: the pairs the model's causal_work_keys counts.
- The same benchmark's earlier GPT-OSS shape (head dim 64, window 1024, 64 / 8 heads; cuDNN 9.19) on H200, GB200 and
  GB300 (rheaddim's lead, tests/test_headdim_attention_lead.py) separates the window from the head dim: at head dim
  64 the 128-key window runs at 0.28 / 0.30 (GB200) and 0.25 / 0.30 (GB300) of the 1024-key window's rate, forward /
  backward, at 4096 (two cuDNN releases apart).
No stored run measures a 128-key window on any Hopper GPU (cudnn-frontend's results hold H200 only at cuDNN 9.19, with
the 1024-key window); the Hopper figures below carry Blackwell's window ratio over to the H200's measured head-dim-64
window-1024 rate: an assumption, which is why the H100 rows' move is a what-if, not a checked reason.

The patch (the rule, stated before any row was looked at): a fused core on a windowed layer whose window is at most
128 keys runs at the device's window-128 rate where WINDOW_RATES lists it (forward, backward), every other core at the
rate it has; the backward keeps the layer's one time ratio (training charges the backward as that ratio x the layer's
forward core), so the windowed forward is charged at the rate that gives its forward + backward time exactly:
(1 + R) / (1 / fwd + 2.5 / bwd), R the device's full-layer backward / forward time ratio. Tolerances: a printed rate
within the printed time's and rate's half units (0.5 us, 0.5 TFLOP/s); ratios to 0.001.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_headdim_attention_lead import (
    D128_AT_2048,
    GPTOSS_H100,
    HEAD_DIM_64,
    HOPPER_SXM,
    RUNS,
    _figures,
    _head_dim_rates,
    _hopper_base,
    _hopper_refit_toml,
    _pct,
    hopper_adopted,
)

from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import calibration as calmod
from accelopt.predict import compute, training
from accelopt.predict.calibration import Calibration, load_calibrations
from accelopt.predict.validation import read_runs, reproduce, run_model


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

S = 4096  # every rate below: q_seqlen = kv_seqlen = 4096, bfloat16, the non-deterministic backward
WINDOW = 128
WINDOW_128 = {"gb200": (0.210, 0.465, 161, 182), "gb300": (0.202, 0.442, 167, 191)}
"""cuDNN 9.22, head dim 64, window 128, batch 2, 128 / 128 heads: fwd ms, bwd ms, fwd / bwd TFLOP/s (60e572b)."""
LLAMA_SAME_SESSION = {"gb200": (0.391, 1.198, 1408, 1148), "gb300": (0.323, 1.101, 1703, 1248)}
"""The same session's Llama 3.1 causal row (head dim 128, batch 2, 64 / 8 heads, no window) at 4096 (60e572b)."""
WINDOW_1024_D64 = {"h200": (0.358, 1.042, 336, 289), "gb200": (0.209, 0.487, 574, 617),
                   "gb300": (0.178, 0.472, 675, 638)}
"""cuDNN 9.19, head dim 64, window 1024, batch 2, 64 / 8 heads at 4096: h200_919_only_cudnn/gpt_oss_20260227_034819
(afa9f7c), gb200_919_only_cudnn/gpt_oss_20260226_175022 (afa9f7c), gb300_919_only_cudnn/gpt_oss_20260226_185932
(df73764)."""
FA4_GB200 = {"flash_attention_4": (0.232, 0.578, 146, 146), "cudnn": (0.207, 0.458, 163, 185)}
"""gpt_oss_20260813_110803.csv (20dc108, cuDNN 9.27): the window-128 shape, FlashAttention-4 beside cuDNN."""


def _pairs(s: int, w: int | None) -> int:
    """The script's (query, key) pairs per head: causal s (s + 1) / 2; with a window w < s: w (w + 1) / 2 +
    (s - w) w."""
    return s * (s + 1) // 2 if w is None or s <= w else w * (w + 1) // 2 + (s - w) * w


def _script_flops(heads: int, head_dim: int, w: int | None, bwd: bool) -> float:
    width = (3 * head_dim + 2 * head_dim) if bwd else 2 * head_dim
    return 2.0 * 2 * heads * _pairs(S, w) * width


def _close(flops: float, ms: float, tflops: float) -> bool:
    """Within the printed time's half unit (0.5 us) and the printed rate's (0.5 TFLOP/s)."""
    return flops / (ms * 1e-3) == pytest.approx(tflops * 1e12, rel=0.0005 / ms + 0.5 / tflops)


def test_the_printed_rates_are_the_scripts_flop_count() -> None:
    """Every cited row's TFLOP/s is the script's FLOP count over its median time (batch 2 throughout)."""
    for dev, (f_ms, b_ms, f, b) in WINDOW_128.items():
        assert _close(_script_flops(128, 64, WINDOW, False), f_ms, f), dev
        assert _close(_script_flops(128, 64, WINDOW, True), b_ms, b), dev
    for dev, (f_ms, b_ms, f, b) in LLAMA_SAME_SESSION.items():
        assert _close(_script_flops(64, 128, None, False), f_ms, f), dev
        assert _close(_script_flops(64, 128, None, True), b_ms, b), dev
    for dev, (f_ms, b_ms, f, b) in WINDOW_1024_D64.items():
        assert _close(_script_flops(64, 64, 1024, False), f_ms, f), dev
        assert _close(_script_flops(64, 64, 1024, True), b_ms, b), dev
    for backend, (f_ms, b_ms, f, b) in FA4_GB200.items():
        assert _close(_script_flops(128, 64, WINDOW, False), f_ms, f), backend
        assert _close(_script_flops(128, 64, WINDOW, True), b_ms, b), backend


def test_the_models_window_work_is_the_scripts() -> None:
    """The model counts the same pairs on a GPT-OSS windowed layer: causal_work_keys x S = the script's count."""
    model = run_model(next(r for r in read_runs() if r["id"] == "mb2604-h100-gptoss-120b"))
    assert model.sliding_window == WINDOW and model.windowed_layers == 18 and model.layers == 36
    keys = model.keys_attended(float(S), True)
    assert float(compute.causal_work_keys(model, float(S), keys)) * S == pytest.approx(_pairs(S, WINDOW), rel=1e-12)


def test_a_128_key_window_runs_at_a_tenth_of_full_causal_attention() -> None:
    """Same session, same GPU, 4096: the window-128 rate over the head-dim-128 causal rate (0.114 / 0.159 GB200,
    0.098 / 0.153 GB300); at head dim 64 alone, over the window-1024 rate (0.280 / 0.295, 0.247 / 0.299), so the
    window, not only the head dim, costs a factor 3.4-4; and FlashAttention-4 runs the shape no faster (146 / 146 vs
    cuDNN's 163 / 185 in its session): two kernels, one limit."""
    full = {d: (round(WINDOW_128[d][2] / v[2], 3), round(WINDOW_128[d][3] / v[3], 3))
            for d, v in LLAMA_SAME_SESSION.items()}
    assert full == {"gb200": (0.114, 0.159), "gb300": (0.098, 0.153)}
    w1024 = {d: (round(WINDOW_128[d][2] / WINDOW_1024_D64[d][2], 3), round(WINDOW_128[d][3] / WINDOW_1024_D64[d][3], 3))
             for d in WINDOW_128}
    assert w1024 == {"gb200": (0.280, 0.295), "gb300": (0.247, 0.299)}
    fa4, cudnn = FA4_GB200["flash_attention_4"], FA4_GB200["cudnn"]
    assert fa4[2] < cudnn[2] and fa4[3] < cudnn[3]


def hopper_window_rates() -> tuple[float, float]:
    """What-if (an assumption, not a measurement): the H200's head-dim-64 window-1024 rate x GB200's window-128 /
    window-1024 ratio at head dim 64."""
    h, g, w = WINDOW_1024_D64["h200"], WINDOW_1024_D64["gb200"], WINDOW_128["gb200"]
    return h[2] * w[2] / g[2], h[3] * w[3] / g[3]


WINDOW_RATES: dict[str, tuple[float, float]] = {d: (float(v[2]), float(v[3])) for d, v in WINDOW_128.items()}
"""Measured window-128 rates (TFLOP/s forward, backward): GB200 and GB300 only."""


@contextmanager
def _window_rates(table: dict[str, tuple[float, float]]) -> Iterator[None]:
    """The patch of the module docstring: each device's calibration told apart by the fused rates
    with_fused_attention gives it (recorded as it runs, as rheaddim's lead does)."""
    which: dict[tuple[float, float], str] = {}
    original, core = calmod.with_fused_attention, compute.attention_core_s

    def recording(cal: Calibration, spec: AcceleratorSpec, **kw: bool) -> Calibration:
        out = original(cal, spec, **kw)
        if out.fused_attention_eff > 0:
            which[(out.fused_attention_eff, out.fused_bwd_attention_eff)] = spec.name
        return out

    def core_at(model: Any, b: Any, s: Any, keys: Any, tp: Any, flash: bool, dtb: float, dev: compute.Device,
                kernel: str = "fused", work_keys: Any = None) -> Any:
        name = which.get((dev.cal.fused_attention_eff, dev.cal.fused_bwd_attention_eff))
        windowed = (flash and model.sliding_window is not None and model.sliding_window <= WINDOW
                    and bool(np.all(np.asarray(keys) <= model.sliding_window)))
        if kernel == "fused" and windowed and name in table:
            fwd, bwd = (v * 1e12 for v in table[name])
            ratio = float(training.attention_bwd_time_ratio("fused", dev.cal, model))
            eff = (1.0 + ratio) / (1.0 / fwd + 2.5 / bwd) / dev.peak_flop_per_s
            dev = replace(dev, cal=replace(dev.cal, fused_attention_eff=eff))
        return core(model, b, s, keys, tp, flash, dtb, dev, kernel, work_keys)

    mp = pytest.MonkeyPatch()
    mp.setattr(calmod, "with_fused_attention", recording)
    mp.setattr(compute, "attention_core_s", core_at)
    try:
        yield
    finally:
        mp.undo()


def moved_rows(tmp: Path, table: dict[str, tuple[float, float]], only: str = "",
               head_dim_64: dict[str, tuple[float, float]] | None = None) -> dict[str, tuple[float, float, bool, str]]:
    """{row id: (error before, error after, fitted, family)} over every bundled training row (whose id holds `only`):
    before = the model with Hopper's head-dim-128 rate (rheaddim's _hopper_base: the catalog's once adopted), after =
    that with `table`'s window rates (and, given head_dim_64, rheaddim's head-dim-64 patch with that table first)."""
    # ryarn2 (2026-12-05): the rows without their rope_fusion cells (the unfused YaRN RoPE adopted after this
    # lead was measured): the lead's figures stay its own
    rows = [{**r, "rope_fusion": ""} for r in [r for r in read_runs() if only in r["id"]]]
    cals = None if hopper_adopted() else load_calibrations(_hopper_refit_toml(tmp))
    with ExitStack() as stack:
        stack.enter_context(_hopper_base())
        before = {r["id"]: reproduce(r, cals) if cals is not None else reproduce(r) for r in rows}
        if head_dim_64 is not None:
            stack.enter_context(_head_dim_rates(head_dim_64))
        stack.enter_context(_window_rates(table))
        after = {r["id"]: reproduce(r, cals) if cals is not None else reproduce(r) for r in rows}
    return {rid: (before[rid].error, after[rid].error, before[rid].fitted, before[rid].family) for rid in before}


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[float, float, bool, str]]:
    return moved_rows(tmp_path_factory.mktemp("rwindow"), WINDOW_RATES)


@pytest.fixture(scope="module")
def with_hopper(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[float, float, bool, str]]:
    return moved_rows(tmp_path_factory.mktemp("rwindow_h"), {**WINDOW_RATES,
                                                              **{d: hopper_window_rates() for d in HOPPER_SXM}})


# rcudnn2 (2026-12-05): the 25.11 rows -41.3% -> -40.5% / -39.4% -> -38.5% became -40.1% -> -39.2% / -38.2% ->
# -37.2%, their full layers' core at the rates before cuDNN 9.17
MEASURED_MOVES = {
    "mb-gb200-gptoss-120b": "-40.1% -> -39.2%", "mb-gb300-gptoss-120b": "-38.2% -> -37.2%",
    "mb2602-gb200-gptoss-120b": "-47.1% -> -46.2%", "mb2602-gb300-gptoss-120b": "-38.4% -> -37.4%",
    "mb260201-gb200-gptoss-120b": "-54.6% -> -53.7%", "mb260201-gb300-gptoss-120b": "-38.5% -> -37.5%",
    "mb2604-gb200-gptoss-120b": "-54.1% -> -53.2%", "mb2604-gb300-gptoss-120b": "-38.8% -> -37.8%",
    "mb260401-gb200-gptoss-120b": "-52.1% -> -51.1%", "mb260401-gb300-gptoss-120b": "-38.6% -> -37.7%",
    "mb2606-gb200-gptoss-120b": "-19.8% -> -18.2%", "mb2606-gb300-gptoss-120b": "+3.1% -> +4.8%"}


def test_the_measured_rates_move_only_the_blackwell_gptoss_rows_by_about_a_point(
        measured: dict[str, tuple[float, float, bool, str]]) -> None:
    """With the two measured devices' window-128 rates: the 12 GB200 / GB300 GPT-OSS rows move, each slower by 0.8
    to 1.7 points (the windowed cores are 1/16 of the full layers' attention work, so even 10x slower they are a
    small share of a step the MoE block dominates); no fit row; the held-out figures do not change."""
    runs = {r["id"]: r for r in read_runs()}
    moved = {rid for rid, v in measured.items() if abs(v[0] - v[1]) > 1e-12}
    assert len(moved) == 12 and all("gptoss" in rid and runs[rid]["hardware"] in WINDOW_RATES for rid in moved)
    assert all(0.008 < measured[rid][1] - measured[rid][0] < 0.017 for rid in moved)
    assert not any(measured[rid][2] for rid in moved)
    held = [v for v in measured.values() if not v[2]]
    assert _figures([v[0] for v in held]) == _figures([v[1] for v in held])
    assert {rid: f"{_pct(measured[rid][0])} -> {_pct(measured[rid][1])}" for rid in moved} == MEASURED_MOVES


def test_with_hoppers_what_if_rate_the_h100_2604_rows_stay_beyond_25(
        with_hopper: dict[str, tuple[float, float, bool, str]]) -> None:
    """Hopper's window-128 rate as a what-if (hopper_window_rates: 94.2 / 85.2 TFLOP/s, 0.095 / 0.086 of 989.5):
    every H100 GPT-OSS row moves 0.6-1.0 point slower; the 26.04 and 26.04.01 rows of UNEXPLAINED stay beyond 25%,
    so the window's rate alone is not their reason. Held out: one row fewer beyond 25% (am-h100-gptoss-20b-8, which
    carries a checked reason already), the median and the within-6% count unchanged."""
    assert tuple(round(v, 1) for v in hopper_window_rates()) == (94.2, 85.2)
    for rid in GPTOSS_H100:
        before, after = with_hopper[rid][:2]
        assert before < after < 0 and after - before < 0.01, rid
    if hopper_adopted():
        return  # the figures below are on rhopperattn's lead as the base (refresh on adoption)
    assert {rid: abs(with_hopper[rid][1]) > 0.25 for rid in GPTOSS_H100} == {
        "mb260201-h100-gptoss-120b": False, "mb2602-h100-gptoss-120b": False, "mb2604-h100-gptoss-120b": True,
        "mb260401-h100-gptoss-120b": True}
    held = [v for v in with_hopper.values() if not v[2]]
    before, after = _figures([v[0] for v in held]), _figures([v[1] for v in held])
    got = {rid: f"{_pct(with_hopper[rid][0])} -> {_pct(with_hopper[rid][1])}" for rid in (
        *GPTOSS_H100, "mb-h100-gptoss-120b", "am-h100-gptoss-120b-64", "am-h100-gptoss-20b-8")}
    assert got == {"mb260201-h100-gptoss-120b": "-24.6% -> -23.9%", "mb2602-h100-gptoss-120b": "-24.5% -> -23.8%",
                   "mb2604-h100-gptoss-120b": "-26.8% -> -26.1%", "mb260401-h100-gptoss-120b": "-26.6% -> -26.0%",
                   "mb-h100-gptoss-120b": "-13.4% -> -12.6%", "am-h100-gptoss-120b-64": "-0.8% -> -0.0%",
                   "am-h100-gptoss-20b-8": "-25.6% -> -24.7%"}
    assert (before, after) == ("5.43%, 246 within 6%, 39 beyond 25%", "5.43%, 246 within 6%, 38 beyond 25%")


def test_the_h100_2604_rows_need_a_window_rate_under_half_the_what_if(tmp_path: Path) -> None:
    """Sensitivity: at half the what-if (47.1 / 42.6 TFLOP/s) the 26.04 pair is still beyond 25%."""
    half = {d: (hopper_window_rates()[0] / 2, hopper_window_rates()[1] / 2) for d in HOPPER_SXM}
    ba = moved_rows(tmp_path, half, only="h100-gptoss")
    assert all(ba[rid][0] < ba[rid][1] < 0 for rid in GPTOSS_H100)
    if not hopper_adopted():
        assert {rid: abs(ba[rid][1]) > 0.25 for rid in GPTOSS_H100} == {
            "mb260201-h100-gptoss-120b": False, "mb2602-h100-gptoss-120b": False, "mb2604-h100-gptoss-120b": True,
            "mb260401-h100-gptoss-120b": True}
        assert {rid: _pct(ba[rid][1]) for rid in GPTOSS_H100[2:]} == {
            "mb2604-h100-gptoss-120b": "-25.2%", "mb260401-h100-gptoss-120b": "-25.1%"}


def _head_dim_share_table() -> dict[str, tuple[float, float]]:
    """rheaddim's 'head dim's share alone' table (its test_without_the_key_range_...): head dim 64 at (window-1024
    head-dim-64 rate / causal-2048 head-dim-128 rate) x the head-dim-128 rate."""
    share = {dev: (RUNS[dev][1][64][2][0] / f, RUNS[dev][1][64][2][1] / b)
             for dev, (_, _, f, b) in D128_AT_2048.items()}
    return {name: (RUNS[src][1][128][2][0] * share[src][0], RUNS[src][1][128][2][1] * share[src][1])
            for name, src in (*((d, "h200") for d in HOPPER_SXM), ("gb200", "gb200"), ("gb300", "gb300"))}


def test_with_rheaddims_head_dim_lead(tmp_path: Path) -> None:
    """Both leads together (the window what-if on the windowed cores, rheaddim's head-dim-64 rates on the full
    ones): with its window-1024 rates (HEAD_DIM_64) the four H100 rows come within 25% (the 26.04 pair at -24.3 /
    -24.1%); with the head dim's share alone (the window taken out of that rate, as it should be for GPT-OSS's full
    causal layers) the 26.04 pair stays just beyond (-25.5 / -25.4%). So no combination of the two leads gives
    these rows a checked reason: the Hopper window rate is not measured, and the margin is under a point."""
    table = {**WINDOW_RATES, **{d: hopper_window_rates() for d in HOPPER_SXM}}
    both = moved_rows(tmp_path, table, only="h100-gptoss", head_dim_64=HEAD_DIM_64)
    share = moved_rows(tmp_path, table, only="h100-gptoss", head_dim_64=_head_dim_share_table())
    assert all(both[rid][1] > share[rid][1] > share[rid][0] for rid in GPTOSS_H100)
    if not hopper_adopted():
        assert all(abs(both[rid][1]) <= 0.25 for rid in GPTOSS_H100)
        assert {rid: abs(share[rid][1]) > 0.25 for rid in GPTOSS_H100} == {
            "mb260201-h100-gptoss-120b": False, "mb2602-h100-gptoss-120b": False, "mb2604-h100-gptoss-120b": True,
            "mb260401-h100-gptoss-120b": True}
        assert {rid: (_pct(both[rid][1]), _pct(share[rid][1])) for rid in GPTOSS_H100[2:]} == {
            "mb2604-h100-gptoss-120b": ("-24.3%", "-25.5%"), "mb260401-h100-gptoss-120b": ("-24.1%", "-25.4%")}
