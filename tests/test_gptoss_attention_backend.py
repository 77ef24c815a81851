"""Which attention kernel the bundled Megatron-Bridge GPT-OSS-120B rows ran, and what the model charges (gptossattn,
2026-12-04, issue 10).

GPT-OSS's attention has learnable sinks (one logit per head in the softmax's denominator) and a 128-token causal
sliding window on every other layer. The lead checked: if Transformer Engine's fused (cuDNN) backend had not taken the
sink softmax in these releases' containers, TE would have run UnfusedDotProductAttention ([b, heads, s, s] scores,
memory-bound softmax passes) and the rows' 41-60% too-fast misses could be that. Established instead: every bundled
release (25.11 .. 26.04.01) ran the fused cuDNN kernel, on H100 (SM90), B200 / GB200 (SM100) and B300 / GB300
(SM103) alike, as the model already charges (attention_kernel blank = fused, the 18 windowed layers at 128 keys).
No cell or model value changes; the rows keep their MoE-block reason.

The rule (stated before any row was looked at): Megatron-Bridge's GPT-OSS runs its sink attention
- in Megatron Core's local (unfused) attention if Transformer Engine < 2.8: GPTOSSProvider.provide
  ('Fused sink attention requires TE >= 2.8. Falling back to MCore local sink attention.', attention_backend
  AttnBackend.local; NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/models/gpt_oss/gpt_oss_provider.py at
  12bc34a8ee308a638d4bfd29401085944d4a468e, which also sets softmax_type 'learnable', window_size (128, 0),
  window_attn_skip_freq 2); Megatron Core's TEDotProductAttention passes softmax_type to TE from 2.8.0 on
  (megatron/core/extensions/transformer_engine.py, code index id 1243281105: `if self.config.softmax_type !=
  "vanilla": assert is_te_min_version("2.8.0") ... extra_kwargs["softmax_type"] = self.config.softmax_type`);
- in TE's UnfusedDotProductAttention if cuDNN < 9.13.1: TE's nvte_get_fused_attn_backend admits a non-vanilla
  softmax from cuDNN 9.13.1 on (transformer_engine/common/fused_attn/fused_attn.cpp, code index id 56199524505:
  '// pre-9.13.1: vanilla // 9.13.1+: vanilla, off-by-one, learnable', `(cudnn_runtime_version >= 91301 || ...
  softmax_type == NVTE_Softmax_Type::NVTE_VANILLA_SOFTMAX)`; TE PR #2148, label 2.8.0: 'FusedAttention backend for
  FP16/BF16 and BSHD/SBHD: cuDNN 9.13.1+'), and FlashAttention is off for any non-vanilla softmax
  (pytorch/attention/dot_product_attention/utils.py at 002a3e573f49cb0345955745206084e289d0f346, get_attention_backend:
  'Disabling FlashAttention for softmax_type = %s');
- in cuDNN fused attention otherwise. The same fused_attn.cpp admits SM90 with cuDNN >= 8.9.3 and SM100+ with cuDNN >=
  9.7, a causal (left, 0) sliding window on BSHD/SBHD from cuDNN 9.2; get_attention_backend turns FusedAttention off
  for a sink softmax only under FP8 attention, THD (packed sequences) or context parallelism, none of which these
  BF16, SBHD, CP 1 pre-training rows use; its cuDNN 9.13-9.15 CUDA-graph and 9.14.0 guards (TE PR #2344) are for
  non-causal masks, and GPT-OSS's is causal. Megatron-Bridge's performance launcher sets no NVTE_FLASH_ATTN /
  NVTE_FUSED_ATTN / NVTE_UNFUSED_ATTN (scripts/performance/utils/executors.py at
  023219edab5567d29a7b672207d8a0b925c493c2, PERF_ENV_VARS), so TE's defaults (all enabled) hold.

The containers' versions: NVIDIA-NeMo/Megatron-Bridge docs/releases/software-versions.md at
2075a5b8aa562e45c441b55f079434b2e7baa027 (CONTAINERS below). Not established by a source: the 26.02.01 and 26.04.01
patch containers are in no stored version of that file (their line's versions are assumed, PATCH_LINE); and whether
cuDNN's closed SDPA engine skips the key tiles left of a 128-key window (the model credits it, compute.causal_work_keys;
without the credit each row's step would grow 1.1% to 7.2%: WINDOW_CREDIT).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from accelopt.predict import compute as C
from accelopt.predict.query import LayoutResult, predict_layout
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, reproduce, run_query


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

ROWS = {r["id"]: r for r in read_runs()}
SOFTWARE_VERSIONS = "software-versions.md at 2075a5b8aa562e45c441b55f079434b2e7baa027"
CONTAINERS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "25.09": ((2, 7, 0), (9, 11, 0)),  # 'Transformer Engine | 2.7.0', 'cuDNN | 9.11.0.98'
    "25.11": ((2, 9), (9, 13, 1)),  # 'Transformer Engine | 2.9', 'cuDNN | 9.13.1.26'
    "26.02": ((2, 12), (9, 18, 0)),  # 'Transformer Engine | 2.12', 'cuDNN | 9.18.0.50'
    "26.04": ((2, 14), (9, 20, 0)),  # 'Transformer Engine | 2.14', 'cuDNN | 9.20.0.48-1'
}
"""NeMo Framework containers: (Transformer Engine, cuDNN) from Megatron-Bridge's software-versions.md."""
CUDNN_TEXT = {"25.11": "9.13.1.26", "26.02": "9.18.0.50", "26.04": "9.20.0.48-1"}
PATCH_LINE = {"26.02.01": "26.02", "26.04.01": "26.04"}
"""Patch releases not listed in software-versions.md: their line's versions, assumed (not read)."""
ARCH = {"h100-sxm": "SM90", "b200": "SM100", "gb200": "SM100", "b300": "SM103", "gb300": "SM103"}
NOTE_MARK = "Attention backend established (gptossattn, 2026-12-04)"


