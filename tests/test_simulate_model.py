"""Per-layer model: shapes, folds and cycles by hand, traffic, stalls, energy (Eyeriss: test_simulate_eyeriss.py)."""

from __future__ import annotations

import math

import pytest

from accelopt.errors import InputError
from accelopt.simulate.dataflow import LayerArrays, compute
from accelopt.simulate.design import Design, load_preset
from accelopt.simulate.energy import mac_energy_pj_45, node_factor, sram_pj_per_bit_45
from accelopt.simulate.engine import layer_arrays, simulate
from accelopt.simulate.layers import (
    alexnet_conv_layers,
    from_conv,
    from_gemm,
    from_workload,
    resnet50_layers,
    transformer_layers,
)
from accelopt.simulate.sweep import grid, pareto_front, run_sweep
from accelopt.workload.transformer import TransformerConfig
from accelopt.workload.types import Conv, Gemm, Op, Workload


def _design(**kw: object) -> Design:
    base = dict(name="t", rows=8, cols=4, dataflow="os", ifmap_sram_bytes=1 << 20, filter_sram_bytes=1 << 20,
                ofmap_sram_bytes=1 << 20, dram_bandwidth_byte_per_s=1e12, clock_hz=1e9, dtype="int8",
                tech_node_nm=45, vdd_v=0.9)  # Horowitz's table point: 45 nm, 0.9 V (node factor 1)
    base.update(kw)
    return Design(**base)  # type: ignore[arg-type]


def test_resnet50_and_alexnet_macs_match_published() -> None:
    # He et al. 2016, Table 1: ResNet-50 is 3.8e9 multiply-adds (FLOPs in their wording) at 224x224.
    assert sum(x.macs for x in resnet50_layers()) == pytest.approx(3.8e9, rel=0.02)
    # Chen et al. ISSCC 2016 (Eyeriss): AlexNet needs 666 M MACs per 227x227 image (conv layers).
    assert sum(x.macs for x in alexnet_conv_layers()) == pytest.approx(666e6, rel=0.002)
    assert sum(x.macs for x in resnet50_layers(batch=4)) == 4 * sum(x.macs for x in resnet50_layers())


def test_conv_im2col_padding_and_depthwise() -> None:
    c = Conv(n=2, c_in=3, h_in=8, w_in=8, c_out=16, kh=3, kw=3, stride=1, padding=1)
    x = from_conv("c", c)
    assert (x.m, x.n, x.k, x.repeats) == (2 * 8 * 8, 16, 27, 1)  # padding keeps 8x8 outputs
    dw = from_conv("dw", Conv(n=1, c_in=32, h_in=10, w_in=10, c_out=32, kh=3, kw=3, groups=32))
    assert (dw.kind, dw.m, dw.n, dw.k, dw.repeats) == ("dwconv", 64, 1, 9, 32)
    with pytest.raises(InputError, match="groups"):
        from_conv("bad", Conv(n=1, c_in=30, h_in=8, w_in=8, c_out=32, kh=3, kw=3, groups=4))


def test_cycles_by_hand_paper_and_code_conventions() -> None:
    # M=20, N=6, K=5 on 8x4: os -> S_R=20 (3 folds), S_C=6 (2 folds), T=5.
    a = layer_arrays([from_gemm("g", Gemm(m=20, n=6, k=5))])
    paper = compute(8, 4, 1, "os", a, "paper")
    code = compute(8, 4, 1, "os", a, "scalesim-code")
    assert int(paper["folds"][0]) == 6
    assert int(paper["compute_cycles"][0]) == 6 * (2 * 8 + 4 + 5 - 2)
    assert int(code["compute_cycles"][0]) == 6 * (8 + 4 + 5 - 2) - 1
    ws = compute(8, 4, 1, "ws", a, "scalesim-code")  # S_R=K=5 (1), S_C=N=6 (2), T=M=20
    assert int(ws["compute_cycles"][0]) == 2 * (2 * 8 + 4 + 20 - 2) - 1
    # mapping efficiency: (20*6) used PE-folds over 6 folds of 32 PEs
    assert float(paper["mapping_efficiency"][0]) == pytest.approx(120 / (6 * 32))
    with pytest.raises(InputError, match="convention"):
        compute(8, 4, 1, "os", a, "spice")


