"""NCCL's tree all-reduce is a chain inside a scale-up domain: its latency is linear in the local ranks.

NVIDIA/nccl src/graph/tuning.cc (NCCL 2.7.5 and 2.20.3, the same line) charges the tree
`2 * ((nRanks/nNodes-1) * intraLat + log2i(nNodes) * interLat)`: only the nodes form a (double binary) tree. The model
charged 2 log2(p) steps to every tree, so a TP-8 decode all-reduce of a few KB on one NVLink node cost 6 steps; NCCL's
own ring measurement on one DGX-A100 (NVIDIA/nccl-tests issue #123, NCCL_ALGO=Ring, 8..128 B) grows linearly with the
GPUs: 10, 13.76, 16.88, 20.8, 25.2, 29.5, 33.7 us at 2..8 GPUs, and comm.py's 2.4 us step is 33.7 us / 14 steps."""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm

LAT_S, BW = comm.DEFAULT_SCALEUP_LATENCY_S, 100e9
SMALL_B = 128.0  # nccl-tests #123's largest message: latency-bound


def _ar(p: int, p_in: int, n_bytes: float = SMALL_B) -> float:
    return float(comm.allreduce_s(np.asarray([n_bytes]), np.asarray([p]), np.asarray([BW]), np.asarray([LAT_S]),
                                  p_in=np.asarray([p_in]))[0])


def test_one_domain_tree_is_a_chain_of_2_p_minus_1_steps() -> None:
    """8 ranks in one domain: 14 steps (NCCL: 2 x (8/1 - 1) intraLat), not 2 log2(8) = 6; the tree is then never
    faster than the ring, whose bandwidth term is smaller."""
    tree = float(comm.tree_allreduce_s(np.asarray([SMALL_B]), np.asarray([8]), BW, LAT_S, p_in=np.asarray([8]))[0])
    assert tree == pytest.approx(14 * LAT_S + 2 * SMALL_B / BW, rel=1e-12)
    assert _ar(8, 8) == pytest.approx(14 * LAT_S + 2 * 7 / 8 * SMALL_B / BW, rel=1e-12)  # the ring's time
    # the 8-GPU point of nccl-tests #123 (33.7 us) that DEFAULT_SCALEUP_LATENCY_S was derived from, within 1%
    assert _ar(8, 8) == pytest.approx(33.7e-6, rel=0.01)


def test_across_domains_only_the_domains_form_a_tree() -> None:
    """One rank per domain (hier_allreduce_s's cross-domain shard): 2 log2(p) steps, as before. 4 domains of 8 ranks:
    2 (7 + log2 4) = 18 steps (a flat ring: 62)."""
    assert _ar(8, 1) == pytest.approx(6 * LAT_S + 2 * SMALL_B / BW, rel=1e-12)
    assert _ar(32, 8) == pytest.approx(18 * LAT_S + 2 * SMALL_B / BW, rel=1e-12)


def test_serving_tp8_decode_all_reduce_inside_a_node_costs_14_steps() -> None:
    """plan serve's TP all-reduce on one 8-GPU H100 node, a latency-bound decode message (1 token x hidden 8192 x 2 B):
    the ring's 14 steps (this failed before: the tree's 6 were charged); a TP-16 group spans 2 nodes of 8."""
    from accelopt.predict import serving as sv

    spec = get_device("h100-sxm")
    cal = sv.serving_calibrations()["nvidia-hopper"]
    link = sv._link(spec, 8, cal, "tensor parallelism")
    assert link.ranks_per_domain == 8 and sv._link(spec, 16, cal, "").ranks_per_domain == 8
    n = 8192 * 2.0
    ring = 2 * 7 * link.latency_s + 2 * 7 / 8 * n / link.bandwidth_byte_per_s
    assert sv.ring_or_tree_allreduces_s(n, 8, link) == pytest.approx(ring, rel=1e-12)


@pytest.mark.parametrize("device,chains", [("h100-sxm", True), ("a100-sxm-80gb", True), ("mi300x", True),
                                           ("trainium1", False), ("tpu-v6e", False), ("gaudi2", False)])
def test_only_nccl_and_rccl_devices_chain_the_domain(device: str, chains: bool) -> None:
    """The chain is NCCL's (and RCCL's, its port: ROCm/rccl src/graph/tuning.cc, the same line); AWS Neuron picks Ring,
    Mesh (O(1) steps) or Recursive Doubling-Halving (O(log N)) inside a node (AWS Neuron docs, 'Intra-node Collective
    Communications with AWS Neuron'), so a TP group there keeps the log2 tree (p_in = 1)."""
    spec = get_device(device)
    assert comm.chains_in_domain(spec) is chains
    domain = int(spec.scaleup_domain_devices)
    group = min(8, domain)
    got = comm.tree_chain_ranks(comm.chains_in_domain(spec), np.asarray([group]), np.asarray([1]), domain)
    assert int(got[0]) == (group if chains else 1)