def sink_attention_backend(te: tuple[int, ...], cudnn: tuple[int, ...], qkv_format: str = "sbhd") -> str:
    """The module docstring's rule: 'local' (Megatron Core's unfused core), 'unfused' (TE's) or 'fused' (cuDNN)."""
    if te < (2, 8):
        return "local"
    if cudnn < (9, 13, 1):
        return "unfused"
    if qkv_format == "thd" and cudnn < (9, 18, 0):  # TE PR #2568: THD sink attention from cuDNN 9.18.0
        return "unfused"
    return "fused"


def release(rid: str) -> str:
    """The NeMo container of a Megatron-Bridge row, from its source cell ('Megatron-Bridge26.04.01 perf summary')."""
    rel = ROWS[rid]["source"].removeprefix("Megatron-Bridge").split()[0]
    return PATCH_LINE.get(rel, rel)


MB_GPTOSS_BF16 = tuple(rid for rid, r in ROWS.items() if "gptoss" in rid and r["source"].startswith("Megatron-Bridge")
                       and r["dtype"] == "bf16")
MXFP8_ROWS = ("mb2606-gb200-gptoss-120b", "mb2606-gb300-gptoss-120b")
RECOMPUTED_IDS = frozenset((*MB_GPTOSS_BF16, *MXFP8_ROWS))
"""The rows whose notes this module checks (their attention backend; the 26.06 rows' MXFP8 figures)."""


def test_the_rule_on_the_containers() -> None:
    assert sink_attention_backend(*CONTAINERS["25.09"]) == "local"  # TE 2.7: the provider's fallback
    for line in ("25.11", "26.02", "26.04"):
        assert sink_attention_backend(*CONTAINERS[line]) == "fused", line
    assert sink_attention_backend((2, 9), (9, 13, 1), "thd") == "unfused"  # packed sequences: not these rows
    assert sink_attention_backend((2, 9), (9, 13, 0)) == "unfused"


