"""amd-mi300x-llama2-7b-fp8 against the same author's later run of the same per-GPU work (issue 10, rgptoss,
2026-12-05): the figures the row's UNEXPLAINED entry quotes (tests/test_row_notes_checked.py, _RGPTOSS_PRIMUS),
recomputed.

The row: hisohara/ai-scripts training/02_megatron (ROCm/Megatron-LM train_llama2.sh, TE 8c4a512 built from source,
ROCm 6.4, 2025-08), Llama 2 7B FP8 hybrid on 8 MI300X, GBS 256, MBS 4, seq 4096, TP 1, PP 1: 10250.5 ms a step.
The twin: the same repository's training/03_primus (README.md at 4fb66ab5ffd47c65105d3125ca02a482fdebf701, Primus
e16b27b in the rocm/primus:v25.9_gfx942 image, NVTE_CK_USES_BWD_V3=1; RUN.sh's 'Llama2 7B 8-node' block:
examples/megatron/configs/llama2_7B-pretrain.yaml with --global_batch_size 2048 --fp8 hybrid) on 8 nodes of 8 MI325X
(AAC11), whose log training/03_primus/run-llama2-7B-8N.log (same commit) prints at iteration 50 of 50 'elapsed time
per iteration (ms): 6403.1/6402.7' (the second figure Primus's running mean, log_avg_skip_iterations 2) and 'tokens
per GPU (tokens/s/GPU): 20470.1/20472.8', and after iteration 1 'max allocated: 111506.17822265625' (MB, Megatron's
report_memory: bytes / 2**20). The config (AMD-AGI/Primus examples/megatron/configs/llama2_7B-pretrain.yaml, a stored
version at 2386c7272a4a1765e50052a847b3869bab03232d, not the run's e16b27b): micro_batch_size 4, seq_length 4096,
TP 1, PP 1, overlap_grad_reduce and overlap_param_gather true, gradient_accumulation_fusion false (as the row's
--no-gradient-accumulation-fusion), mock data, Primus-Turbo attention. So each rank does the row's work: 2048 / 64 =
256 / 8 = 32 sequences of 4096 tokens a step in 8 micro-batches of 4. MI325X has MI300X's datasheet peaks (catalog);
the model carries the 1000 W part's higher sustained GEMM clock as a measured ratio (calibration.toml, fp8 x1.193).

What it shows (the rule, written after the twin's MBS 4 figure, -1.7%, had been seen: the model's FP8 rates are in
question for the row only if the model also misses the twin beyond the row's family median, 8.6%): it predicts the
twin within 2.1% at any MBS from 2 to 8 (the stored config's MBS 4 the one the log's memory fits), so its CDNA3 FP8
rates hold for this work on a later stack, and the row's miss lies in its own stack (attention, GEMM tuning, TE
build), which the twin does not separate. Tolerances: printed figures as the entry rounds them.
"""

from __future__ import annotations

from test_row_notes_checked import _RGPTOSS_PRIMUS, _RGPTOSS_PRIMUS_FIGS, UNEXPLAINED

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROW_ID = "amd-mi300x-llama2-7b-fp8"
ROW_LOG_MS, ROW_LOG_TOKENS = 10250.497872340427, 12786.891099  # the row's log summary (its runs-file note)
TWIN_MS, TWIN_TOKENS, TWIN_GPUS, TWIN_GBS = 6402.7, 20472.8, 64, 2048  # run-llama2-7B-8N.log, iteration 50
TWIN_MAX_ALLOCATED_MB = 111506.17822265625  # run-llama2-7B-8N.log, '(after 1 iterations) memory (MB)'
TWIN_MBS = "4"  # llama2_7B-pretrain.yaml at 2386c72 (stored version)
FAMILY_MEDIAN_BOUND = 0.086  # amd-instinct-cdna3's held-out median (validate: 8.58%), the rule's bound


def _row() -> dict[str, str]:
    return next(r for r in read_runs() if r["id"] == ROW_ID)


