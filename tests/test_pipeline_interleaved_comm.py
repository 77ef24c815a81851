"""Pipeline sends and data-parallel reductions under Megatron-Core's interleaved 1F1B schedule (issue 10, pp).

Source of every count here: NVIDIA/Megatron-LM megatron/core/pipeline_parallel/schedules.py at 00611e6,
forward_backward_pipelining_with_interleaving: get_pp_rank_microbatches gives the first pipeline rank
2 (pp - 1) + (vp - 1) pp warmup chunk forwards; without overlap_p2p_comm each warmup forward is followed by one
send_forward_recv_forward, each cooldown backward by one send_backward_recv_backward, and each steady-state
forward + backward pair by ONE batched send_forward_backward_recv_forward_backward; backward_step_helper_postprocess
launches each model chunk's gradient reduction (config.grad_sync_func) once the chunk's last micro-batch has gone
backward. The parameter all-gather of the distributed optimizer runs behind the next step's forward
(overlap_param_gather; Megatron-Bridge src/megatron/bridge/training/comm_overlap.py sets it with overlap_grad_reduce).
"""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.predict.query import predict_layout
from accelopt.predict.training import dp_exposed_s, interleaved_p2p_transfers
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}


def _terms(run_id: str) -> dict[str, float]:
    return predict_layout(run_query(ROWS[run_id])).terms


def test_nemo_llama2_13b_sends_by_hand() -> None:
    """nemo-llama2-13b (NeMo 24.07 table: TP 1, PP 4, VP 10, 16 H100s, GBS 128, MBS 1, seq 4096, hidden 5120;
    p2p_overlap blank = NeMo's overlap_p2p_comm default False). dp = 16 / 4 = 4 ranks a stage, so stages 0-1 sit
    in the first 8-GPU node and 2-3 in the second: every stage has one neighbour over NVLink and one over the network,
    and the batched steady-state exchange takes one network send. m = 128 / 4 = 32, m v = 320 chunk passes,
    W = 2 x 3 + 9 x 4 = 42, sends on the critical path 2 x 42 + (320 - 42) = 362 (the model summed 2 m v = 640).
    One send: the 4096 x 5120 bf16 activation, 41,943,040 B, over the H100's scale-out link (400 Gb/s = 50 GB/s x
    scaleout_bw_eff 0.80 = 40 GB/s, calibration.toml) + 8 us (NCCL's network step latency, comm.py's default):
    1.05658 ms; 362 of them = 0.38248 s (0.67621 s before)."""
    assert (ROWS["nemo-llama2-13b"]["p2p_overlap"] or "").strip() in ("", "0")
    assert (
        interleaved_p2p_transfers(np.array(32.0), np.array(4.0), np.array(10.0), np.array(4.0), np.array(16.0), 8)
        == 362.0
    )
    one_send_s = 8e-6 + 4096 * 5120 * 2 / (50e9 * 0.80)
    assert _terms("nemo-llama2-13b")["t_pp_p2p_s"] == pytest.approx(362 * one_send_s, rel=1e-9)


@pytest.mark.parametrize(("pp", "stage", "n"), [(2, 4, 16), (4, 8, 32), (4, 4, 8), (8, 16, 128)])
def test_batched_exchange_is_two_sends_when_both_neighbours_share_a_link(pp: float, stage: float, n: float) -> None:
    """pp 2 (both neighbours are the one other stage), a stage filling a domain (both neighbours over the network),
    a job inside one domain (both over NVLink): the exchange's two sends share the link, so the count is every send,
    2 m v, as the model charged before; plain 1F1B (vp = 1) is 2 m whatever the layout."""
    m, vp = np.array(16.0), np.array(4.0)
    p, g, nn = np.array(pp), np.array(stage), np.array(n)
    assert interleaved_p2p_transfers(m, p, vp, g, nn, 8) == 2 * 16 * 4
    assert interleaved_p2p_transfers(m, p, np.array(1.0), g, nn, 8) == 2 * 16