def test_every_bundled_release_is_covered() -> None:
    assert len(MB_GPTOSS_BF16) == 24
    assert {release(rid) for rid in MB_GPTOSS_BF16} == {"25.11", "26.02", "26.04"}


@pytest.mark.parametrize("rid", MB_GPTOSS_BF16)
def test_row_ran_fused_attention_and_is_charged_so(rid: str) -> None:
    row = ROWS[rid]
    assert sink_attention_backend(*CONTAINERS[release(rid)]) == "fused"
    assert row["hardware"] in ARCH
    assert row["flash"] == "1" and (row.get("attention_kernel") or "fused") == "fused"
    assert (row["sliding_window"], row["sliding_window_layers"]) == ("128", "18")
    res = predict_layout(run_query(row))
    assert res.setup.attention_kernel == "fused" and res.setup.flash
    assert res.setup.model.windowed_layers == 18 and res.setup.model.keys_attended(4096, True) == 128


def attention_note(rid: str) -> str:
    """The sentence each row's note carries (written by gptossattn from this function's text)."""
    rel = ROWS[rid]["source"].removeprefix("Megatron-Bridge").split()[0]
    line = release(rid)
    te = ".".join(str(v) for v in CONTAINERS[line][0])
    patch = (f"; the {rel} patch container is not listed there, the {line} line's versions are assumed"
             if rel in PATCH_LINE else "")
    return (f"{NOTE_MARK}: fused cuDNN attention, as the model charges it (attention_kernel blank = fused; the 18 "
            f"windowed layers at 128 keys). The NeMo {line} container ships Transformer Engine {te} and cuDNN "
            f"{CUDNN_TEXT[line]} (NVIDIA-NeMo/Megatron-Bridge docs/releases/{SOFTWARE_VERSIONS}{patch}); "
            "GPTOSSProvider's learnable-softmax sinks (softmax_type 'learnable', window_size (128, 0)) fall back to "
            "Megatron Core's local attention only below TE 2.8 (gpt_oss_provider.py at 12bc34a), and TE runs them in "
            "cuDNN fused attention for SBHD / BSHD from cuDNN 9.13.1 on (TE PR #2148, 2.8.0; fused_attn.cpp: "
            f"'pre-9.13.1: vanilla; 9.13.1+: vanilla, off-by-one, learnable'), on {ARCH[ROWS[rid]['hardware']]} "
            "too; FlashAttention is off for any non-vanilla softmax and the performance launcher sets no NVTE_*_ATTN "
            "variable, so the unfused fallback is not this row's miss (tests/test_gptoss_attention_backend.py).")


@pytest.mark.parametrize("rid", MB_GPTOSS_BF16)
def test_note_states_the_backend(rid: str) -> None:
    assert attention_note(rid) in ROWS[rid]["note"]


# 2026-12-04 (sortchunks): gb300 7.2 -> 7.0, gb200 6.9 -> 6.7, mb2604 b200 2.2 -> 2.1, gb300 3.5 -> 3.3,
# h100 2.9 -> 2.8, the local-expert sort cost (a larger base step)
# 2026-12-05 (fc2bias): gb300 7.0 -> 6.6, gb200 6.7 -> 6.3, b200 1.1 -> 1.0, mb2604 b200 2.1 -> 2.0, gb300 3.3 -> 3.1,
# h100 2.8 -> 2.7, the fc2-bias charge (a larger base step); 2026-12-05 (moeopt): gb300 6.6 -> 6.5, the experts'
# optimizer step over their expert-data-parallel group (a larger base step); 2026-12-05 (rblackwell): gb300 6.5 -> 7.8,
# gb200 6.3 -> 8.0, b200 1.0 -> 1.8, mb2604 b200 2.0 -> 3.4, gb300 3.1 -> 3.8, each Blackwell device's fused attention
# core at its measured cuDNN rate (below the GEMM curve: the windowed layers' skipped tiles are worth more);
# rcudnn2 (2026-12-05): gb300 7.8 -> 9.7, gb200 8.0 -> 9.9, the 25.11 rows' core at the rates before cuDNN 9.17
# ryarn2 (2026-12-05): mb2604 b200 3.4 -> 3.3, gb300 3.8 -> 3.6, h100 2.7 -> 2.6, unfused YaRN RoPE adopted on the
# 26.02 .. 26.06 rows (rope_fusion unfused: a larger base step)
WINDOW_CREDIT = {"mb-gb300-gptoss-120b": 9.7, "mb-gb200-gptoss-120b": 9.9, "mb-b200-gptoss-120b": 1.8,
                 "mb2604-b200-gptoss-120b": 3.3, "mb2604-gb300-gptoss-120b": 3.6, "mb2604-h100-gptoss-120b": 2.6}
