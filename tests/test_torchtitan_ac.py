"""torchtitan's activation-checkpointing variants from the command line (issue 10).

'selective op' = `--recompute op`: pytorch/torchtitan torchtitan/parallelisms/parallelize_llama.py (commit 004b3148)
saves the outputs of aten.mm, the flash / efficient SDPA kernels and reduce_scatter_tensor, "except every second mm"
(counted per layer forward), and recomputes everything else. 'selective layer' (checkpoint every 2nd layer) =
`--recompute full --recompute-layers L/2`. Hand counts below are on one layer; the page's own footnote (Llama 2 70B:
local batch 2 with selective AC runs out of memory, batch 1 fits) checks the memory model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import Device, layer_forward
from accelopt.predict.memory import activation_bytes_per_layer
from accelopt.predict.query import predict_layout
from accelopt.predict.training import RECOMPUTE, op_recompute_s
from accelopt.predict.validation import read_runs, run_query, validate_report
from accelopt.workload.transformer import TransformerConfig

# Llama 3 8B (torchtitan models/llama args): 32 x 4096, 32 heads, 8 KV heads, ffn 14336.
LLAMA3_8B = TransformerConfig(name="llama3-8b", layers=32, hidden=4096, heads=32, ffn=14336, vocab=128256,
                              seq_len=8192, kv_heads=8, mlp="swiglu")
GPT_GELU = TransformerConfig(name="gpt-1b", layers=24, hidden=2048, heads=16, ffn=8192, vocab=50257, seq_len=2048)
OP = RECOMPUTE["op"]


def _device() -> Device:
    spec = get_device("a100-sxm-80gb")
    return Device(peak_flop_per_s=float(spec.peak("bf16") or 0), bw_byte_per_s=spec.memory_bandwidth_byte_per_s,
                  cal=calibration_for(spec))


def _op_flops(mdl: TransformerConfig, tokens: float, tp: float = 1.0) -> float:
    arr = lambda x: np.asarray([float(x)])  # noqa: E731
    dev = _device()
    lt = layer_forward(mdl, arr(1), arr(tokens), arr(tokens), arr(tp), np.asarray([tp > 1]), True, arr(1), 2.0, dev)
    _, flops = op_recompute_s(mdl, lt, arr(tokens), arr(tp), True, 2.0, dev)
    return float(np.asarray(flops)[0])


def test_op_recompute_flops_hand_count_llama_block() -> None:
    # mm order wq(1) wk(2) wv(3) wo(4) w1(5) w3(6) w2(7): even ones recomputed = wk, wo, w3, 2 FLOPs per MAC.
    T, h, k, f = 8192, 4096, 8 * 128, 14336
    assert _op_flops(LLAMA3_8B, T) == pytest.approx(2 * T * (h * k + h * h + h * f), rel=1e-12)
    # = 159.4 MFLOP per token per layer: 36.5% of the layer's 436.2 MFLOP of projection + MLP GEMMs
    assert 2 * (h * k + h * h + h * f) == 159_383_552
    # tensor parallel 4 splits each of them by 4 (8 KV heads: 2 per rank)
    assert _op_flops(LLAMA3_8B, T, tp=4) == pytest.approx(2 * T * (h * k + h * h + h * f) / 4, rel=1e-12)


def test_op_recompute_gelu_block_stops_before_fc2() -> None:
    # wq(1) wk(2) wv(3) wo(4) fc1(5) fc2(6): fc2's output is not needed by the backward (early stop): wk and wo only.
    T, h = 2048, 2048
    assert _op_flops(GPT_GELU, T) == pytest.approx(2 * T * (h * h + h * h), rel=1e-12)


def test_op_saved_bytes_hand_count_one_layer() -> None:
    # Per token, 2 bytes each: layer input h, wq q, wv kv, SDPA output o, w1 f, w2 output h; lse 4 bytes x heads.
    h, kv, f, a = 4096, 1024, 14336, 32
    per_token = 2 * (h + h + kv + h + f + h) + 4 * a
    assert per_token == 63_616
    s, b = 8192, 1
    got = activation_bytes_per_layer(LLAMA3_8B, np.asarray([b]), np.asarray([s]), np.asarray([1]),
                                     np.asarray([False]), np.asarray([OP]), True, False)
    assert float(got[0]) == pytest.approx(per_token * s * b, rel=1e-12)
    # below no recompute (all of Korthikanti's set) and above full (the layer input only)
    keep = {rc: float(activation_bytes_per_layer(LLAMA3_8B, np.asarray([b]), np.asarray([s]), np.asarray([1]),
                                                 np.asarray([False]), np.asarray([RECOMPUTE[rc]]), True, False)[0])
            for rc in ("none", "full")}
    assert keep["full"] < got[0] < keep["none"]


def test_op_saved_bytes_sequence_parallel_keeps_reduce_scatter_outputs() -> None:
    s, b, t, h, kv, f, a = 8192, 1, 4, 4096, 1024, 14336, 32
    per_token = 2 * h / t + 2 * (h + kv + h + f) / t + 4 * a / t + 2 * h + 2 * 2 * h / t
    got = activation_bytes_per_layer(LLAMA3_8B, np.asarray([b]), np.asarray([s]), np.asarray([t]),
                                     np.asarray([True]), np.asarray([OP]), True, False)
    assert float(got[0]) == pytest.approx(per_token * s * b, rel=1e-12)


def _tt_row(run_id: str) -> dict[str, str]:
    return next(r for r in read_runs() if r["id"] == run_id)


def test_llama2_70b_selective_op_fits_at_batch_1_not_2() -> None:
    # torchtitan docs/performance.md (0413364) footnote 1: 'the 70B training with local batch size 2 will cause an OOM
    # error when selective activation checkpointing is used'; its batch-1 row ran on 80 GB A100s.
    row = _tt_row("tt-a100-llama2-70b-sel-op")
    assert predict_layout(run_query(row)).fits_memory
    two = {**row, "mbs": "2", "global_batch": "128"}
    assert not predict_layout(run_query(two)).fits_memory


def test_selective_layer_rows_checkpoint_half_the_layers() -> None:
    # selective_ac_option '2': ptd_checkpoint_wrapper on every layer whose count % 2 == 0
    for run_id in ("tt-a100-llama3-8b-sel-layer", "tt-a100-llama2-13b-sel-layer"):
        row = _tt_row(run_id)
        assert row["recompute"] == "full" and int(row["recompute_layers"]) * 2 == int(row["layers"])


def _config(tmp_path: Path, **extra: object) -> Path:
    cfg = {"num_hidden_layers": 4, "hidden_size": 1024, "num_attention_heads": 8, "intermediate_size": 2816,
           "vocab_size": 32000, "max_position_embeddings": 2048, "hidden_act": "silu", **extra}
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def _explain(cfg: Path, *more: str) -> list[str]:
    return ["plan", "explain", "--model", str(cfg), "--hardware", "a100-sxm-80gb", "--devices", "8", "--tp", "1",
            "--zero", "3", "--global-batch", "8seq", "--stack", "pytorch-fsdp", *more]


def test_cli_recompute_op_runs_and_charges_more_than_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    terms = {}
    for rc in ("none", "op"):
        code, out, err = run_main([*_explain(cfg, "--recompute", rc), "--json"], capsys)
        assert code == 0, err
        terms[rc] = explain_terms(json.loads(out))
    assert terms["none"]["t_recompute_s"] == 0.0 < terms["op"]["t_recompute_s"]
    assert terms["op"]["mem_activations_bytes"] < terms["none"]["mem_activations_bytes"]


def test_cli_recompute_op_on_moe_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, num_local_experts=8, num_experts_per_tok=2)
    code, _, err = run_main(_explain(cfg, "--recompute", "op"), capsys)
    assert code == 2 and "Traceback" not in err
    assert "recompute op" in err and "selective or full" in err


def test_cli_unknown_recompute_names_op(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(_explain(_config(tmp_path), "--recompute", "OP"), capsys)
    assert code == 2 and "Traceback" not in err and "'OP' is not a recompute mode" in err and "mlp or op" in err


# torchtitan docs/performance.md (commit 0413364), 64 A100 80GB: (WPS tokens/s per GPU, MFU %, local batch).
TT_AC_ROWS = {
    "tt-a100-llama3-8b-sel-layer": (2904, 56.8, 1), "tt-a100-llama3-8b-sel-op": (2973, 58.2, 1),
    "tt-a100-llama2-13b-sel-layer": (1914, 54.1, 2), "tt-a100-llama2-13b-sel-op": (1904, 53.8, 2),
    "tt-a100-llama2-70b-sel-op": (355, 50.8, 1),
}
ROW_BOUND = 0.25  # issue 10: a held-out row beyond 25% needs a checked note


@pytest.mark.parametrize("run_id", TT_AC_ROWS)
def test_rows_cells_are_the_published_table(run_id: str) -> None:
    wps, mfu, local_batch = TT_AC_ROWS[run_id]
    row = _tt_row(run_id)
    assert float(row["step_s"]) == pytest.approx(local_batch * int(row["seq"]) / wps, abs=1e-4)
    assert int(row["global_batch"]) == local_batch * int(row["devices"]) and int(row["mbs"]) == local_batch
    assert float(row["mfu_pct"]) == mfu
    # The published MFU from the row's cells: 6 x every parameter (the input embedding included, as torchtitan counted
    # then; without it the Llama 3 8B rows come out 3 points low) + 12 x layers x h x seq FLOPs per token, over the
    # A100's 312 TFLOP/s dense bf16: within 0.1 point, so the cells are the model torchtitan ran.
    layers, h, heads = int(row["layers"]), int(row["hidden"]), int(row["heads"])
    kv, ffn, vocab, seq = int(row["kv_heads"]), int(row["ffn"]), int(row["vocab"]), int(row["seq"])
    head_dim = h // heads
    per_layer = 2 * h * heads * head_dim + 2 * h * kv * head_dim + 3 * h * ffn + 2 * h  # wq wo, wk wv, MLP, 2 norms
    params = layers * per_layer + 2 * vocab * h + h  # + input embedding, output projection, final norm (untied)
    assert (6 * params + 12 * layers * h * seq) * wps / 312e12 == pytest.approx(mfu / 100, abs=0.001)


def test_rows_are_held_out_and_within_the_row_bound() -> None:
    # Stated before prediction (issue 10): each within 25%. Measured 2026-12-01 (utitan): 8B layer -8.6%, 8B op -8.7%,
    # 13B layer -9.6%, 13B op -11.0%, 70B op -16.6%: predicted too fast, like the table's no/full AC rows.
    report = validate_report()
    got = {r.id: r for r in report.runs if r.id in TT_AC_ROWS}
    assert set(got) == set(TT_AC_ROWS)
    for run_id, r in got.items():
        assert not r.fitted and abs(r.error) <= ROW_BOUND, f"{run_id}: {r.error:+.1%}"


def test_cli_op_rule_holds_for_float8_linears(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # torchao's float8 linear (torchao/float8/float8_linear.py, matmul_with_hp_or_float8_args.forward) calls torch.mm
    # on Float8TrainingTensor subclasses; torchtitan's policy runs in a TorchDispatchMode, which sees aten.mm before
    # the subclass turns it into aten._scaled_mm, so the every-second-mm rule holds in fp8 runs: the recompute FLOPs
    # (hfu - mfu) are wk + wo + w3 again. The config: 4 layers x 1024, 8 heads (MHA), ffn 2816, SwiGLU.
    cfg = _config(tmp_path)
    code, out, err = run_main(["plan", "explain", "--model", str(cfg), "--hardware", "h200", "--devices", "8",
                               "--tp", "1", "--zero", "3", "--global-batch", "8seq", "--seq-len", "2048",
                               "--stack", "pytorch-fsdp", "--dtype", "fp8", "--recompute", "op", "--json"], capsys)
    assert code == 0, err
    t = explain_terms(json.loads(out))
    h, f, layers, tokens = 1024, 2816, 4, 8 * 2048
    want = 2 * (h * h + h * h + h * f) * layers * tokens  # wk (8 KV heads = 8 heads), wo, w3
    assert t["hw_flops_per_step"] - t["model_flops_per_step"] == pytest.approx(want, rel=1e-9)


# torchtitan benchmarks/llama3-8b_h200_202506_trainy-whitefiber.md (commit 1af2937): (TPS/GPU, GPUs), local batch 2.
TT_H200_ROWS = {"tt-h200-llama31-8b-fp8-32": (10938, 32), "tt-h200-llama31-8b-fp8-64": (10753, 64)}


@pytest.mark.parametrize("run_id", TT_H200_ROWS)
def test_h200_rows_cells_are_the_published_page(run_id: str) -> None:
    tps, gpus = TT_H200_ROWS[run_id]
    row = _tt_row(run_id)
    assert int(row["devices"]) == gpus and int(row["global_batch"]) == 2 * gpus and int(row["mbs"]) == 2
    assert float(row["step_s"]) == pytest.approx(2 * 8192 / tps, abs=1e-4)
    assert (row["dtype"], row["recompute"], row["fp8_params"]) == ("fp8", "op", "1")


def test_h200_rows_are_held_out_and_within_the_row_bound() -> None:
    # Stated before prediction (issue 10): each within 25%. Measured 2026-12-01 (utitan): +9.3% (32 GPUs), +8.1% (64).
    # 2026-12-04 (ttstack): the 32-GPU row (4 hosts, the fewer) is the fit row of nvidia-hopper/torchtitan's
    # fp8_matmul_eff_max (calibration.toml, a rule declared before it was run): -5.6% -> -1.2%; the 64-GPU row stays
    # held out: -6.6% -> -2.3%.
    got = {r.id: r for r in validate_report().runs if r.id in TT_H200_ROWS}
    assert set(got) == set(TT_H200_ROWS)
    assert got["tt-h200-llama31-8b-fp8-32"].fitted
    for run_id, r in got.items():
        assert (run_id == "tt-h200-llama31-8b-fp8-32" or not r.fitted) and abs(r.error) <= ROW_BOUND, \
            f"{run_id}: {r.error:+.1%}"
