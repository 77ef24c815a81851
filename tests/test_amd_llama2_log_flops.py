"""amd-mi300x-llama2-7b-fp8 (UNEXPLAINED, issue 10): the log's own throughput line against the row's cells, and the
script defaults the row's note had not read (ramd, s33, 2026-12-06). The figures the row's UNEXPLAINED entry appends
(tests/test_row_notes_checked.py, _RAMD33_AMD), recomputed.

The log (hisohara/ai-scripts training/02_megatron/README.md at 3ae89cf16109afc57e30f7afbd4a10d423a90088) prints at
iteration 50 'elapsed time per iteration (ms): 10235.8 | ... | throughput per GPU (TFLOP/s/GPU): 590.2' and, from
train_llama2.sh's summary (the mean of the lines after the first two), 'throughput per GPU: 589.331914893617' and
'elapsed time per iteration: 10250.497872340427'. Megatron's TFLOP/s is its num_floating_point_operations over the
logged time and the world size: 12 B s L h^2 ((1 + g/a + s/h) (kv_channels a / h) + (f / h) (3/2 for SwiGLU) +
V / (2 L h)) (NVIDIA/Megatron-LM megatron/training/training.py; the ROCm fork's copy at the run's 38fc8307 not
read), V Megatron's vocabulary padded to a multiple of 128. With the row's cells (B 256, s 4096, L 32, h 4096, 32
heads and 32 KV heads, f 11008) and 8 GPUs it gives the log's line (590.2 and 589.3 with V 32128; 590.1 with 32000): the
step time, the batch, the world size and the architecture cells are the log's own, not a misreading.

Script defaults read at both stored trees of ROCm/Megatron-LM examples/llama/train_llama2.sh (02b8aa7 and bb3bcb65;
the run's 38fc8307 is not stored): ROPE_FUSION defaults to 1 (no --no-rope-fusion), so the unfused-RoPE cost checked
for the GPT-OSS H100 rows (t_rope_unfused_s) does not apply and the model charges none; RECOMPUTE 0; the FP8 recipe
delayed, hybrid, amax history 1024, max, as the runs file has it. Tolerances: the figures as the log prints them.
"""

from __future__ import annotations

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROW_ID = "amd-mi300x-llama2-7b-fp8"
ITER50_MS, ITER50_TFLOPS = 10235.8, 590.2  # the log's iteration-50 line
MEAN_MS, MEAN_TFLOPS, MEAN_TOKENS = 10250.497872340427, 589.331914893617, 12786.891099  # the script's summary
GPUS, GBS, SEQ, LAYERS, HIDDEN, HEADS, KV_HEADS, FFN, VOCAB = 8, 256, 4096, 32, 4096, 32, 32, 11008, 32000
PADDED_VOCAB = 32128  # 32000 + one added token (a '<pad>'), padded to a multiple of 128: not established for this run


def _row() -> dict[str, str]:
    return next(r for r in read_runs() if r["id"] == ROW_ID)


