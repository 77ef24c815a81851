"""The MoE token dispatcher (issue 10, hybridep, 2026-12-03): plan / plan explain --moe-dispatcher, runs-file column
moe_dispatcher, comm.hierarchical_dispatch_s.

Megatron-Core's alltoall dispatcher sends one copy of a token to every expert rank it is routed to (NCCL all-to-all);
its flex dispatcher's HybridEP and DeepEP backends send a token once per destination NODE over RDMA and forward it over
NVLink there (deepseek-ai/DeepEP docs/README_Hybrid-EP.md, 'Hierarchical Communication Design'; docs/legacy.md,
'forwarding data from NVLink domain to RDMA domain'). Both publish the rate in that count: bytes = tokens x distinct
destination nodes per token (the local node included) x hidden x bytes (DeepEP tests/legacy/test_internode.py,
num_rdma_token_sent; HybridEP tests/utils.py count_rdma_send_from_routing_map: 'To align with the implementation in the
DeepEP, we do not set the local node map to zeros'):

- HybridEP, README_Hybrid-EP.md 'H100 Platform' (4096 tokens, hidden 7168, top 8, random uniform router, 8 local
  experts), 16 SMs (Megatron-Core's moe_hybridep_num_sms default 16), Torch API, BF16: dispatch 54.47, combine 53.35
  GB/s at 16 ranks;
- DeepEP V1 normal kernels, legacy.md (H800, CX7 400 Gb/s): 58 / 57 GB/s at EP 32.

Megatron-Bridge's Qwen3-30B-A3B H100 recipe runs HybridEP since PR #2477 (2026-02-22; issue #2119: '30B has been
moved to hybridEP'; tests/test_qwen3_30b_dispatcher_change.py), so its 26.04 / 26.04.01 rows at EP 16 over two
DGX-H100 nodes carry moe_dispatcher hybridep. All of these fail before the change: the function, the flag, the Setup
field and the column are new.
"""

from __future__ import annotations

import json
from math import prod
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.errors import InputError
from accelopt.predict import comm
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
H100_ROWS = ("mb2604-h100-qwen3-30b", "mb260401-h100-qwen3-30b")
DSV3 = "mb260401-b200-dsv3"
NIC_B_S = 400e9 / 8  # one ConnectX-7 400 Gb/s per GPU: DGX-H100, DGX-B200 and the H800 of DeepEP's table


def _nodes_per_token(experts: int, top_k: int, nodes: int) -> float:
    """Distinct nodes of a token's top_k experts, chosen uniformly: nodes x (1 - C(E - E/n, k) / C(E, k))."""
    per = experts // nodes
    return nodes * (1 - prod((experts - per - i) / (experts - i) for i in range(top_k)))


def test_hybridep_h100_qwen3_by_hand() -> None:
    """One dispatch/combine of Qwen3-30B-A3B (hidden 2048, 128 experts, top 8) at EP 16 over two DGX-H100 nodes,
    4096 tokens per rank: 1.9938 nodes per token x 2048 x 2 B = 33.45 MB at (54.47 + 53.35) / 2 GB/s = 0.620 ms;
    4 per MoE layer, 48 layers, 1024 / 16 = 64 micro-batches: t_ep_comm_s = 7.62 s (22.09 s with the all-to-all)."""
    n = _nodes_per_token(128, 8, 2)
    assert n == pytest.approx(1.9938, abs=1e-4)
    t_hand = 4096 * n * 2048 * 2 / ((54.47 + 53.35) / 2 * 1e9)
    assert t_hand == pytest.approx(0.620e-3, rel=2e-3)
    got = comm.hierarchical_dispatch_s("hybridep", np.array([4096.0]), 2048 * 2, 128, 8, np.array([16]),
                                       np.array([2]), NIC_B_S)
    assert float(got[0]) == pytest.approx(t_hand, rel=1e-12)
    for rid in H100_ROWS:
        assert ROWS[rid]["moe_dispatcher"] == "hybridep" and (ROWS[rid]["ep"], ROWS[rid]["devices"]) == ("16", "16")
        terms = predict_layout(run_query(ROWS[rid])).terms
        m = 1024 // 16  # micro-batches per step: GBS / (MBS 1 x DP 16)
        assert terms["t_ep_comm_s"] == pytest.approx(m * 48 * 4 * t_hand, rel=1e-9)
        assert round(terms["t_ep_comm_s"], 2) == 7.62
        before = predict_layout(run_query({**ROWS[rid], "moe_dispatcher": ""})).terms
        assert round(before["t_ep_comm_s"], 2) == 22.09