"""Step growth, %, were the windowed layers charged as full causal ones (a kernel that does not skip the key tiles
left of the window): the sliding_window cells blanked. Not the 41-60% misses."""


@pytest.mark.parametrize(("rid", "pct"), sorted(WINDOW_CREDIT.items()))
def test_window_credit_is_small(rid: str, pct: float) -> None:
    base = reproduce(ROWS[rid]).predicted_step_s
    full = reproduce({**ROWS[rid], "sliding_window": "", "sliding_window_layers": ""}).predicted_step_s
    assert round((full / base - 1) * 100, 1) == pct


# --- the 26.06 MXFP8 rows: why the model's step is the BF16 sibling's ---------------------------------------------


@functools.cache
def _result(rid: str) -> LayoutResult:
    return predict_layout(run_query(ROWS[rid]))


def expert_gemm_ms(rid: str, dtype: str) -> tuple[float, float, float]:
    """(time ms, achieved PFLOP/s, quantize-pass ms) of one expert GEMM of the row's shape, [tokens per local expert,
    2880] x [2880, 2880], as compute.gemm_s times it in `dtype` (bf16, or the row's MXFP8 recipe)."""
    res = _result(rid)
    lay, mdl = res.layout, res.setup.model
    tok_e = lay.mbs * res.setup.seq_len * lay.ep * mdl.top_k / mdl.experts  # moe_forward's tokens per local expert
    dev = _device(res.spec, dtype, res.cal, "mxfp8")
    a = np.asarray
    t, flops = C.gemm_s(a(tok_e), a(float(mdl.ffn)), a(float(mdl.hidden)), 2.0, dev)
    lin = dev.linear
    bw = dev.bw_byte_per_s * dev.cal.memory_eff
    cast = 0.0 if lin is None else tok_e * mdl.hidden * lin.cast_bytes_per_input / bw
    return float(t) * 1e3, float(flops) / float(t) / 1e15, cast * 1e3


def mxfp8_figures(rid: str) -> list[str]:
    res = _result(rid)
    lay = res.layout
    tok_e = lay.mbs * res.setup.seq_len * lay.ep * res.setup.model.top_k / res.setup.model.experts
    f8, f8_rate, cast = expert_gemm_ms(rid, "fp8")
    bf, bf_rate, _ = expert_gemm_ms(rid, "bf16")
    lin = _device(res.spec, "fp8", res.cal, "mxfp8").linear
    assert lin is not None
    same_bf16 = reproduce({**ROWS[rid], "dtype": "bf16", "fp8_recipe": ""}).predicted_step_s
    step = reproduce(ROWS[rid]).predicted_step_s
    return [f"{tok_e:.0f} x 2880 x 2880", f"{f8:.3f} ms in MXFP8 against {bf:.3f} ms in BF16",
            f"ceiling ({lin.eff_max:.3f} of the {lin.peak_flop_per_s / 1e15:.0f} PFLOP/s MXFP8 peak)",
            f"{f8_rate:.2f} PFLOP/s with its quantize pass against the BF16 curve's {bf_rate:.2f}",
            f"{lin.cast_bytes_per_input:.4f} bytes an input element, {cast:.3f} ms",
            f"the same cells in BF16 give {same_bf16:.2f} s, MXFP8 {step:.2f} s"]


