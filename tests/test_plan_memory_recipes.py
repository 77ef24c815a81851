"""Memory mechanisms read from the recipes of published runs: Transformer Engine's FP8 copies of GEMM inputs, dropout 0
(no masks), 16-bit optimizer moments (MaxText weight_dtype bfloat16), and logits that are dead before any layer's
recompute. Each test fails without its mechanism; the expected bytes are written from the saved tensors, not read
back from the model."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.predict.memory import activation_bytes_per_layer
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.presets import get_model

ROWS = {r["id"]: r for r in read_runs()}
LLAMA70 = get_model("llama3-70b")  # h 8192, 64 heads, 8 KV heads (k, v 1024 wide), SwiGLU f 28672
A = np.asarray


def _per_layer(fp8: bool, dropout: bool, flash: bool = True, recompute: int = 0) -> float:
    """One Llama 3 70B layer's saved bytes, one sequence of 8192 tokens, tp 1."""
    return float(activation_bytes_per_layer(LLAMA70, A([1.0]), A([8192.0]), A([1.0]), A([False]), A([recompute]),
                                            flash, False, fp8_inputs=fp8, dropout=dropout)[0])


def test_fp8_saved_inputs_follow_transformer_engine() -> None:
    """TE keeps each FP8 GEMM's input as its FP8 copy (1 byte): the two norm outputs (QKV and MLP-up inputs, h each)
    and the MLP-down input (f) lose a byte per element; the out-projection's FP8 copy (h) sits beside the fused
    attention kernel's 16-bit output, or replaces the 16-bit context without a fused kernel."""
    s, h, f = 8192, 8192, 28672
    assert _per_layer(False, True) - _per_layer(True, True) == s * (2 * h + f - h)
    assert _per_layer(False, True, flash=False, recompute=1) - _per_layer(True, True, flash=False, recompute=1) == \
        s * (2 * h + f + h)


def test_no_dropout_keeps_no_masks() -> None:
    """At p = 0 PyTorch's dropout returns its input: the two 1-byte masks per token and width h go (2 s h), and
    without a fused kernel 3 of the 5 bytes per attention score (mask 1, dropout output 2)."""
    s, h, heads = 8192, 8192, 64
    assert _per_layer(False, True) - _per_layer(False, False) == 2 * s * h
    assert _per_layer(False, True, flash=False) - _per_layer(False, False, flash=False) == 2 * s * h + 3 * heads * s * s


def test_gb200_70b_fits_with_its_recipes_activation_bytes() -> None:
    """Megatron-Bridge's GB200 FP8 recipe for Llama 3 70B (FSDP, mbs 2, 40 of 80 layers offloaded, TE FP8, dropout 0
    from LlamaModelProvider) fits the 185.0 GiB the driver reports (nvidia-smi 189,471 MiB): 172.2 GiB. Its FP8 saved
    inputs are needed (194.7 GiB without them); without dropout 0 it still fits (182.2 GiB), as it did not against the
    product page's 173.2 GiB."""
    q = run_query(ROWS["mb-gb200-llama3-70b"])
    assert q.fp8_saved_inputs and q.no_dropout and q.offload_layers == 40
    assert predict_layout(q).fits_memory
    assert predict_layout(replace(q, no_dropout=False)).fits_memory
    assert not predict_layout(replace(q, fp8_saved_inputs=False)).fits_memory


def test_logits_and_recompute_working_set_are_not_summed() -> None:
    """pp 1, full recompute, every layer's input offloaded (v6e 70B on 64 chips): nothing is saved on the chip, so
    the activations are the larger of the fp32 logits (4 s b V) and one layer's re-materialised set, not their sum;
    the row then fits (31.9 GiB before)."""
    q = run_query(ROWS["maxtext-v6e-llama31-70b-64"])
    assert q.pp == 1 and q.recompute == "full" and q.offload_layers == q.model.layers
    tokens = q.mbs * q.seq_len
    logits = 4.0 * tokens * q.model.vocab
    work = float(activation_bytes_per_layer(q.model, A([float(q.mbs)]), A([float(q.seq_len)]), A([1.0]), A([False]),
                                            A([0]), True, False)[0])
    res = predict_layout(q)
    assert res.terms["mem_activations_bytes"] == pytest.approx(max(logits, work))
    assert res.fits_memory


def test_bf16_moments_fit_the_v6e_32_recipe() -> None:
    """tpu-recipes' v6e-32 Llama 3.1 70B sets weight_dtype bfloat16: bf16 weights, gradients and Adam moments (optax
    adamw's mu, nu follow the parameters' dtype), 4 bytes of optimizer state per parameter beside the weight and
    gradient instead of 12; with 12 the layout does not fit."""
    q = run_query(ROWS["maxtext-v6e-llama31-70b-32"])
    assert q.optimizer_state_bytes == 4
    res, fp32 = predict_layout(q), predict_layout(replace(q, optimizer_state_bytes=12.0))
    assert res.terms["mem_optimizer_bytes"] == pytest.approx(fp32.terms["mem_optimizer_bytes"] / 3)
    assert res.fits_memory and not fp32.fits_memory


def test_memory_flags_leave_the_step_time() -> None:
    """The three mechanisms are memory only: the step time of every row carrying them is the same without them."""
    for rid, row in ROWS.items():
        q = run_query(row)
        if not (q.fp8_saved_inputs or q.no_dropout or q.optimizer_state_bytes != 12):
            continue
        plain = replace(q, fp8_saved_inputs=False, no_dropout=False, optimizer_state_bytes=12.0)
        assert predict_layout(q).terms["step_time_s"] == predict_layout(plain).terms["step_time_s"], rid


def test_cli_flags_give_the_library_memory(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --fp8-saved-inputs --no-dropout --optimizer-bytes 8` prints the library's memory terms and
    records the flags in its JSON."""
    q = run_query(ROWS["mb-gb200-llama3-70b"])
    q = replace(q, model=LLAMA70, optimizer_state_bytes=8.0)
    argv = ["plan", "explain", "--model", "llama3-70b", "--hardware", "gb200", "--devices", "64", "--mbs", "2",
            "--zero", "3", "--no-sp", "--dtype", "fp8", "--seq-len", "8192", "--global-batch", "256seq", "--json",
            "--fp8-params", "--offload-layers", "40", "--stack", q.stack, "--recompute", q.recompute]
    code, out, err = run_main([*argv, "--fp8-saved-inputs", "--no-dropout", "--optimizer-bytes", "8"], capsys)
    assert code in (0, 2), err
    doc = json.loads(out)
    assert doc["fp8_saved_inputs"] is True and doc["no_dropout"] is True and doc["optimizer_state_bytes"] == 8
    want = predict_layout(q).terms
    for term in ("mem_optimizer_bytes", "mem_activations_bytes", "mem_total_bytes"):
        assert explain_terms(doc)[term] == want[term]


@pytest.mark.parametrize("argv", [["--fp8-saved-inputs"], ["--optimizer-bytes", "20"],
                                  ["--optimizer-bytes", "-1"]])
def test_bad_memory_flags_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "llama3-70b", "--hardware", "gb200", "--devices", "64",
                             *argv], capsys)
    assert code == 2 and "error:" in err and "fix:" in err and "Traceback" not in err