def test_llama31_405b_grad_reduction_per_chunk_by_hand() -> None:
    """mb2509-h100-llama31-405b (TP 8, PP 8, CP 2, VP 8, 1024 H100s, GBS 512: dp 8, m = 64, distributed optimizer with
    overlap): the gradient traffic A of a stage (t_dp_comm_raw_s) is reduced chunk by chunk; chunk 0's share A / 8
    starts after the first rank's last backward and is exposed whole, and the other chunks' reductions fit in the
    7 x 8 chunk backwards of the cooldown (A - 0.8 x 56 x t_bwd / 8 < 0). Before: A - 0.8 x one micro-batch's
    backward, 0.623 - 0.8 x 0.139 = 0.512 s."""
    t = _terms("mb2509-h100-llama31-405b")
    raw, bwd_mb = t["t_dp_comm_raw_s"], t["t_bwd_s"] / t["in_micro_batches"]
    # bwd_mb 0.1387 s before rhopperadopt (2026-12-05: the H100 fused attention core at cuDNN's measured rate, the
    # backward at 541 TFLOP/s, and the Hopper re-run 0.60 -> 0.58)
    assert raw == pytest.approx(0.623, abs=0.001) and bwd_mb == pytest.approx(0.1396, abs=0.0005)
    assert raw - 0.8 * 7 * 8 * bwd_mb / 8 < raw / 8
    # + the per-bucket ring latencies (dpscale, training.dist_opt_latency_s; tests/test_dp_scaling.py), 0.0398 s here
    assert t["t_dp_comm_s"] - t["t_dp_latency_s"] == pytest.approx(raw / 8, rel=1e-9)  # 0.078 s


def test_distributed_optimizer_gathers_behind_the_forward_without_interleaving() -> None:
    """nemo-gpt3-20b (TP 2, no pipeline, 64 H100s: dp 32, m 4; NeMo's distributed_fused_adam with overlap_grad_sync
    and overlap_param_sync, NeMo-Framework-Launcher conf/training/gpt3/20b.yaml at 056a90e): half the traffic, the
    reduce-scatter, behind the last micro-batch's backward, the other half, the parameter all-gather, behind the
    first micro-batch's forward: 2 x max(0, A/2 - 0.8 x ...) instead of A - 0.8 x t_bwd(1 mb) = 0.138 s."""
    t = _terms("nemo-gpt3-20b")
    raw, m = t["t_dp_comm_raw_s"], t["in_micro_batches"]
    fwd_mb, bwd_mb = t["t_fwd_s"] / m, t["t_bwd_s"] / m
    want = max(0.0, raw / 2 - 0.8 * bwd_mb) + max(0.0, raw / 2 - 0.8 * fwd_mb)
    exposed_bytes = t["t_dp_comm_s"] - t["t_dp_latency_s"]  # the per-bucket ring latencies apart (dpscale)
    assert exposed_bytes == pytest.approx(want, rel=1e-9)
    assert exposed_bytes < raw - 0.8 * bwd_mb - 0.05


def test_other_stacks_keep_the_whole_reduction_behind_the_backward() -> None:
    """A ZeRO-2 / all-reduce stack without the distributed optimizer's forward-side gather (pytorch-fsdp, vp 1):
    max(0, A - eff x t_bwd(1 mb)), unchanged."""
    one = np.array(1.0)
    got = dp_exposed_s(np.array(0.5), np.array(0.2), np.array(0.1), np.array(8.0), one, one, 0.8, np.array(False))
    assert got == pytest.approx(0.5 - 0.16)
    split = dp_exposed_s(np.array(0.5), np.array(0.2), np.array(0.1), np.array(8.0), one, one, 0.8, np.array(True))
    assert split == pytest.approx((0.25 - 0.16) + (0.25 - 0.08))
