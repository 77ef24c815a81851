"""Hopper's fused attention core at cuDNN's measured H200 rate (issue 10; measured by rhopperattn, 2026-12-05, as a
lead; adopted by rhopperadopt / rhopperadopt2, 2026-12-05, as rblackwell did for Blackwell).

A run whose attention kernel is 'fused' (cuDNN's scaled dot product attention through Transformer Engine: the runs
file's blank attention_kernel cell) ran its attention core on the 16-bit GEMM curve (eff_max 0.60 on nvidia-hopper).
rblackwell charged B200 / GB200 / GB300 at cudnn-frontend's measured rates (tests/test_blackwell_fused_attention.py);
cudnn-frontend also stores an H200 run of the same benchmark and shape:
- NVIDIA/cudnn-frontend benchmark/sdpa_benchmark_training/results/h200_919_only_cudnn/llama3.1_20260227_034703.csv
  at df73764adb98b7445b77662ce07b1ea434c8f3ee: gpu_name 'NVIDIA H200', cuDNN 9.19 (backend 91901, frontend 1.19.0),
  config llama3.1, batch 1, 8192 x 8192, 64 query / 8 KV heads, head dim 128, bfloat16, top_left (causal):
  fwd_time_ms 1.708, bwd_time_ms 5.083, fwd_tflops 644, bwd_tflops 541 (0.651 / 0.547 of the 989.5 TFLOP/s dense
  BF16 peak).
- No H100 run of it is stored (artifacts/ holds B200 / GB200 / GB300 only). The H200 is the GH100 GPU of the H100
  SXM5 (132 SMs; catalog source h200-sms) at the same datasheet tensor peaks (989.5 TFLOP/s dense BF16 in both the
  H100 and H200 datasheets: h100-ds, h200-ds), so the catalog carries the rate to h100-sxm and its two Google Cloud A3
  VMs (h100-a3-high, h100-a3-mega, the same H100 SXM5; source cudnn-sdpa-h100, 'Derived: ...'); they differ in HBM
  (4.8 vs 3.35 TB/s), a caveat. H100 PCIe, H800, H20 and GH200 differ in clocks, links or power and stay on the curve
  (no source covers them), which `plan explain` says.

The declared Hopper fits whose rows run the fused core moved, and were re-run exactly as calibration.toml declares them
(tests/test_calibration_fits.py RULES): nvidia-hopper matmul_eff_max 0.60 -> 0.58, nvidia-hopper/maxtext 0.54 -> 0.52
(nvidia-hopper/fp8 stays 0.50). Training held-out 5.58% -> 5.43% median, 242 -> 246 within 6%, 41 -> 39 beyond 25%,
nvidia-hopper 5.83% -> 4.81% over its 108 rows; no other family's row moves (serving: 0 rows moved, checked with
`accelopt validate --serving`). Two GPT-OSS-120B H100 rows came within 25% and left UNEXPLAINED. Tolerance: the quoted
digits (a fraction to 0.001, a percentage to 0.01 point, a row's error to 0.1 point, the script's FLOP count within
0.2%).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import calibration as calmod
from accelopt.predict.calibration import Calibration, calibration_for, load_calibrations
from accelopt.predict.compute import attention_kernel_bwd_rate, attention_kernel_rate
from accelopt.predict.validation import fit_fp8_eff_max, fit_stack_eff_max, read_runs, reproduce


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

H200_CSV_COMMIT = "df73764adb98b7445b77662ce07b1ea434c8f3ee"
H200_FWD_BWD_MS = (1.708, 5.083)
H200_FLOP_PER_S = {"forward": 644e12, "backward": 541e12}  # fwd_tflops / bwd_tflops of the bf16 top_left 8192 row
HOPPER_SXM = {"h100-sxm": "cudnn-sdpa-h100", "h100-a3-high": "cudnn-sdpa-h100", "h100-a3-mega": "cudnn-sdpa-h100",
              "h200": "cudnn-sdpa-h200"}
"""The GH100 SXM5 devices at the datasheet's 989.5 TFLOP/s BF16 and their rate's catalog source; not h100-pcie."""
GPTOSS_H100 = ("mb260201-h100-gptoss-120b", "mb2602-h100-gptoss-120b", "mb2604-h100-gptoss-120b",
               "mb260401-h100-gptoss-120b")
RECOMPUTED_IDS: frozenset[str] = frozenset()
"""No row note's checked reason is recomputed here; the two GPT-OSS rows it brought within 25% need none."""