def test_cores_split_folds_and_sram_counts() -> None:
    a = layer_arrays([from_gemm("g", Gemm(m=64, n=64, k=16))])
    one = compute(8, 8, 1, "ws", a)
    four = compute(8, 8, 4, "ws", a)
    assert int(one["folds"][0]) == 2 * 8
    assert int(four["compute_cycles"][0]) * 4 == int(one["compute_cycles"][0])
    # ws: weights read once, inputs once per column fold, outputs written once per row fold
    assert int(one["filter_sram_reads"][0]) == 16 * 64
    assert int(one["ifmap_sram_reads"][0]) == 64 * 16 * 8
    assert int(one["ofmap_sram_writes"][0]) == 64 * 64 * 2
    assert int(one["psum_sram_reads"][0]) == 64 * 64


def test_dram_reuse_when_operands_fit_and_restream_when_not() -> None:
    layer = from_gemm("g", Gemm(m=512, n=512, k=512))
    big = simulate(_design(), [layer])
    assert big.total("dram_bytes") == 3 * 512 * 512  # int8, each operand once
    small = simulate(_design(ifmap_sram_bytes=8192, filter_sram_bytes=8192), [layer])
    assert small.total("dram_bytes") > big.total("dram_bytes")
    assert small.total("dram_ofmap_write_bytes") == 512 * 512


def test_stalls_when_bandwidth_is_short() -> None:
    layer = [from_gemm("g", Gemm(m=1, n=4096, k=4096))]  # matrix-vector: memory bound
    fast = simulate(_design(dram_bandwidth_byte_per_s=math.inf), layer)  # unlimited (SCALE-Sim CALC)
    slow = simulate(_design(dram_bandwidth_byte_per_s=1e9), layer)
    assert fast.total("stall_cycles") == 0
    dram_cycles = slow.total("dram_bytes") / 1e9 * 1e9
    assert slow.total("stall_cycles") == pytest.approx(dram_cycles - slow.total("compute_cycles"), abs=1)
    lat = simulate(_design(dram_latency_s=1e-6, dram_bandwidth_byte_per_s=math.inf), layer)
    assert lat.total("stall_cycles") == 1000


def test_energy_breakdown_and_tables() -> None:
    # Horowitz ISSCC 2014 (45 nm): 8-bit mult 0.2 pJ + 32-bit add 0.1 pJ; 8 KB SRAM 10 pJ per 64 bit.
    assert mac_energy_pj_45("int8") == pytest.approx(0.3)
    assert mac_energy_pj_45("fp32") == pytest.approx(3.7 + 0.9)
    assert sram_pj_per_bit_45(8 * 1024) * 64 == pytest.approx(10.0)
    assert sram_pj_per_bit_45(1024 * 1024) * 64 == pytest.approx(100.0)
    assert 10 < sram_pj_per_bit_45(16 * 1024) * 64 < 20
    assert node_factor(45, 0.9) == pytest.approx(1.0)  # node scaling itself: tests/test_simulate_energy_scaling.py
    r = simulate(_design(), resnet50_layers())
    t = r.totals()
    e = t.energy_breakdown
    assert e.mac_j + e.register_j + e.sram_j + e.dram_j == pytest.approx(t.energy_j)
    assert e.mac_j == pytest.approx(t.macs * 0.3e-12)
    assert t.tops_per_w == pytest.approx(2 * t.macs / t.energy_j / 1e12)
    assert 0 < t.utilization <= 1
    assert r.roofline().ridge_op_per_byte == pytest.approx(2 * 32 * 1e9 / 1e12)


def test_transformer_layers_attention_shapes() -> None:
    cfg = TransformerConfig(name="toy", layers=2, hidden=64, heads=4, ffn=256, vocab=1000, seq_len=32)
    layers = {x.name: x for x in transformer_layers(cfg, batch=3)}
    qk, av = layers["attn.qk"], layers["attn.av"]
    assert (qk.m, qk.n, qk.k, qk.repeats) == (32, 32, 16, 3 * 4 * 2)
    assert (av.m, av.n, av.k) == (32, 16, 32)
    assert layers["mlp.up"].m == 96 and layers["mlp.up"].n == 256
    assert layers["lm_head"].n == 1000


