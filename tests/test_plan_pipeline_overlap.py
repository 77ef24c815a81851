"""Pipeline and tensor-parallel mechanisms of issue 10's Megatron-style rows: interleaving with uneven edge stages
(Llama 3 405B), overlapped pipeline sends, tensor-parallel communication overlap and the GB200 scale-out link."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for
from accelopt.predict.query import predict_layout
from accelopt.predict.training import Layout, Layouts, Setup, evaluate, structural_problems
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.presets import get_model

ROWS = {r["id"]: r for r in read_runs()}
L405 = get_model("llama3-405b")


def _one(setup: Setup, lay: Layout, hw: str = "h100-sxm") -> dict[str, float]:
    return evaluate(setup, get_device(hw), Layouts.of([lay])).row(0)


def test_llama3_interleaved_edge_stages_are_a_valid_layout() -> None:
    """126 layers on 16 stages x 8 chunks of one layer, the first and last stage one chunk short (embedding-only and
    loss-only chunks, Llama Team 2024 sec. 3.3.2): accepted, while vp 8 with an even split (128 chunks > 126 layers)
    and vp 3 (8 middle layers in 3 chunks) are not."""
    setup = Setup(model=L405, seq_len=8192, global_batch=2048, edge_stage_layers=7)
    lay = Layouts.of([Layout(tp=8, pp=16, dp=128, vp=v, m=16, recompute="selective") for v in (8, 3)])
    bad = [p.message for p in structural_problems(setup, lay, np.array([16384, 16384])) if p.mask[0]]
    assert bad == []
    assert any(p.mask[1] for p in structural_problems(setup, lay, np.array([16384, 16384])))
    even = Setup(model=L405, seq_len=8192, global_batch=2048)
    assert any(p.mask[0] for p in structural_problems(even, lay, np.array([16384, 16384])))


def test_interleaved_bubble_and_balanced_last_stage() -> None:
    """Bubble (p - 1) / v of one micro-batch (Llama 3's 'overall pipeline bubble ratio (PP - 1) / (V M)'), and the
    last stage's 7 layers + logits are lighter than a middle stage's 8 layers, so the busiest stage has no logits."""
    setup = Setup(model=L405, seq_len=8192, global_batch=2048, edge_stage_layers=7)
    t = {v: _one(setup, Layout(tp=8, pp=16, dp=128, vp=v, m=16, recompute="selective")) for v in (1, 8)}
    for row, v in ((t[1], 1), (t[8], 8)):
        assert row["t_bubble_s"] == pytest.approx(15 / v * row["t_microbatch_s"])
        assert row["layers_per_stage"] == 8 and row["t_logits_s"] == 0.0
    assert t[8]["step_time_s"] < 0.75 * t[1]["step_time_s"]


def test_last_stage_with_logits_is_busiest_when_it_holds_as_many_layers() -> None:
    """Edge stages one layer short of the middle ones but a vocabulary large enough that 7 layers + logits outweigh
    8 layers: the busiest stage is the last one and its logits are counted."""
    big_vocab = dataclasses.replace(get_model("llama3-8b"), vocab=2_000_000)
    setup = Setup(model=big_vocab, seq_len=8192, global_batch=64, edge_stage_layers=3)
    row = _one(setup, Layout(tp=1, pp=8, dp=1, m=64, recompute="selective"))
    assert row["layers_per_stage"] == 3 and row["t_logits_s"] > 0


def test_p2p_overlap_hides_interleaved_sends_only() -> None:
    """Megatron overlaps pipeline p2p with the next chunk's compute only in the interleaved schedule
    (--overlap-p2p-comm is forced off without it): vp > 1 hides the sends, vp = 1 keeps them on the critical path."""
    base = Setup(model=get_model("llama3-70b"), seq_len=8192, global_batch=128, dtype="fp8")
    on = dataclasses.replace(base, p2p_overlap=True)
    inter = Layout(tp=4, pp=8, dp=2, vp=5, m=64, recompute="selective")
    plain = dataclasses.replace(inter, vp=1)
    assert _one(base, inter)["t_pp_p2p_s"] > 0.3
    assert _one(on, inter)["t_pp_p2p_s"] == 0.0  # ~1 ms sends behind ~10 ms chunks
    assert _one(on, plain)["t_pp_p2p_s"] == _one(base, plain)["t_pp_p2p_s"] > 0


def test_tp_comm_overlap_needs_sequence_parallel() -> None:
    """Userbuffers overlap each sequence-parallel all-gather / reduce-scatter with a GEMM (predict/userbuffers.py):
    the tensor-parallel time falls well below the exposed collectives', but not to zero, since the GEMMs run chunked
    and beside communication kernels holding SMs (TE's default config: 16 SMs; before ubuf, 2026-12-01, the model hid
    every NVLink collective behind 0.8 of its GEMM and this was 0); with sequence parallelism off (all-reduces, as
    Megatron-Bridge disables the overlap then) it is unchanged."""
    base = Setup(model=get_model("llama3-70b"), seq_len=8192, global_batch=128, dtype="fp8")
    on = dataclasses.replace(base, tp_comm_overlap=True)
    lay = Layout(tp=4, pp=8, dp=2, vp=5, m=64, recompute="selective", sp=True)
    # without userbuffers the forward and the backward's output-gradient gathers stay exposed (~0.74 s here;
    # test_async_backward_tp_collectives_megatron_stack below)
    assert _one(base, lay)["t_tp_comm_s"] > 0.5
    assert 0.1 * _one(base, lay)["t_tp_comm_s"] < _one(on, lay)["t_tp_comm_s"] < 0.6 * _one(base, lay)["t_tp_comm_s"]
    no_sp = dataclasses.replace(lay, sp=False)
    assert _one(on, no_sp)["t_tp_comm_s"] == _one(base, no_sp)["t_tp_comm_s"]


def test_tp_comm_overlap_exposes_what_the_gemms_cannot_hide() -> None:
    """Across a slow link the collectives outlast their GEMMs and the excess stays exposed (not all hidden)."""
    base = Setup(model=get_model("llama3-8b"), seq_len=4096, global_batch=16, dtype="bf16")
    lay = Layout(tp=16, pp=1, dp=1, m=16, recompute="selective", sp=True)  # tp 16 > 8 GPUs: over InfiniBand
    raw = _one(base, lay)["t_tp_comm_s"]
    hidden = _one(dataclasses.replace(base, tp_comm_overlap=True), lay)["t_tp_comm_s"]
    assert 0.3 * raw < hidden < raw


def test_gb200_scale_out_comes_from_the_catalog() -> None:
    """DGX GB200: one ConnectX-7 400 Gb/s port per GPU (user guide, compute tray table): 50e9 B/s per direction,
    used across NVL72 racks instead of the 100 Gb/s default."""
    spec = get_device("gb200")
    assert spec.scaleout_bandwidth_byte_per_s == 50e9
    assert "ConnectX-7" in (spec.source_of("scaleout_bandwidth_byte_per_s") or "")
    res = predict_layout(run_query(ROWS["mb-gb200-llama31-405b"]))
    assert "scaleout_bandwidth_byte_per_s" not in {a.field for a in res.assumed}
    assert res.terms["in_pp_link_byte_per_s"] == pytest.approx(50e9 * 0.8)  # 256 GPUs span 4 NVL72 domains


def test_cli_flags_reach_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "explain", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "4",
            "--pp", "8", "--vp", "5", "--seq-len", "8192", "--global-batch", "128seq", "--dtype", "fp8", "--json"]
    got = {}
    for extra in ([], ["--p2p-overlap"], ["--tp-comm-overlap"]):
        code, out, _ = run_main([*base, *extra], capsys)
        assert code == 0
        got[tuple(extra)] = explain_terms(json.loads(out))
    assert got[("--p2p-overlap",)]["t_pp_p2p_s"] < got[()]["t_pp_p2p_s"]
    assert got[("--tp-comm-overlap",)]["t_tp_comm_s"] < got[()]["t_tp_comm_s"]


def test_async_backward_tp_collectives_megatron_stack() -> None:
    """Megatron-LM's and Transformer Engine's sequence-parallel linears (no userbuffers) run each column-parallel
    layer's backward re-gather and reduce-scatter asynchronously behind its data- and weight-gradient GEMMs, and
    Transformer Engine gathers FP8 tensors in FP8 runs. On one NVLink node with 8k-token micro-batches those two
    collectives hide entirely, so a layer's exposed time is: forward 2 all-gathers + 2 reduce-scatters, backward
    the 2 output-gradient all-gathers (6 collectives, not the 8 of 4 all-reduces); in FP8 the 4 all-gathers move
    1 byte per element. Without sequence parallelism the two backward all-reduces hide the same way (Megatron-LM's
    asynchronous all-reduce; test_plan_tp_async.py); with --no-tp-async and on the pytorch-fsdp stack all four stay.
    (TP 2: each collective moves half the activation, ~0.19 ms, behind 0.4-1.4 ms GEMMs.)"""
    mdl = get_model("llama3-70b")
    spec = get_device("h100-sxm")
    lay = Layout(tp=2, pp=1, dp=1, m=1, mbs=1, recompute="selective", sp=True)
    links = comm.Links.of(spec, calibration_for(spec))
    bw, lat = links.pick(np.array([2.0]))

    def coll(n_bytes: float) -> float:  # one ring all-gather / reduce-scatter of n_bytes over the 2 GPUs
        return float(comm.reduce_scatter_s(np.array([n_bytes]), np.array([2.0]), bw, lat)[0])

    act = 8192 * mdl.hidden  # elements of one b s h activation
    for dtype, ag_bytes in (("bf16", 2.0), ("fp8", 1.0)):
        setup = Setup(model=mdl, seq_len=8192, global_batch=1, dtype=dtype)
        row = _one(setup, lay)
        want = mdl.layers * (4 * coll(act * ag_bytes) + 2 * coll(act * 2.0))
        assert row["t_tp_comm_s"] == pytest.approx(want, rel=1e-9), dtype
    setup = Setup(model=mdl, seq_len=8192, global_batch=1)
    ar = float(comm.allreduce_s(np.array([act * 2.0]), np.array([2.0]), bw, lat, p_in=np.array([2.0]),
                              lat_in=lat)[0])
    no_sp = _one(setup, dataclasses.replace(lay, sp=False))["t_tp_comm_s"]
    assert no_sp == pytest.approx(mdl.layers * 2 * ar, rel=1e-9)  # the forward's two all-reduces
    sync = _one(dataclasses.replace(setup, tp_async=False), dataclasses.replace(lay, sp=False))["t_tp_comm_s"]
    assert sync == pytest.approx(mdl.layers * 4 * ar, rel=1e-9)
    fsdp = evaluate(setup, spec, Layouts.of([lay]), calibration_for(spec, stack="pytorch-fsdp")).row(0)
    assert fsdp["t_tp_comm_s"] == pytest.approx(sync, rel=1e-9)  # 4 all-reduce-equivalents, as before