def test_the_catalog_holds_the_cited_rates() -> None:
    """Each SXM5 device's catalog entry is the H200 CSV row, with its source; H100 PCIe has none."""
    for dev, src in HOPPER_SXM.items():
        spec = get_device(dev)
        assert spec.measured_fused_attention_flop_per_s == H200_FLOP_PER_S, dev
        text = spec.sources["measured_fused_attention_flop_per_s.forward"]
        assert "NVIDIA/cudnn-frontend" in text, dev
        if src == "cudnn-sdpa-h200":
            assert f"at {H200_CSV_COMMIT}" in text and "fwd_tflops 644 / bwd_tflops 541" in text
        else:
            assert text.startswith("Derived: the H200 row of cudnn-sdpa-h200 (644 / 541 TFLOP/s)")
    assert not get_device("h100-pcie").measured_fused_attention_flop_per_s


def test_the_rates_are_the_scripts_flop_count() -> None:
    """64 heads x 4 x 8192^2 x 128 / 2 (the causal half, FlashAttention's count) over the row's times, the backward
    2.5x that work: within 0.2% of the printed TFLOP/s; 0.651 / 0.547 of H100 SXM's and H200's 989.5 TFLOP/s."""
    fwd_flops = 64 * 4 * 8192**2 * 128 / 2
    fwd_ms, bwd_ms = H200_FWD_BWD_MS
    assert fwd_flops / (fwd_ms * 1e-3) == pytest.approx(H200_FLOP_PER_S["forward"], rel=2e-3)
    assert 2.5 * fwd_flops / (bwd_ms * 1e-3) == pytest.approx(H200_FLOP_PER_S["backward"], rel=2e-3)
    for dev in HOPPER_SXM:
        spec = get_device(dev)
        assert spec.peak("bf16") == 989.5e12 and spec.streaming_multiprocessors == 132, dev
    assert get_device("h100-pcie").peak("bf16") != 989.5e12


def test_the_model_charges_them() -> None:
    """Each SXM5 device's fused core runs at 0.651 / 0.547 of its peak and its calibration says where from; H100 PCIe
    keeps the curve (rate 0) and says so; flash2 / unfused are not touched."""
    for dev in HOPPER_SXM:
        cal = calibration_for(get_device(dev))
        assert (round(attention_kernel_rate("fused", cal), 3), round(attention_kernel_bwd_rate("fused", cal), 3)) \
            == (0.651, 0.547), dev
        # 'derived' since rvgb300 (2026-12-05; 'measured' before): only H200 ran the benchmark, the others carry its
        # rates (catalog cudnn-sdpa-h100, 'Derived: ...')
        word = "measured" if dev == "h200" else "derived"
        assert f"{word} rates on {dev}" in cal.fused_attention_basis and "cudnn-frontend" in \
            cal.fused_attention_basis
        assert attention_kernel_rate("unfused", cal) == 0.0
        assert attention_kernel_rate("flash2", cal) == cal.flash2_attention_eff == 0.35
    pcie = calibration_for(get_device("h100-pcie"))
    assert attention_kernel_rate("fused", pcie) == 0.0
    assert pcie.fused_attention_basis.startswith("no measured fused-attention rate of h100-pcie ")


