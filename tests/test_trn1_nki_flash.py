"""Trainium1 rows: the attention kernel each Neuron release ran, per row (issue 10, 2026-12-03, trn_nki).

NeuronX Distributed's Llama attention calls nki_flash_attn_func when --use_flash_attention is on
(aws-neuron/neuronx-distributed src/neuronx_distributed/kernels/flash_attn.py at
e83494557cb4c5b7e185ccf6c9240bfed9a1993d: neuronxcc.nki.kernels flash_fwd / flash_attn_bwd, FlashConfig without a
seq_tile_size, sequences in multiples of 2K). That kernel (aws-neuron/nki-samples src/reference/attention.py at
a33dfbc883a80f3875ec534a6bb5e7d3b159543e) skips masked tiles of 128 queries x 512 keys (Q K^T; all five backward
products) and of 128 queries x 2048 keys (the forward's P V), and recomputes S in its backward: attention_kernel
nki_flash. NxD integrated the kernel in NxD Core 0.8.0 (07/03/2024, Neuron 2.19: 'Added integration with flash attention
kernel for longer sequence length training'); before it the Llama example's LlamaAttention always ran CoreAttention
(examples/training/llama2/modeling_llama_nxd.py at 8520967d0a39e703e03ba0edbe595230f7e16bde: matmul, masked_fill,
softmax, matmul; no flash path), and neuronx-nemo-megatron added a flash kernel in 0.6.0 (07/03/2024), after every
NeMo GPT-3 row here (Neuron 2.13-2.17)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import (
    Device,
    attention_bwd_time_ratio,
    attention_core_s,
    attention_kernel_device_problem,
    attention_kernel_note,
    attention_kernel_of,
)
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

RUNS_FILE = "src/accelopt/predict/data/published_training_runs.csv"
ROWS = {r["id"]: r for r in read_runs()}
TRN1 = {rid: r for rid, r in ROWS.items() if r["hardware"] == "trainium1-core"}
CORE = get_device("trainium1-core")
CAL = calibration_for(CORE, load_calibrations())

# the NxD flash rows of Neuron 2.20+ (the scripts pass --use_flash_attention 1 or run tp_zero1_llama_hf_pretrain.py,
# whose default is 1: the runs file's AWS header)
NKI_ROWS = ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-70b", "trn1-nxd-llama31-8b-n221", "trn1-nxd-llama31-70b-n222",
            "trn1-nxd-llama2-7b-n220", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-70b-n220",
            "trn1-nxd-llama2-7b-n221d", "trn1-nxd-llama31-8b-n221d", "trn1-nxd-llama31-70b-n221d")


def _device() -> Device:
    return Device(peak_flop_per_s=float(CORE.peak("bf16") or 0.0), bw_byte_per_s=CORE.memory_bandwidth_byte_per_s,
                  cal=CAL)


def test_llama31_8b_attention_core_by_hand() -> None:
    """trn1-nxd-llama31-8b: one NeuronCore (TP 32 over 32 heads: 1 head, head width 128), micro-batch 1, 8192 queries
    over 8192 keys. The NKI kernel computes (8192 + 512) / 2 = 4352 keys per query in Q K^T and (8192 + 2048) / 2 =
    5120 in P V: F = 2 x 8192 x 128 x (4352 + 5120) = 1.986e10 FLOPs (the full count is 2 x 8192 x 8192 x 256 =
    3.436e10, FlashAttention-2's per-row skip 2 x 8192 x 4096.5 x 256 = 1.718e10). On the GEMM curve (rule v2:
    eff(F) = 0.48 F / (F + 5e8) of 95 TFLOP/s, the re-run of 2026-12-04 (xlaadopt; 0.58 since rtrn2, 2026-12-06,
    below); 0.4287 ms at 0.50, the re-run of
    2026-12-03; 0.4660 ms at 0.46) that is 0.4466 ms, compute bound (Q, K, V, O: 8.4 MB at 0.8 x 410 GiB/s,
    0.019 ms), plus one launch (4 us). Backward: 5 products on 512-key tiles, 5 x 4352 / (4352 + 5120) = 2.297x the
    forward (2.5x for FlashAttention-2; 2x for the generic 'fused' shape).
    s33 rtrn (2026-12-06): plus the kernel's Tensor-Engine transposes (nisa.nc_transpose, an identity matmul on the
    128 x 128 array): the forward's P^T, 16 of 128 x 128 per visited [128, 2048] P tile, 2 x 128 FLOPs a key over the
    5120 P V keys: F = 2 x 8192 x (128 x (4352 + 5120) + 128 x 5120) = 3.060e10, 0.6860 ms (0.4506 ms before); the
    backward's, per visited 128 x 512 pair, four of dS (2 x 128 a key) and one of dO and of Q (2 x 128 x 256 / 512 a
    key): 5 x 128 + 128 + 64 = 832 units a key over 4352 keys against the forward's 128 x 14592 / 128: 832 x 4352 /
    (4352 + 5120 + 5120) = 1.939x the forward's work (2.297x before: the forward gains more).
    rtrn2 (2026-12-06): rule v2 re-run 0.48 -> 0.58 (the family's link at NCCOM-TEST's measured bus bandwidth): the
    core with its transposes 0.6860 -> 0.5685 ms."""
    model = run_query(TRN1["trn1-nxd-llama31-8b"]).model
    # 2026-12-04 (xlaadopt): matmul_eff_max 0.50 -> 0.48 (rule v2 re-run under XLA dead recompute); 2026-12-06
    # (rtrn2): 0.48 -> 0.58 (rule v2 re-run with the family's link at NCCOM-TEST's measured bus bandwidth)
    assert (model.heads, model.head_dim, CAL.matmul_eff_max, CAL.matmul_half_flop) == (32, 128, 0.58, 0.5e9)
    one = np.ones(1)
    flops = 2.0 * 8192 * 128 * (4352 + 5120 + 5120)  # Q K^T, P V, P^T (s33 rtrn: + 5120, the transposes)
    eff = 0.58 * flops / (flops + 0.5e9)
    want_s = flops / (95e12 * eff) + 4e-6
    t, f_model = attention_core_s(model, one, 8192 * one, 8192 * one, 32 * one, True, 2.0, _device(), "nki_flash")
    # 0.6860 ms at 0.48 (s33 rtrn to rtrn2, 2026-12-06); 0.4506 ms without the transposes (2026-12-04 to
    # 2026-12-06); 0.4327 ms at 0.50 (until 2026-12-04, xlaadopt)
    assert float(t[0]) == pytest.approx(want_s, rel=1e-9) and want_s == pytest.approx(0.5685e-3, rel=1e-3)
    assert float(f_model[0]) == 2.0 * 8192 * 8192 * 256  # model FLOPs keep the full count (MFU as published)
    ratio = attention_bwd_time_ratio("nki_flash", CAL, model, 8192.0)
    assert float(ratio) == pytest.approx(832 * 4352 / (128 * (4352 + 5120 + 5120)), rel=1e-12)  # 2.297x before
    # the row as validate predicts it: its forward differs from the generic 'fused' shape by exactly 32 layers x
    # 32 micro-batches x the core's change (no recompute on this row: the script's CoreAttention checkpoint never runs)
    q = run_query(TRN1["trn1-nxd-llama31-8b"])
    t_fused, _ = attention_core_s(model, one, 8192 * one, 8192 * one, 32 * one, True, 2.0, _device(), "fused")
    nki, fused = predict_layout(q).terms, predict_layout(replace(q, attention_kernel="fused")).terms
    assert nki["t_fwd_s"] - fused["t_fwd_s"] == pytest.approx(32 * 32 * float(t[0] - t_fused[0]), rel=1e-6)


def test_nki_cells_are_the_nxd_flash_rows_of_neuron_2_20_and_later() -> None:
    for rid, row in TRN1.items():
        if rid in NKI_ROWS:
            assert row["attention_kernel"] == "nki_flash" and row["flash"] == "1", rid
            assert row["source"].split()[0] in ("AWSNeuron-2.20", "AWSNeuron-2.21", "AWSNeuron-2.22", "AWSNeuron-2.24")
        else:
            assert row["attention_kernel"] != "nki_flash", rid


def test_neuron_2_16_and_2_17_llama2_rows_keep_the_shape_without_the_nki_kernel() -> None:
    """The Llama 2 rows of Neuron 2.16 / 2.17 predate NxD's flash integration (NxD Core 0.8.0, Neuron 2.19): none of
    them is charged the NKI kernel's tile shape: all six ran CoreAttention (13B / 70B: the scripts' flash 0; 7B:
    flash 0 / unfused since 2026-12-03, the release's modeling_llama_nxd.py has no flash path), every score counted,
    a 2x backward, and the runs file's AWS header names the source."""
    old = [r for r in TRN1.values() if r["id"].startswith("trn1-nxd-llama2-")
           and r["source"].split()[0] in ("AWSNeuron-2.16", "AWSNeuron-2.17")]
    assert len(old) == 6
    for row in old:
        q = run_query(row)
        kernel = attention_kernel_of(q.flash, q.attention_kernel)
        assert (row["flash"], row["attention_kernel"], kernel) == ("0", "unfused", "unfused"), row["id"]
        assert float(attention_bwd_time_ratio(kernel, CAL, q.model, float(row["seq"]))) == 2.0
    text = " ".join(Path(RUNS_FILE).read_text(encoding="utf-8").split())
    assert "ATTENTION KERNEL PER RELEASE" in text
    assert "NxD Core 0.8.0 (07/03/2024, Neuron 2.19): 'Added integration with flash attention kernel" in text
    assert "examples/training/llama2/modeling_llama_nxd.py at 8520967" in text