@pytest.mark.parametrize("rid", MXFP8_ROWS)
def test_mxfp8_notes_quote_why_the_step_matches_bf16(rid: str) -> None:
    note = ROWS[rid]["note"]
    for figure in mxfp8_figures(rid):
        assert figure in note, (rid, figure)


def test_mxfp8_gains_nothing_on_2880_wide_experts() -> None:
    """The expert GEMMs do run in MXFP8 in the model (grouped_gemm_s -> gemm_s at dev.linear), but at GPT-OSS's
    2880-wide shapes the calibrated MXFP8 rate with its quantize pass gains little on the BF16 curve: 6% faster at the
    GB200 row's 32768 tokens per expert, equal at the GB300 row's 8192 (equal and 6% slower at the fp8 rule's 0.46,
    before rblackwell's re-run to 0.50, 2026-12-05)."""
    ratios = {rid: expert_gemm_ms(rid, "fp8")[0] / expert_gemm_ms(rid, "bf16")[0] for rid in MXFP8_ROWS}
    assert {rid: round(r, 2) for rid, r in ratios.items()} == {MXFP8_ROWS[0]: 0.94, MXFP8_ROWS[1]: 1.0}


# --- the unfused what-if the runs file's gptossattn comment quotes (seen, not adopted) -----------------------------


def _unfused_err_pct(rid: str) -> float:
    return round(reproduce({**ROWS[rid], "attention_kernel": "unfused"}).error * 100, 1)


def test_unfused_what_if_fits_no_release_set() -> None:
    """The model's --attention-kernel unfused (every key scored on the windowed layers too: test_unfused_sliding_window)
    overshoots the 26.04 rows and, by far more, the 25.11 GB200 / GB300 rows (seq 8192); the sources above say fused.
    Before the unfused core's windowed layers were charged every key: -17.4..+5.8% and +34.8% / +49.3%."""
    later = [_unfused_err_pct(f"mb2604-{s}-gptoss-120b") for s in ("gb300", "gb200", "b300", "b200", "h100")]
    # 2026-12-04 (sortchunks): (16.1, 55.6) -> (17.4, 57.7) and (117.9, 145.4) -> (119.7, 147.4), the local-expert
    # sort cost
    # 2026-12-05 (fc2bias): (17.4, 57.7) -> (20.8, 61.4) and (119.7, 147.4) -> (123.0, 150.9), the fc2-bias charge
    # 2026-12-05 (moeopt): (20.8, 61.4) -> (20.9, 61.6) and (123.0, 150.9) -> (123.0, 151.0), the experts' optimizer
    # step over their expert-data-parallel group
    # 2026-12-05 (ryarn2): (20.9, 61.6) -> (22.5, 63.9), unfused YaRN RoPE adopted on the 26.04 rows (rope_fusion
    # unfused); the 25.11 rows do not set the cell
    assert (min(later), max(later)) == (22.5, 63.9)
    assert (_unfused_err_pct("mb-gb200-gptoss-120b"), _unfused_err_pct("mb-gb300-gptoss-120b")) == (123.0, 151.0)


@pytest.mark.parametrize("rid", [rid for rid in MB_GPTOSS_BF16 if ARCH[ROWS[rid]["hardware"]] != "SM90"])
def test_unfused_softmax_outputs_exceed_blackwell_memory(rid: str) -> None:
    """[mbs, 64 heads, s, s] 16-bit softmax outputs kept for the backward, 36 layers (PP 1): 288 GiB at MBS 4 and
    seq 4096 (576 at MBS 2 and 8192), above every Blackwell device's memory."""
    res = _result(rid)
    lay, mdl, s = res.layout, res.setup.model, res.setup.seq_len
    held = lay.mbs * mdl.heads / lay.tp * s * s * 2 * mdl.layers / lay.pp * min(lay.pp, lay.m)
    assert lay.pp == 1 and held / 2**30 >= 288 and held > res.spec.memory_bytes
