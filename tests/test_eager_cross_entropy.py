"""PyTorch eager cross-entropy's memory traffic (issue 10, ce): --eager-cross-entropy, runs-file column
eager_cross_entropy.

The A100 table of llm-foundry's benchmarks ran mosaicml/examples' MosaicGPT (torch 1.13.1), whose loss is
F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-100) on the bf16 logits under composer's amp_bf16
autocast (mosaicml/examples examples/llm/src/models/mosaic_gpt.py at 026eea9fa1d62a6b02b594ef645960a55422a122,
ComposerMosaicGPT.loss). Autocast runs cross_entropy in fp32 (PyTorch amp docs, 'CUDA Ops that can autocast to
float32'), and the kernels pass over the [T, V] logits (pytorch/pytorch aten/src/ATen/native/cuda/SoftMax.cu
cunn_SoftMaxForward / cunn_SoftMaxBackward, Loss.cu nll_loss_backward_out_cuda):
  forward  = cast (2 + 4) + log_softmax (3 reads + 1 write of 4 B)                               = 22 B per element
  backward = grad zero-fill (4) + log_softmax backward (2 gradient reads + 1 output read + 1 write of 4 B)
             + cast back (4 + 2)                                                                   = 26 B per element
against the model's default one fp32 read + write per pass, 3 x 8 = 24 B.

All of these fail before the change: the function, the flag and the column are new."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.predict.validation import read_runs, reproduce, run_query

# MPT-125M (mosaicml/examples yamls mpt-125m: 12 x 768, 12 heads, expansion 4, vocab 50368, tied), the A100 table's
# row '125m, seq 2048, 8 GPUs, MicroBatchSize 40': T = 40 x 2048 = 81,920 tokens per micro-batch per GPU.
_MPT_125M = {"num_hidden_layers": 12, "hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 3072,
             "vocab_size": 50368, "max_position_embeddings": 2048, "hidden_act": "gelu", "tie_word_embeddings": True}
_A100_BW, _MEM_EFF, _LAUNCH_S = 2039e9, 0.80, 4e-6  # a100-ds (catalog); nvidia-ampere memory_eff, kernel_overhead_s


def _row(run_id: str) -> dict[str, str]:
    return next(r for r in read_runs() if r["id"] == run_id)


def test_eager_bytes_per_logit_element_by_hand() -> None:
    """logits_step_s with eager_cross_entropy = 3 GEMMs + 22 B (3 kernels) forward + 26 B (4 kernels) backward per
    [T, V/t] element; the default = 3 x (GEMM + 8 B in 2 kernels). Their difference: 24 B per element + 1 launch."""
    from accelopt.predict.compute import EAGER_CE_BWD_BYTES, EAGER_CE_FWD_BYTES, logits_step_s
    from accelopt.predict.query import predict_layout
    from accelopt.predict.training import _device

    assert EAGER_CE_FWD_BYTES == 2 + 4 + 3 * 4 + 4  # cast; log_softmax: max, sum-exp, write pass (read + write)
    assert EAGER_CE_BWD_BYTES == 4 + (2 * 4 + 4 + 4) + (4 + 2)  # zero-fill; log_softmax backward; cast back
    res = predict_layout(run_query(_row("mpt-a100-125m-8")))
    dev = _device(res.spec, "bf16", res.cal)
    assert dev.bw_byte_per_s == _A100_BW and dev.cal.memory_eff == _MEM_EFF
    assert dev.cal.kernel_overhead_s == _LAUNCH_S
    T, tp = np.asarray([81920.0]), np.asarray([1.0])
    cfg = run_query(_row("mpt-a100-125m-8")).model
    eager = float(logits_step_s(cfg, T, tp, 2.0, dev, True)[0])
    plain = float(logits_step_s(cfg, T, tp, 2.0, dev, False)[0])
    elems = 81920 * 50368  # 4.126e9 logits per micro-batch
    want = elems * (48 - 24) / (_A100_BW * _MEM_EFF) + 1 * _LAUNCH_S  # 99.0 GB through 1.63 TB/s
    assert want == pytest.approx(60.73e-3, rel=1e-3)
    assert eager - plain == pytest.approx(want, rel=1e-9)


# Which rows ran PyTorch eager F.cross_entropy (issue 10; losscells established the groups after the A100 table's,
# sources in the runs file's header comment): each group's id prefix -> its row count.
_EAGER_GROUPS = {
    # mosaicml/examples ComposerMosaicGPT.loss (026eea9), amp_bf16 (ce)
    "mpt-a100-": 61,
    # torchtitan train.py loss_fn, never compiled before pytorch/torchtitan PR #1033 (2025-04); logits .float() in the
    # model (PR #551's diff, 2024-08-21, after 0413364)
    "tt-a100-": 8,
    # AMD-AIG-AIMA/pytorch-training-benchmark train_fsdp.py (7112e27 / c5ab85a): F.cross_entropy under
    # torch.amp.autocast, outside torch.compile(model)
    "amd-ih-mi300x-llama31-8b-": 4, "amd-ih-mi325x-llama31-8b-": 4,
    "amd-ih-mi300x-mistral-7b-": 2, "amd-ih-mi325x-mistral-7b-": 2,
    # ROCm/TransformerEngine issues #72 / #76 / #78 reproducer scripts: the same line, no torch.compile
    "amd-mi300x-gpt2xl-fp8-": 2, "amd-mi300x-llama3-70b-proxy-": 1,
    # ROCm/TransformerEngine issue #79 (tiering, 2026-12-03): the #78 script's training loop (the runs file's block)
    "amd-mi300x-llama3-8b-fp8-fsdp-": 2,
}


def _group_rows(prefix: str) -> list[dict[str, str]]:
    return [r for r in read_runs() if r["id"].startswith(prefix)]


@pytest.mark.parametrize("prefix", list(_EAGER_GROUPS))
def test_rows_that_ran_eager_cross_entropy_carry_the_column(prefix: str) -> None:
    """Each group's rows say 1 (all but mpt-a100-* were blank on int: these fail there)."""
    rows = _group_rows(prefix)
    assert len(rows) == _EAGER_GROUPS[prefix] and all(r["eager_cross_entropy"] == "1" for r in rows), prefix
    assert all(run_query(r).eager_cross_entropy for r in rows)


