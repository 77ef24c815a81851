"""The runs CSV's max_batch_size column for trtllm-bench rows is the value trtllm-bench's own heuristic computes,
and validate and `plan serve` apply it the same way.

trtllm-bench throughput (the TensorRT-LLM v1.0 perf-overview page's command, no --max_batch_size/--max_num_tokens
and no max_batch_size in its llm_options.yml) takes max_batch_size and max_num_tokens from
tensorrt_llm/bench/benchmark/utils/general.py get_settings -> bench/build/build.py get_benchmark_engine_settings ->
bench/build/tuning.py calc_engine_setting + finetune_setting (github.com/NVIDIA/TensorRT-LLM, 1.0.0rc4 commit
000a01de66f0eab4ab05640711f0253f50f5209c for throughput.py/build.py/configuration.py; the finetune_setting formula
is the same in every stored version), and passes them to the LLM API (RuntimeConfig.get_llm_args), replacing its
default 2048. The heuristic is re-derived here from the model preset and the catalog capacity; the CSV holds its
result per row.
"""

from __future__ import annotations

import json
import math

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving_validation import (
    ServingValidateResult,
    read_serving_runs,
    row_max_batch_size,
    validate_serving,
)
from accelopt.workload.presets import get_model

GIB = 1024**3
BYTES_PER_ELEM = {"fp8": 1.0, "nvfp4": 0.5}  # tuning.py BYTES_PER_ELEM (QuantAlgo.FP8 1.0, NVFP4 0.5)
KV_FRACTION = 0.90  # trtllm-bench --kv_cache_free_gpu_mem_fraction default (throughput.py), the rows' engine rule


def _safetensors_param_count(model: str, weight_dtype: str) -> float:
    """ModelConfig.get_param_count: the sum of the checkpoint's safetensors parameter counts. An NVFP4 ModelOpt
    checkpoint stores two fp4 weights per uint8 element plus one fp8 scale per 16 weights; embeddings and the LM
    head stay 16-bit (an estimate from the preset: the checkpoints' headers are not read here)."""
    m = get_model(model)
    emb, head = serving._embedding_params(m)
    if weight_dtype != "nvfp4":
        return float(m.params_total())
    return emb + head + (m.params_total() - emb - head) * (0.5 + 1 / 16)


def trtllm_bench_limits(row: dict[str, str]) -> tuple[int, int]:
    """(max_batch_size, max_num_tokens) of calc_engine_setting: KV room = (tp x pp x device GiB - params x
    bytes/param GiB) x fraction over 2 x layers x max(tp, kv_heads) x head_dim x kv bytes per token x (ISL + OSL);
    finetune_setting rounds both up; without chunked prefill get_settings raises max_num_tokens to at least the
    longest prompt. tp is trtllm-bench's --tp: attention tp x attention-DP ranks (the page runs MoE models with
    --tp 8 --ep 8)."""
    m = get_model(row["model"])
    tp = int(row["tp"]) * int(row.get("attention_dp") or 1)
    pp = int(row["pp"])
    isl, osl = int(row["prompt_len"]), int(row["output_len"])
    engine_gib = _safetensors_param_count(row["model"], row["weight_dtype"]) * BYTES_PER_ELEM[row["weight_dtype"]] / GIB
    total_gib = get_device(row["hardware"]).memory_bytes / GIB * tp * pp  # get_device_memory: NVML total / 2^30
    gib_per_token = 2 * m.layers * max(tp, m.n_kv_heads) * m.head_dim * BYTES_PER_ELEM[row["kv_dtype"]] / GIB
    requests = (total_gib - engine_gib) * KV_FRACTION / (gib_per_token * (isl + osl))
    raw_bs = min(requests, 4096) / pp
    raw_tokens = min(raw_bs * (1 + isl / osl), 32768)
    if raw_bs < 256:
        bs = max(64, 32 * math.ceil(raw_bs / 32))
    elif raw_bs < 1024:
        bs = 128 * math.ceil(raw_bs / 128)
    else:
        bs = 256 * math.ceil(raw_bs / 256)
    if raw_tokens < 4096:
        tokens = max(2048, 256 * math.ceil(raw_tokens / 256))
    elif raw_tokens < 8192:
        tokens = 512 * math.ceil(raw_tokens / 512)
    else:
        tokens = 1024 * math.ceil(raw_tokens / 1024)
    return bs, max(tokens, isl)


def _bench_rows() -> list[dict[str, str]]:
    rows, _ = read_serving_runs()
    return [r for r in rows if r["source"] in ("trtllm-v10", "trtllm-v10-moe", "trtllm-v10-rtx")]


