"""The attention kernel a run uses, as a runs-file cell (attention_kernel) and a flag (--attention-kernel) (issue 10).

Which kernel runs the attention core is a setting of the run, not of its software stack: NVIDIA's dgxc-benchmarking
NeMo recipes for GPT-3 175B and Nemotron-4 340B export NVTE_FUSED_ATTN=0, which turns Transformer Engine's cuDNN fused
attention off, so TE runs Tri Dao's FlashAttention-2 (NVIDIA/NeMo docs/source/features/memory_optimizations.rst at
90c9b16, 'Turn Flash Attention On and Off'). FlashAttention-2 reaches 35% of an H100's BF16 peak (Shah et al. 2024,
'FlashAttention-3', abstract), the nvidia-hopper family's flash2_attention_eff. The A100 figures of the FlashAttention-2
paper (Dao 2023, Fig. 4) are plots only, so nvidia-ampere has no rate: a flash2 run there keeps the GEMM curve and says
so."""

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
from accelopt.predict.compute import Device, attention_core_s, attention_kernel_of
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.transformer import TransformerConfig

ROWS = {r["id"]: r for r in read_runs()}
H100 = get_device("h100-sxm")
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
    bound. The same core with the fused (cuDNN) kernel runs on the GEMM curve, eff(F) = 0.68 F / (F + 5e8)."""
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
    assert float(tf[0]) == pytest.approx(flops / (peak * cal.matmul_eff(flops)) + cal.kernel_overhead_s, rel=1e-9)


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


def test_a_rate_outside_0_1_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "cal.toml"
    p.write_text("[family.nvidia-hopper.stack.pytorch-fsdp]\nflash2_attention_eff = 1.5\n")
    with pytest.raises(InputError, match="flash2_attention_eff"):
        load_calibrations(p)


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


def test_every_mpt_row_runs_flash_attention_2() -> None:
    """llm-foundry scripts/train/benchmarking/submit_benchmarks.py (stored 51652ea; the H100 tables' script) sets
    attn_impl from --attn_impl, default 'flash', installing '.[gpu-flash2]'."""
    mpt = [r for r in ROWS.values() if r["id"].startswith("mpt-")]
    assert len(mpt) == 30 and {r["attention_kernel"] for r in mpt} == {"flash2"}


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
    """nvidia-ampere has no flash2_attention_eff (the FlashAttention-2 paper's A100 rates are plots): the core stays
    on the GEMM curve, and plan explain and plan say so (text and JSON)."""
    a100 = ["--hardware", "a100-sxm-80gb"]
    code, out, err = run_main([*EXPLAIN, *a100, "--attention-kernel", "flash2"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert any("no published FlashAttention-2 rate for device family 'nvidia-ampere'" in n for n in doc["notes"])
    code, out, err = run_main([*EXPLAIN, *a100], capsys)
    assert explain_terms(json.loads(out))["step_time_s"] == explain_terms(doc)["step_time_s"]
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "a100-sxm-80gb", "--devices", "8",
                               "--top", "1", "--attention-kernel", "flash2", "--json"], capsys)
    assert code == 0, err
    assert any("no published FlashAttention-2 rate" in n for n in json.loads(out)["notes"])
    code, out, err = run_main([*EXPLAIN[:-1], *a100, "--attention-kernel", "flash2"], capsys)
    assert code == 0 and "no published FlashAttention-2 rate" in " ".join(out.split())
