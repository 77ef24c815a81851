"""The engine's custom all-reduce on A100 (a100tp, issue 10): vLLM PR #2192's A100-80G rows and the kernel figure used.

vLLM PR #2192 ("Custom all reduce kernels", the kernel's introduction, 2023-12-19) publishes end-to-end latencies of one
static batch before (NCCL) and after (its custom all-reduce) on A100-80G. Its two expressible rows (Llama 2 70B, TP 4,
batch 64, 256 + 256 tokens) were declared held out in the runs CSV (source vllm-2192) before either was predicted.
Bound: the issue's 25%; both rows are beyond it, not explained (UNEXPLAINED in tests/test_row_notes_checked.py), and
their notes' figures are recomputed here.

No kernel microbenchmark of the custom all-reduce on A100 was found (searched 2026-12-01: the PR, its design PDF,
sglang/vLLM/TensorRT-LLM issues), so an A100 run times it with the H100 figures (sgl-project/sglang PR #2904), and
`plan serve` prints them as the assumption they are (test_a100_custom_allreduce_prints_the_h100_figure).
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving_validation import _predict_row, read_serving_runs, row_calibration

ROW_NOTE_BOUND = 0.25  # issue 10
ROWS, SOURCES = read_serving_runs()
BY_ID = {r["id"]: r for r in ROWS}
# the PR's "Latency and memory" table, Llama 70B / A100-80G / TP 4 / BS 64 cells: (row id, latency s, all-reduce)
PR2192 = (("vllm2192-a100-l2-70b-tp4-b64-nccl", 16.37, "nccl"),
          ("vllm2192-a100-l2-70b-tp4-b64-custom", 14.57, "custom"))
BEFORE, AFTER = (rid for rid, _, _ in PR2192)
LATENCY_S = {rid: s for rid, s, _ in PR2192}
RECOMPUTED_IDS = frozenset(LATENCY_S)  # their notes' figures are recomputed below (tests/test_row_notes_checked.py)
INPUT_LEN = OUTPUT_LEN = 256  # benchmark_latency.py --input-len 256 --output-len 256 (the table's command)
BATCH = 64
HIDDEN, LAYERS = 8192, 80  # Llama 2 70B (preset llama2-70b)


def test_rows_are_the_table_cells() -> None:
    """published = BS x 256 output tokens / the published latency (the CSV block's rule), both held out."""
    for rid, latency_s, allreduce in PR2192:
        r = BY_ID[rid]
        assert (r["source"], r["engine"], r["hardware"], r["model"], r["tp"], r["role"]) == (
            "vllm-2192", "vllm", "a100-sxm-80gb", "llama2-70b", "4", "test")
        assert (int(r["batch"]), int(r["prompt_len"]), int(r["output_len"])) == (BATCH, INPUT_LEN, OUTPUT_LEN)
        assert r["tp_allreduce"] == allreduce and r["metric"] == "output_tok_s"
        assert float(r["published"]) == pytest.approx(BATCH * OUTPUT_LEN / latency_s, abs=0.005)
    assert {r["id"] for r in ROWS if r["source"] == "vllm-2192"} == set(LATENCY_S)


def _err(rid: str) -> float:
    return _predict_row(BY_ID[rid], None, None)[0] / float(BY_ID[rid]["published"]) - 1


def published_saving_per_allreduce_s() -> float:
    """The PR's before - after latency over its decode all-reduces: (16.37 - 14.57) s / (255 decode steps x 160). The
    prefill's 64 x 256-token messages (268 MB) exceed the kernel's 8 MiB limit, so NCCL runs them before and after."""
    decode_allreduces = (OUTPUT_LEN - 1) * 2 * LAYERS
    return (LATENCY_S[BEFORE] - LATENCY_S[AFTER]) / decode_allreduces


def modelled_allreduce_s(kind: str) -> float:
    """The model's time for one decode all-reduce of these rows (64 x 8192 x 2 bytes = 1 MiB over 4 A100s) as `kind`."""
    spec = get_device("a100-sxm-80gb")
    row = BY_ID[BEFORE if kind == "nccl" else AFTER]
    link = serving._link(spec, 4, row_calibration(row, spec), "tensor parallelism")
    msg_bytes = BATCH * HIDDEN * serving.ACT_BYTES
    return serving.ring_or_tree_allreduces_s(msg_bytes, 4, replace(link, custom=kind == "custom"))


# vLLM PR #2221 "Use NCCL instead of ray for control-plane communication to remove serialization overhead"
# (zhuohan123, description 2023-12-20, github.com/vllm-project/vllm/pull/2221): before it, vLLM drove each GPU as a
# Ray actor and sent every step's batch metadata to each of them through Ray; its description's throughput of Llama 70B
# on 8 A100-40G, before -> after: (case, req/s before, req/s after)
PR2221 = (("batch size 512, 1031 + 317 tokens", 2.48, 3.48), ("ShareGPT", 3.01, 5.08))


def ray_share(before_req_s: float, after_req_s: float) -> float:
    """The share of a PR #2221 run's time the Ray control plane took: 1 - before / after (same requests)."""
    return 1 - before_req_s / after_req_s


def error_without_share(rid: str, share: float) -> float:
    """The row's error were its published latency short of `share` (PR #2221's share, carried unscaled)."""
    predicted = _predict_row(BY_ID[rid], None, None)[0]
    return predicted / (BATCH * OUTPUT_LEN / (LATENCY_S[rid] * (1 - share))) - 1


def ray_sentence(rid: str) -> str:
    """The notes' 2026-12-02 (hostcost) sentence: the mechanism, PR #2221's published shares, and what they would
    make of the row; the share at these rows' layout has no source, so the reason stays not established."""
    (case_a, a0, a1), (case_b, b0, b1) = PR2221
    share_a, share_b = ray_share(a0, a1), ray_share(b0, b1)
    return (f" Examined 2026-12-02 (hostcost): the run's vLLM drove its 4 GPUs as Ray actors, every step's batch "
            "metadata serialized to each (vLLM PR #2221, opened 2023-12-20, the day after this table, replaced that "
            f"with an NCCL broadcast: Llama 70B on 8 A100-40G, {a0} -> {a1} req/s at {case_a}, {b0} -> {b1} at "
            f"{case_b}, i.e. {100 * share_a:.1f}% and {100 * share_b:.1f}% of those runs' time); at those shares this "
            f"row would be {100 * error_without_share(rid, share_a):+.1f}% and "
            f"{100 * error_without_share(rid, share_b):+.1f}%, but no source gives the cost at TP 4, batch 64 and "
            "256 + 256 tokens (smaller messages to fewer workers than PR #2221's runs), so it is not established")


def note_for(rid: str) -> str:
    """The note of a PR #2192 row (the runs CSV holds this text), every figure from the model and the cells."""
    _, p = _predict_row(BY_ID[rid], None, None)
    per_token_ms = LATENCY_S[rid] / OUTPUT_LEN * 1e3
    step_ms, nccl_us, custom_us = (p.decode_step.total_s * 1e3, modelled_allreduce_s("nccl") * 1e6,
                                   modelled_allreduce_s("custom") * 1e6)
    return (f"not explained (2026-12-01, a100tp; recomputed by tests/test_serving_custom_allreduce_a100.py): too fast "
            f"by {100 * _err(rid):+.1f}%: vLLM of December 2023 took {per_token_ms:.1f} ms per generated token of the "
            f"batch, the model's decode step is {step_ms:.1f} ms ([serving.nvidia-ampere] is fitted "
            "on TensorRT-LLM v0.14 and gpt-fast; no source gives vLLM 0.2's per-step host cost). The pair's own "
            f"difference: the custom all-reduce saved {published_saving_per_allreduce_s() * 1e6:.1f} us per decode "
            f"all-reduce of 1 MiB, where the model's NCCL and custom figures are {nccl_us:.1f} "
            f"and {custom_us:.1f} us (the PR: NCCL under CUDA graphs adds host nodes that "
            "stall the stream, a cost outside the kernel)." + ray_sentence(rid))


@pytest.mark.parametrize("rid", sorted(LATENCY_S))
def test_rows_are_beyond_the_bound_and_their_notes_recompute(rid: str) -> None:
    assert _err(rid) > ROW_NOTE_BOUND
    assert BY_ID[rid]["note"] == note_for(rid)


def test_the_pair_differs_by_more_than_the_model_says() -> None:
    """What the notes claim: the published saving per decode all-reduce (44 us) is far above the model's NCCL - custom
    difference for that message (under 1 us: both near 21 us), so the model's before/after ratio misses the PR's."""
    saving_s = published_saving_per_allreduce_s()
    assert saving_s == pytest.approx(44.1e-6, abs=0.05e-6)
    modelled = modelled_allreduce_s("nccl") - modelled_allreduce_s("custom")
    assert abs(modelled) < 1e-6 < saving_s
    published_ratio = float(BY_ID[AFTER]["published"]) / float(BY_ID[BEFORE]["published"])  # 1.124
    predicted_ratio = (1 + _err(AFTER)) * float(BY_ID[AFTER]["published"]) / (
        (1 + _err(BEFORE)) * float(BY_ID[BEFORE]["published"]))
    assert predicted_ratio < 1.01 < 1.1 < published_ratio


def test_a100_custom_allreduce_prints_the_h100_figure(capsys: pytest.CaptureFixture[str]) -> None:
    """An A100 layout whose engine runs its own all-reduce prints the kernel figure it uses as an assumption measured
    on H100 (no A100 figure is cited), in the text and in the JSON."""
    args = ("plan", "serve", "-m", "llama2-70b", "--hardware", "a100-sxm-80gb", "--tp", "4", "--batch", "64",
            "--prompt", "256", "--output", "256", "--engine", "vllm")
    out, _ = run_main_expect(capsys, *args)
    flat = " ".join(out.split())
    assert "tp_allreduce_latency_s = 9.1e-06 (assumed" in flat and "measured on 8 x H100" in flat
    out, _ = run_main_expect(capsys, *args, "--json")
    assert "tp_allreduce_latency_s" in out and "measured on 8 x H100" in out


def test_a100_link_rate_is_the_custom_allreduce_design_figure() -> None:
    """The rate the model's A100 all-reduces move bytes at (the catalog's 300 GB/s NVLink per direction x the
    nvidia-ampere training family's scaleup_bw_eff) is the figure PR #2192's design document gives for A100: "480GB/s
    effective bidirectional for A100" (Latency-optimal allreduce and cuda graph optimization, Background, item 1:
    github.com/vllm-project/vllm/files/13574639), i.e. 240 GB/s each way; and the 1 MiB custom all-reduce of the notes
    by hand: 9.1 us (tp 4, sglang PR #2904) + 2 x 3/4 x 1 MiB / (0.56 x 240 GB/s) = 20.80 us."""
    spec = get_device("a100-sxm-80gb")
    link = serving._link(spec, 4, row_calibration(BY_ID[AFTER], spec), "tensor parallelism")
    assert link.bandwidth_byte_per_s == pytest.approx(480e9 / 2)
    by_hand_s = 9.1e-6 + 2 * 3 / 4 * 2**20 / (0.56 * 240e9)
    assert modelled_allreduce_s("custom") == pytest.approx(by_hand_s, rel=1e-9)
    assert by_hand_s == pytest.approx(20.80e-6, abs=0.005e-6)


def test_ray_control_plane_shares_of_pr2221() -> None:
    """What the notes' 2026-12-02 sentence quotes: PR #2221's before/after throughputs give the Ray control plane
    28.7% (fixed lengths) and 40.7% (ShareGPT) of its runs' time; carried unscaled to these rows, either share brings
    both within the issue's 25%. Carried is the word: PR #2221 ran TP 8 on A100-40G with up to 256 sequences of 1348
    tokens, these rows TP 4, 64 sequences of 512 tokens, and Ray's serialization grows with the message and the
    workers, so the share is not the rows' own (they stay in UNEXPLAINED)."""
    shares = [ray_share(before, after) for _, before, after in PR2221]
    assert [round(100 * s, 1) for s in shares] == [28.7, 40.7]
    errors = {rid: [round(100 * error_without_share(rid, s), 1) for s in shares] for rid in (BEFORE, AFTER)}
    assert errors == {BEFORE: [13.3, -5.8], AFTER: [0.9, -16.1]}
    assert all(abs(e) < 100 * ROW_NOTE_BOUND for es in errors.values() for e in es)
    assert all(_err(rid) > ROW_NOTE_BOUND for rid in (BEFORE, AFTER))  # as published, both still beyond the bound