def test_no_other_row_carries_the_column() -> None:
    """Blank elsewhere: the MPT H100 rows (llm-foundry's default loss_fn fused_crossentropy, flash-attn's fused
    kernel; neither submit_benchmarks.py 51652ea nor the pretrain yamls set loss_fn), the torchtitan H200 rows
    (--training.compile compiles the loss since PR #1033), the AMD Llama 3.1 70B rows (AMD's torchtitan fork,
    'modified torch.compile': not established), Megatron / NeMo (vocab-parallel cross-entropy, not this op), Gaudi,
    Trainium and MaxText (graph compilers, not eager CUDA kernels)."""
    rows = read_runs()
    eager = [r["id"] for r in rows if (r.get("eager_cross_entropy") or "").strip()]
    assert len(eager) == sum(_EAGER_GROUPS.values()) == 86  # 84 before tiering's two #79 rows (2026-12-03)
    assert all(any(i.startswith(p) for p in _EAGER_GROUPS) for i in eager)
    for blank in ("mpt-1b-8", "tt-h200-llama31-8b-fp8-32", "amd-ih-mi300x-llama31-70b-bf16-s8192",
                  "amd-mi300x-llama2-7b-fp8"):
        assert not run_query(_row(blank)).eager_cross_entropy, blank


@pytest.mark.parametrize("run_id", ["amd-ih-mi300x-llama31-8b-bf16-s8192", "tt-a100-llama3-8b-sel-op",
                                    "amd-mi300x-gpt2xl-fp8-ddp"])
def test_the_new_rows_grow_by_the_loss_passes_only(run_id: str) -> None:
    """Per micro-batch, (48 - 24) B per [T, V] logit element through the device's bandwidth x memory_eff, plus one
    launch; nothing else in the step moves. MI300X: 5.3 TB/s (catalog) x 0.80; A100: 2039 GB/s x 0.80."""
    from accelopt.predict.query import predict_layout
    from accelopt.predict.training import _device

    row = _row(run_id)
    q = run_query(row)
    on, off = predict_layout(q), predict_layout(replace(q, eager_cross_entropy=False))
    dev = _device(on.spec, q.dtype, on.cal)
    mbs, seq, vocab = int(row["mbs"]), int(row["seq"]), int(row["vocab"])
    per_mb = mbs * seq * vocab * 24 / (dev.bw_byte_per_s * dev.cal.memory_eff) + dev.cal.kernel_overhead_s
    n_mb = int(on.terms["in_micro_batches"])
    assert float(on.terms["t_logits_s"] - off.terms["t_logits_s"]) == pytest.approx(n_mb * per_mb, rel=1e-9)
    assert float(on.terms["step_time_s"] - off.terms["step_time_s"]) == pytest.approx(n_mb * per_mb, rel=1e-9)