def test_nki_flash_is_refused_off_a_neuron_device_and_its_rate_is_a_printed_default() -> None:
    assert attention_kernel_device_problem("nki_flash", CORE) == ""
    said = attention_kernel_device_problem("nki_flash", get_device("h100-sxm"))
    assert "--attention-kernel nki_flash is an AWS Neuron kernel" in said and "h100-sxm" in said
    assert "no published NKI flash-attention rate" in attention_kernel_note("nki_flash", CAL)


def test_plan_explain_takes_the_kernel_on_trainium(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "explain", "--model", "llama3-8b", "--hardware", "trainium1-core", "--devices", "32", "--tp", "32",
            "--pp", "1", "--seq-len", "8192", "--global-batch", "32", "--attention-kernel", "nki_flash"]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    assert "no published NKI flash-attention rate" in " ".join((out + err).split())
    code, _, err = run_main([a if a != "trainium1-core" else "h100-sxm" for a in args], capsys)
    assert code == 2 and "AWS Neuron kernel" in " ".join(err.split())
    # the fix names a device that runs the kernel (it read "or a GPU with --hardware", the flash2 / triton advice)
    assert "or an AWS Neuron device (e.g. trainium1-core) with --hardware" in " ".join(err.split())
    assert "a GPU with --hardware" not in err


