"""The attention kernel a run uses, as a runs-file cell (attention_kernel) and a flag (--attention-kernel) (issue 10).

Which kernel runs the attention core is a setting of the run, not of its software stack: NVIDIA's dgxc-benchmarking
NeMo recipes for GPT-3 175B and Nemotron-4 340B export NVTE_FUSED_ATTN=0, which turns Transformer Engine's cuDNN fused
attention off, so TE runs Tri Dao's FlashAttention-2 (NVIDIA/NeMo docs/source/features/memory_optimizations.rst at
90c9b16, 'Turn Flash Attention On and Off'). FlashAttention-2 reaches 35% of an H100's BF16 peak (Shah et al. 2024,
'FlashAttention-3', abstract), the nvidia-hopper family's flash2_attention_eff, one figure for both passes. On an A100
it reaches 'up to 73% of the theoretical max throughput in the forward pass, and up to 63% ... in the backward pass'
(Dao 2023, 'FlashAttention-2', arXiv 2307.08691, sec. 1): nvidia-ampere's flash2_attention_eff and
flash2_bwd_attention_eff, the backward's 2.5x work at its own rate. A family without a figure (nvidia-blackwell) keeps
the GEMM curve and says so."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import (
    Device,
    attention_bwd_time_ratio,
    attention_core_s,
    attention_kernel_bwd_rate,
    attention_kernel_of,
    causal_work_keys,
)
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.transformer import TransformerConfig

ROWS = {r["id"]: r for r in read_runs()}
H100 = get_device("h100-sxm")
A100 = get_device("a100-sxm-80gb")
MPT_1B = TransformerConfig(name="mpt-1b", layers=24, hidden=2048, heads=16, ffn=8192, vocab=50368, seq_len=2048,
                           tied_embeddings=True)
EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--tp", "1", "--pp", "1", "--zero", "3",
           "--json"]


# --- the rate ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["megatron", "pytorch-fsdp"])
def test_flash2_core_runs_at_the_published_h100_rate_on_any_stack(stack: str) -> None:
    """MPT-1B's attention core for 12 sequences of 2048 tokens: 2 x b x heads x s x keys x (qk + v) FLOPs =
    2 x 12 x 16 x 2048 x 2048 x 256 = 4.12e11; at 0.35 x 989.5 TFLOP/s that is 1.19 ms, plus one launch (4 us). Its
    Q, K, V, O traffic (12 x (16 x 2048 + 16 x 2048) x 256 x 2 B = 403 MB) takes 0.15 ms at 0.8 x 3.35 TB/s: compute
    bound. The same core with the fused (cuDNN) kernel runs at the device's measured cuDNN rate (644 TFLOP/s forward,
    rhopperadopt 2026-12-05; on the GEMM curve before)."""
    cal = calibration_for(H100, stack=stack)
    peak = float(H100.peak("bf16") or 0.0)
    dev = Device(peak_flop_per_s=peak, bw_byte_per_s=H100.memory_bandwidth_byte_per_s, cal=cal)
    one = np.ones(1)
    flops = 2.0 * 12 * 16 * 2048 * 2048 * (128 + 128)
    t2, f2 = attention_core_s(MPT_1B, 12 * one, 2048 * one, 2048 * one, one, True, 2.0, dev, "flash2")
    tf, ff = attention_core_s(MPT_1B, 12 * one, 2048 * one, 2048 * one, one, True, 2.0, dev, "fused")
    assert float(f2[0]) == float(ff[0]) == pytest.approx(flops, rel=1e-12)
    assert cal.flash2_attention_eff == 0.35
    assert float(t2[0]) == pytest.approx(flops / (peak * 0.35) + cal.kernel_overhead_s, rel=1e-12)
    assert float(t2[0]) == pytest.approx(1.19e-3 + 4e-6, rel=0.01)
    # since rhopperadopt (2026-12-05) the H100 SXM5's fused core runs at cuDNN's measured 644 TFLOP/s forward
    # (catalog cudnn-sdpa-h100), no longer on the GEMM curve: 4.12e11 / 644e12 = 0.64 ms plus one launch
    assert cal.fused_attention_eff == pytest.approx(644e12 / peak, rel=1e-12)
    assert float(tf[0]) == pytest.approx(flops / 644e12 + cal.kernel_overhead_s, rel=1e-9)


LLAMA3_8B = TransformerConfig(name="llama3-8b", layers=32, hidden=4096, heads=32, ffn=14336, vocab=128256,
                              seq_len=8192, kv_heads=8, mlp="swiglu")


def test_flash2_core_runs_at_the_published_a100_forward_rate() -> None:
    """tt-a100-llama3-8b-sel-op's attention core (one sequence of 8192 tokens per rank, 32 heads of 128, causal): the
    FlashAttention-2 algorithm computes (S + 1) / 2 = 4096.5 keys per query, 2 x 32 x 8192 x 4096.5 x 256 = 5.498e11
    FLOPs; at 0.73 x 312 TFLOP/s (Dao 2023 sec. 1, 'up to 73% ... in the forward pass') that is 2.414 ms, plus one
    launch (4 us). Its Q, O and GQA K, V traffic ((32 + 8) x 8192 x 256 x 2 B = 168 MB) takes 0.10 ms at 0.8 x 2.039
    TB/s: compute bound. Before (no A100 rate) the core ran on the GEMM curve, 0.70 x F / (F + 5e8)."""
    cal = calibration_for(A100, stack="pytorch-fsdp")
    peak = float(A100.peak("bf16") or 0.0)
    assert peak == 312e12 and cal.family == "nvidia-ampere"
    assert (cal.flash2_attention_eff, cal.flash2_bwd_attention_eff) == (0.73, 0.63)
    dev = Device(peak_flop_per_s=peak, bw_byte_per_s=A100.memory_bandwidth_byte_per_s, cal=cal)
    one = np.ones(1)
    work = causal_work_keys(LLAMA3_8B, 8192 * one, 8192 * one)
    assert float(work[0]) == 4096.5
    t, f = attention_core_s(LLAMA3_8B, one, 8192 * one, 8192 * one, one, True, 2.0, dev, "flash2", work_keys=work)
    assert float(f[0]) == pytest.approx(2.0 * 32 * 8192 * 8192 * 256, rel=1e-12)  # the non-causal count, reported
    f_work = 2.0 * 32 * 8192 * 4096.5 * 256
    assert float(t[0]) == pytest.approx(f_work / (peak * 0.73) + 4e-6, rel=1e-12)
    assert float(t[0]) == pytest.approx(2.414e-3 + 4e-6, rel=1e-3)


def test_the_backward_runs_at_its_own_published_rate() -> None:
    """The backward's 5 products to the forward's 2 (Dao 2023 Algorithm 2) at 0.63 of the A100's peak instead of 0.73:
    2.5 x 0.73 / 0.63 = 2.897 forward times. One figure for both passes (H100's 0.35) keeps 2.5; a kernel on the GEMM
    curve keeps its work ratio (fused on a FlashAttention-2 family 2.5, unfused 2.0)."""
    a100, h100 = calibration_for(A100, stack="pytorch-fsdp"), calibration_for(H100, stack="pytorch-fsdp")
    assert attention_bwd_time_ratio("flash2", a100) == pytest.approx(2.5 * 0.73 / 0.63, rel=1e-12)
    assert attention_kernel_bwd_rate("flash2", h100) == h100.flash2_attention_eff == 0.35
    assert attention_bwd_time_ratio("flash2", h100) == 2.5
    assert attention_bwd_time_ratio("fused", a100) == 2.5 and attention_bwd_time_ratio("unfused", a100) == 2.0


def test_the_backward_rate_reaches_the_step_of_an_a100_row() -> None:
    """tt-a100-llama3-8b-sel-op (64 A100s, FSDP, one sequence per rank, 32 layers): charging the backward at the
    forward's 0.73 instead of its own 0.63 takes 32 x (2.897 - 2.5) x 2.418 ms = 30.7 ms off the backward (the core's
    forward, above); nothing else moves."""
    q = run_query(ROWS["tt-a100-llama3-8b-sel-op"])
    cals = load_calibrations()
    own = predict_layout(q, cals).terms
    amp = cals["nvidia-ampere"]  # the row runs on its pytorch-fsdp stack table (ampfsdp), a copy of the rates
    stacks = {k: dataclasses.replace(v, flash2_bwd_attention_eff=0.0) for k, v in amp.stacks.items()}
    one_rate = dict(cals, **{"nvidia-ampere": dataclasses.replace(amp, flash2_bwd_attention_eff=0.0, stacks=stacks)})
    same = predict_layout(q, one_rate).terms
    core_s = 2.0 * 32 * 8192 * 4096.5 * 256 / (312e12 * 0.73) + 4e-6
    expected = 32 * (2.5 * 0.73 / 0.63 - 2.5) * core_s
    assert own["t_bwd_s"] - same["t_bwd_s"] == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(30.7e-3, rel=2e-3)
    assert own["t_fwd_s"] == same["t_fwd_s"] and own["t_recompute_s"] == same["t_recompute_s"]


def test_the_stacks_carry_no_attention_rate_of_their_own() -> None:
    """One mechanism: the rate is the run's kernel's, so both H100 stacks give a fused core the same time."""
    cals = load_calibrations()
    assert not hasattr(cals["nvidia-hopper"], "attention_eff_max")
    fsdp, meg = calibration_for(H100, cals, "pytorch-fsdp"), calibration_for(H100, cals, "megatron")
    assert fsdp.flash2_attention_eff == meg.flash2_attention_eff == 0.35


def test_the_old_stack_field_is_an_error_naming_its_replacement(tmp_path: Path) -> None:
    p = tmp_path / "cal.toml"
    p.write_text("[family.nvidia-hopper.stack.pytorch-fsdp]\nattention_eff_max = 0.35\n")
    with pytest.raises(InputError, match="attention_eff_max") as e:
        load_calibrations(p)
    assert "flash2_attention_eff" in e.value.fix and "--attention-kernel flash2" in e.value.fix


@pytest.mark.parametrize("field", ["flash2_attention_eff", "flash2_bwd_attention_eff", "triton_attention_eff",
                                   "triton_bwd_attention_eff"])
def test_a_rate_outside_0_1_is_an_error(tmp_path: Path, field: str) -> None:
    p = tmp_path / "cal.toml"
    p.write_text(f"[family.nvidia-hopper.stack.pytorch-fsdp]\n{field} = 1.5\n")
    with pytest.raises(InputError, match=field):
        load_calibrations(p)


def test_a_backward_rate_without_a_forward_rate_is_an_error(tmp_path: Path) -> None:
    """nvidia-blackwell has no FlashAttention-2 rate: a backward figure alone would leave the forward on the GEMM
    curve and the backward at a kernel rate, a mix no source describes."""
    p = tmp_path / "cal.toml"
    p.write_text("[family.nvidia-blackwell.stack.pytorch-fsdp]\nflash2_bwd_attention_eff = 0.5\n")
    with pytest.raises(InputError, match="without a forward rate") as e:
        load_calibrations(p)
    assert "flash2_attention_eff" in e.value.fix


# --- the runs-file cell --------------------------------------------------------------------------------------------

def test_cells_parse_to_the_kernel_and_a_blank_cell_follows_flash() -> None:
    assert run_query(ROWS["dgxc-h100-gpt3-175b-bf16-128"]).attention_kernel == "flash2"
    assert run_query(ROWS["dgxc-h100-llama31-8b-bf16-8"]).attention_kernel == "fused"
    assert predict_layout(run_query(ROWS["nemo-gpt3-5b"])).setup.attention_kernel == "fused"  # blank, flash 1
    assert predict_layout(run_query(ROWS["meg-t1-1.7b"])).setup.attention_kernel == "unfused"  # blank, flash 0


@pytest.mark.parametrize(("cell", "flash", "words"), [("fa3", "1", "is not an attention kernel"),
                                                      ("flash2", "0", "with flash attention off")])
def test_a_bad_cell_names_the_cell_and_the_run(cell: str, flash: str, words: str) -> None:
    row = {**ROWS["dgxc-h100-gpt3-175b-bf16-128"], "attention_kernel": cell, "flash": flash}
    with pytest.raises(InputError, match=words) as e:
        run_query(row)
    assert "attention_kernel cell of run 'dgxc-h100-gpt3-175b-bf16-128'" in e.value.problem


def test_attention_kernel_of() -> None:
    assert attention_kernel_of(True, None) == "fused" and attention_kernel_of(False, "") == "unfused"
    assert attention_kernel_of(True, "unfused") == "unfused"


def test_every_mpt_h100_row_runs_flash_attention_2() -> None:
    """llm-foundry scripts/train/benchmarking/submit_benchmarks.py (stored 51652ea; the H100 tables' script) sets
    attn_impl from --attn_impl, default 'flash', installing '.[gpu-flash2]'."""
    mpt = [r for r in ROWS.values() if r["id"].startswith("mpt-") and not r["id"].startswith("mpt-a100-")]
    assert len(mpt) == 24 and {r["attention_kernel"] for r in mpt} == {"flash2"}


def test_every_mpt_a100_row_runs_flash_attention_in_triton() -> None:
    """longseq (2026-12-02): the A100 table's sweep (torch 1.13.1 image) passes no --attn_impl, and the
    submit_benchmarks.py of that era defaults it to 'triton' (flash_attn.flash_attn_triton; runs-file header)."""
    a100 = [r for r in ROWS.values() if r["id"].startswith("mpt-a100-")]
    assert len(a100) == 61 and {r["attention_kernel"] for r in a100} == {"triton"}


def test_every_torchtitan_row_runs_flash_attention_2() -> None:
    """torchtitan's Llama calls F.scaled_dot_product_attention; PyTorch ranked cuDNN attention last from PR #138522
    (2.5) until PR #162073 (2.9), and torchtitan preferred cuDNN only on B200 in May 2025 (PR #1209): the flash backend
    (FlashAttention-2) ran on the A100 rows and on the H200 rows (torchtitan e7c0cae, torch 2.8.0a0)."""
    tt = [r for r in ROWS.values() if r["id"].startswith("tt-")]
    assert len(tt) == 10 and {r["attention_kernel"] for r in tt} == {"flash2"}


def test_the_dgxc_fit_row_moves_to_the_flash2_rate() -> None:
    """dgxc-h100-nemotron4-340b-bf16-128 (a Hopper bf16 fit row; NVTE_FUSED_ATTN=0): slower with the recipe's kernel
    (the fused kernel's GEMM curve reaches ~0.60 of the peak, FlashAttention-2 0.35). Since hopdiag both kernels
    compute only the causal half of the scores (compute.causal_work_keys), so the core, and this gap, halved: 1.8%
    of the step (was > 3% when every key was timed)."""
    row = ROWS["dgxc-h100-nemotron4-340b-bf16-128"]
    q = run_query(row)
    flash2 = predict_layout(q).terms["step_time_s"]
    fused = predict_layout(dataclasses.replace(q, attention_kernel="fused")).terms["step_time_s"]
    assert flash2 > fused * 1.015


# --- the flag ------------------------------------------------------------------------------------------------------

def test_flag_reaches_the_prediction_and_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    docs = {}
    for kernel in ("fused", "flash2", "unfused"):
        code, out, err = run_main([*EXPLAIN, "--hardware", "h100-sxm", "--attention-kernel", kernel], capsys)
        assert code == 0, err
        docs[kernel] = json.loads(out)
        assert docs[kernel]["attention_kernel"] == kernel
    code, out, err = run_main([*EXPLAIN, "--hardware", "h100-sxm", "--no-flash"], capsys)
    assert code == 0, err
    no_flash = json.loads(out)
    assert no_flash["attention_kernel"] == "unfused" and docs["unfused"]["flash"] is False
    assert explain_terms(no_flash) == explain_terms(docs["unfused"])
    step = {k: explain_terms(d)["step_time_s"] for k, d in docs.items()}
    assert step["fused"] < step["flash2"]


@pytest.mark.parametrize(("extra", "words"), [(["--attention-kernel", "fa3"], "is not an attention kernel"),
                                              (["--no-flash", "--attention-kernel", "flash2"], "flash attention off")])
def test_bad_flag_exits_2_naming_it(extra: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*EXPLAIN, "--hardware", "h100-sxm", *extra], capsys)
    assert code == 2 and words in err and "--attention-kernel" in err


def test_a_family_without_a_published_rate_prints_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    """nvidia-blackwell has no flash2_attention_eff (no FlashAttention-2 rate on a B200 found as text; nvidia-ampere
    had none until Dao 2023 sec. 1's was read): the core stays on the GEMM curve, and plan explain and plan say so
    (text and JSON). The fused (cuDNN) kernel runs there too on a Blackwell device without a measured fused-attention
    rate (B300; B200's own measured rate since rblackwell, 2026-12-05, tests/test_blackwell_fused_attention.py), so
    the two give one step on B300."""
    b200 = ["--hardware", "b200"]
    code, out, err = run_main([*EXPLAIN, *b200, "--attention-kernel", "flash2"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert any("no published FlashAttention-2 rate for device family 'nvidia-blackwell'" in n for n in doc["notes"])
    b300 = ["--hardware", "b300"]
    code, out, err = run_main([*EXPLAIN, *b300, "--attention-kernel", "flash2"], capsys)
    flash2_b300 = explain_terms(json.loads(out))["step_time_s"]
    code, out, err = run_main([*EXPLAIN, *b300], capsys)
    assert explain_terms(json.loads(out))["step_time_s"] == flash2_b300
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "b200", "--devices", "8",
                               "--top", "1", "--attention-kernel", "flash2", "--json"], capsys)
    assert code == 0, err
    assert any("no published FlashAttention-2 rate" in n for n in json.loads(out)["notes"])
    code, out, err = run_main([*EXPLAIN[:-1], *b200, "--attention-kernel", "flash2"], capsys)
    assert code == 0 and "no published FlashAttention-2 rate" in " ".join(out.split())


def test_the_a100_rates_are_printed_not_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    """With Dao 2023's A100 figures a flash2 run on an A100 prints both rates and no default note."""
    code, out, err = run_main([*EXPLAIN[:-1], "--hardware", "a100-sxm-80gb", "--attention-kernel", "flash2"], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    assert "flash2 attention at 0.73 (forward) / 0.63 (backward) x peak" in text
    assert "no published FlashAttention-2 rate" not in text


# --- FlashAttention in Triton (longseq, 2026-12-02) ----------------------------------------------------------------

# FlashAttention (1)'s A100 rates, Dao 2023 ('FlashAttention-2', arXiv 2307.08691) sec. 1: "the forward pass only
# reaches 30-50% of the theoretical maximum FLOPs/s of the device (Fig. 5), while the backward pass ... reaching only
# 25-35%" (Fig. 6); the ranges' midpoints, as longseq took 1.4x for 1.3-1.5x
FA1_FWD_RANGE, FA1_BWD_RANGE = (0.30, 0.50), (0.25, 0.35)
BWD_WORK = 2.5  # FlashAttention's backward: 5 products to the forward's 2 (S recomputed), Dao 2023 sec. 4.1


def _fwd_bwd_rate(fwd: float, bwd: float) -> float:
    """The forward + backward share of the peak of a kernel at `fwd` / `bwd` (1 + 2.5 units of work)."""
    return (1 + BWD_WORK) / (1 / fwd + BWD_WORK / bwd)


def _triton_bwd(fa1_fwd: float, fa1_bwd: float, triton_fwd: float) -> float:
    """flash_attn_triton's backward rate if its forward + backward equals FlashAttention's (its header: 'slightly
    slower', no figure: equality is the bound) with its forward at `triton_fwd`."""
    return BWD_WORK / ((1 + BWD_WORK) / _fwd_bwd_rate(fa1_fwd, fa1_bwd) - 1 / triton_fwd)


def test_the_a100_triton_rates_are_derived_not_fitted() -> None:
    """Forward (longseq, 2026-12-02): Dao 2023 sec. 4.1, FlashAttention-2 is 'around 1.3-1.5x faster than
    FlashAttention in Triton in the forward pass'; 0.73 / 1.4 (the range's midpoint). Backward (a100_long, 2026-12-03):
    flash_attn_triton's header (Dao-AILab/flash-attention at 00583fb, 'Differences between this Triton version and the
    CUDA version'): 'Triton forward is generally faster than CUDA forward, while Triton backward is generally slower
    than CUDA backward. Overall Triton forward + backward is slightly slower than CUDA forward + backward'; CUDA
    FlashAttention at the midpoints of its A100 ranges runs forward + backward at 0.323 of the peak, so the Triton
    backward is 0.280 (0.315 before: 0.63 / 2, which put the Triton forward + backward at 0.355, faster than CUDA
    FlashAttention's at the midpoints; the header with the whole published ranges allows 0.219..0.346, 0.315 among
    them, so the midpoints are what exclude it). The stack table carries the family's values."""
    amp = load_calibrations()["nvidia-ampere"]
    assert (amp.triton_attention_eff, amp.triton_bwd_attention_eff) == (0.521, 0.280)
    assert amp.triton_attention_eff == round(amp.flash2_attention_eff / 1.4, 3)
    fa1_fwd, fa1_bwd = (sum(FA1_FWD_RANGE) / 2, sum(FA1_BWD_RANGE) / 2)
    assert round(_fwd_bwd_rate(fa1_fwd, fa1_bwd), 3) == 0.323
    assert amp.triton_bwd_attention_eff == round(_triton_bwd(fa1_fwd, fa1_bwd, amp.triton_attention_eff), 3)
    # the header's two inequalities hold at the derived rates (at the midpoints they did not at 0.315: 0.315 > 0.30)
    assert amp.triton_attention_eff > fa1_fwd and amp.triton_bwd_attention_eff < fa1_bwd < 0.315
    assert round(_fwd_bwd_rate(amp.triton_attention_eff, 0.315), 3) == 0.355
    # ... but not over the whole ranges: at FlashAttention's upper ends (0.50 / 0.35) its forward + backward is 0.383,
    # above the 0.355 of 0.315, so the header alone allows 0.315 (review_s16)
    fa1_top = _fwd_bwd_rate(FA1_FWD_RANGE[1], FA1_BWD_RANGE[1])
    top_bwd = _triton_bwd(FA1_FWD_RANGE[1], FA1_BWD_RANGE[1], amp.triton_attention_eff)
    assert round(fa1_top, 3) == 0.383 and top_bwd > 0.315
    fsdp = calibration_for(A100, stack="pytorch-fsdp")
    assert (fsdp.triton_attention_eff, fsdp.triton_bwd_attention_eff) == (0.521, 0.280)


def test_the_triton_rates_against_fa2_match_the_authors_2x() -> None:
    """A cross-check, not an input: Tri Dao, insuhan/hyper-attn PR #1 (2023-11-30), FlashAttention-2's CUDA kernel is
    'about 2x faster than the triton implementation' (flash_attn_triton). FA2 at its cited A100 rates (0.73 / 0.63)
    runs forward + backward at 0.656 of the peak: 2.03x the Triton kernel's at the derived rates, 1.85x at 0.315.
    The ranges' ends bracket the derivation: FlashAttention at 0.30 / 0.25 or 0.50 / 0.35 gives a Triton backward of
    0.219 or 0.346 (reported in calibration.toml, not adopted)."""
    amp = load_calibrations()["nvidia-ampere"]
    fa2 = _fwd_bwd_rate(amp.flash2_attention_eff, amp.flash2_bwd_attention_eff)
    assert round(fa2, 3) == 0.656
    triton = _fwd_bwd_rate(amp.triton_attention_eff, amp.triton_bwd_attention_eff)
    assert round(fa2 / triton, 2) == 2.03 and round(fa2 / _fwd_bwd_rate(amp.triton_attention_eff, 0.315), 2) == 1.85
    ends = [round(_triton_bwd(f, b, amp.triton_attention_eff), 3)
            for f, b in zip(FA1_FWD_RANGE, FA1_BWD_RANGE, strict=True)]
    assert ends == [0.219, 0.346]


def test_the_triton_core_runs_at_its_rate_on_the_causal_half() -> None:
    """The same core as the flash2 test above, at 0.521 x 312 TFLOP/s on the (S + 1) / 2 keys the Triton kernel visits
    (it skips the blocks above the diagonal, as FlashAttention-2 does); its backward 2.5 x 0.521 / 0.280 = 4.65 forward
    times (4.13 with the backward at 0.315 before a100_long)."""
    cal = calibration_for(A100, stack="pytorch-fsdp")
    peak = float(A100.peak("bf16") or 0.0)
    dev = Device(peak_flop_per_s=peak, bw_byte_per_s=A100.memory_bandwidth_byte_per_s, cal=cal)
    one = np.ones(1)
    work = causal_work_keys(LLAMA3_8B, 8192 * one, 8192 * one)
    t, _ = attention_core_s(LLAMA3_8B, one, 8192 * one, 8192 * one, one, True, 2.0, dev, "triton", work_keys=work)
    assert float(t[0]) == pytest.approx(2.0 * 32 * 8192 * 4096.5 * 256 / (peak * 0.521) + 4e-6, rel=1e-12)
    assert attention_bwd_time_ratio("triton", cal) == pytest.approx(2.5 * 0.521 / 0.280, rel=1e-12)


def test_a_family_without_a_triton_rate_prints_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    """nvidia-hopper has no FlashAttention-in-Triton figure: the core stays on the GEMM curve, said in the notes."""
    code, out, err = run_main([*EXPLAIN, "--hardware", "h100-sxm", "--attention-kernel", "triton"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["attention_kernel"] == "triton"
    assert any("no published FlashAttention-in-Triton rate for device family 'nvidia-hopper'" in n
               for n in doc["notes"])


def test_the_a100_triton_rates_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN[:-1], "--hardware", "a100-sxm-80gb", "--attention-kernel", "triton"], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    assert "triton attention at 0.521 (forward) / 0.28 (backward) x peak" in text
    assert "no published FlashAttention-in-Triton rate" not in text


def test_a_triton_backward_rate_without_a_forward_rate_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "cal.toml"
    p.write_text("[family.nvidia-blackwell.stack.pytorch-fsdp]\ntriton_bwd_attention_eff = 0.5\n")
    with pytest.raises(InputError, match="without a forward rate") as e:
        load_calibrations(p)
    assert "triton_attention_eff" in e.value.fix


def test_a_kernel_name_in_another_case_is_told_the_lower_case_name(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --attention-kernel Triton` said 'is not an attention kernel the predictor models', as if triton were not
    one; --dtype BF16, --weight-dtype INT8 and --stack Megatron name the lower-case spelling, and so does this now."""
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--devices", "8", "--attention-kernel", "Triton"],
                              capsys)
    assert code == 2
    assert ("--attention-kernel 'Triton' is not an attention kernel the predictor models (the names are lower "
            "case: triton)") in " ".join((out + err).split())