def test_from_workload_uses_gemm_and_conv_ops() -> None:
    w = Workload(name="w", ops=[
        Op(name="aten.mm", kind="matmul", flops=2 * 8 * 16 * 32, bytes_read=0, bytes_written=0,
           gemm=Gemm(m=8, n=16, k=32), count=3),
        Op(name="aten.relu", kind="elementwise", flops=0, bytes_read=0, bytes_written=0),
        Op(name="aten.conv2d", kind="conv", flops=0, bytes_read=0, bytes_written=0,
           conv=Conv(n=1, c_in=3, h_in=8, w_in=8, c_out=4, kh=3, kw=3)),
        Op(name="aten.sdpa", kind="attention", flops=2 * 2 * (2 * 4 * 32 * 32 * 16), bytes_read=0, bytes_written=0,
           module="attn",  # QK^T and AV: 2 x B*H*S*S*D MACs
           shapes=((2, 4, 32, 16), (2, 4, 32, 16), (2, 4, 32, 16))),
    ])
    layers, skipped = from_workload(w)
    assert [x.repeats for x in layers] == [3, 1, 8, 8]
    qk, av = layers[2], layers[3]
    assert (qk.name, qk.m, qk.n, qk.k) == ("attn.qk", 32, 32, 16)
    assert (av.m, av.n, av.k) == (32, 16, 32)
    assert len(skipped) == 1
    with pytest.raises(InputError):
        from_workload(Workload(name="empty", ops=[]))


def test_sweep_pareto_front_is_non_dominated() -> None:
    base = load_preset("edge-npu")
    designs = grid(base, [8, 16], [8, 16], [16384, 65536], [10e9, 100e9], ["os", "ws"])
    points = run_sweep(designs, resnet50_layers())
    front = pareto_front(points)
    assert 0 < len(front) < len(points)
    for p in front:
        for q in points:
            better_eq = all(a <= b for a, b in zip(q.objectives(), p.objectives(), strict=True))
            assert not (better_eq and q.objectives() != p.objectives())
    with pytest.raises(InputError, match="dataflow"):
        grid(base, [8], [8], [1024], [1e9], ["xs"])


def test_pareto_front_is_exactly_the_non_dominated_points() -> None:
    """The one-pass front (each point against the front so far) keeps exactly the points the definition keeps,
    with ties and duplicate points (both kept: neither beats the other)."""
    import random

    from accelopt.simulate.sweep import SweepPoint

    rng = random.Random(0)
    designs = grid(load_preset("edge-npu"), [1, 2, 4], [1, 2], [1024, 2048], [1e9, 2e9], ["os", "ws"]) * 2
    for _ in range(20):
        points = [SweepPoint(d, float(rng.randint(0, 4)), float(rng.randint(0, 4)), 0.5, 1.0) for d in designs]

        def beaten(p: SweepPoint, pts: list[SweepPoint] = points) -> bool:
            return any(all(a <= b for a, b in zip(q.objectives(), p.objectives(), strict=True))
                       and q.objectives() != p.objectives() for q in pts)

        assert {id(p) for p in pareto_front(points)} == {id(p) for p in points if not beaten(p)}


def test_sweep_ctrl_c_outside_the_simulation_keeps_the_designs_done() -> None:
    """Ctrl-C landing in the progress callback (the bar's redraw), not in simulate(), escaped the sweep and lost
    every design simulated."""
    designs = grid(load_preset("edge-npu"), [8, 16], [8], [16384], [10e9], ["os"])

    def stop(done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    points = run_sweep(designs, alexnet_conv_layers(), on_point=stop, keep_on_interrupt=True)
    assert [p.design.rows for p in points] == [8]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(designs, alexnet_conv_layers(), on_point=stop)


def test_layer_arrays_rejects_empty() -> None:
    with pytest.raises(InputError):
        layer_arrays([])
    assert isinstance(layer_arrays(resnet50_layers()), LayerArrays)


def test_model_names_resolve() -> None:
    from accelopt.errors import UnknownNameError
    from accelopt.simulate.models import model_layers

    layers, desc = model_layers("resnet50", batch=2)
    assert len(layers) == 54 and "He et al." in desc
    layers, desc = model_layers("bert-base", seq_len=128)
    assert any(x.kind == "attention" for x in layers) and "bert-base" in desc
    with pytest.raises(UnknownNameError):
        model_layers("resnet5O")
    with pytest.raises(InputError, match="batch"):
        model_layers("resnet50", batch=0)


def test_zoo_model_captured_with_attention() -> None:
    pytest.importorskip("torch")
    from accelopt.simulate.models import model_layers

    layers, desc = model_layers("gpt:tiny")
    assert "captured" in desc
    assert any(x.kind == "attention" for x in layers) and any(x.kind == "gemm" for x in layers)