def test_cdna3_bf16_rule_rerun_with_the_loss_charged_gives_the_bundled_value() -> None:
    """The cdna3 bf16 fit row (amd-ih-mi300x-llama31-8b-bf16-s8192) now carries the cell, so its declared rule was
    re-run exactly as written (calibration.toml: fit_stack_eff_max('amd-instinct-cdna3', 'megatron', [that row])):
    0.42 +4.30%, 0.44 -0.19%, 0.46 -4.30% -> 0.44 (interior, unchanged; the row was -0.87% at 0.44 before). Re-run
    again 2026-12-03 (amd_fix) once the family's fused attention skips CK's masked tiles (compute.FA2_FUSED_FAMILIES),
    the loss still charged: 0.38 +4.59%, 0.40 -0.37%, 0.42 -4.86% -> 0.40 (calibration.toml, RE-RUN 2026-12-03)."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.calibration import calibration_for, load_calibrations
    from accelopt.predict.validation import fit_stack_eff_max

    fitted = fit_stack_eff_max("amd-instinct-cdna3", "megatron", ["amd-ih-mi300x-llama31-8b-bf16-s8192"])
    bundled = calibration_for(get_device("mi300x"), load_calibrations())
    assert fitted.matmul_eff_max == bundled.matmul_eff_max == 0.40
    assert abs(reproduce(_row("amd-ih-mi300x-llama31-8b-bf16-s8192")).error) < 0.005


def test_eager_flag_with_a_captured_workload_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A captured workload is timed as its profiled ops (training.evaluate_workload reads no Setup): the flag would
    change nothing there, so it is refused, not dropped."""
    from test_plan_workload_top import _workload

    code, _out, err = run_main(["plan", "--model", str(_workload(tmp_path)), "--hardware", "h100-sxm", "--devices", "8",
                                "--eager-cross-entropy"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "--eager-cross-entropy: --model" in text and "captured workload" in text, err


def test_the_step_grows_by_the_logits_term_only() -> None:
    """mpt-a100-125m-8: 2 micro-batches, no pipeline: the step grows by exactly 2 x the extra loss passes."""
    from accelopt.predict.query import predict_layout

    q = run_query(_row("mpt-a100-125m-8"))
    on, off = predict_layout(q), predict_layout(replace(q, eager_cross_entropy=False))
    assert on.terms["in_micro_batches"] == 2
    extra = 81920 * 50368 * 24 / (_A100_BW * _MEM_EFF) + _LAUNCH_S
    assert float(on.terms["t_logits_s"] - off.terms["t_logits_s"]) == pytest.approx(2 * extra, rel=1e-9)
    assert float(on.terms["step_time_s"] - off.terms["step_time_s"]) == pytest.approx(2 * extra, rel=1e-9)
    assert float(on.terms["t_fwd_s"]) == float(off.terms["t_fwd_s"])


def test_plan_explain_eager_flag_changes_the_logits_term(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The flag flows through the public path: explain's t_logits_s grows by the extra passes' time, the JSON records
    eager_cross_entropy, and the console headline names it."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(_MPT_125M))
    base = ["plan", "explain", "--model", str(cfg), "--hardware", "a100-sxm-80gb", "--devices", "8", "--tp", "1",
            "--pp", "1", "--mbs", "40", "--zero", "3", "--recompute", "none", "--seq-len", "2048", "--global-batch",
            "640seq", "--stack", "pytorch-fsdp", "--attention-kernel", "triton", "--no-sp"]
    runs = {}
    for extra in ([], ["--eager-cross-entropy"]):
        code, out, err = run_main([*base, *extra, "--json"], capsys)
        assert code == 0, err
        runs[bool(extra)] = json.loads(out)
    terms = {k: {t["name"]: t["value"] for t in v["terms"]} for k, v in runs.items()}
    assert runs[True]["eager_cross_entropy"] is True and runs[False]["eager_cross_entropy"] is False
    extra_s = 2 * (81920 * 50368 * 24 / (_A100_BW * _MEM_EFF) + _LAUNCH_S)
    assert terms[True]["t_logits_s"] - terms[False]["t_logits_s"] == pytest.approx(extra_s, rel=1e-9)
    code, out, err = run_main([*base, "--eager-cross-entropy"], capsys)
    assert code == 0, err
    assert "eager fp32 cross-entropy" in out and "22 B forward + 26 B" in out


# Published: llm-foundry scripts/train/benchmarking/README.md, 'A100 80GB with 1600 Gbps node-node interconnect
# (RoCE)' (mosaicml/llm-foundry at 061f2c7ce64e655100286584a7629e2a09f827ba), MPT-125M on 8 GPUs. Tolerance stated
# before the change was run (notes of helper ce): within 6% of the published step. The rows at seq >= 8192 stayed
# 6..11% too fast (a strict xfail below until a100_long, 2026-12-03).
@pytest.mark.parametrize("run_id", ["mpt-a100-125m-8-512", "mpt-a100-125m-8-1k", "mpt-a100-125m-8",
                                    "mpt-a100-125m-8-mbs32", "mpt-a100-125m-8-4k"])
def test_mpt_125m_a100_rows_within_six_percent(run_id: str) -> None:
    err = reproduce(_row(run_id)).error
    assert abs(err) <= 0.06, f"{run_id}: {err:+.1%}"


# A strict xfail from ce (2026-12-02) until a100_long (2026-12-03): with the eager loss charged, MPT-125M on A100 at
# seq 8k / 16k / 32k / 64k stayed 6.0% / 8.9% / 10.0% / 10.8% too fast, the loss's share of the step falling as the
# attention core's grows; the term was the Triton core's backward rate: re-derived from flash_attn_triton's header
# against FlashAttention's published A100 rates (0.315 -> 0.280, calibration.toml), they are -1.6% / -3.1% / -3.0% /
# -3.0%.
@pytest.mark.parametrize("run_id", ["mpt-a100-125m-8-8k", "mpt-a100-125m-8-16k", "mpt-a100-125m-8-32k",
                                    "mpt-a100-125m-8-64k"])
def test_mpt_125m_a100_long_sequence_rows_within_six_percent(run_id: str) -> None:
    err = reproduce(_row(run_id)).error
    assert abs(err) <= 0.06, f"{run_id}: {err:+.1%}"