# 2026-12-04 (sortchunks): +34.3% -> +38.7% and +35.2% -> +39.6% (the all-to-all "before"), the local-expert sort cost
# 2026-12-05 (moeopt): -14.8% -> -14.7% (the first row's "after"), the experts' optimizer step over their
# expert-data-parallel group
# 2026-12-05 (rhopperadopt): +38.7% -> +39.2%, -14.7% -> -14.3%, +39.6% -> +40.1%, -14.2% -> -13.7%, the H100 fused
# attention core at cuDNN's measured rate and the Hopper re-run 0.60 -> 0.58
@pytest.mark.parametrize("rid, before, after", [(H100_ROWS[0], "+39.2%", "-14.3%"), (H100_ROWS[1], "+40.1%", "-13.7%")])
def test_h100_rows_move(rid: str, before: str, after: str) -> None:
    """The two rows the runs-file block reports: the NCCL all-to-all's error -> HybridEP's."""
    assert f"{100 * reproduce({**ROWS[rid], 'moe_dispatcher': ''}).error:+.1f}%" == before
    assert f"{100 * reproduce(ROWS[rid]).error:+.1f}%" == after


def test_deepep_ep32_by_hand() -> None:
    """DeepSeek-V3 (hidden 7168, 256 experts, top 8) at EP 32 over four nodes: 3.6142 nodes per token at DeepEP's EP 32
    figure, (58 + 57) / 2 GB/s, scaled by the device's NIC over the measured 50 GB/s (a 25 GB/s NIC: twice the time)."""
    n = _nodes_per_token(256, 8, 4)
    assert n == pytest.approx(3.6142, abs=1e-4)
    t_hand = 4096 * n * 7168 * 2 / (57.5e9)
    got = comm.hierarchical_dispatch_s("deepep", np.array([4096.0]), 7168 * 2, 256, 8, np.array([32]),
                                       np.array([4]), NIC_B_S)
    assert float(got[0]) == pytest.approx(t_hand, rel=1e-12)
    half = comm.hierarchical_dispatch_s("deepep", np.array([4096.0]), 7168 * 2, 256, 8, np.array([32]),
                                        np.array([4]), NIC_B_S / 2)
    assert float(half[0]) == pytest.approx(2 * t_hand, rel=1e-12)


def test_rate_is_the_smallest_measured_ep_at_or_above() -> None:
    """16 ranks -> the 16-rank row; 24 -> the 32-rank row; 512 -> the 64-rank row (not extrapolated)."""
    got = comm.hier_dispatch_rate("hybridep", np.array([16, 24, 32, 64, 512]))
    want = [(54.47 + 53.35) / 2, (47.36 + 52.53) / 2, (47.36 + 52.53) / 2, (41.24 + 46.57) / 2, (41.24 + 46.57) / 2]
    assert np.allclose(got, np.array(want) * 1e9, rtol=1e-12)


def test_inside_one_node_the_dispatcher_changes_nothing() -> None:
    """EP 8 in one DGX-H100 (the 26.02 H100 row): the all-to-all's NVLink time is kept for every dispatcher."""
    row = ROWS["mb2602-h100-qwen3-30b"]
    # 2026-12-04 (sortchunks): the steps were equal for every dispatcher -> the flex dispatchers' steps are equal and
    # the alltoall one is longer, the local-expert sort cost (compute.moe_sort_chunks_s: only the all-to-all
    # dispatcher sorts); the communication stays the same for all
    want = predict_layout(run_query(row)).terms["t_ep_comm_s"]
    flex = reproduce({**row, "moe_dispatcher": "hybridep"}).predicted_step_s
    for d in comm.MOE_DISPATCHERS:
        assert predict_layout(run_query({**row, "moe_dispatcher": d})).terms["t_ep_comm_s"] == want
        step = reproduce({**row, "moe_dispatcher": d}).predicted_step_s
        assert step > flex if d == "alltoall" else step == flex


