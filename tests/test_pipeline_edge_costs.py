"""Pipeline costs at the ends of a step that no overlap hides (vpchunk, 2026-12-04, issue 10).

1. The tied word embedding's gradient all-reduce between the first and the last pipeline stage: Megatron-Core's
   finalize_model_grads runs _allreduce_word_embedding_grads (torch.distributed.all_reduce(weight.main_grad,
   group=parallel_state.get_embedding_group())) after finish_grad_sync, once the schedule's last backward has ended
   (NVIDIA/Megatron-LM megatron/core/distributed/finalize_model_grads.py at c3d057f5865cf7c8fb2e05ae9df55d2fa3e8528f).
2. The pipeline sends of the fill and the drain of an interleaved schedule whose sends overlap compute
   (overlap_p2p_comm): each of the p - 1 hops of the fill (a chunk forward, then its send) and of the drain (a chunk
   backward, then its send) waits for its transfer, since the receiving stage has nothing else to run (Narayanan et
   al. 2021 sec. 2.2; Megatron-Core schedules.py at 00611e6 waits on each posted receive right before the chunk
   that consumes it).
The row: dgxc-h100-gpt3-175b-bf16-128 (NVIDIA/dgxc-benchmarking 143b90d nemo_megatron/README_175b.md: TP 4, PP 8,
VP 12, MBS 1, seq 2048, 128 H100s, GBS 256; gpt3_175b_hydra.yaml: hidden 12288, tied embedding, sequence parallel,
overlap_p2p_comm; vocab 50688 = GPT2BPETokenizer's 50257 padded to a multiple of 128 x TP 4). Its stages are
tp x dp = 16 GPUs, so both neighbours and the first and last stage sit on other 8-GPU nodes: the H100's scale-out
link, 400 Gb/s = 50 GB/s x scaleout_bw_eff 0.80 (calibration.toml) and 8 us a step (comm.py's default).
"""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.predict.query import predict_layout
from accelopt.predict.training import fill_drain_p2p_s, tied_embedding_grad_s
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}
GPT3 = "dgxc-h100-gpt3-175b-bf16-128"
OUT_BW = 50e9 * 0.80
OUT_LAT = 8e-6


def _terms(row: dict[str, str]) -> dict[str, float]:
    return predict_layout(run_query(row)).terms


def test_gpt3_tied_embedding_allreduce_by_hand() -> None:
    """The vocab-parallel shard: 50688 / 4 x 12288 bf16 gradients = 311,427,072 B, all-reduced by a ring of the 2
    ranks: 2 steps of 8 us + 2 x (1/2) x 311,427,072 B / 40 GB/s = 7.802 ms, exposed at the end of the step (the
    model charged nothing before). t_dp_comm_s holds it beside the exposed data-parallel reduction: here chunk 0's
    share A / 12 (max(A / v, A - 0.8 (v - 1) min(p, m) t_bwd / v) with A = 0.171 s) and the bucket latencies."""
    row = ROWS[GPT3]
    assert (row["tied"], row["vocab"], row["tp"], row["pp"], row["vp"]) == ("1", "50688", "4", "8", "12")
    t = _terms(row)
    want = 2 * OUT_LAT + 50688 / 4 * 12288 * 2 / OUT_BW
    assert want == pytest.approx(7.802e-3, abs=1e-6)
    raw = t["t_dp_comm_raw_s"]
    assert raw - 0.8 * 11 * 8 * t["t_bwd_s"] / t["in_micro_batches"] / 12 < raw / 12
    assert t["t_dp_comm_s"] - t["t_dp_latency_s"] - raw / 12 == pytest.approx(want, rel=1e-9)


def test_untied_row_has_no_embedding_allreduce() -> None:
    """The same row untied (an output layer of its own): the first and last stage share no weight, nothing to
    all-reduce, and t_dp_comm_s is the data-parallel reduction alone."""
    t = _terms({**ROWS[GPT3], "tied": "0"})
    assert t["t_dp_comm_s"] - t["t_dp_latency_s"] == pytest.approx(t["t_dp_comm_raw_s"] / 12, rel=1e-9)


def test_embedding_allreduce_needs_pipeline_tie_and_megatron() -> None:
    """One stage holds the embedding and the output layer itself (pp 1); an untied model has no shared weight;
    a non-Megatron stack's pipeline code was not read, so it is not charged there."""
    b, bw, lat = np.array(1e9), np.array(40e9), np.array(8e-6)
    assert tied_embedding_grad_s(b, np.array(1), "megatron", True, bw, lat) == 0.0
    assert tied_embedding_grad_s(b, np.array(8), "megatron", False, bw, lat) == 0.0
    assert tied_embedding_grad_s(b, np.array(8), "pytorch-fsdp", True, bw, lat) == 0.0
    assert tied_embedding_grad_s(b, np.array(8), "megatron", True, bw, lat) == pytest.approx(16e-6 + 1e9 / 40e9)


def test_gpt3_fill_and_drain_wait_for_their_sends_by_hand() -> None:
    """One send: the 2048 x 12288 bf16 activation split over TP 4 (sequence parallel), 12,582,912 B over the scale-out
    link + 8 us = 0.3226 ms; the fill and the drain add 2 x (8 - 1) of them, 4.516 ms, to the (p - 1) / v x t_mb of
    the ideal interleaved bubble (which alone the model charged before, the overlapped sends being out of t_mb)."""
    t = _terms(ROWS[GPT3])
    assert t["t_pp_p2p_s"] == 0.0  # every steady-state send hides behind a chunk's compute
    one = OUT_LAT + 2048 * 12288 * 2 / 4 / OUT_BW
    assert t["t_bubble_s"] - 7 / 12 * t["t_microbatch_s"] == pytest.approx(14 * one, rel=1e-9)
    assert 14 * one == pytest.approx(4.516e-3, abs=1e-6)
    assert fill_drain_p2p_s(np.array(8), np.array(one)) == pytest.approx(14 * one)


def test_no_double_charge_without_p2p_overlap() -> None:
    """Without overlap_p2p_comm the sends are inside t_mb (interleaved_p2p_transfers), so the bubble stays (p - 1) / v
    x t_mb: nemo-llama2-13b (TP 1, PP 4, VP 10, p2p_overlap blank)."""
    row = ROWS["nemo-llama2-13b"]
    assert (row["p2p_overlap"] or "").strip() in ("", "0") and (row["pp"], row["vp"]) == ("4", "10")
    t = _terms(row)
    assert t["t_pp_p2p_s"] > 0.0
    assert t["t_bubble_s"] == pytest.approx(3 / 10 * t["t_microbatch_s"], rel=1e-12)