def test_every_trtllm_bench_row_carries_the_heuristic_limit() -> None:
    rows = _bench_rows()
    assert len(rows) >= 100
    for r in rows:
        assert row_max_batch_size(r) == trtllm_bench_limits(r)[0], r["id"]


def test_the_heuristic_reproduces_a_hand_computed_case() -> None:
    # Llama 3.1 8B fp8 on one H100, 128/2048: 79.65 GiB - 7.5 GiB of weights, x 0.9 = 64.9 GiB of KV room;
    # 2 x 32 x 8 x 128 B = 64 KiB per token x 2176 tokens = 0.133 GiB per request -> 489 requests -> 512
    row = {"model": "llama3-8b", "tp": "1", "pp": "1", "hardware": "h100-sxm", "weight_dtype": "fp8",
           "kv_dtype": "fp8", "prompt_len": "128", "output_len": "2048"}
    assert trtllm_bench_limits(row) == (512, 2048)  # tokens: 489 x (1 + 128/2048) = 520 -> the minimum 2048
    assert trtllm_bench_limits({**row, "output_len": "128"})[0] == 4096  # capped at 4096 requests


@pytest.fixture(scope="module")
def result() -> ServingValidateResult:
    return validate_serving()


def test_validate_caps_max_load_rows_at_the_row_limit_per_attention_dp_rank(result: ServingValidateResult) -> None:
    from accelopt.predict.serving_plan import ServeOptions, plan_serve
    from accelopt.predict.serving_validation import row_calibration

    by_id = {r.id: r for r in result.runs}
    raised = 0
    for r in _bench_rows():
        cal = row_calibration(r, get_device(r["hardware"]))
        dp = int(r.get("attention_dp") or 1)
        run = plan_serve(ServeOptions(model=r["model"], hardware=r["hardware"], tp=int(r["tp"]),
                                      concurrency="1", prompt=int(r["prompt_len"]), output=int(r["output_len"]),
                                      weight_dtype=r["weight_dtype"], kv_dtype=r["kv_dtype"],
                                      memory_fraction=cal.memory_utilization, memory_basis=cal.memory_basis,
                                      max_batch_size=row_max_batch_size(r), ep=int(r.get("ep") or 1),
                                      attention_dp=dp, pp=int(r["pp"])))
        fits = run.sweeps[0].max_batch
        # TensorRT-LLM admits max_batch_size per micro-batch, x pp in all (serving.ENGINES batch_cap_per_microbatch)
        assert by_id[r["id"]].batch == min(fits, cal.max_batch_size * dp * int(r["pp"])), r["id"]
        raised += by_id[r["id"]].batch > 2048 * dp  # beyond the LLM API default the column replaces
    assert raised >= 5  # the 128/128 rows whose KV room holds more than 2048 requests


def test_max_num_tokens_does_not_bind_the_predicted_steady_state(result: ServingValidateResult) -> None:
    # Each request needs ISL prompt tokens once and one token per output step: at C requests in flight per rank a
    # step carries C x (1 + ISL/OSL) tokens on average. The heuristic's per-rank max_num_tokens is at least that on
    # every row, which is why the runs file carries no max_num_tokens column. With pp > 1 an iteration runs one of the
    # pp micro-batches (PyExecutor._executor_loop_pp); the heuristic's limits are per micro-batch (requests / pp).
    by_id = {r.id: r for r in result.runs}
    for r in _bench_rows():
        per_rank = by_id[r["id"]].batch / int(r.get("attention_dp") or 1) / int(r["pp"])
        tokens_per_step = per_rank * (1 + int(r["prompt_len"]) / int(r["output_len"]))
        assert trtllm_bench_limits(r)[1] >= tokens_per_step - 1e-9, r["id"]


def test_plan_serve_max_batch_size_caps_a_rate_run(capsys: pytest.CaptureFixture[str]) -> None:
    # At a rate the engine completes only with more requests in flight than the cap allows, the capped engine
    # saturates: exit 2 naming the cap; without the flag (default 2048) the same rate runs.
    from conftest import run_main

    base = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--weight-dtype", "fp8", "--kv-dtype",
            "fp8", "--prompt", "128", "--output", "128", "--rate", "150", "--json"]
    code, out, err = run_main(base, capsys)
    assert code == 0, err
    in_flight = json.loads(out)["results"][0]["points"][0]["batch"]
    assert in_flight > 64
    code, _, err = run_main([*base, "--max-batch-size", "64"], capsys)
    assert code == 2 and "at 64 in flight" in err
