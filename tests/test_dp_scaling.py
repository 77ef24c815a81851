"""Data-parallel terms that grow with the data-parallel size (issue 10, dpscale).

The distributed optimizer (megatron stack, ZeRO-1/2) reduce-scatters the gradients and all-gathers the parameters
bucket by bucket; NCCL runs both collectives as a flat ring only, (dp - 1) steps each (comm.ring_latency_s), and
Megatron-Core's default bucket is max(40,000,000, 1,000,000 x dp) parameters (DistributedDataParallelConfig.bucket_size,
megatron/core/distributed/distributed_data_parallel_config.py, core v0.7.0). training.dist_opt_latency_s charges
2 x buckets x that ring latency per step, on the critical path as fsdp_latency_s does for FSDP's rings.
"""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.predict.query import predict_layout
from accelopt.predict.training import dist_opt_bucket_params
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}


def _terms(run_id: str) -> dict[str, float]:
    return predict_layout(run_query(ROWS[run_id])).terms


def test_bucket_rule_is_megatron_cores_default() -> None:
    """max(40e6, 1e6 x dp) parameters: 40 M up to dp = 40, then 1 M a rank."""
    assert dist_opt_bucket_params(np.array([4.0, 40.0, 512.0])) == pytest.approx([40e6, 40e6, 512e6])


def test_nemotron4_15b_2048_latency_by_hand() -> None:
    """dgxc-h100-nemotron4-15b-bf16-2048 (TP 4, PP 1, dp 512, overlap on, zero 1: the distributed optimizer;
    nemotron/nemotron4-15b-synth.yaml at 8f5cbb3: optim mcore_distributed_optim, overlap_grad_sync and
    overlap_param_sync true). One rank's parameters: 32 layers x (2 x 6144^2 + 2 x 6144 x 1024 + 2 x 6144 x 24576)
    + 2 x 256000 x 6144 untied embeddings + norms, over tp 4 = 3,907,094,016. Bucket 512 M -> ceil(7.63) = 8
    buckets. 8-GPU nodes hold 8 / 4 = 2 dp ranks, so the ring spans 256 nodes: 511 steps, 255 of them over the
    network: (512 - 256) x 2.4 us + 255 x 8 us = 2.6544 ms a ring. 2 x 8 x 2.6544 ms = 42.47 ms; the reduce-scatter
    and all-gather bytes stay hidden behind the backward / forward (0 s before this change)."""
    t = _terms("dgxc-h100-nemotron4-15b-bf16-2048")
    assert t["in_scaleup_latency_s"] == pytest.approx(2.4e-6)
    assert t["t_dp_comm_s"] == pytest.approx(2 * 8 * ((512 - 256) * 2.4e-6 + 255 * 8e-6), rel=1e-6)


def test_latency_grows_with_dp_in_the_weak_scaling_series() -> None:
    """Same model and per-GPU work, more dp ranks: the charged data-parallel time grows (NVIDIA/dgxc-benchmarking
    143b90d nemotron/README_15b.md: 2.83 s at 16 GPUs to 2.96 s at 2048), which it did not before (0 s at every
    size)."""
    ids = [f"dgxc-h100-nemotron4-15b-bf16-{n}" for n in (16, 128, 2048)]
    dp_s = [_terms(i)["t_dp_comm_s"] for i in ids]
    assert dp_s[0] < dp_s[1] < dp_s[2]
