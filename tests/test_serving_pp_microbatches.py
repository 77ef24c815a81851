"""`plan serve --pp N` keeps N micro-batches in flight, as vLLM and TensorRT-LLM run pipeline parallelism.

vLLM: MultiprocExecutor.max_concurrent_batches = parallel_config.pipeline_parallel_size
(vllm-project/vllm vllm/v1/executor/multiproc_executor.py at 00f6c9bf92aa69c72d5828d28d029129775223b7): the engine
core's batch queue holds pp batches, one per stage. With m = pp micro-batches of B/pp sequences each, no stage idles
in steady state (Narayanan et al. 2021, sec. 2.2), so one token of a micro-batch takes its pass through every stage,
T(B/pp) + (pp-1) hops, and the replica delivers B tokens per such pass: B / T(B/pp) on pp devices, the same per device
as one device at batch B/pp (B/pp / T(B/pp)), to within the hops. Before, the model ran the whole batch through the
stages one after another (B / T(B) on pp devices), so per-device throughput fell wherever T grows with the batch.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import calibration_for_spec, predict_serving
from accelopt.workload.presets import get_model

TOLERANCE = 0.02
"""Stated before measuring: the (pp-1) activation hops of B/pp x hidden x 2 bytes per decode step (262 KB for
llama2-7b at 32 sequences, microseconds over NVLink) against a decode step of tens of ms are under 0.1%; 32 layers
split evenly over 2 stages; 2% leaves room for the per-step link latency and nothing else."""

# llama2-7b (multi-head attention, 0.5 MiB of KV cache per token) at 2048 + 256 tokens: the batch's KV reads are
# larger than the weights', so a decode step of 64 sequences takes far longer than one of 32
KW: dict[str, Any] = {"prompt_len": 2048, "output_len": 256}


@pytest.mark.parametrize("scheduling", ["static", "continuous"])
def test_pp2_decode_per_device_matches_pp1_at_the_micro_batch(scheduling: str) -> None:
    m, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    one = predict_serving(m, h100, pp=1, batch=32, scheduling=scheduling, **KW)
    two = predict_serving(m, h100, pp=2, batch=64, scheduling=scheduling, **KW)
    assert two.pp_microbatches == 2 and two.n_devices == 2
    per_dev_one = one.decode_tokens_per_s / one.n_devices
    per_dev_two = two.decode_tokens_per_s / two.n_devices
    assert per_dev_two == pytest.approx(per_dev_one, rel=TOLERANCE)
    # TPOT of a request: its micro-batch's pass through both stages (+ one hop), the 32-sequence step of pp 1
    assert two.tpot_s == pytest.approx(one.tpot_s, rel=TOLERANCE)


def test_pp2_continuous_end_to_end_per_device_matches_pp1() -> None:
    """Continuous batching: prefills join a full pipeline (no fill), so the whole request's tokens/s per device
    match too."""
    m, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    one = predict_serving(m, h100, pp=1, batch=32, scheduling="continuous", **KW)
    two = predict_serving(m, h100, pp=2, batch=64, scheduling="continuous", **KW)
    assert two.output_tokens_per_s_per_device == pytest.approx(one.output_tokens_per_s_per_device, rel=TOLERANCE)


def test_one_micro_batch_runs_the_stages_in_turn() -> None:
    """--pp-microbatches 1: the batch walks the stages one after another, so TPOT is the whole batch's step plus
    the hop, above the micro-batched TPOT at this KV-heavy point."""
    m, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    cal = replace(calibration_for_spec(h100), pp_microbatches=1)
    serial = predict_serving(m, h100, pp=2, batch=64, calibration=cal, **KW)
    whole = predict_serving(m, h100, pp=1, batch=64, allow_oom=True, **KW)  # (time only)
    piped = predict_serving(m, h100, pp=2, batch=64, **KW)
    assert serial.pp_microbatches == 1
    assert serial.tpot_s == pytest.approx(whole.tpot_s, rel=TOLERANCE) and serial.tpot_s > whole.tpot_s
    assert piped.tpot_s < 0.8 * serial.tpot_s


def test_fullest_stage_sets_the_cycle_when_layers_split_unevenly() -> None:
    """32 layers over 3 stages: vLLM's partition is 11, 11, 10 (serving.pp_stage_layers: the 2 left over go to the
    stages before the last). The last holds 10 and the LM head (32,000 x 4,096 x 2 B read a step, H seconds;
    tests/test_serving_pp_end_stages.py), lighter than 11 layers here (a layer of llama2-7b with its KV cache reads
    more than H), so a stage of 11 sets the cycle: busy 3 x 11/32 of the layers' pass (the first adds one embedding
    row, 8 KB, nanoseconds), longer than the pass itself with no step overhead; the replica's decode tokens/s is the
    batch over that (the slowest stage). (Until 2026-12-02 the head was spread with the layers: 3 x 11/32 of the
    whole pass; then the last stage was charged 11 layers beside the head, 3 x (11/32 of the layers' pass + H).)"""
    m, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    cal = replace(calibration_for_spec(h100), per_step_overhead_s=0.0)
    three = predict_serving(m, h100, pp=3, batch=3, calibration=cal, **KW)
    pass_ = predict_serving(m, h100, pp=1, batch=1, calibration=cal, **KW)  # one micro-batch's stages' work
    assert three.pp_microbatches == 3 and pass_.decode_step.bound == "memory"
    head_s = 32_000 * 4_096 * 2 / (h100.memory_bandwidth_byte_per_s * three.calibration.decode_bandwidth_efficiency)
    layers_s = pass_.tpot_s - head_s
    assert layers_s / 32 > head_s  # one layer outweighs the head: the 11-layer stages are the busiest
    assert three.tpot_s == pytest.approx(3 * 11 / 32 * layers_s, rel=TOLERANCE)


def test_batch_smaller_than_the_stages_holds_fewer_micro_batches() -> None:
    m, h100 = get_model("llama2-7b"), get_device("h100-sxm")
    p = predict_serving(m, h100, pp=4, batch=2, **KW)
    assert p.pp_microbatches == 2


def test_cli_prints_the_default_and_takes_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--pp", "2", "--batch", "64",
            "--prompt", "2048", "--output", "256"]
    code, out, _ = run_main([*base, "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["results"][0]["points"][0]["pp_microbatches"] == 2
    assert any(n.startswith("default used: --pp 2 keeps 2 micro-batches") for n in doc["notes"])
    code, out, _ = run_main([*base, "--pp-microbatches", "1", "--json"], capsys)
    assert code == 0
    doc1 = json.loads(out)
    assert doc1["results"][0]["points"][0]["pp_microbatches"] == 1
    assert not any("micro-batches in flight" in n for n in doc1["notes"])
    assert doc1["results"][0]["points"][0]["tpot_s"] > doc["results"][0]["points"][0]["tpot_s"]


@pytest.mark.parametrize(("flags", "words"), [(["--pp", "2", "--pp-microbatches", "0"], "--pp-microbatches 0"),
                                              (["--pp-microbatches", "2"], "--pp 1")])
def test_cli_refuses_bad_pp_microbatches(capsys: pytest.CaptureFixture[str], flags: list[str], words: str) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--batch", "4",
                               *flags], capsys)
    assert code == 2
    assert words in out + err


def test_console_and_page_titles_name_the_micro_batches(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    page = tmp_path / "serve.html"
    code, out, _ = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--pp", "2", "--batch",
                             "1,8", "--html", str(page)], capsys)
    assert code == 0
    assert "pp=2 x 2 micro-batches" in " ".join(out.split())
    assert "pp=2 x 2 micro-batches" in page.read_text()