def test_default_is_the_all_to_all() -> None:
    """A blank cell is alltoall, and no other row carries the cell (the two H100 rows above and, since dispatch,
    2026-12-03, the two DeepSeek-V3 rows whose recipe runs DeepEP across nodes: tests/test_moe_dispatcher_rows.py;
    since automodel, 2026-12-03, the six NeMo AutoModel rows, whose benchmark configs all enable DeepEP, the two EP 8
    ones inside a node too: tests/test_automodel_rows.py)."""
    assert comm.MOE_DISPATCHERS[0] == "alltoall"
    automodel = ("am-h100-dsv3-1024", "am-h100-dsv3-256", "am-h100-kimik2-256", "am-h100-qwen3-30b-8",
                 "am-h100-gptoss-20b-8", "am-h100-gptoss-120b-64")
    assert sorted(rid for rid, r in ROWS.items() if (r.get("moe_dispatcher") or "").strip()) == sorted(
        (*H100_ROWS, DSV3, "mb2509-h100-dsv3-fp8", *automodel,
         "mb2606-h100-qwen3-30b"))  # mb2606: its 26.04.01 sibling's cell
    assert ROWS[DSV3]["moe_dispatcher"] == "deepep"


def test_bad_cell_is_refused() -> None:
    with pytest.raises(InputError, match="--moe-dispatcher 'nccl'"):
        reproduce({**ROWS[H100_ROWS[0]], "moe_dispatcher": "nccl"})


def _explain_args(cfg: Path) -> list[str]:
    return ["plan", "explain", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "16", "--ep", "16",
            "--mbs", "1", "--seq-len", "4096", "--global-batch", "1024seq", "--dtype", "fp8", "--fp8-recipe",
            "current", "--zero", "1", "--recompute", "none", "--flash", "--no-sp", "--json"]


def test_flag_at_the_cli(qwen3_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --moe-dispatcher hybridep` records the choice in its JSON and cuts the expert all-to-all the
    hand-computed way; the default is alltoall."""
    cfg = qwen3_cfg
    code, out, err = run_main([*_explain_args(cfg), "--moe-dispatcher", "hybridep"], capsys)
    assert code in (0, 2), err
    doc = json.loads(out)
    assert doc["moe_dispatcher"] == "hybridep"
    hyb = explain_terms(doc)["t_ep_comm_s"]
    code, out, err = run_main(_explain_args(cfg), capsys)
    assert code in (0, 2), err
    doc = json.loads(out)
    assert doc["moe_dispatcher"] == "alltoall"
    assert explain_terms(doc)["t_ep_comm_s"] > 2.5 * hyb > 0


def test_bad_flag_exits_2(qwen3_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = qwen3_cfg
    code, out, err = run_main([*_explain_args(cfg), "--moe-dispatcher", "nccl"], capsys)
    assert code == 2
    assert "--moe-dispatcher 'nccl'" in out + err and "alltoall, hybridep, deepep" in out + err


def test_flag_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in (["plan", "--help"], ["plan", "explain", "--help"]):
        code, out, _ = run_main(cmd, capsys)
        assert code == 0 and "--moe-dispatcher" in out, cmd


def _explain_on(cfg: Path, hardware: str) -> list[str]:
    args = _explain_args(cfg)
    return [*args[:args.index("--hardware") + 1], hardware, *args[args.index("--hardware") + 2:]]


def test_other_vendor_is_refused(qwen3_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DeepEP and HybridEP are CUDA libraries for NVIDIA GPUs (DeepEP's README 'Requirements': Hopper (SM90) or SM90
    PTX ISA, CUDA 12.3+, NVLink peer access; HybridEP: TMA instructions, TORCH_CUDA_ARCH_LIST '9.0 10.0'). On an
    MI300X the plan was priced at the NVIDIA-measured rates with a note (integration, 2026-12-03); it now exits 2
    naming the device and the fix --moe-dispatcher alltoall (utplan). On an H100 it runs, without the note."""
    cfg = qwen3_cfg
    code, out, err = run_main([*_explain_on(cfg, "mi300x"), "--moe-dispatcher", "deepep"], capsys)
    assert code == 2, out + err
    assert "--moe-dispatcher deepep does not run on mi300x" in err and "--moe-dispatcher alltoall" in err, err
    code, out, err = run_main([*_explain_args(cfg), "--moe-dispatcher", "deepep"], capsys)
    assert code in (0, 2), err
    assert not any("does not run on" in n for n in json.loads(out)["notes"])
