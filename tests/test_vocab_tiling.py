"""`--vocab-tiling N` / runs-file column `vocab_tiling`: MaxText's num_vocab_tiling (base.yml: 'reducing peak memory
usage'; configs/types.py: 'Enables memory-saving optimization by tiling cross-entropy loss computation'): the output
layer and the cross-entropy in N chunks along the batch-sequence axis, so the last stage holds two fp32 chunks at a
time, 2 x 4 s b V / (t N): a chunk's saved exp(logits - max) and its logits gradient in the backward scan of MaxText's
custom_vjp loss (vocabulary_tiling.py vocab_tiling_linen_loss; memory.py module docstring; 4 s b V / (t N) before
2026-12-06, utserve, which took one chunk live). Memory only. Added 2026-12-05 (rmemfit) for the tpu-recipes
Gemma 3 12B rows (num_vocab_tiling 16), whose figures tests/test_newrows_maxtext.py recomputes."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect

ARGS = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--stack", "maxtext", "--devices", "8",
        "--zero", "3",
        "--mbs", "1", "--seq-len", "8192", "--global-batch", "8seq", "--recompute", "selective", "--json"]


# ARGS without --zero and --global-batch, for the tests that set them
BASE = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--stack", "maxtext", "--devices", "8",
        "--mbs", "1",
        "--seq-len", "8192", "--recompute", "selective", "--json"]


def _explain(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    out, _ = run_main_expect(capsys, *ARGS, *extra)
    return json.loads(out)


def test_the_logits_shrink_by_the_tile_count(capsys: pytest.CaptureFixture[str]) -> None:
    one, eight = _explain(capsys), _explain(capsys, "--vocab-tiling", "8")
    assert (one["vocab_tiling"], eight["vocab_tiling"]) == (1, 8)
    t1 = {x["name"]: x["value"] for x in one["terms"]}
    t8 = {x["name"]: x["value"] for x in eight["terms"]}
    logits = 4 * 8192 * 128256  # fp32, one sequence of 8192 tokens, Llama 3's vocabulary, tp 1
    # selective recompute has no working set, so the logits add in full: two eighths stay (a chunk's exp residual and
    # its gradient), 6/8 of them go
    assert t1["mem_activations_bytes"] - t8["mem_activations_bytes"] == pytest.approx(logits * 6 / 8, rel=1e-12)
    assert t1["step_time_s"] == t8["step_time_s"]  # memory only


def test_zero_tiles_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run_main_expect(capsys, *ARGS, "--vocab-tiling", "0", code=2)
    assert "--vocab-tiling 0" in err and "num_vocab_tiling" in err


def test_a_tile_count_not_dividing_the_micro_batch_is_refused_in_explain(capsys: pytest.CaptureFixture[str]) -> None:
    """MaxText's validate_vocab_tiling refuses a count not dividing per-device batch x sequence; unchecked, the
    memory counted a chunk of 8192 / 1000000 = 0.008 tokens' logits."""
    _, err = run_main_expect(capsys, *ARGS, "--vocab-tiling", "3", code=2)
    flat = " ".join(err.split())
    assert "--vocab-tiling 3 must divide the tokens per device, MaxText's per_device_batch_size x 8192" in flat, flat
    assert "fix: give a --vocab-tiling dividing the tokens per device" in flat and "(= 8,192)" in flat, flat


def test_tensor_parallelism_divides_the_per_device_batch(capsys: pytest.CaptureFixture[str]) -> None:
    """MaxText checks per_device_batch_size x max_target_length (pyconfig validate_vocab_tiling), where
    per_device_batch_size = the step's sequences / all devices (calculate_global_batch_sizes): at tp 8 on 8 devices one
    sequence of 8192 tokens is 1024 tokens per device, so 2048 tiles are refused though they divide mbs x seq-len (the
    rule before), and 1024 are taken."""
    tp8 = [*BASE, "--global-batch", "8seq", "--tp", "8", "--zero", "0"]
    _, err = run_main_expect(capsys, *tp8, "--vocab-tiling", "2048", code=2)
    flat = " ".join(err.split())
    assert "--vocab-tiling 2048 must divide the tokens per device" in flat and "(= 1,024)" in flat, flat
    out, _ = run_main_expect(capsys, *tp8, "--vocab-tiling", "1024")
    assert json.loads(out)["vocab_tiling"] == 1024


def test_gradient_accumulation_is_not_in_the_per_device_batch(capsys: pytest.CaptureFixture[str]) -> None:
    """MaxText's global batch = num_devices x per_device_batch_size x gradient_accumulation_steps: at pp 1 the m
    micro-batches are accumulation steps, so 16 sequences in m = 2 on dp 8 hold 8192 tokens per device (16384
    refused); at pp 2 they are the pipeline's micro-batches (pipeline.py: micro_batch_size_to_train_on //
    num_pipeline_microbatches), so dp 4 x mbs 1 x m 4 = 16 sequences over 8 devices is 16384 tokens per device,
    taken though the micro-batch holds 8192 (refused before)."""
    ga = [*BASE, "--global-batch", "16seq", "--zero", "1"]
    _, err = run_main_expect(capsys, *ga, "--vocab-tiling", "16384", code=2)
    assert "(= 8,192)" in " ".join(err.split()), err
    out, _ = run_main_expect(capsys, *ga, "--pp", "2", "--vocab-tiling", "16384")
    assert json.loads(out)["vocab_tiling"] == 16384


