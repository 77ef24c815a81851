"""With --pp, serving spread the embedding and the LM head evenly over the pipeline stages with the layers: on 2
stages Llama 3 8B's last stage was charged half the model's bytes, while it holds 16 of the 32 layers AND the LM head
(128,256 x 4,096 x 2 bytes = 1.05 GB, read every decode step), so the busiest stage, which sets the pipeline's cycle,
was undercounted. The embedding (a lookup: its rows read) is on the first stage and the LM head (a [h, V/t] GEMM per
token) on the last now; the busiest stage sets the step, and the result's notes say so, and that no published serving
run with --pp > 1 validates it."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import pp_stage_layers, predict_serving
from accelopt.predict.serving_validation import read_serving_runs
from accelopt.workload.presets import get_model

KW = {"prompt_len": 2048, "output_len": 256}


def test_the_last_stage_carries_the_lm_head_by_hand() -> None:
    """Llama 3 8B on H100 SXM, pp 2, batch 2 = 2 micro-batches of 1 (one per stage), decode memory-bound.
    Hand calculation: the whole pass reads M seconds' worth of bytes (the pp 1 prediction at batch 1, same context);
    of it the LM head is H = vocab x hidden x 2 B / (bandwidth x its efficiency). The last stage reads (M - H) / 2
    (16 of 32 layers) + H; two micro-batches pass it per cycle, each paying its half of the per-step overhead O:
    cycle = 2 x ((M - H) / 2 + H) + O = M + H + O. Spread evenly it was max(M + hops + O, 2 x M / 2 + O) = M + hops
    + O: H (~0.3 ms) short."""
    model, spec = get_model("llama3-8b"), get_device("h100-sxm")
    whole = predict_serving(model, spec, pp=1, batch=1, **KW)
    piped = predict_serving(model, spec, pp=2, batch=2, **KW)
    assert whole.decode_step.bound == "memory" and piped.pp_microbatches == 2
    cal = piped.calibration
    head_bytes = 128_256 * 4_096 * 2  # Llama 3 8B config.json: vocab_size x hidden_size, bf16, untied
    head_s = head_bytes / (spec.memory_bandwidth_byte_per_s * cal.decode_bandwidth_efficiency)
    mem_s = whole.decode_step.memory_s
    last_stage_s = (mem_s - head_s) / 2 + head_s
    assert piped.decode_step.total_s == pytest.approx(2 * last_stage_s + cal.per_step_overhead_s, rel=1e-9)
    assert head_s > 2.5e-4  # what the even spread left out of the cycle, less the hop


def test_the_notes_place_the_head_and_name_the_pp_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--pp", "2",
                               "--batch", "2", "--json"], capsys)
    assert code == 0, err
    (note,) = [n for n in json.loads(out)["notes"] if n.startswith("--pp 2: ")]
    assert "the last the LM head" in note and "busiest stage" in note
    assert "The published serving runs with --pp > 1" in note and "RTX PRO 6000" in note
    rows, _ = read_serving_runs()
    piped = [r for r in rows if r["pp"] != "1"]  # the note's claim: the only pp rows are TensorRT-LLM v1.0's RTX ones
    assert piped and {(r["source"], r["hardware"]) for r in piped} == {("trtllm-v10-rtx", "rtx-pro-6000-server")}
    code, out, _ = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "2",
                             "--json"], capsys)
    assert code == 0 and not [n for n in json.loads(out)["notes"] if n.startswith("--pp ")]


@pytest.mark.parametrize(("model", "said"), [
    ("gpt3-125m", "its learned position row (on every rank), hidden x 2 bytes each per token"),
    ("llama3-8b", "its token row (vocab-parallel: on one tp rank), hidden x 2 bytes per token"),
])
def test_the_note_counts_the_rows_the_first_stage_reads(model: str, said: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The first stage reads a token row and, for a model with learned positions (GPT-3), a position row too
    (serving._end_stages); the note said 'hidden x 2 bytes per token' for both."""
    code, out, err = run_main(["plan", "serve", "--model", model, "--hardware", "h100-sxm", "--pp", "2",
                               "--batch", "2", "--json"], capsys)
    assert code == 0, err
    (note,) = [n for n in json.loads(out)["notes"] if n.startswith("--pp 2: ")]
    assert said in note


def test_layers_that_do_not_divide_put_the_ceil_split_on_the_stages_before_the_last_by_hand() -> None:
    """Llama 3 8B's 32 layers over 3 stages: vLLM's partition (vllm/distributed/utils.py get_pp_indices: the 2 left
    over go to the stages before the last) is 11, 11, 10; batch 3 = 3 micro-batches of 1, decode memory-bound. Hand
    calculation, as above: the last stage reads 10/32 of the layers' bytes (M - H) and the LM head H, and pays 10/32
    of the per-step overhead O for each of the 3 micro-batches: cycle = 3 x (10/32 (M - H) + H + 10/32 O); the first
    (11 layers and the embedding rows, 2 x 4,096 B a token) is lighter, as H > (M - H + O) / 32 here. Before, every
    stage was charged the fullest stage's 11 layers, the last too: 3 x (11/32 (M - H) + H + 11/32 O), ~0.9 ms more."""
    assert pp_stage_layers(32, 3) == (11, 11, 10)
    assert pp_stage_layers(22, 4) == (5, 6, 6, 5) and pp_stage_layers(3, 2) == (2, 1)  # vLLM's own examples
    model, spec = get_model("llama3-8b"), get_device("h100-sxm")
    whole = predict_serving(model, spec, pp=1, batch=1, **KW)
    piped = predict_serving(model, spec, pp=3, batch=3, **KW)
    assert whole.decode_step.bound == "memory" and piped.pp_microbatches == 3
    cal = piped.calibration
    head_s = 128_256 * 4_096 * 2 / (spec.memory_bandwidth_byte_per_s * cal.decode_bandwidth_efficiency)
    layers_s, over_s = whole.decode_step.memory_s - head_s, cal.per_step_overhead_s
    assert head_s > (layers_s + over_s) / 32  # the last stage, not the first, is the busiest
    assert piped.decode_step.total_s == pytest.approx(3 * (10 / 32 * layers_s + head_s + 10 / 32 * over_s), rel=1e-9)
    assert 3 * (layers_s + over_s) / 32 > 5e-4  # what charging the last stage 11 layers added


def test_layers_that_divide_are_unchanged() -> None:
    """32 layers over 2 or 4 stages: every stage holds 8 or 16, as before (pp_stage_layers)."""
    assert pp_stage_layers(32, 2) == (16, 16) and pp_stage_layers(32, 4) == (8,) * 4