def megatron_step_flops(batch: int = GBS, vocab: int = VOCAB) -> float:
    """Megatron-LM's num_floating_point_operations for a dense SwiGLU GPT without recompute (training.py), with
    Megatron's padded vocabulary size."""
    attention = (1 + KV_HEADS / HEADS + SEQ / HIDDEN) * (HIDDEN // HEADS * HEADS / HIDDEN)
    mlp = FFN / HIDDEN * 3 / 2
    logit = vocab / (2 * LAYERS * HIDDEN)
    return 12 * batch * SEQ * LAYERS * HIDDEN * HIDDEN * (attention + mlp + logit)


def tflops_per_gpu(step_ms: float, vocab: int = VOCAB) -> float:
    return megatron_step_flops(vocab=vocab) / (step_ms / 1e3) / GPUS / 1e12


def figures() -> dict[str, str]:
    pred = reproduce(_row())
    return {"iter50": f"{tflops_per_gpu(ITER50_MS):.1f}", "mean": f"{tflops_per_gpu(MEAN_MS):.1f}",
            "iter50_padded": f"{tflops_per_gpu(ITER50_MS, PADDED_VOCAB):.1f}",
            "mean_padded": f"{tflops_per_gpu(MEAN_MS, PADDED_VOCAB):.1f}",
            "pred_s": f"{pred.predicted_step_s:.2f}",
            "pred_tflops": f"{tflops_per_gpu(pred.predicted_step_s * 1e3):.0f}"}


def test_the_row_cells_are_the_logs() -> None:
    row = _row()
    cells = {"devices": GPUS, "global_batch": GBS, "seq": SEQ, "layers": LAYERS, "hidden": HIDDEN, "heads": HEADS,
             "ffn": FFN, "vocab": VOCAB}
    assert {k: int(float(row[k])) for k in cells} == cells
    assert float(row["step_s"]) == round(MEAN_MS / 1e3, 4)
    assert round(GBS * SEQ * 1e3 / (MEAN_MS * GPUS), 6) == MEAN_TOKENS  # the summary's tokens/GPU/s


def test_megatron_flops_of_the_cells_give_the_logs_throughput_line() -> None:
    """The log prints 590.2 at iteration 50 (10235.8 ms) and 589.33 as the summary's mean. With Megatron's vocabulary
    padded from 32001 (the HF tokenizer's 32000 and one added token, as Megatron's HuggingFaceTokenizer counts
    len(tokenizer); that this tokenizer adds one is inferred from the fit, not read) to 32128 the cells' FLOPs give
    590.2 and 589.3 within the print's rounding; with 32000 they give 590.1, 0.012% below, outside it. Either way the
    batch, world size and architecture cells are the log's: one sequence more or less moves the figure 0.4%, one layer
    3%. The mean of per-iteration TFLOP/s is at least that of the mean time (Jensen), as both leave it."""
    rounding = 0.05 / ITER50_TFLOPS + 0.05 / ITER50_MS  # the printed digits of the TFLOP/s and the time
    assert abs(tflops_per_gpu(ITER50_MS, PADDED_VOCAB) / ITER50_TFLOPS - 1) < rounding
    assert abs(tflops_per_gpu(ITER50_MS, VOCAB) / ITER50_TFLOPS - 1) > rounding
    assert round(tflops_per_gpu(ITER50_MS, VOCAB), 1) == 590.1
    for vocab in (VOCAB, PADDED_VOCAB):
        assert round(tflops_per_gpu(MEAN_MS, vocab), 1) == round(MEAN_TFLOPS, 1)
        assert tflops_per_gpu(MEAN_MS, vocab) <= MEAN_TFLOPS
    assert abs(megatron_step_flops(GBS - 1) / megatron_step_flops() - 1) > 30 * rounding


def test_fused_rope_is_modelled_as_the_script_runs_it() -> None:
    """ROPE_FUSION=1 (the script's default, not overridden by the README's run line): no unfused-RoPE pass charged."""
    assert predict_layout(run_query(_row())).terms["t_rope_unfused_s"] == 0


def test_an_uncached_fp8_weight_transpose_is_about_one_percent_of_the_gap() -> None:
    """bb3bcb65's FP8_TRANSPOSE_CACHE 0: the FP8 weight's transpose made again each micro-batch (1 B read, 1 B written
    a parameter) at the model's memory rate: about 0.03 s a step, 1% of the 2.85 s gap (an upper bound: the row's
    run may have cached it)."""
    row, pred = _row(), reproduce(_row())
    spec, cal = get_device("mi300x"), load_calibrations()["amd-instinct-cdna3"]
    micro_batches = GBS // GPUS // int(row["mbs"])
    transpose_s = float(row["params_b"]) * 1e9 * 2 * micro_batches / (spec.memory_bandwidth_byte_per_s * cal.memory_eff)
    gap_s = pred.published_step_s - pred.predicted_step_s
    assert (round(transpose_s, 2), f"{transpose_s / gap_s:.0%}", round(gap_s, 2)) == (0.03, "1%", 2.85)


def test_the_entry_quotes_these_figures() -> None:
    from test_row_notes_checked import _RAMD33_AMD, _RAMD33_AMD_FIGS, UNEXPLAINED  # tests/ is on sys.path

    assert figures() == _RAMD33_AMD_FIGS
    text = " ".join(_RAMD33_AMD.format(**_RAMD33_AMD_FIGS).split())
    assert text in " ".join(UNEXPLAINED[ROW_ID].split())


# rmix (s34, 2026-12-06): the same author's run in AMD's container: hisohara/ai-scripts
# training/04_megatron-pyxis/megatron-pyxis-12384.out and README.md at 97db03fb7a4a3d976eb67126a3f4e4cff39d5702:
# rocm/megatron-lm:v25.9_gfx942, examples/llama/train_llama3.sh with TOKENIZER_MODEL meta-llama/Llama-3.1-70B,
# MODEL_SIZE=70, TE_FP8=1, FSDP=1 (FSDP2; the log: 'Disabling sequence parallel'), RECOMPUTE=1,
# FP8_WEIGHT_TRANSPOSE_CACHE=0, MBS=4, BS=256, SEQ_LENGTH=8192, TP=1, 8 nodes of 8 MI325X; the summary prints
# 'throughput per GPU: 824.9285714285716', 'elapsed time per iteration: 19124.914285714283', 'tokens/GPU/s: 1713.367156'
L70_MS, L70_TFLOPS, L70_TOKENS = 19124.914285714283, 824.9285714285716, 1713.367156
L70 = {"gpus": 64, "gbs": 256, "mbs": 4, "seq": 8192, "layers": 80, "hidden": 8192, "heads": 64, "kv_heads": 8,
       "ffn": 28672, "vocab": 128256}  # Llama 3.1 70B (its config.json; 128256 is a multiple of 128: no padding)


def l70_tflops_per_gpu(step_ms: float) -> float:
    """Megatron's num_floating_point_operations (as megatron_step_flops) for the 70B cells, per GPU per second."""
    c = L70
    attention = (1 + c["kv_heads"] / c["heads"] + c["seq"] / c["hidden"]) * 1.0  # kv_channels x heads = hidden
    mlp = c["ffn"] / c["hidden"] * 3 / 2
    logit = c["vocab"] / (2 * c["layers"] * c["hidden"])
    flops = 12 * c["gbs"] * c["seq"] * c["layers"] * c["hidden"] ** 2 * (attention + mlp + logit)
    return flops / (step_ms / 1e3) / c["gpus"] / 1e12


def l70_row(**cells: str) -> dict[str, str]:
    """The 70B container run as a runs-file row: this row's stack cells with the 70B log's layout."""
    c = L70
    return {**_row(), "id": "hisohara-mi325x-llama31-70b-fp8-fsdp", "hardware": "mi325x", "devices": str(c["gpus"]),
            "dp": str(c["gpus"]), "params_b": "", "layers": str(c["layers"]), "hidden": str(c["hidden"]),
            "heads": str(c["heads"]), "kv_heads": str(c["kv_heads"]), "ffn": str(c["ffn"]), "vocab": str(c["vocab"]),
            "seq": str(c["seq"]), "global_batch": str(c["gbs"]), "mbs": str(c["mbs"]), "zero": "3",
            "recompute": "full", "step_s": str(L70_MS / 1e3), "tflops_per_gpu": "", "mfu_pct": "", "note": "",
            **cells}


def rmix34_figures() -> dict[str, str]:
    """The figures the row's UNEXPLAINED entry appends (tests/test_row_notes_checked.py, _RMIX34_AMD)."""
    fp8, bf16 = reproduce(l70_row()), reproduce(l70_row(dtype="bf16"))
    own_bf16 = reproduce({**_row(), "dtype": "bf16"})
    return {"l70_s": f"{L70_MS / 1e3:.2f}", "l70_tflops": f"{l70_tflops_per_gpu(L70_MS):.1f}",
            "l70_err": f"{fp8.error:+.1%}", "l70_bf16": f"{bf16.error:+.1%}", "own_bf16": f"{own_bf16.error:+.1%}",
            "own_err": f"{reproduce(_row()).error:+.1%}"}


def test_the_same_authors_container_run_gets_the_models_fp8_speed() -> None:
    """rmix (s34, 2026-12-06), the brief's question whether ramd's 2024-10 finding (the build's FP8 GEMMs at about the
    BF16 rate, tests/test_amd_te_2024_fp8.py) carries to this row's build. By that rule's what-if (the linears at the
    model's BF16 rate) this row would be +11.1%, within 25%; but the rule's sources measure the 2024-10 dev branch, and
    the same author's run in AMD's v25.9 container (a 70B FSDP FP8 run on 64 MI325X, its log's TFLOP/s line given by
    Megatron's formula from these cells) gets at least the model's FP8 speed: predicted +5.7% (recompute full, as
    RECOMPUTE=1 and the memory need: 'none' asks 747.6 GiB a GPU), +72.1% at the BF16 rate. Two same-author runs in
    AMD's containers (this and rgptoss's Primus twin) run FP8 at the model's rate; this row's venv build (torch
    2.8.0+rocm6.4 wheel, TE 8c4a512 from source, GEMM_TUNING=0, USE_FLASH_ATTN=0) is the one that does not, and no
    source measures its GEMMs: the rule is not carried, the row stays in UNEXPLAINED."""
    from test_row_notes_checked import _RMIX34_AMD, _RMIX34_AMD_FIGS, UNEXPLAINED  # tests/ is on sys.path

    assert round(l70_tflops_per_gpu(L70_MS), 1) == round(L70_TFLOPS, 1)
    c = L70
    assert round(c["gbs"] * c["seq"] * 1e3 / (L70_MS * c["gpus"]), 6) == L70_TOKENS
    figs = rmix34_figures()
    assert figs == _RMIX34_AMD_FIGS
    fp8, bf16 = reproduce(l70_row()), reproduce(l70_row(dtype="bf16"))
    assert abs(fp8.error) < 0.25 < bf16.error  # the FP8 speed, not the BF16 one
    assert reproduce(l70_row(recompute="none")).memory_bytes_per_device > fp8.memory_capacity_bytes
    text = " ".join(_RMIX34_AMD.format(**figs).split())
    assert text in " ".join(UNEXPLAINED[ROW_ID].split())


# rtrain5 (s35, 2026-12-06): the brief's lead 'FP8 recipe amax history'. The run's FP8 arguments (train_llama2.sh at
# both stored trees, above) keep a 1024-long amax history; the Infinity Hub v25.2 FP8 rows the model hits (-8..-11%,
# tests/test_amd_rows.py IH_FP8_ROWS) keep 16. Transformer Engine's delayed scaling keeps per module an fp32
# amax_history of [history_len, 3 x num_gemms] forward and [history_len, 2 x num_gemms] backward
# (transformer_engine/pytorch/module/base.py set_meta_tensor, a stored 2024 copy, code index id 3448940715; the ROCm
# fork's 8c4a512 not read), and updates scales at the outermost fp8_autocast exit (forward) and once per backward:
# reduce_and_update_fp8_tensors concatenates the current amaxes (one row per module), all-reduces them and runs one
# fused amax-and-scale update over the histories (fp8.py fp8_autocast_exit, code index id 1158595684). So the
# history length sets only the bytes that update reads and rewrites; the all-reduce carries one row at any length.
AMAX_HISTORY = {"run": 1024, "ih_v25_2": 16}
GEMMS_PER_LAYER = 4  # Megatron-Core's TE layer: qkv (LayerNormLinear), proj (Linear), fc1 + fc2 (LayerNormMLP)
FP32_B = 4


def amax_history_bytes_per_step(history: int) -> float:
    """Bytes the delayed-scaling updates read and write a step: per micro-batch one forward update over the forward
    histories and one backward update over the backward ones, each read and rewritten (rolled) once."""
    micro_batches = GBS // GPUS // 4  # the row's MBS 4 on 8 data-parallel GPUs
    columns = LAYERS * GEMMS_PER_LAYER * (3 + 2)
    return micro_batches * 2 * history * columns * FP32_B


def rtrain5_amd_figures() -> dict[str, str]:
    run, ih = (amax_history_bytes_per_step(AMAX_HISTORY[k]) for k in ("run", "ih_v25_2"))
    bw = get_device("mi300x").memory_bandwidth_byte_per_s
    gap = reproduce(_row())
    gap_s = float(_row()["step_s"]) - gap.predicted_step_s
    return {"run_mb": f"{run / 1e6:.1f}", "ih_mb": f"{ih / 1e6:.2f}", "us": f"{(run - ih) / bw * 1e6:.1f}",
            "gap_s": f"{gap_s:.2f}", "share": f"{(run - ih) / bw / gap_s:.1e}"}


def test_the_amax_history_length_costs_microseconds() -> None:
    """The 1024-row history against the v25.2 rows' 16 differs by the history bytes alone, microseconds a step at the
    MI300X's HBM bandwidth against the row's 2.85 s gap: it cannot separate this run from the rows the model hits."""
    from test_row_notes_checked import _RTRAIN5_AMD, UNEXPLAINED  # tests/ is on sys.path

    figs = rtrain5_amd_figures()
    assert float(figs["us"]) < 100 and float(figs["gap_s"]) > 2.5
    assert amax_history_bytes_per_step(1024) == 64 * amax_history_bytes_per_step(16)
    text = " ".join(_RTRAIN5_AMD.format(**figs).split())
    assert text in " ".join(UNEXPLAINED[ROW_ID].split())


# ramd (s36, 2026-12-06): the brief's lead 'the author's BF16 twin and its FP8 / BF16 ratio'. Every stored file of
# hisohara/ai-scripts listed (38 paths) and its training scripts read. 02_megatron's later run scripts,
# run_llama2-1node.sh and run_llama2-2nodes.sh at 3c1f70c63c95dff075b2a5d5530140272b9d41ab, keep the row's TE_FP8=1,
# MBS 4, SEQ_LENGTH 4096, MODEL_SIZE 7 and set USE_FLASH_ATTN=1 GEMM_TUNING=1; the 2-node one BS 512 with NNODES 2.
# The one BF16 script of that venv stack, run_llama3-70B.sh at ffdb0616f8fcbd1baf0c331ddc0b7c258757eec5, is
# TE_FP8=0 for Llama 3.1 70B (FSDP=1, RECOMPUTE=1, MBS 3, BS 24, SEQ_LENGTH 8192). No stored file logs any of them.
TWO_NODE = {"gpus": 2 * 8, "gbs": 512, "mbs": 4}  # run_llama2-2nodes.sh: NNODES=2, BS=512, MBS=4
L70_BF16_SCRIPT = {"gpus": 8, "gbs": 24, "mbs": 3}  # run_llama3-70B.sh: BS=24, MBS=3, NNODES unset (one node of 8)


def ramd36_figures() -> dict[str, str]:
    """The figures the row's UNEXPLAINED entry appends (tests/test_row_notes_checked.py, _RAMD36_AMD)."""
    row = _row()
    two_node = reproduce({**row, "devices": str(TWO_NODE["gpus"]), "dp": str(TWO_NODE["gpus"]),
                          "global_batch": str(TWO_NODE["gbs"])})
    fp8, bf16 = reproduce(row), reproduce({**row, "dtype": "bf16"})
    return {"gpus_2n": str(TWO_NODE["gpus"]), "seqs": str(TWO_NODE["gbs"] // TWO_NODE["gpus"]),
            "mbs_n": str(TWO_NODE["gbs"] // TWO_NODE["gpus"] // TWO_NODE["mbs"]),
            "pred_2n": f"{two_node.predicted_step_s:.2f}", "pred_s": f"{fp8.predicted_step_s:.2f}",
            "bf16_s": f"{bf16.predicted_step_s:.2f}",
            "model_ratio": f"{bf16.predicted_step_s / fp8.predicted_step_s:.2f}",
            "pub_over_bf16": f"{fp8.published_step_s / bf16.predicted_step_s:.2f}",
            "l70_mb": str(L70_BF16_SCRIPT["gbs"] // L70_BF16_SCRIPT["gpus"] // L70_BF16_SCRIPT["mbs"]),
            **ogradoto_figures(fp8.published_step_s - fp8.predicted_step_s)}


# ROCm/MAD scripts/megatron-lm/megatron-lm_benchmark_report.sh (stored at 3ffb14126c97ef5863c3e31f2555b53859e11bfc):
# the Llama-2-7B FP8 line's cells (its BF16 line differs only by TE_FP8=0), and its Llama-3.1-70B line (BF16)
MAD_LLAMA2_7B = {"mbs": 4, "gbs": 256, "tp": 1, "seq": 4096}
MAD_LLAMA31_70B = {"gbs": 24, "mbs": 3}
# ROCm/rocm-libraries #12213 (2026-09-16): CK's FmhaBwdOGradDotO at 32.4x / 20.8x AOTriton's bwd_preprocess on MI300X
CK_OGRADDOTO_SLOWDOWN = 32.4


def ogradoto_figures(gap_s: float) -> dict[str, str]:
    """D = rowsum(dO x O) streams O and dO (bf16, [b s, heads x head dim]) and writes b x heads x s fp32 a call, once
    per layer and micro-batch; at the model's memory rate, and at the issue's worst ratio to it."""
    spec, cal = get_device("mi300x"), load_calibrations()["amd-instinct-cdna3"]
    mbs, head_dim = 4, HIDDEN // HEADS
    call_bytes = 2 * mbs * SEQ * HEADS * head_dim * 2 + mbs * HEADS * SEQ * 4
    step_s = call_bytes / (spec.memory_bandwidth_byte_per_s * cal.memory_eff) * LAYERS * (GBS // GPUS // mbs)
    linear_weights = LAYERS * (4 * HIDDEN * HIDDEN + 3 * HIDDEN * FFN)  # qkv + proj (32 / 32 heads), SwiGLU fc1 + fc2
    cast_s = linear_weights * 3 / (spec.memory_bandwidth_byte_per_s * cal.memory_eff) * (GBS // GPUS // mbs)
    return {"odo_mb": f"{call_bytes / 1e6:.0f}", "odo_s": f"{step_s:.3f}",
            "odo_32": f"{CK_OGRADDOTO_SLOWDOWN * step_s:.2f}", "gap_s": f"{gap_s:.2f}",
            "cast_w": f"{linear_weights / 1e9:.2f}", "cast_s": f"{cast_s:.3f}", "cast_share": f"{cast_s / gap_s:.1%}"}


def test_the_authors_later_scripts_keep_the_rows_per_gpu_work_and_log_nothing() -> None:
    """The 2-node script gives each rank the row's 32 sequences in 8 micro-batches of 4, and the model predicts it
    within 0.1 s of the row (the data-parallel traffic over two nodes is hidden): a figure for it, had one been
    published, would be this row's twin at the docs' USE_FLASH_ATTN / GEMM_TUNING. No twin at BF16 exists: the model's
    BF16 / FP8 step ratio for the row (1.54) has no measured counterpart from this author, and the published FP8 step
    is 0.90 of the model's BF16 one (rmix34's +11.1% the other way round)."""
    from test_row_notes_checked import _RAMD36_AMD, _RAMD36_AMD_FIGS, UNEXPLAINED  # tests/ is on sys.path

    figs = ramd36_figures()
    assert figs == _RAMD36_AMD_FIGS
    assert TWO_NODE["gbs"] // TWO_NODE["gpus"] == GBS // GPUS  # the row's sequences per rank
    assert abs(float(figs["pred_2n"]) - float(figs["pred_s"])) < 0.1
    assert float(figs["pub_over_bf16"]) < 1 < float(figs["model_ratio"])
    row = _row()
    assert {"mbs": int(row["mbs"]), "gbs": int(row["global_batch"]), "tp": int(row["tp"]),
            "seq": int(row["seq"])} == MAD_LLAMA2_7B  # AMD's harness line is the row's
    assert {k: L70_BF16_SCRIPT[k] for k in ("gbs", "mbs")} == MAD_LLAMA31_70B  # the author's 70B script is MAD's
    assert float(figs["odo_32"]) < float(figs["gap_s"]) / 4  # the preprocess at 32.4x is under a quarter of the gap
    text = " ".join(_RAMD36_AMD.format(**figs).split())
    assert text in " ".join(UNEXPLAINED[ROW_ID].split())
