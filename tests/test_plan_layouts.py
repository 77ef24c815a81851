"""Layouts real runs use: uneven global batches, expert parallel beyond dp, zero-bubble schedules, hybrid
sharding, ring-attention exposure, ZeRO-3 volume before overlap, and a measured scale-up link (issue 10).

Each expected number is derived by hand from the formula and source named beside it, with the link figures
and calibration the prediction reports as its inputs (in_* terms), so a change of the model shows here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accelopt.errors import InfeasibleError, InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for
from accelopt.predict.memory import stage_params
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.training import Layout, Layouts, Setup, evaluate, evaluate_workload, structural_problems
from accelopt.workload.presets import get_model
from accelopt.workload.transformer import TransformerConfig
from accelopt.workload.types import Op, Workload


def _ring_rs(n: float, p: int, bw: float, lat: float) -> float:
    """Ring reduce-scatter / all-gather (Thakur et al. 2005, Table 1): (p-1) alpha + (p-1)/p n / B."""
    return (p - 1) * lat + (p - 1) / p * n / bw


def _allreduce(n: float, p: int, bw: float, lat: float) -> float:
    """min(ring 2(p-1) alpha + 2(p-1)/p n/B, tree 2 log2(p) alpha + 2 n/B) (Thakur 2005; NCCL's tuner picks)."""
    return min(2 * (p - 1) * lat + 2 * (p - 1) / p * n / bw, 2 * np.log2(p) * lat + 2 * n / bw)


# --- 1. uneven global batch -------------------------------------------------------------------------------------

def test_1000_sequences_over_124_ranks() -> None:
    # 1000 = 8 x 9 + 116 x 8: 8 ranks take 9 sequences, 116 take 8; the step waits for a 9-sequence rank.
    q = dict(model=get_model("llama3-8b"), hardware="h100-sxm", devices=124, zero=1, seq_len=4096)
    res = predict_layout(LayoutQuery(**q, global_batch_seqs=1000))  # type: ignore[arg-type]
    assert res.layout.dp == 124 and res.layout.m == 9
    assert res.terms["in_seqs_per_rank_max"] == 9 and res.terms["in_seqs_per_rank_min"] == 8
    assert any("8 ranks x 9 + 116 ranks x 8" in n and "slowest rank" in n for n in res.notes)
    # Same step as an even batch of 124 x 9 = 1116 sequences (same micro-batches per rank), fewer tokens per step.
    even = predict_layout(LayoutQuery(**q, global_batch_seqs=1116))  # type: ignore[arg-type]
    # no uneven-batch note (the only notes left are defaults used, said wherever they are: the bucket's, the energy's;
    # and utleft2's selective-recompute-under-flash note, said of every such layout)
    assert [n for n in even.notes if not n.startswith(("default used: ", "recompute selective with a fused"))] == []
    assert res.terms["step_time_s"] == pytest.approx(even.terms["step_time_s"], rel=1e-12)
    assert res.terms["tokens_per_s"] / even.terms["tokens_per_s"] == pytest.approx(1000 / 1116, rel=1e-12)


def test_uneven_micro_batch_larger_than_a_rank_share_is_refused() -> None:
    with pytest.raises(InfeasibleError, match="micro-batch is larger"):
        predict_layout(LayoutQuery(model=get_model("llama3-8b"), hardware="h100-sxm", devices=124, mbs=16,
                                   global_batch_seqs=1000, seq_len=4096))


# --- 2. expert parallel beyond data parallel --------------------------------------------------------------------

def test_ep_spanning_tp_and_dp_with_expert_tensor_parallel_1() -> None:
    # Mixtral 8x7B on one 8-GPU node, tp 4 x dp 2 with ep 8: only expressible with Megatron-Core's separate
    # expert grid (etp 1 x ep 8 over the 8 ranks of the stage).
    mix = get_model("mixtral-8x7b")
    q = dict(model=mix, hardware="h100-sxm", devices=8, tp=4, ep=8, zero=0, seq_len=4096, global_batch_seqs=16)
    with pytest.raises(InfeasibleError, match="etp x ep must divide"):
        predict_layout(LayoutQuery(**q))  # type: ignore[arg-type]  # etp = tp = 4: 4 x 8 does not divide 8
    res = predict_layout(LayoutQuery(**q, etp=1))  # type: ignore[arg-type]
    t = res.terms
    assert t["in_ep_group_span"] == 8  # one all-to-all over 8 consecutive ranks: inside the NVLink domain
    # 4 all-to-alls per MoE layer of the routed tokens b s top_k h x 2 B / tp (Lepikhin et al. 2021),
    # pairwise exchange (p-1) alpha + (p-1)/p n / B over the scale-up link.
    n = 1 * 4096 * mix.top_k * mix.hidden * 2.0 / 4
    per_layer = 4 * _ring_rs(n, 8, t["in_scaleup_link_byte_per_s"], t["in_scaleup_latency_s"])
    assert t["t_ep_comm_s"] == pytest.approx(res.layout.m * 32 * per_layer, rel=1e-9)
    # Each rank holds 1/8 of every expert either way: etp 1 x ep 8 and etp 4 x ep 2 store the same weights.
    other = predict_layout(LayoutQuery(**{**q, "ep": 2}))  # type: ignore[arg-type]
    assert t["mem_weights_bytes"] == pytest.approx(other.terms["mem_weights_bytes"], rel=1e-12)


def test_deepseek_v3_style_ep64_crosses_nodes() -> None:
    # DeepSeek-V3 (DeepSeek-AI 2024, sec. 3.2): EP 64 over 8 nodes. An ep group of 64 consecutive ranks spans 8
    # 8-GPU domains, so its all-to-all runs over the scale-out network for the 56/64 of a rank's bytes bound for the
    # other nodes, while the 7/64 for its node peers cross NVLink at the same time (NCCL runs an all-to-all as one
    # group of send/recv that progress independently: NCCL user guide, Point-to-point communication).
    ds = get_model("deepseek-moe-16b")
    res = predict_layout(LayoutQuery(model=ds, hardware="h100-sxm", devices=64, ep=64, zero=1, seq_len=4096,
                                     global_batch_seqs=64))
    spec = get_device("h100-sxm")
    links = comm.Links.of(spec, res.cal)
    t = res.terms
    assert t["in_ep_group_span"] == 64 and links.domain == 8
    n = 4096 * ds.top_k * ds.hidden * 2.0
    per_layer = 4 * (max(7 / 64 * n / float(links.up_bw_of(np.array(8.0))), 56 / 64 * n / links.out_bw)
                     + 63 * links.out_lat)
    frac_moe = ds.moe_layers / ds.layers
    assert t["t_ep_comm_s"] == pytest.approx(res.layout.m * ds.layers * frac_moe * per_layer, rel=1e-9)


# --- 3. pipeline schedules --------------------------------------------------------------------------------------

# Wide layers, short sequences, a small vocabulary: the attention core and the logits are small, so T_F ~ T_B ~ T_W,
# the case Qi et al. 2024 tabulate (ZB-H1 bubble (p-1)/(3m), ZB-H2 0 of the ideal; sail-sg zero-bubble README).
WIDE = TransformerConfig(name="wide", layers=32, hidden=8192, heads=64, ffn=32768, vocab=1024, seq_len=256)


def _sched(schedule: str, **kw: int) -> Layout:
    return Layout(**{"pp": 8, "dp": 1, "m": 32, "recompute": "none", "schedule": schedule, **kw})  # type: ignore[arg-type]


def test_zero_bubble_schedules_against_qi_2024() -> None:
    setup = Setup(model=WIDE, seq_len=256, global_batch=32)
    lay = Layouts.of([_sched("1f1b"), _sched("zb-h1"), _sched("zb-h2")])
    t = evaluate(setup, get_device("h100-sxm"), lay).terms
    b = t["t_bubble_s"]
    # 1F1B: (p-1) t_mb (Narayanan 2021 sec. 2.2.1)
    assert b[0] == pytest.approx(7 * t["t_microbatch_s"][0], rel=1e-12)
    # Tolerance stated before running: 0.05 on the ratio (logits, p2p and elementwise ops break T_F = T_B = T_W).
    assert b[1] / b[0] == pytest.approx(1 / 3, abs=0.05)
    assert b[2] / b[0] == pytest.approx(0.0, abs=0.05)
    # ZB-H2 keeps up to 2p - 1 micro-batches in flight on the first stage vs p for 1F1B (Qi 2024 sec. 2.2).
    acts = t["mem_activations_bytes"]
    assert acts[2] / acts[0] == pytest.approx(15 / 8, rel=1e-9)
    assert acts[1] == acts[0]  # ZB-H1: the memory of 1F1B


def test_zero_bubble_rules() -> None:
    setup = Setup(model=WIDE, seq_len=256, global_batch=32)
    lay = Layouts.of([_sched("zb-h1", vp=2), _sched("zb-h2", pp=1)])
    why = [p.message for p in structural_problems(setup, lay, np.array([8, 1])) if np.any(p.mask)]
    assert any("vp = 1" in w for w in why) and any("needs pp > 1" in w for w in why)
    with pytest.raises(InputError, match="schedule"):
        Layout(schedule="gpipe")


# --- 4. hybrid sharding, ring attention -------------------------------------------------------------------------

GPT = TransformerConfig(name="gpt-13b", layers=40, hidden=5120, heads=40, ffn=20480, vocab=50000, seq_len=2048)


def test_hsdp_shards_inside_the_node_and_replicates_across() -> None:
    # 64 H100 in 8 nodes, FSDP full shard vs HSDP (shard 8 = one node, 8 replicas); no overlap: raw traffic.
    spec = get_device("h100-sxm")
    setup = Setup(model=GPT, seq_len=2048, global_batch=64)
    lay = Layouts.of([Layout(dp=64, m=1, zero=3, overlap=False), Layout(dp=64, m=1, zero=3, hsdp=8, overlap=False)])
    t = evaluate(setup, spec, lay).terms
    links = comm.Links.of(spec, calibration_for(spec))
    one = np.ones(1)
    P = float(stage_params(GPT, one, one, one, one).dense[0])
    assert pytest.approx(GPT.params_total(), rel=1e-3) == P
    # ZeRO sharding over 8 ranks instead of 64 (Rajbhandari 2020 Fig. 1: 12 B optimizer state per parameter)
    assert t["mem_optimizer_bytes"][1] == pytest.approx(12 * P / 8, rel=1e-9)
    assert t["mem_optimizer_bytes"][0] == pytest.approx(12 * P / 64, rel=1e-9)
    # ZeRO-3 per micro-batch: 3 ring gathers/reduce-scatters of 2P bytes inside the node (Rajbhandari sec. 7)
    assert t["t_zero3_comm_s"][1] == pytest.approx(3 * _ring_rs(2 * P, 8, links.up_bw, links.up_lat), rel=1e-9)
    # + once per step, each rank's 1/8 gradient shard all-reduced across the 8 replicas over the network
    assert t["t_dp_comm_s"][1] == pytest.approx(_allreduce(2 * P / 8, 8, links.out_bw, links.out_lat), rel=1e-9)
    # full sharding crosses the network for every gather: inside 8, then 1/8 of it across 8 domains
    full = 3 * (_ring_rs(2 * P, 8, links.up_bw, links.up_lat) + _ring_rs(2 * P / 8, 8, links.out_bw, links.out_lat))
    assert t["t_zero3_comm_s"][0] == pytest.approx(full, rel=1e-9) and t["t_dp_comm_s"][0] == 0.0


def test_ring_attention_exposed_per_chunk() -> None:
    # Ring attention (Liu et al. 2023): each of the cp-1 K,V transfers hides only behind one block's attention.
    from accelopt.predict.compute import Device, layer_forward

    spec = get_device("h100-sxm")
    cal = calibration_for(spec)
    cp, s = 8, 32768
    lay = Layout(tp=8, cp=cp, dp=1, m=1, recompute="selective")
    t = evaluate(Setup(model=GPT, seq_len=s, global_batch=1), spec, Layouts.of([lay]), cal).terms
    dev = Device(peak_flop_per_s=spec.peak("bf16"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    a = np.ones(1)
    lt = layer_forward(GPT, a, a * s / cp, a * s, a * 8, np.array([True]), True, a, 2.0, dev)
    links = comm.Links.of(spec, cal)
    bw, lat = (links.up_bw, links.up_lat) if 8 * cp <= links.domain else (links.out_bw, links.out_lat)
    step = lat + 2 * (s / cp) * GPT.n_kv_heads * GPT.head_dim / 8 * 2.0 / bw  # one K,V block
    exposed = 3 * (cp - 1) * max(0.0, step - cal.overlap_eff * float(lt.attn_core_s[0]) / cp)
    assert t["t_cp_comm_s"] == pytest.approx(GPT.layers * exposed, rel=1e-9)
    assert t["t_cp_comm_raw_s"] == pytest.approx(GPT.layers * 3 * (cp - 1) * step, rel=1e-9)
    assert 0 < t["t_cp_comm_s"] < t["t_cp_comm_raw_s"]  # tp 8 x cp 8 crosses nodes: partly exposed


# --- 5. ZeRO-3 volume before overlap ----------------------------------------------------------------------------

def test_zero3_gathers_are_traffic_before_the_overlap() -> None:
    spec = get_device("h100-sxm")
    cal = calibration_for(spec)
    setup = Setup(model=GPT, seq_len=2048, global_batch=8)
    lay = Layouts.of([Layout(dp=8, m=1, zero=1, overlap=False), Layout(dp=8, m=1, zero=3, overlap=False),
                      Layout(dp=8, m=1, zero=3)])
    t = evaluate(setup, spec, lay, cal).terms
    # Rajbhandari et al. 2020 sec. 7.3: ZeRO-3 moves 3 x params (gather fwd, gather bwd, reduce-scatter) vs 2 x
    # (one all-reduce) for ZeRO-1/2: 1.5x, inside one node where both are ring collectives of 8 ranks.
    assert t["t_zero3_comm_raw_s"][1] / t["t_dp_comm_raw_s"][0] == pytest.approx(1.5, rel=1e-9)
    compute = t["t_fwd_s"][2] + t["t_bwd_s"][2] + t["t_recompute_s"][2]
    assert t["t_zero3_comm_s"][2] == pytest.approx(max(0.0, t["t_zero3_comm_raw_s"][2] - cal.overlap_eff * compute))


def test_zero3_workload_extra_gather_before_overlap() -> None:
    spec = get_device("h100-sxm")
    cal = calibration_for(spec)
    w = Workload(name="toy", meta={"params": 4e9, "batch_size": 1, "seq_len": 1024}, ops=[
        Op(name="mm", kind="matmul", flops=2e12, bytes_read=1e9, bytes_written=1e8, phase="forward"),
        Op(name="mmb", kind="matmul", flops=4e12, bytes_read=2e9, bytes_written=2e8, phase="backward")])
    p = evaluate_workload(w, spec, np.array([8, 8]), np.array([1, 3]), cal=cal).terms
    links = comm.Links.of(spec, cal)
    t_ar = 2 * _ring_rs(8e9, 8, links.up_bw, links.up_lat)  # all-reduce of 2 B x 4e9 params = RS + AG in the node
    f, b = p["t_fwd_s"][1], p["t_bwd_s"][1]
    assert p["t_dp_comm_raw_s"][0] == pytest.approx(t_ar, rel=1e-9)
    assert p["t_dp_comm_s"][0] == pytest.approx(max(0.0, t_ar - cal.overlap_eff * b), rel=1e-9)
    # ZeRO-3: 1.5 x the traffic first, then the overlap with forward (its gather) and backward is subtracted
    assert p["t_dp_comm_raw_s"][1] == pytest.approx(1.5 * t_ar, rel=1e-9)
    assert p["t_dp_comm_s"][1] == pytest.approx(max(0.0, 1.5 * t_ar - cal.overlap_eff * (f + b)), rel=1e-9)
    assert p["t_dp_comm_s"][1] > 0


# --- 6. measured collectives ------------------------------------------------------------------------------------

def _probe_file(tmp_path: Path, alpha: float = 20e-6, bw: float = 5e9, p: int = 4) -> tuple[Path, object]:
    from test_distributed_units import _probe_result, _rank0

    from accelopt.distributed.collectives import build_result, spec_lines
    from accelopt.measure.probe import spec_toml

    res = build_result(_rank0(alpha=alpha, bw=bw, p=p), "gloo", "cpu", p)
    path = tmp_path / "probe.toml"
    path.write_text(spec_toml(_probe_result(), spec_lines(res)))
    return path, res


def test_measured_collectives_replace_the_catalog_link(tmp_path: Path) -> None:
    path, coll = _probe_file(tmp_path)
    # no sequence parallelism and --no-tp-async: the 4 all-reduces per layer, all on the critical path (by default the
    # megatron stack hides the two backward ones behind GEMMs: test_plan_tp_async.py, test_plan_pipeline_overlap.py)
    q = dict(model=GPT, hardware="h100-sxm", devices=8, tp=8, zero=1, seq_len=2048, global_batch_seqs=8, sp=False,
             tp_async=False)
    res = predict_layout(LayoutQuery(**q, collectives=str(path)))  # type: ignore[arg-type]
    base = predict_layout(LayoutQuery(**q))  # type: ignore[arg-type]
    t = res.terms
    bw, lat = coll.link_bandwidth_byte_per_s, coll.link_latency_s  # type: ignore[attr-defined]
    assert res.measured is not None and base.measured is None
    assert t["in_scaleup_link_byte_per_s"] == bw and t["in_scaleup_latency_s"] == lat
    # tp 8: 4 all-reduces of b s h x 2 B per layer (selective recompute), over the measured link
    ar = _allreduce(2048 * GPT.hidden * 2.0, 8, bw, lat)
    assert t["t_tp_comm_s"] == pytest.approx(res.layout.m * GPT.layers * 4 * ar, rel=1e-9)
    assert t["t_tp_comm_s"] > 10 * base.terms["t_tp_comm_s"]  # 5 GB/s measured vs NVLink's catalog figure
    assert "measured" in res.measured.text()


def test_measured_link_on_a_switchless_node_is_used_as_measured(tmp_path: Path) -> None:
    """Review finding: on a domain without a switch (gaudi2: scaleup_peer_bandwidth_byte_per_s) a measured link
    would mix a measured figure with the datasheet pair cap x scaleup_bw_eff. It never did (Links.of drops both for
    a measured link; the loop over eff below shows it), but it dropped the pair rule with them: a 2-card group was
    credited the bus bandwidth the probe measured over 4 cards. Now the measured busbw over r ranks is r - 1 achieved
    pair links (comm.measured_peer_bw), and a group of g reaches g - 1 of them, at most the measured busbw."""
    from accelopt.predict.calibration import calibration_for, with_values

    path, coll = _probe_file(tmp_path, p=4)
    bw, lat = coll.link_bandwidth_byte_per_s, coll.link_latency_s  # type: ignore[attr-defined]
    measured = comm.load_measured(path)
    gaudi2, h100 = get_device("gaudi2"), get_device("h100-sxm")
    want = [bw / 3, 2 * bw / 3, bw, bw]  # groups of 2, 3, 4 (the probe's) and 8 cards
    for eff in (0.8, 0.5):  # no calibration factor reaches a measured link
        links = comm.Links.of(gaudi2, with_values(calibration_for(gaudi2), scaleup_bw_eff=eff), measured)
        assert links.up_bw_of(np.array([2, 3, 4, 8])) == pytest.approx(want, rel=1e-12)
    assert [comm.pick_link(gaudi2, g, measured)[0] for g in (2, 3, 4, 8)] == pytest.approx(want, rel=1e-12)
    switched = comm.Links.of(h100, calibration_for(h100), measured)  # NVSwitch: every group gets all of it
    assert switched.up_bw_of(np.array([2, 8])) == pytest.approx([bw, bw], rel=1e-12)
    # end to end: plan explain's tensor-parallel all-reduces of a tp 2 group on gaudi2, over one measured pair link
    q = dict(model=GPT, hardware="gaudi2", devices=2, tp=2, zero=1, seq_len=2048, global_batch_seqs=2, sp=False,
             tp_async=False)
    res = predict_layout(LayoutQuery(**q, collectives=str(path)))  # type: ignore[arg-type]
    ar = _allreduce(2048 * GPT.hidden * 2.0, 2, bw / 3, lat)
    assert res.terms["t_tp_comm_s"] == pytest.approx(res.layout.m * GPT.layers * 4 * ar, rel=1e-9)


def test_serving_uses_a_measured_link_as_measured(tmp_path: Path) -> None:
    """`plan serve` on a spec whose link `probe --collectives` measured: its busbw was multiplied again by the
    probed family's scaleup_bw_eff (0.8) in serving while training used it as measured; both use it as measured."""
    from dataclasses import replace

    from accelopt.predict.serving import predict_serving

    path, coll = _probe_file(tmp_path, p=4)
    bw, lat = coll.link_bandwidth_byte_per_s, coll.link_latency_s  # type: ignore[attr-defined]
    probed = get_device(str(path))
    spec = replace(probed, peak_flop_per_s={**probed.peak_flop_per_s, "bf16": 1e11})  # the probe measured fp32 only
    kw = dict(batch=256, prompt_len=128, output_len=2, allow_oom=True)
    one, four = (predict_serving(GPT, spec, tp=t, **kw) for t in (1, 4))  # type: ignore[arg-type]
    assert one.decode_step.comm_s == 0.0
    # decode: 2 all-reduces per layer of batch x hidden x 2 bytes (serving.ACT_BYTES) over the 4 measured ranks
    ar = _allreduce(256 * GPT.hidden * 2.0, 4, bw, lat)
    assert four.decode_step.comm_s == pytest.approx(2 * GPT.layers * ar, rel=1e-9)


def test_collectives_file_without_a_measured_link_is_refused() -> None:
    catalog = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "hardware" / "catalog" / "data"
    some = sorted(catalog.glob("*.toml"))[0]
    with pytest.raises(InputError, match="probe --collectives"):
        comm.load_measured(some)


# --- recompute of N layers per stage ----------------------------------------------------------------------------

def test_recompute_only_some_layers() -> None:
    # Megatron-LM --recompute-granularity full --recompute-method block --recompute-num-layers N: N of a stage's
    # L_s layers keep only their input (2 s b h / t with SP, Korthikanti 2022 sec. 4) and run their forward again;
    # the other L_s - N keep everything.
    from accelopt.predict.memory import activation_bytes_per_layer

    setup = Setup(model=GPT, seq_len=2048, global_batch=8)
    lay = Layouts.of([Layout(tp=8, dp=1, m=8, recompute="full"), Layout(tp=8, dp=1, m=8, recompute="full",
                                                                         recompute_layers=20),
                      Layout(tp=8, dp=1, m=8, recompute="full", recompute_layers=40)])
    t = evaluate(setup, get_device("h100-sxm"), lay).terms
    assert t["t_recompute_s"][1] == pytest.approx(t["t_recompute_s"][0] * 20 / 40, rel=1e-12)
    assert t["step_time_s"][2] == t["step_time_s"][0]  # N = L_s is plain full recompute
    one = np.ones(1)
    keep_all = activation_bytes_per_layer(GPT, one, one * 2048, one * 8, np.array([True]), np.array([0]), True,
                                          False)[0]
    keep_input = activation_bytes_per_layer(GPT, one, one * 2048, one * 8, np.array([True]), np.array([2]), True,
                                            False)[0]
    extra = t["mem_activations_bytes"][1] - t["mem_activations_bytes"][0]
    assert extra == pytest.approx(20 * (keep_all - keep_input), rel=1e-9)
    with pytest.raises(InfeasibleError, match="needs recompute = full"):
        predict_layout(LayoutQuery(model=GPT, hardware="h100-sxm", devices=8, tp=8, recompute="selective",
                                   recompute_layers=4, seq_len=2048, global_batch_seqs=8))


# --- the command line -------------------------------------------------------------------------------------------

def test_cli_explain_says_uneven_and_measured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from conftest import run_main

    path, coll = _probe_file(tmp_path)
    args = ["plan", "explain", "--model", "gpt3-1.3b", "--hardware", "h100-sxm", "--devices", "124",
            "--global-batch", "1000", "--seq-len", "2048", "--collectives", str(path)]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    assert "8 ranks x 9 + 116 ranks x 8" in out and "measured" in out
    code, out, err = run_main([*args, "--json"], capsys)
    doc = json.loads(out)
    assert doc["measured_link"]["bandwidth_byte_per_s"] == coll.link_bandwidth_byte_per_s  # type: ignore[attr-defined]
    assert any("slowest rank" in n for n in doc["notes"])


def test_cli_schedule_and_bad_collectives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    base = ["plan", "--model", "gpt3-1.3b", "--hardware", "h100-sxm", "--devices", "64", "--tokens", "1e10"]
    code, out, err = run_main([*base, "--schedule", "gpipe"], capsys)
    assert code == 2 and "--schedule" in err
    code, out, err = run_main([*base, "--schedule", "zb-h1", "--top", "2"], capsys)
    assert code == 0 and "zb-h1 schedule" in out
    bad = tmp_path / "x.toml"
    bad.write_text("not toml [")
    code, out, err = run_main([*base, "--collectives", str(bad)], capsys)
    assert code == 2 and "error:" in err


# --- an overlap flag the layout cannot use is said, not silently dropped ------------------------------------------
@pytest.mark.parametrize(("flags", "flag", "used"), [
    ({"p2p_overlap": True, "pp": 4, "vp": 1}, "--p2p-overlap", False),  # no interleaving: Megatron turns it off
    ({"p2p_overlap": True, "pp": 4, "vp": 2}, "--p2p-overlap", True),
    ({"tp_comm_overlap": True, "tp": 8, "sp": False}, "--tp-comm-overlap", False),  # needs sequence parallel
    ({"tp_comm_overlap": True, "tp": 8, "sp": True}, "--tp-comm-overlap", True),
])
def test_overlap_flag_without_effect_is_noted(flags: dict[str, object], flag: str, used: bool) -> None:
    base = {k: v for k, v in flags.items() if not k.endswith("overlap")}
    q = {"model": get_model("llama3-8b"), "hardware": "h100-sxm", "devices": 64, "global_batch_seqs": 512}
    on = predict_layout(LayoutQuery(**q, **flags))  # type: ignore[arg-type]
    off = predict_layout(LayoutQuery(**q, **base))  # type: ignore[arg-type]
    noted = any(n.startswith(f"{flag} has no effect") for n in on.notes)
    assert noted is not used
    assert (on.terms["step_time_s"] < off.terms["step_time_s"]) is used  # the note tells the truth about the step time
