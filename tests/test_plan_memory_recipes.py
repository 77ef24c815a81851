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
    """FP8 saved inputs and dropout 0 are memory only: the step time of every row carrying them is the same without
    them. The optimizer state's bytes also set the optimizer step's traffic (2 x S + 4 B per parameter, since
    2026-12-05, utplan2): with 12 the step differs by that term's change alone."""
    for rid, row in ROWS.items():
        q = run_query(row)
        if not (q.fp8_saved_inputs or q.no_dropout or q.optimizer_state_bytes != 12):
            continue
        got = predict_layout(q).terms
        plain = predict_layout(replace(q, fp8_saved_inputs=False, no_dropout=False,
                                       optimizer_state_bytes=12.0)).terms
        moved = got["t_optimizer_s"] - plain["t_optimizer_s"]
        assert (moved < 0) == (q.optimizer_state_bytes < 12), rid
        assert got["step_time_s"] == pytest.approx(plain["step_time_s"] + moved, rel=1e-12), rid


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


# memread (2026-12-02, issue 10): the two rows whose recipes' memory settings had not been read.
GPTOSS_H100 = "mb-h100-gptoss-120b"
NEMOTRON_340B = "nemo-nemotron-340b"
GIB = 2**30


def test_gptoss_h100_recomputes_its_presets_modules() -> None:
    """Every stored Megatron-Bridge H100 BF16 preset of GPT-OSS-120B with the table's PP 4 / EP 8
    (configs/gpt_oss/workload_base_configs.py at 6b296ac, gpt_oss_workload_base_configs.py at 07eea52) recomputes
    ['layernorm', 'moe_act']: per layer and micro-batch the two norm outputs (2 x 2 s b h bytes) and the routed experts'
    activation outputs (2 s b f top_k) are not kept; the first stage holds 9 layers x 4 micro-batches of them."""
    row = ROWS[GPTOSS_H100]
    q = run_query(row)
    assert row["recompute_modules"] == "layernorm+moe_act" and set(q.recompute_modules) == {"layernorm", "moe_act"}
    assert q.recompute == "none" and q.optimizer_state_bytes == 12 and not q.fp8_saved_inputs
    mdl, tokens = q.model, q.mbs * q.seq_len
    freed = tokens * (2 * 2 * mdl.hidden + 2 * mdl.ffn * mdl.top_k)  # bytes per layer-micro-batch
    per_layer = [float(activation_bytes_per_layer(mdl, A([float(q.mbs)]), A([float(q.seq_len)]), A([1.0]),
                                                  A([False]), A([0]), True, True, dropout=True, modules=m)[0])
                 for m in ((), ("layernorm", "moe_act"))]
    assert per_layer[0] - per_layer[1] == freed
    res, plain = predict_layout(q), predict_layout(replace(q, recompute_modules=()))
    held = (mdl.layers // q.pp) * min(q.pp, int(row["global_batch"]) // (int(row["dp"]) * q.mbs))  # 9 x 4
    assert plain.terms["mem_activations_bytes"] - res.terms["mem_activations_bytes"] == pytest.approx(held * freed)
    assert res.terms["step_time_s"] > plain.terms["step_time_s"]  # the recompute costs time


def test_gptoss_h100_is_over_at_the_tables_mbs_and_fits_at_the_presets() -> None:
    """With its recipe's memory settings the layout is still above the H100's 79.6 GiB at the table's MBS 4; at the
    presets' MBS 1 it fits. The table's GA 2 contradicts its own GBS 512 and dp 16 at MBS 4 (GA 8) as at MBS 1 (32)."""
    row = ROWS[GPTOSS_H100]
    q = run_query(row)
    gbs, dp = int(row["global_batch"]), int(row["dp"])
    assert (q.mbs, gbs // (dp * q.mbs), gbs // dp) == (4, 8, 32)
    res, mbs1 = predict_layout(q), predict_layout(replace(q, mbs=1))
    assert not res.fits_memory and mbs1.fits_memory


def test_gptoss_h100_memory_figures_are_the_models() -> None:
    """The figures the row's note and its MEMORY_GAPS entry quote."""
    row = ROWS[GPTOSS_H100]
    q = run_query(row)
    pub = float(row["step_s"])
    after, before = predict_layout(q).terms, predict_layout(replace(q, recompute_modules=())).terms
    mbs1 = predict_layout(replace(q, mbs=1)).terms
    cap = after["mem_capacity_bytes"] / GIB
    sentence = (f"Predicted {before['step_time_s'] / pub - 1:+.1%} -> {after['step_time_s'] / pub - 1:+.1%} "
                f"({before['step_time_s']:.2f} -> {after['step_time_s']:.2f} s; the modules' recompute "
                f"{after['t_recompute_s']:.2f} s per step), memory {before['mem_total_bytes'] / GIB:.1f} -> "
                f"{after['mem_total_bytes'] / GIB:.1f} GiB per device against {cap:.1f} (activations "
                f"{before['mem_activations_bytes'] / GIB:.1f} -> {after['mem_activations_bytes'] / GIB:.1f} GiB): "
                f"still over at the table's MBS 4, {mbs1['mem_total_bytes'] / GIB:.1f} GiB at the presets' MBS 1")
    assert sentence.replace("+", "") in row["note"].replace("+", "")
    for commit in ("6b296ac1061fd756eaf2355c9fbef77af5dcf499", "07eea52d4523a69fc8975cef34938d61ae13f9e2"):
        assert commit in row["note"]
    from test_plan_memory_capacity import MEMORY_GAPS

    gap = MEMORY_GAPS[GPTOSS_H100]
    for figure in (f"{after['mem_total_bytes'] / GIB:.1f} GiB predicted against {cap:.1f} GiB",
                   f"{before['mem_total_bytes'] / GIB:.1f} GiB before", f"({mbs1['mem_total_bytes'] / GIB:.1f} GiB)"):
        assert figure in gap, figure


def test_nemotron_340b_fits_with_transformer_engines_fp8_inputs() -> None:
    """NeMo 24.07's FP8 Nemotron-4 340B run (Transformer Engine, fp8_wgrad True) keeps its GEMM inputs in FP8: the
    layout fits the H100 (77.2 GiB), as it ran; without them it does not (81.7 GiB). Its optimizer state is the
    12 B default: NeMo's mcore_distributed_optim path builds Megatron-Core's OptimizerConfig without the yaml's
    optim dtype (nemo/core/classes/modelPT.py setup_megatron_optimization). Memory only: the step is unchanged."""
    row = ROWS[NEMOTRON_340B]
    q = run_query(row)
    assert q.fp8_saved_inputs and q.no_dropout and q.optimizer_state_bytes == 12 and q.dtype == "fp8"
    res, plain = predict_layout(q), predict_layout(replace(q, fp8_saved_inputs=False))
    assert res.fits_memory and not plain.fits_memory
    assert res.terms["step_time_s"] == plain.terms["step_time_s"]
    t, p = res.terms, plain.terms
    pub = float(row["step_s"])
    sentence = (f"Memory {p['mem_total_bytes'] / GIB:.1f} -> {t['mem_total_bytes'] / GIB:.1f} GiB per device of "
                f"{t['mem_capacity_bytes'] / GIB:.1f} (activations {p['mem_activations_bytes'] / GIB:.1f} -> "
                f"{t['mem_activations_bytes'] / GIB:.1f} GiB): the layout fits; the step time is unchanged (memory "
                f"only), {t['step_time_s'] / pub - 1:+.1%}")
    assert sentence in row["note"]
    for cite in ("3be81fc10dfe2bcb51da024e2ebcdaf4d4eb3261", "58d0e0ef53b450c2929446db8c7518013ec9be1c"):
        assert cite in row["note"]