def test_plan_explain_prints_the_rate_and_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain` on H100 SXM: the fused core's rates in the notes with the source; on H100 PCIe the note says
    the core stays on the GEMM curve, a default."""
    base = ["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--tp", "1", "--pp", "1", "--zero", "3",
            "--json"]
    for dev, want in (("h100-sxm", "attention core (fused kernel) at 0.651 (forward) / 0.547 (backward) x the 16-bit "
                                   "peak: the fused kernel's derived rates on h100-sxm, 644 / 541 TFLOP/s"),
                      ("h100-pcie", "attention core (fused kernel): no measured fused-attention rate of h100-pcie")):
        code, out, err = run_main([*base, "--hardware", dev], capsys)
        assert code == 0, err
        notes = json.loads(out)["notes"]
        assert any(n.startswith(want) for n in notes), notes
        if dev == "h100-sxm":
            assert any("cudnn-sdpa-h200" in n and "cudnn-frontend" in n for n in notes), notes
    code, out, err = run_main([*base[:-1], "--hardware", "h100-sxm"], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    # 'derived' since rvgb300 (2026-12-05; 'measured' before): H100's rates are H200's run carried over
    assert "fused attention at 0.651 (forward) / 0.547 (backward) x peak, derived" in text
    assert "cudnn-frontend" in text


def test_the_declared_hopper_rules_rerun() -> None:
    """The declared rules (tests/test_calibration_fits.py RULES) on their rows give the bundled values: nvidia-hopper
    0.58 (0.60 before), its maxtext stack 0.52 (0.54 before); the fp8 rule on the refitted family keeps 0.50."""
    hop = load_calibrations()["nvidia-hopper"]
    assert (hop.matmul_eff_max, hop.stacks["maxtext"].matmul_eff_max, hop.fp8_matmul_eff_max) == (0.58, 0.52, 0.50)
    assert fit_stack_eff_max("nvidia-hopper", "megatron", sorted(hop.fitted_on)).matmul_eff_max == 0.58
    assert fit_stack_eff_max("nvidia-hopper", "maxtext",
                             sorted(hop.stacks["maxtext"].fitted_on)).matmul_eff_max == 0.52
    assert fit_fp8_eff_max("nvidia-hopper", sorted(hop.fp8_fitted_on)).fp8_matmul_eff_max == 0.50
    text = calmod.bundled_text()
    assert "RE-RUN 2026-12-05 (rhopperadopt, issue 10)" in text and "matmul_eff_max 0.60 -> 0.58" in text
    assert "0.54 -> 0.52\n# (maxtext-a3-llama2-7b-x1 -1.2% -> +1.5%)" in text


@pytest.fixture(scope="module")
def before_after() -> dict[str, tuple[float, float, bool]]:
    """{row id: (error before, error now, fitted)} over every bundled training row, 'before' being the model as it
    was: every Hopper fused core on the GEMM curve and the Hopper values 0.60 / maxtext 0.54."""
    cals = load_calibrations()
    hop = cals["nvidia-hopper"]
    assert (hop.matmul_eff_max, hop.stacks["maxtext"].matmul_eff_max) == (0.58, 0.52)
    stacks = {**hop.stacks, "maxtext": replace(hop.stacks["maxtext"], matmul_eff_max=0.54)}
    old = {**cals, "nvidia-hopper": replace(hop, matmul_eff_max=0.60, stacks=stacks)}
    # both sides without ryarn2's rope_fusion cells (2026-12-05, tests/test_rope_fusion.py: the 22 Megatron-Bridge
    # GPT-OSS rows' unfused YaRN RoPE): this change's figures stay its own
    rows = [{**r, "rope_fusion": ""} for r in read_runs()]
    orig = calmod.with_fused_attention

    # both sides without rgb300's cudnn_before_9_17 rates (2026-12-05, tests/test_cudnn_before_917.py): this change's
    # figures stay its own
    def without_hopper(cal: Calibration, spec: AcceleratorSpec, **kw: bool) -> Calibration:
        return cal if cal.family == "nvidia-hopper" else orig(cal, spec)

    mp = pytest.MonkeyPatch()
    try:  # undone before the tests run: a test that patches with_fused_attention wraps the model's own
        mp.setattr(calmod, "with_fused_attention", lambda cal, spec, **kw: orig(cal, spec))
        now = {r["id"]: reproduce(r, cals) for r in rows}
        mp.setattr(calmod, "with_fused_attention", without_hopper)
        return {r["id"]: (reproduce(r, old).error, now[r["id"]].error, now[r["id"]].fitted) for r in rows}
    finally:
        mp.undo()


def _figures(errs: list[float]) -> str:
    a = [abs(e) for e in errs]
    return (f"{100 * statistics.median(a):.2f}%, {sum(e <= 0.06 for e in a)} within 6%, "
            f"{sum(e > 0.25 for e in a)} beyond 25%")


def test_the_held_out_figures_before_and_after(before_after: dict[str, tuple[float, float, bool]]) -> None:
    """Median, within 6%, beyond 25% and nvidia-hopper's median all better; only nvidia-hopper rows move (90)."""
    held = {rid: v for rid, v in before_after.items() if not v[2]}
    # 2026-12-05 (s32 merge): whole-file figures 5.58% / 242 / 41 -> 5.53% / 244 / 40 before and 5.43% / 246 / 39 ->
    # 5.35% / 248 / 38 after, moved by the session's other changes to non-Hopper rows (rmegablox's megablox width
    # rate on three MaxText v5p rows, utcat's GB300 DeepSeek-V3 recompute cells, rcudnn2 / rgb300 before them); the
    # Hopper-only move below is unchanged
    # 2026-12-06 (rtrn2, Trainium1's link at NCCOM-TEST's measured bus bandwidth, Trn1 rows only): the
    # before figures were 5.53 / 244 / 40, the after ones 5.35 / 248 / 38
    assert _figures([v[0] for v in held.values()]) == "5.50%, 247 within 6%, 39 beyond 25%"
    assert _figures([v[1] for v in held.values()]) == "5.30%, 251 within 6%, 37 beyond 25%"
    fams = {r["id"]: reproduce(r).family for r in read_runs()}
    hop = [v for rid, v in held.items() if fams[rid] == "nvidia-hopper"]
    assert (len(hop), round(100 * statistics.median(abs(v[0]) for v in hop), 2),
            round(100 * statistics.median(abs(v[1]) for v in hop), 2)) == (108, 5.83, 4.81)
    moved = {rid for rid, v in before_after.items() if abs(v[0] - v[1]) > 1e-12}
    assert {fams[rid] for rid in moved} == {"nvidia-hopper"} and len(moved) == 90


def test_the_gptoss_h100_rows_and_the_fit_rows(before_after: dict[str, tuple[float, float, bool]]) -> None:
    """The GPT-OSS-120B H100 rows move toward their marks (two within 25%, out of UNEXPLAINED); the fit rows after the
    re-run; no row leaves 25% the other way."""
    from test_row_notes_checked import UNEXPLAINED

    got = {rid: f"{100 * before_after[rid][0]:+.1f}% -> {100 * before_after[rid][1]:+.1f}%"
           for rid in (*GPTOSS_H100, "dgxc-h100-llama31-8b-bf16-8", "dgxc-h100-nemotron4-340b-bf16-128",
                       "maxtext-a3-llama2-7b-x1")}
    assert got == {"mb260201-h100-gptoss-120b": "-26.2% -> -24.6%", "mb2602-h100-gptoss-120b": "-26.1% -> -24.5%",
                   "mb2604-h100-gptoss-120b": "-28.3% -> -26.8%", "mb260401-h100-gptoss-120b": "-28.2% -> -26.6%",
                   "dgxc-h100-llama31-8b-bf16-8": "+2.2% -> +5.1%",
                   "dgxc-h100-nemotron4-340b-bf16-128": "-3.3% -> -0.3%", "maxtext-a3-llama2-7b-x1": "-1.2% -> +1.5%"}
    crossed = sorted(rid for rid, v in before_after.items() if (abs(v[0]) > 0.25) != (abs(v[1]) > 0.25))
    assert crossed == ["mb2602-h100-gptoss-120b", "mb260201-h100-gptoss-120b"]
    assert all(abs(before_after[rid][1]) <= 0.25 and rid not in UNEXPLAINED for rid in crossed)


def test_the_unexplained_entries_quote_the_move(before_after: dict[str, tuple[float, float, bool]]) -> None:
    """The two rows left in UNEXPLAINED (tests/test_row_notes_checked.py, _HOPPER_ATTN) quote the move computed above,
    and the rates and refits; the two that left it are quoted as within 25%."""
    # rh100 (2026-12-05): the two rows left UNEXPLAINED with finding (11) as their checked reason; (9) stays in their
    # record, GPTOSS_H100_RECORD
    from test_row_notes_checked import _HOPPER_ATTN, GPTOSS_H100_RECORD

    for key in ("644 / 541 TFLOP/s", "0.651 / 0.547", "0.60 -> 0.58", "0.54 -> 0.52", "@df73764",
                "charged since rhopperadopt2", "-26.1% -> -24.5% / -26.2% -> -24.6%"):
        assert key in _HOPPER_ATTN, key
    for rid in GPTOSS_H100[2:]:
        old, new = (100 * e for e in before_after[rid][:2])
        text = " ".join(GPTOSS_H100_RECORD[rid].split())
        assert f"this row {old:+.1f}% -> {new:+.1f}%, still beyond 25%" in text, rid


# The same H200 run's GPT-OSS shape (NVIDIA/cudnn-frontend results/h200_919_only_cudnn/gpt_oss_20260227_034819.csv at
# afa9f7c0be7e4b384c7cdb5729a4247cd34950a8, cuDNN 9.19): batch 2, 4096 x 4096, 64 query / 8 KV heads, head dim 64,
# bfloat16, top_left with sliding_window_size 1024: fwd_time_ms 0.358, bwd_time_ms 1.042, fwd_tflops 336 / bwd_tflops
# 289, about half the head-dim-128 rate (the fp8 rows failed: 'hidden_dim shoud be equal to 128').
GPTOSS_SHAPE_FWD_BWD_MS = (0.358, 1.042)
GPTOSS_SHAPE_FLOP_PER_S = {"forward": 336e12, "backward": 289e12}


def test_the_gptoss_shape_rate_would_bring_the_four_rows_within_25(monkeypatch: pytest.MonkeyPatch) -> None:
    """A further lead, not adopted: the rate depends on the head dim. The script counts the window's keys (4096 x 1024
    - 1024 x 1023 / 2 of them per head), so 336 / 289 TFLOP/s (0.340 / 0.292 of 989.5); at that rate on the four SXM5
    devices, with the bundled refits (their fit rows are head-dim-128 models), the four Megatron-Bridge GPT-OSS H100
    rows are within 25%. Not adopted: one device rate serves every model, and a head-dim-keyed rate is a model change
    of its own; the benchmark's window (1024) is not GPT-OSS's (128)."""
    keys = 4096 * 1024 - 1024 * 1023 // 2
    fwd_flops = 4 * 2 * 64 * keys * 64
    fwd_ms, bwd_ms = GPTOSS_SHAPE_FWD_BWD_MS
    assert fwd_flops / (fwd_ms * 1e-3) == pytest.approx(GPTOSS_SHAPE_FLOP_PER_S["forward"], rel=2e-3)
    assert 2.5 * fwd_flops / (bwd_ms * 1e-3) == pytest.approx(GPTOSS_SHAPE_FLOP_PER_S["backward"], rel=2e-3)
    peak = get_device("h200").peak("bf16")
    assert (round(GPTOSS_SHAPE_FLOP_PER_S["forward"] / peak, 3), round(GPTOSS_SHAPE_FLOP_PER_S["backward"] / peak, 3)) \
        == (0.340, 0.292)
    original = calmod.with_fused_attention

    def patched(cal: Calibration, spec: AcceleratorSpec, **kw: bool) -> Calibration:
        if spec.name in HOPPER_SXM:
            spec = replace(spec, measured_fused_attention_flop_per_s=GPTOSS_SHAPE_FLOP_PER_S)
        return original(cal, spec, **kw)

    monkeypatch.setattr(calmod, "with_fused_attention", patched)
    # ryarn2 (2026-12-05): the rows without their rope_fusion cells, as the lead and the record quote them
    rows = {r["id"]: {**r, "rope_fusion": ""} for r in read_runs()}
    got = {rid: f"{100 * reproduce(rows[rid]).error:+.1f}%" for rid in GPTOSS_H100}
    assert got == {"mb260201-h100-gptoss-120b": "-22.5%", "mb2602-h100-gptoss-120b": "-22.4%",
                   "mb2604-h100-gptoss-120b": "-24.8%", "mb260401-h100-gptoss-120b": "-24.6%"}
    from test_row_notes_checked import GPTOSS_H100_RECORD  # rh100: their record since they left UNEXPLAINED

    for rid in GPTOSS_H100[2:]:  # the entries of the rows still beyond 25% quote it
        assert f"at which this row would be {got[rid]}: a head-dim-keyed rate" in GPTOSS_H100_RECORD[rid], rid