def test_nki_flash_refuses_a_sliding_window_model() -> None:
    q = run_query(TRN1["trn1-nxd-llama31-8b"])
    with pytest.raises(InputError, match="sliding-window"):
        predict_layout(replace(q, model=replace(q.model, sliding_window=4096)))


@pytest.mark.parametrize("seq_len", [1024, 3000, 6144 + 1])
def test_nki_flash_refuses_a_sequence_the_kernel_does_not_run(seq_len: int, capsys: pytest.CaptureFixture[str]) -> None:
    """NxD's nki_flash_attn_func raises NotImplementedError('Only support sequence as multiples of 2K') for any other
    length (aws-neuron/neuronx-distributed src/neuronx_distributed/kernels/flash_attn.py at 3aa65c66); a prediction
    there would rank a kernel that cannot run (exit 2 naming the length and the fix). 2048-multiples still run."""
    args = ["plan", "explain", "--model", "llama3-8b", "--hardware", "trainium1-core", "--devices", "32", "--tp", "32",
            "--pp", "1", "--global-batch", "32", "--attention-kernel", "nki_flash", "--seq-len"]
    code, _, err = run_main([*args, str(seq_len)], capsys)
    said = " ".join(err.split())
    assert code == 2 and f"--seq-len {seq_len:,}" in said and "multiples of 2,048" in said, err
    assert "Traceback" not in err
    code, _, err = run_main([*args, "6144"], capsys)
    assert code == 0, err


def test_plan_search_names_a_neuron_device_for_nki_flash(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` (the search) over GPUs only with --attention-kernel nki_flash advised 'add a GPU to --hardware (an AWS
    Neuron device for nki_flash)': a GPU runs no NKI kernel. d4ed499e fixed `plan explain`'s fix, not the search's.
    The fix names the devices of the kernel asked; flash2 off a GPU names the GPUs FlashAttention-2 runs on (its
    README: NVIDIA Ampere or newer, AMD MI200/MI300)."""
    args = ["plan", "--model", "llama3-8b", "--devices", "8", "--attention-kernel"]
    code, _, err = run_main([*args, "nki_flash", "--hardware", "h100-sxm"], capsys)
    said = " ".join(err.split())
    assert code == 2 and "or add an AWS Neuron device (e.g. trainium1-core) to --hardware" in said, err
    assert "add a GPU" not in said
    code, _, err = run_main([*args, "flash2", "--hardware", "trainium1-core"], capsys)
    said = " ".join(err.split())
    assert code == 2 and "or add an NVIDIA GPU of Ampere or newer or an AMD MI200/MI300" in said, err
    assert "nki_flash" not in said.split("fix:")[1]
