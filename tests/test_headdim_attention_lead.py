"""LEAD (rheaddim, 2026-12-05, issue 10): the fused attention core's rate depends on the head dim; measured here, not
adopted (the proposal, a head-dim-keyed catalog rate, is /work/wt/notes/rheaddim_adopt.diff; its data: the note).

The model charges a fused attention core (the runs file's blank attention_kernel cell: cuDNN's scaled dot product
attention through Transformer Engine) at the device's catalog measured_fused_attention_flop_per_s, cudnn-frontend's
Llama 3.1 shape: head dim 128. The same benchmark runs other models' shapes in the same session on the same GPU, so
each device's rate at another head dim is read beside its head-dim-128 rate (cuDNN 9.19, backend 91901, frontend
1.19.0; bfloat16, top_left = causal, 8192 x 8192, the script's FLOP count: the attended scores, the backward 2.5x):
- NVIDIA/cudnn-frontend benchmark/sdpa_benchmark_training/results/{h200,gb200,gb300}_919_only_cudnn/, files
  llama3.1_*.csv (batch 1, 64 query / 8 KV heads, head dim 128), gpt_oss_*.csv (batch 2, 64 / 8 heads, head dim 64,
  sliding_window_size 1024) and dsv3_*.csv (batch 1, 128 / 128 heads, head dims 192 / 128, the backward
  deterministic), at the commits in RUNS.
- Head dim 64 runs at 0.54 / 0.55 (H200), 0.38 / 0.49 (GB200), 0.38 / 0.48 (GB300) of the head-dim-128 rate,
  forward / backward; DeepSeek's MLA 192 / 128 at 0.94-1.00 of it forward (so the model's one rate holds for MLA;
  its backward ratio is the deterministic algorithm's, not comparable).
- Caveat (why not adopted as it stands): the head-dim-64 shape is GPT-OSS's with a 1024-key window, so the ratio
  mixes the head dim with the window's shorter key range; GPT-OSS runs a 128-key window on half its layers and full
  causal attention on the rest. The same benchmark's later GPT-OSS config (configs/gpt_oss.py: 128 / 128 heads,
  sliding_window_size 128) on GB200 (results/gpt_oss/gb200/gpt_oss_20260424_100011.csv at 60e572b, cuDNN 9.22)
  measures 161 / 182 TFLOP/s at 4096: a 128-key window runs at about a tenth of the head-dim-128 rate, a
  window-keyed rate the model has no place for either (the note).

What a head-dim-keyed rate would do (the rows' head dim 64 at the device's head-dim-64 rate where the device has one,
else its head-dim-128 rate: the nearest listed; every other head dim keeps its rate): the before side is the model as
it stands with Hopper's head-dim-128 rate (the catalog's since its adoption, tests/test_hopper_fused_attention.py:
the H200 rate on the four SXM5 devices with its declared refits; a tree without it takes that lead's rates and
refits); the after side adds the head-dim-64 rates. Tolerance: a rate's printed TFLOP/s within 0.2% of the script's
FLOP count over its time; the ratios to 0.001.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import calibration as calmod
from accelopt.predict import compute, training
from accelopt.predict.calibration import Calibration, load_calibrations
from accelopt.predict.validation import read_runs, reproduce


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

RUNS = {  # device -> (results folder at commit, per shape: file, (fwd ms, bwd ms), (fwd, bwd) TFLOP/s printed)
    "h200": ("results/h200_919_only_cudnn", {
        128: ("llama3.1_20260227_034703.csv@df73764", (1.708, 5.083), (644, 541)),
        64: ("gpt_oss_20260227_034819.csv@afa9f7c", (0.738, 2.149), (349, 300)),
        192: ("dsv3_20260227_034744.csv@afa9f7c", (4.278, 16.162), (643, 442))}),
    "gb200": ("results/gb200_919_only_cudnn", {
        128: ("llama3.1_20260226_174648.csv@df73764", (0.688, 2.097), (1598, 1311)),
        64: ("gpt_oss_20260226_175022.csv@afa9f7c", (0.423, 0.998), (609, 646)),
        192: ("dsv3_20260226_174854.csv@afa9f7c", (1.800, 5.728), (1527, 1248))}),
    "gb300": ("results/gb300_919_only_cudnn", {
        128: ("llama3.1_20260226_185510.csv@afa9f7c", (0.583, 1.985), (1887, 1385)),
        64: ("gpt_oss_20260226_185932.csv@df73764", (0.359, 0.965), (718, 668)),
        192: ("dsv3_20260226_185831.csv@df73764", (1.548, 5.432), (1776, 1316))}),
}
S = 8192  # every row above: q_seqlen = kv_seqlen = 8192


def _script_flops(head_dim: int) -> float:
    """The benchmark's forward FLOP count of each shape: 2 products x 2 FLOP x the attended (query, key) pairs x the
    heads x the batch x the head width (qk + vo over 2 for MLA); causal: s (s + 1) / 2 pairs, less what lies left of a
    1024-key window (the band's s x 1024 - 1024 x 1023 / 2)."""
    if head_dim == 64:  # batch 2, 64 query heads, window 1024
        return 4 * 2 * 64 * (S * 1024 - 1024 * 1023 // 2) * 64
    if head_dim == 128:  # batch 1, 64 query heads
        return 4 * 64 * S * S / 2 * 128
    return 2 * 128 * S * S / 2 * (192 + 128)  # batch 1, 128 heads, qk 192, vo 128


def test_the_rates_are_the_scripts_flop_count() -> None:
    """Each printed TFLOP/s is the script's FLOP count over its time within 0.2%: the backward's five products (the
    scores recomputed, dP, dV, dQ, dK) are (3 qk + 2 vo) / (qk + vo) x the forward's work: 2.5x at equal widths,
    2.6x for MLA's 192 / 128."""
    for dev, (_, shapes) in RUNS.items():
        for hd, (_, (fwd_ms, bwd_ms), (fwd, bwd)) in shapes.items():
            flops = _script_flops(hd)
            qk, vo = (192, 128) if hd == 192 else (hd, hd)
            assert flops / (fwd_ms * 1e-3) == pytest.approx(fwd * 1e12, rel=2e-3), (dev, hd)
            assert (3 * qk + 2 * vo) / (qk + vo) * flops / (bwd_ms * 1e-3) == pytest.approx(bwd * 1e12, rel=2e-3), \
                (dev, hd)


def test_head_dim_64_runs_at_about_half_the_head_dim_128_rate_or_less() -> None:
    """Same run, same GPU: head dim 64 (window 1024) over head dim 128, forward / backward; MLA 192 / 128 over head
    dim 128, forward (within 6%)."""
    ratios = {dev: tuple(round(shapes[64][2][i] / shapes[128][2][i], 3) for i in (0, 1))
              for dev, (_, shapes) in RUNS.items()}
    assert ratios == {"h200": (0.542, 0.555), "gb200": (0.381, 0.493), "gb300": (0.380, 0.482)}
    mla = {dev: round(shapes[192][2][0] / shapes[128][2][0], 3) for dev, (_, shapes) in RUNS.items()}
    assert mla == {"h200": 0.998, "gb200": 0.956, "gb300": 0.941}


HOPPER_SXM = ("h100-sxm", "h100-a3-high", "h100-a3-mega", "h200")
"""The GH100 SXM5 devices at the H200's 989.5 TFLOP/s BF16 peak (the H200's rates carried, as rhopperattn did)."""
HEAD_DIM_64 = {**{d: RUNS["h200"][1][64][2] for d in HOPPER_SXM}, "gb200": RUNS["gb200"][1][64][2],
               "gb300": RUNS["gb300"][1][64][2]}
"""The proposal's head-dim-64 entries (TFLOP/s forward, backward); B200 and B300 have no stored head-dim-64 run."""
H200_D128 = {"forward": 644e12, "backward": 541e12}  # rhopperattn's lead, the same H200 llama3.1 row


def hopper_adopted() -> bool:
    return bool(get_device("h100-sxm").measured_fused_attention_flop_per_s)


def _hopper_refit_toml(tmp: Path) -> Path:
    """calibration.toml with rhopperattn's declared refits (nvidia-hopper 0.60 -> 0.58, maxtext 0.54 -> 0.52)."""
    text = calmod.bundled_text()
    head, sep, rest = text.partition("[family.nvidia-hopper]\n")
    fam, sep2, tail = rest.partition("\n[family.nvidia-hopper.stack.")
    assert sep and sep2 and fam.count("\nmatmul_eff_max = 0.60\n") == 1
    fam = fam.replace("\nmatmul_eff_max = 0.60\n", "\nmatmul_eff_max = 0.58\n")
    mx = "[family.nvidia-hopper.stack.maxtext]\nmatmul_eff_max = 0.54\n"
    rest = f"{fam}{sep2}{tail}"
    assert rest.count(mx) == 1
    out = tmp / "calibration.toml"
    out.write_text(f"{head}{sep}{rest.replace(mx, mx.replace('0.54', '0.52'))}", encoding="utf-8")
    return out


@contextmanager
def _hopper_base() -> Iterator[None]:
    """The Hopper SXM5 devices' head-dim-128 rate: nothing to patch once the catalog has it; until then the H200 rate
    on them, as a catalog entry would give it (rhopperattn's lead)."""
    if hopper_adopted():
        yield
        return
    original = calmod.with_fused_attention

    def patched(cal: Calibration, spec: AcceleratorSpec, **kw: bool) -> Calibration:
        if spec.name in HOPPER_SXM:
            spec = replace(spec, measured_fused_attention_flop_per_s=H200_D128)
        return original(cal, spec, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(calmod, "with_fused_attention", patched)
    try:
        yield
    finally:
        mp.undo()


@contextmanager
def _head_dim_rates(table: dict[str, tuple[float, float]] | None = None) -> Iterator[None]:
    """The proposal under a patch: a model of head dim 64 runs its fused core at its device's head-dim-64 rate where
    HEAD_DIM_64 lists one (over the same 16-bit peak); any other head dim, or a device without the entry, keeps the
    head-dim-128 rate (the nearest listed). Each device's calibration is told apart by the fused rates
    with_fused_attention gives it (recorded as it runs). `table`: other head-dim-64 rates (TFLOP/s) in their place."""
    table = HEAD_DIM_64 if table is None else table
    which: dict[tuple[float, float], str] = {}
    original = calmod.with_fused_attention

    def recording(cal: Calibration, spec: AcceleratorSpec, **kw: bool) -> Calibration:
        out = original(cal, spec, **kw)
        if out.fused_attention_eff > 0:
            which[(out.fused_attention_eff, out.fused_bwd_attention_eff)] = spec.name
        return out

    def at_head_dim(cal: Calibration, model: Any) -> Calibration:
        name = which.get((cal.fused_attention_eff, cal.fused_bwd_attention_eff))
        if name not in table or model is None or model.qk_head_dim != 64:
            return cal
        peak = get_device(name).peak("bf16")
        fwd, bwd = table[name]
        return replace(cal, fused_attention_eff=fwd * 1e12 / peak, fused_bwd_attention_eff=bwd * 1e12 / peak)

    core, ratio = compute.attention_core_s, training.attention_bwd_time_ratio

    def core_at(model: Any, b: Any, s: Any, keys: Any, tp: Any, flash: bool, dtb: float, dev: compute.Device,
                kernel: str = "fused", work_keys: Any = None) -> Any:
        if kernel == "fused":
            dev = replace(dev, cal=at_head_dim(dev.cal, model))
        return core(model, b, s, keys, tp, flash, dtb, dev, kernel, work_keys)

    def ratio_at(kernel: str, cal: Calibration, model: Any = None, seq_len: Any = None) -> Any:
        return ratio(kernel, at_head_dim(cal, model) if kernel == "fused" else cal, model, seq_len)

    mp = pytest.MonkeyPatch()
    mp.setattr(calmod, "with_fused_attention", recording)
    mp.setattr(compute, "attention_core_s", core_at)
    mp.setattr(training, "attention_bwd_time_ratio", ratio_at)
    try:
        yield
    finally:
        mp.undo()


def moved_rows(tmp: Path, table: dict[str, tuple[float, float]] | None = None,
               only: str = "") -> dict[str, tuple[float, float, bool, str]]:
    """{row id: (error before, error after, fitted, family)} over every bundled training row (whose id holds `only`):
    before = the model with Hopper's head-dim-128 rate (_hopper_base), after = that with the head-dim-64 rates
    (_head_dim_rates(table))."""
    # ryarn2 (2026-12-05): the rows without their rope_fusion cells (the unfused YaRN RoPE adopted after this
    # lead was measured): the lead's figures stay its own
    rows = [{**r, "rope_fusion": ""} for r in [r for r in read_runs() if only in r["id"]]]
    cals = None if hopper_adopted() else load_calibrations(_hopper_refit_toml(tmp))
    with ExitStack() as stack:
        stack.enter_context(_hopper_base())
        before = {r["id"]: reproduce(r, cals) if cals is not None else reproduce(r) for r in rows}
        stack.enter_context(_head_dim_rates(table))
        after = {r["id"]: reproduce(r, cals) if cals is not None else reproduce(r) for r in rows}
    return {rid: (before[rid].error, after[rid].error, before[rid].fitted, before[rid].family) for rid in before}


@pytest.fixture(scope="module")
def before_after(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[float, float, bool, str]]:
    return moved_rows(tmp_path_factory.mktemp("headdim"))


GPTOSS_H100 = ("mb260201-h100-gptoss-120b", "mb2602-h100-gptoss-120b", "mb2604-h100-gptoss-120b",
               "mb260401-h100-gptoss-120b")
"""The H100 GPT-OSS-120B rows of UNEXPLAINED (tests/test_row_notes_checked.py, finding (9): _HOPPER_ATTN)."""


def _pct(e: float) -> str:
    return f"{100 * e:+.1f}%"


def _figures(errs: list[float]) -> str:
    a = [abs(e) for e in errs]
    return (f"{100 * statistics.median(a):.2f}%, {sum(e <= 0.06 for e in a)} within 6%, "
            f"{sum(e > 0.25 for e in a)} beyond 25%")


def test_only_head_dim_64_rows_on_a_listed_device_move_and_each_slower(
        before_after: dict[str, tuple[float, float, bool, str]]) -> None:
    """The moved rows are the GPT-OSS rows (head dim 64) on the listed devices, each predicted slower (its error up);
    B200 / B300 GPT-OSS rows (no head-dim-64 run stored) and every other head dim stay."""
    runs = {r["id"]: r for r in read_runs()}
    moved = {rid for rid, v in before_after.items() if abs(v[0] - v[1]) > 1e-12}
    assert len(moved) == 19 and all("gptoss" in rid and runs[rid]["hardware"] in HEAD_DIM_64 for rid in moved)
    assert all(before_after[rid][1] > before_after[rid][0] for rid in moved)
    assert not any(before_after[rid][2] for rid in moved)  # no fit row moves: the declared fits stand
    stay = [rid for rid in runs if "gptoss" in rid and runs[rid]["hardware"] in ("b200", "b300")]
    assert len(stay) == 9 and not moved & set(stay)


def test_the_gptoss_h100_rows_come_within_25(before_after: dict[str, tuple[float, float, bool, str]]) -> None:
    """The four H100 GPT-OSS-120B rows of UNEXPLAINED come within 25% on top of Hopper's head-dim-128 rate (the
    26.04 one by 0.05 point); with rhopperattn's lead as the base their figures are pinned here."""
    for rid in GPTOSS_H100:
        before, after = before_after[rid][:2]
        assert before < after < 0 and abs(after) <= 0.25, rid
    if hopper_adopted():
        return  # the base is the adopted catalog's; the figures below are the lead's base (refresh on adoption)
    got = {rid: f"{_pct(before_after[rid][0])} -> {_pct(before_after[rid][1])}"
           for rid in (*GPTOSS_H100, "mb-h100-gptoss-120b", "am-h100-gptoss-120b-64", "am-h100-gptoss-20b-8")}
    assert got == {"mb260201-h100-gptoss-120b": "-24.6% -> -22.7%", "mb2602-h100-gptoss-120b": "-24.5% -> -22.6%",
                   "mb2604-h100-gptoss-120b": "-26.8% -> -25.0%", "mb260401-h100-gptoss-120b": "-26.6% -> -24.8%",
                   "mb-h100-gptoss-120b": "-13.4% -> -11.1%", "am-h100-gptoss-120b-64": "-0.8% -> +1.5%",
                   "am-h100-gptoss-20b-8": "-25.6% -> -23.0%"}
    assert round(100 * before_after["mb2604-h100-gptoss-120b"][1], 2) == -24.95


def test_the_blackwell_gptoss_rows(before_after: dict[str, tuple[float, float, bool, str]]) -> None:
    """GB200 / GB300 GPT-OSS rows (their catalog head-dim-128 rates, independent of the Hopper base): every one
    slower, 2.6-6.2 points; the too-fast ones toward their marks (their checked reason, the blog's x 1.93, is quoted
    on the before figures), mb2606-gb300 (+3.1%) away from it."""
    got = {rid: f"{_pct(v[0])} -> {_pct(v[1])}" for rid, v in before_after.items()
           if "gptoss" in rid and ("-gb200-" in rid or "-gb300-" in rid)}
    # rcudnn2 (2026-12-05): the 25.11 rows' before figures -41.3% / -39.4% -> -40.1% / -38.2% (their core at the
    # rates before cuDNN 9.17); the lead's rates replace the core's, so the after figures stay
    assert got == {
        "mb-gb200-gptoss-120b": "-40.1% -> -35.7%", "mb-gb300-gptoss-120b": "-38.2% -> -33.2%",
        "mb2602-gb200-gptoss-120b": "-47.1% -> -44.3%", "mb2602-gb300-gptoss-120b": "-38.4% -> -35.1%",
        "mb260201-gb200-gptoss-120b": "-54.6% -> -51.8%", "mb260201-gb300-gptoss-120b": "-38.5% -> -35.3%",
        "mb2604-gb200-gptoss-120b": "-54.1% -> -51.3%", "mb2604-gb300-gptoss-120b": "-38.8% -> -35.6%",
        "mb260401-gb200-gptoss-120b": "-52.1% -> -49.1%", "mb260401-gb300-gptoss-120b": "-38.6% -> -35.4%",
        "mb2606-gb200-gptoss-120b": "-19.8% -> -14.7%", "mb2606-gb300-gptoss-120b": "+3.1% -> +8.7%"}


def test_the_held_out_figures_mixed(before_after: dict[str, tuple[float, float, bool, str]]) -> None:
    """Held out: three rows fewer beyond 25%, but the median and the within-6% count a little worse (why it is a
    lead, not a fix: mb2606-gb300 +3.1 -> +8.7% and am-h100-gptoss-120b-64 leave the median's side); only
    nvidia-blackwell's median moves (7.84 -> 7.86%) of the families'."""
    held = [v for v in before_after.values() if not v[2]]
    assert len(held) == 466
    before, after = _figures([v[0] for v in held]), _figures([v[1] for v in held])
    assert int(after.split(", ")[2].split()[0]) == int(before.split(", ")[2].split()[0]) - 3
    if hopper_adopted():
        return
    assert (before, after) == ("5.43%, 246 within 6%, 39 beyond 25%", "5.48%, 245 within 6%, 36 beyond 25%")
    bw = [v for v in held if v[3] == "nvidia-blackwell"]
    assert (len(bw), round(100 * statistics.median(abs(v[0]) for v in bw), 2),
            round(100 * statistics.median(abs(v[1]) for v in bw), 2)) == (162, 7.84, 7.86)


# The same runs' head-dim-128 causal row at 2048 x 2048 (each query attends 1024.5 keys on average, the window's 1024
# at most): its rates over the head-dim-64 window-1024 rates give the head dim's share of the gap without the shorter
# key range's (an estimate: the key range taken to cost both head dims alike).
D128_AT_2048 = {"h200": (0.142, 0.464, 484, 370), "gb200": (0.066, 0.206, 1042, 836),
                "gb300": (0.054, 0.190, 1266, 906)}
"""Per device: fwd ms, bwd ms, fwd / bwd TFLOP/s of the llama3.1 bfloat16 top_left 2048 row (RUNS' llama3.1 files)."""


def test_without_the_key_range_the_head_dim_alone_leaves_two_rows_beyond(tmp_path: Path) -> None:
    """Sensitivity: head dim 64 at (head-dim-64 window-1024 rate / head-dim-128 causal-2048 rate) x the head-dim-128
    rate (H200 0.721 / 0.811, GB200 0.584 / 0.773, GB300 0.567 / 0.737) moves the GPT-OSS rows less: the 26.04 and
    26.04.01 H100 rows stay beyond 25%. So the window-1024 rate's within-25% result rests on the shorter key range as
    much as on the head dim (the FlashAttention-3 paper's H100 figure, cuDNN non-causal 16k forward, head dim 64 413
    vs 128 595 TFLOP/s = 0.69, read as a third party transcribed it, agrees with the head dim's share: the note)."""
    flops = 4 * 64 * 2048**2 / 2 * 128  # batch 1, 64 heads, the causal half of 2048 x 2048, head dim 128
    for dev, (fwd_ms, bwd_ms, fwd, bwd) in D128_AT_2048.items():  # within the printed times' half unit (0.5 us)
        assert flops / (fwd_ms * 1e-3) == pytest.approx(fwd * 1e12, rel=0.0005 / fwd_ms + 1e-3), dev
        assert 2.5 * flops / (bwd_ms * 1e-3) == pytest.approx(bwd * 1e12, rel=0.0005 / bwd_ms + 1e-3), dev
    share = {dev: (RUNS[dev][1][64][2][0] / f, RUNS[dev][1][64][2][1] / b)
             for dev, (_, _, f, b) in D128_AT_2048.items()}
    assert {dev: (round(a, 3), round(b, 3)) for dev, (a, b) in share.items()} == {
        "h200": (0.721, 0.811), "gb200": (0.584, 0.773), "gb300": (0.567, 0.737)}
    table = {name: (RUNS[src][1][128][2][0] * share[src][0], RUNS[src][1][128][2][1] * share[src][1])
             for name, src in (*((d, "h200") for d in HOPPER_SXM), ("gb200", "gb200"), ("gb300", "gb300"))}
    ba = moved_rows(tmp_path, table, only="gptoss")
    got = {rid: abs(ba[rid][1]) > 0.25 for rid in GPTOSS_H100}
    assert got == {"mb260201-h100-gptoss-120b": False, "mb2602-h100-gptoss-120b": False,
                   "mb2604-h100-gptoss-120b": True, "mb260401-h100-gptoss-120b": True}
    if not hopper_adopted():
        assert {rid: _pct(ba[rid][1]) for rid in GPTOSS_H100} == {
            "mb260201-h100-gptoss-120b": "-24.0%", "mb2602-h100-gptoss-120b": "-23.9%",
            "mb2604-h100-gptoss-120b": "-26.2%", "mb260401-h100-gptoss-120b": "-26.0%"}


# The benchmark's later GPT-OSS config (configs/gpt_oss.py: 128 / 128 heads, head dim 64, sliding_window_size 128,
# GPT-OSS's own window), cuDNN 9.22 (frontend 1.21.1, backend 92200), bfloat16 top_left, batch 2, 4096 x 4096, the
# non-deterministic backward: results/gpt_oss/gb200/gpt_oss_20260424_100011.csv and results/gpt_oss/gb300/
# gpt_oss_20260424_100022.csv at 60e572b7c8fe1976631af4141f307900ef17cad5.
WINDOW_128 = {"gb200": (0.210, 0.465, 161, 182), "gb300": (0.202, 0.442, 167, 191)}
"""Per device: fwd ms, bwd ms, fwd / bwd TFLOP/s."""


def test_a_128_key_window_runs_at_about_a_tenth_of_the_head_dim_128_rate() -> None:
    """The window's keys (4096 x 128 - 128 x 127 / 2 per head) over the times give the printed rates (within the
    times' half unit); 0.10 / 0.14 (GB200) and 0.09 / 0.14 (GB300) of the head-dim-128 rates of RUNS. The model
    charges GPT-OSS's windowed layers (128 keys) at the device's one fused rate: a window-keyed rate is a lead of its
    own (not sized here)."""
    flops = 4 * 2 * 128 * (4096 * 128 - 128 * 127 // 2) * 64
    for dev, (fwd_ms, bwd_ms, fwd, bwd) in WINDOW_128.items():
        assert flops / (fwd_ms * 1e-3) == pytest.approx(fwd * 1e12, rel=0.0005 / fwd_ms + 1e-3), dev
        assert 2.5 * flops / (bwd_ms * 1e-3) == pytest.approx(bwd * 1e12, rel=0.0005 / bwd_ms + 1e-3), dev
    assert {dev: (round(f / RUNS[dev][1][128][2][0], 2), round(b / RUNS[dev][1][128][2][1], 2))
            for dev, (_, _, f, b) in WINDOW_128.items()} == {"gb200": (0.10, 0.14), "gb300": (0.09, 0.14)}


# The head-dim-128 causal bfloat16 forward TFLOP/s by sequence (q = kv = s) of the session each catalog rate (or the
# Hopper lead's) comes from: B200 artifacts/sdpa_bf16_benchmark_results_NVIDIA_B200.csv at cb560b9 (pyt_cudnn, 128 /
# 8 heads, cuDNN 9.10.2), GB200 results/gb200_918_only_cudnn/llama3.1_20260126_110503.csv at 9072c4e, GB300
# results/gb300_918_only_cudnn/llama3.1_20260126_110426.csv at b8c0656 (cuDNN 9.18.1), H200 RUNS' llama3.1 file.
KEY_CURVES = {
    "b200": {1024: 254.501, 2048: 478.921, 4096: 855.678, 8192: 1171.278, 16384: 1332.415, 32768: 1419.0},
    "gb200": {2048: 1022, 4096: 1297, 8192: 1563, 16384: 1646, 32768: 1686},
    "gb300": {2048: 1265, 4096: 1679, 8192: 1927, 16384: 1998, 32768: 2031},
    **{d: {2048: 484, 4096: 591, 8192: 644, 16384: 673, 32768: 688} for d in HOPPER_SXM}}


@contextmanager
def _key_range_rates() -> Iterator[None]:
    """What-if: every fused core's forward at its device's curve value for its mean attended keys per query
    (work_keys; causal s: (s + 1) / 2), over the 8192 point the catalog rate is, interpolated in log keys, clamped at
    the ends; the backward keeps its time ratio to the forward (so it scales alike)."""
    import numpy as np

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
        if kernel == "fused" and name in KEY_CURVES:
            curve = KEY_CURVES[name]
            mean_keys = float(np.mean(work_keys if work_keys is not None else keys))
            m = float(np.interp(np.log(max(mean_keys, 1.0)), [np.log((n + 1) / 2) for n in curve],
                                [v / curve[8192] for v in curve.values()]))
            dev = replace(dev, cal=replace(dev.cal, fused_attention_eff=dev.cal.fused_attention_eff * m))
        return core(model, b, s, keys, tp, flash, dtb, dev, kernel, work_keys)

    mp = pytest.MonkeyPatch()
    mp.setattr(calmod, "with_fused_attention", recording)
    mp.setattr(compute, "attention_core_s", core_at)
    try:
        yield
    finally:
        mp.undo()


def test_keying_the_rate_by_attended_keys_alone_does_not_help(tmp_path: Path) -> None:
    """Not supported as the general fix for the window confound (without re-running the declared fits, three of whose
    rows move: nemo-gpt3-175b-128, nemo-llama2-7b, maxtext-a3-llama2-7b-x1): the benchmark's shorter-key rates on
    every fused row make held-out worse, 5.43% -> 5.85%, 246 -> 237 within 6%, nvidia-blackwell 7.84% -> 9.13%; two
    rows cross 25% (mb-b200-qwen3-235b in, nemo2502-b200-mixtral-8x22b out). A key-range term, if any, needs its
    refits and a benchmark shape closer to the runs' (batch x heads per GPU)."""
    # ryarn2 (2026-12-05): the rows without their rope_fusion cells (the unfused YaRN RoPE adopted after this
    # lead was measured): the lead's figures stay its own
    rows = [{**r, "rope_fusion": ""} for r in read_runs()]
    cals = None if hopper_adopted() else load_calibrations(_hopper_refit_toml(tmp_path))
    with ExitStack() as stack:
        stack.enter_context(_hopper_base())
        before = {r["id"]: reproduce(r, cals) if cals is not None else reproduce(r) for r in rows}
        stack.enter_context(_key_range_rates())
        after = {r["id"]: reproduce(r, cals) if cals is not None else reproduce(r) for r in rows}
    held = [rid for rid in before if not before[rid].fitted]
    moved_fits = [rid for rid in before if before[rid].fitted and abs(before[rid].error - after[rid].error) > 1e-12]
    b, a = _figures([before[r].error for r in held]), _figures([after[r].error for r in held])
    assert float(a.split("%")[0]) > float(b.split("%")[0])
    if hopper_adopted():
        return
    assert moved_fits == ["nemo-gpt3-175b-128", "nemo-llama2-7b", "maxtext-a3-llama2-7b-x1"]
    assert (b, a) == ("5.43%, 246 within 6%, 39 beyond 25%", "5.85%, 237 within 6%, 39 beyond 25%")
    bw = [r for r in held if before[r].family == "nvidia-blackwell"]
    assert (round(100 * statistics.median(abs(before[r].error) for r in bw), 2),
            round(100 * statistics.median(abs(after[r].error) for r in bw), 2)) == (7.84, 9.13)
    crossed = sorted(r for r in held if (abs(before[r].error) > 0.25) != (abs(after[r].error) > 0.25))
    assert crossed == ["mb-b200-qwen3-235b", "nemo2502-b200-mixtral-8x22b"]