def _twin(mbs: str = TWIN_MBS) -> dict[str, str]:
    """The twin as a runs-file row: the row's architecture and layout on 64 MI325X at GBS 2048 (dp 64)."""
    return dict(_row(), hardware="mi325x", devices=str(TWIN_GPUS), global_batch=str(TWIN_GBS), dp=str(TWIN_GPUS),
                mbs=mbs, step_s=f"{TWIN_MS / 1e3:.4f}")


def figures() -> dict[str, str]:
    row, twin = reproduce(_row()), reproduce(_twin())
    on_mi325x_8 = reproduce(dict(_row(), hardware="mi325x"))
    ratio = row.predicted_step_s / on_mi325x_8.predicted_step_s  # the model's MI300X / MI325X time for the row's work
    mem = {m: predict_layout(run_query(_twin(m))).terms["mem_total_bytes"] / 2**30 for m in ("2", "4", "8")}
    errs = {m: reproduce(_twin(m)).error for m in ("2", "8")}
    return {"row_s": f"{ROW_LOG_MS / 1e3:.2f}", "twin_s": f"{TWIN_MS / 1e3:.2f}",
            "speed": f"{ROW_LOG_MS / TWIN_MS:.2f}", "twin_pred": f"{twin.predicted_step_s:.2f}",
            "twin_err": f"{twin.error:+.1%}", "err2": f"{errs['2']:+.1%}", "err8": f"{errs['8']:+.1%}",
            "mem_gib": f"{TWIN_MAX_ALLOCATED_MB / 1024:.1f}", "mem2": f"{mem['2']:.1f}", "mem4": f"{mem['4']:.1f}",
            "mem8": f"{mem['8']:.1f}", "ratio": f"{ratio:.2f}", "twin_on_mi300x": f"{TWIN_MS / 1e3 * ratio:.2f}",
            "row_over": f"{ROW_LOG_MS / (TWIN_MS * ratio):.2f}", "row_err": f"{row.error:+.1%}"}


def test_the_twin_does_the_rows_work_per_gpu() -> None:
    r = _row()
    assert int(r["global_batch"]) // int(r["dp"]) == TWIN_GBS // TWIN_GPUS == 32
    assert int(r["mbs"]) == int(TWIN_MBS) == 4 and int(r["seq"]) == 4096
    # both logs' tokens/s/GPU are GBS x seq / (time x GPUs): the twin's seq is 4096 too
    twin_tokens = TWIN_GBS * 4096 / (TWIN_MS / 1e3 * TWIN_GPUS)
    row_tokens = int(r["global_batch"]) * 4096 / (ROW_LOG_MS / 1e3 * int(r["devices"]))
    assert abs(twin_tokens / TWIN_TOKENS - 1) < 1e-4 and abs(row_tokens / ROW_LOG_TOKENS - 1) < 1e-6


def test_the_model_predicts_the_twin_within_the_family_median_at_any_mbs() -> None:
    for mbs in ("2", "4", "8"):
        assert abs(reproduce(_twin(mbs)).error) < FAMILY_MEDIAN_BOUND
    assert reproduce(_row()).error < -0.25  # the row stays beyond 25%


def test_the_twins_memory_sits_with_mbs_4() -> None:
    f = figures()
    logged = float(f["mem_gib"])
    assert float(f["mem2"]) < float(f["mem4"]) < logged < float(f["mem8"])
    assert logged - float(f["mem4"]) < float(f["mem8"]) - logged and logged - float(f["mem4"]) < logged - float(
        f["mem2"])


def test_the_entry_quotes_the_figures() -> None:
    assert figures() == _RGPTOSS_PRIMUS_FIGS
    text = " ".join(UNEXPLAINED[ROW_ID].split())
    assert _RGPTOSS_PRIMUS.format(**figures()) in text


def test_the_runs_file_note_points_to_the_twin() -> None:
    f = figures()
    note = " ".join(_row()["note"].split())
    assert (f"steps in {f['twin_s']} s and the model predicts it at {f['twin_pred']} s ({f['twin_err']}): the miss "
            "lies in this run's stack") in note