def test_a_tile_count_no_searched_micro_batch_takes_is_named_by_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` with such a count dropped every layout and said 'no layout of 8 devices exists for a global batch',
    with the fix 'use fewer --devices'."""
    for n in ("3", "1000000"):
        _, err = run_main_expect(capsys, "plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--stack",
                                 "maxtext", "--devices", "8", "--tokens", "1e9", "--vocab-tiling", n, code=2)
        flat = " ".join(err.split())
        assert f"--vocab-tiling {n} divides the tokens per device of no layout searched" in flat, flat
        assert "no layout of" not in flat and "fix: give a --vocab-tiling dividing 524,288 (the most tokens per " \
            "device of a layout searched)" in flat, flat  # 64 sequences of 8192 per device: at pp > 1 the pipeline's
        # m micro-batches are in MaxText's per-device batch (training.vocab_tiling_step_tokens)


def test_the_fix_of_a_refused_tile_count_names_one_that_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """16 devices at a global batch of 8 sequences of 4096 tokens hold at most 8 x 4096 / 16 = 2,048 tokens per
    device (tp, pp or cp 2 at dp 8, mbs 1), so --vocab-tiling 4096 runs on no layout; the fix said 'dividing --seq-len
    4,096', which 4096 does. It names 2,048, and --vocab-tiling 2048 plans."""
    args = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--stack", "maxtext", "--devices", "16",
            "--global-batch", "8", "--seq-len", "4096", "--json"]
    _, err = run_main_expect(capsys, *args, "--vocab-tiling", "4096", code=2)
    flat = " ".join(err.split())
    assert "fix: give a --vocab-tiling dividing 2,048 (the most tokens per device" in flat, flat
    out, _ = run_main_expect(capsys, *args, "--vocab-tiling", "2048")
    assert json.loads(out)["vocab_tiling"] == 2048


def test_a_tile_count_past_the_limit_names_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    # 'is not a count of chunks (1 or more)' of a count that was more than 1
    _, err = run_main_expect(capsys, *ARGS, "--vocab-tiling", "99999999999", code=2)
    assert "(1 to 2,147,483,647)" in err


def test_a_tile_count_with_a_stack_that_is_not_maxtext_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """utleft (2026-12-06): --vocab-tiling 8 --stack megatron planned with exit 0, charging MaxText's chunked loss to
    a Megatron-Core run, where the PyTorch-only flags are refused with --stack maxtext (compute.check_stack_flags)."""
    megatron = [a if a != "maxtext" else "megatron" for a in ARGS]
    _, err = run_main_expect(capsys, *megatron, "--vocab-tiling", "8", code=2)
    flat = " ".join(err.split())
    assert "--vocab-tiling 8 models MaxText's num_vocab_tiling" in flat and "--stack megatron is not maxtext" in flat
    assert "fix: leave --vocab-tiling out" in flat and "give --stack maxtext" in flat, flat
    for stack in ("pytorch-fsdp", "torchtitan"):
        _, err = run_main_expect(capsys, "plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--stack", stack,
                                 "--devices", "8", "--tokens", "1e9", "--vocab-tiling", "2", code=2)
        assert f"--stack {stack} is not maxtext" in " ".join(err.split()), err
    out, _ = run_main_expect(capsys, *megatron, "--vocab-tiling", "1")  # the default is taken with any stack
    assert json.loads(out)["vocab_tiling"] == 1


def test_untiled_maxtext_loss_keeps_one_copy_as_the_v6e_rows_ran() -> None:
    """utleft (2026-12-06), checked: MaxText's untiled loss is the custom_vjp whose residual exp_shifted and backward
    g_logits are each the fp32 logits' size (max_utils.cross_entropy_with_logits, AI-Hypercomputer/maxtext@002d18cc),
    so the pair a chunk holds (2 x 4 s b V / (t N)) would hold at N = 1 too; the tpu-recipes Llama 3.1 8B rows on
    v6e-8 and v6e-256 ran untiled in 31.25 GiB, which one more fp32 copy of their logits would exceed, so N = 1 keeps
    one copy (memory.py module docstring: 27.51 -> 39.25 GiB and 16.94 -> 32.59 GiB with the pair)."""
    from accelopt.predict.validation import read_runs, reproduce

    rows = {r["id"]: r for r in read_runs()}
    for rid, batch, one, pair in (("maxtext-v6e-llama31-8b-8", 3, 27.51, 39.25),
                                  ("maxtext-v6e-llama31-8b-256", 4, 16.94, 32.59)):
        row = rows[rid]
        assert (row["stack"], row["mbs"], row["tp"], row["seq"], row["vocab"]) == ("maxtext", str(batch), "1", "8192",
                                                                                   "128256")
        assert not (row.get("vocab_tiling") or "").strip()  # untiled
        r = reproduce(row)
        copy = 4.0 * 8192 * batch * 128256  # one more fp32 copy of the logits, tp 1
        gib = 2.0**30
        assert r.fits and r.memory_bytes_per_device <= r.memory_capacity_bytes < r.memory_bytes_per_device + copy
        assert (round(r.memory_bytes_per_device / gib, 2), round((r.memory_bytes_per_device + copy) / gib, 2),
                round(r.memory_capacity_bytes / gib, 2)) == (one, pair, 31.25)
