"""Training predictor: memory formulas, layout rules, and the single-layout / search agreement."""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.memory import activation_bytes_per_layer, memory_per_device
from accelopt.predict.search import enumerate_layouts, pareto_front, rank, search
from accelopt.predict.training import Layout, Layouts, Setup, evaluate, evaluate_workload, structural_problems
from accelopt.workload.presets import get_model
from accelopt.workload.transformer import TransformerConfig
from accelopt.workload.types import Op, Workload

GPT = TransformerConfig(name="gpt-test", layers=4, hidden=1024, heads=16, ffn=4096, vocab=50000, seq_len=2048)


def _a(*v: float) -> np.ndarray:
    return np.asarray(v, dtype=float)


def test_activations_reduce_to_korthikanti_eq2() -> None:
    # Korthikanti et al. 2022, eq. 2 / Table 2: s b h (10 + 24/t + 5 a s/(h t)) with tp only,
    # s b h 34/t with sequence parallel + selective recompute, 2 s b h / t with full recompute + SP.
    s, b, h, a, t = 2048.0, 1.0, 1024.0, 16.0, 4.0
    tp_only = activation_bytes_per_layer(GPT, _a(b), _a(s), _a(t), np.array([False]), np.array([0]), False, False)
    assert tp_only[0] == pytest.approx(s * b * h * (10 + 24 / t + 5 * a * s / (h * t)))
    sel = activation_bytes_per_layer(GPT, _a(b), _a(s), _a(t), np.array([True]), np.array([1]), False, False)
    assert sel[0] == pytest.approx(s * b * h * 34 / t)
    full = activation_bytes_per_layer(GPT, _a(b), _a(s), _a(t), np.array([True]), np.array([2]), False, False)
    assert full[0] == pytest.approx(2 * s * b * h / t)


def test_zero_stages_shard_model_state() -> None:
    # ZeRO (Rajbhandari et al. 2020, Fig. 1): 2+2+12 bytes/param; stage k shards the first k parts' complement.
    kw = dict(tp=_a(1, 1, 1, 1), pp=_a(1, 1, 1, 1), dp=_a(8, 8, 8, 8), cp=_a(1, 1, 1, 1), ep=_a(1, 1, 1, 1),
              vp=_a(1, 1, 1, 1), mbs=_a(1, 1, 1, 1), m=_a(1, 1, 1, 1), zero=np.array([0, 1, 2, 3]),
              recompute=np.array([0, 0, 0, 0]), sp=np.array([False] * 4), seq_len=2048, flash=True,
              overhead_bytes=0.0)
    mem = memory_per_device(GPT, **kw)
    p = GPT.params_total()
    assert mem.optimizer[0] == pytest.approx(12 * p, rel=1e-6)
    assert mem.optimizer[1] == pytest.approx(12 * p / 8, rel=1e-6)
    assert mem.grads[2] == pytest.approx(2 * p / 8, rel=1e-6)
    assert mem.weights[3] < mem.weights[0] / 2


def test_bubble_matches_narayanan() -> None:
    # Narayanan et al. 2021 sec. 2.2: bubble = (p-1)/(v m) of the ideal time.
    setup = Setup(model=get_model("gpt3-13b"), seq_len=2048, global_batch=64)
    lay = Layouts.of([Layout(tp=8, pp=4, dp=1, m=64, vp=1), Layout(tp=8, pp=4, dp=1, m=64, vp=2)])
    r = evaluate(setup, get_device("h100-sxm"), lay)
    for i, v in enumerate((1, 2)):
        ideal = 64 * r.terms["t_microbatch_s"][i]
        assert r.terms["t_bubble_s"][i] / ideal == pytest.approx(3 / (v * 64))


def test_structural_rules_and_memory_reasons() -> None:
    setup = Setup(model=get_model("gpt3-175b"), seq_len=2048, global_batch=1536)
    lay = Layouts.of([Layout(tp=5, pp=1, dp=2, m=768), Layout(tp=8, pp=2, dp=1, vp=2, m=1535)])
    probs = [p.message for p in structural_problems(setup, lay, np.array([10, 16])) if np.any(p.mask)]
    assert any("heads" in w for w in probs)
    assert any("interleaved" in w for w in probs)
    # 175B on 8 H100 with plain data parallel does not fit in 80 GB
    one = evaluate(setup, get_device("h100-sxm"), Layouts.of([Layout(dp=8, m=192)]))
    assert not one.feasible[0]


def test_bad_layout_inputs() -> None:
    with pytest.raises(InputError, match="zero"):
        Layout(zero=4)
    with pytest.raises(InputError, match="recompute"):
        Layout(recompute="half")
    with pytest.raises(InputError, match="tp"):
        Layout(tp=0)
    with pytest.raises(InputError, match="dtype"):
        Setup(model=GPT, seq_len=2048, global_batch=8, dtype="int8")


def test_search_row_equals_single_layout_evaluation() -> None:
    setup = Setup(model=get_model("llama3-8b"), seq_len=8192, global_batch=256, tokens=1e12)
    spec = get_device("h100-sxm")
    c = search(setup, [spec], [64, 128])
    best = rank(c, "time", 3)
    assert len(best) == 3
    i = int(best[0])
    single = evaluate(setup, spec, Layouts.of([c.layouts.row(i)])).row(0)
    assert single["step_time_s"] == pytest.approx(c.terms["step_time_s"][i], rel=1e-12)
    front = pareto_front(c)
    assert i in set(front.tolist()) or c.terms["train_time_s"][front].min() <= c.terms["train_time_s"][i]
    # No front point is dominated by another feasible point.
    t, co, e = (c.terms[k][front] for k in ("train_time_s", "cost_usd", "energy_j"))
    for j in range(len(front)):
        dom = (t <= t[j]) & (co <= co[j]) & (e <= e[j]) & ((t < t[j]) | (co < co[j]) | (e < e[j]))
        assert not dom.any()


def test_moe_expert_parallel_enumerated() -> None:
    setup = Setup(model=get_model("mixtral-8x7b"), seq_len=4096, global_batch=512)
    lay = enumerate_layouts(setup, [64])
    assert set(np.unique(lay.ep)) >= {1, 2, 4, 8}


def test_profiled_workload_data_parallel() -> None:
    w = Workload(name="toy", meta={"params": 1e9, "batch_size": 8, "seq_len": 1024}, ops=[
        Op(name="mm", kind="matmul", flops=2e12, bytes_read=1e9, bytes_written=1e8, phase="forward"),
        Op(name="mmb", kind="matmul", flops=4e12, bytes_read=2e9, bytes_written=2e8, phase="backward")])
    p = evaluate_workload(w, get_device("h100-sxm"), np.array([1, 64, 64]), np.array([0, 0, 3]), tokens=1e9)
    assert p.terms["t_dp_comm_raw_s"][0] == 0.0 and p.terms["t_dp_comm_raw_s"][1] > 0
    assert p.terms["mem_total_bytes"][2] < p.terms["mem_total_bytes"][1]
    with pytest.raises(InputError, match="params"):
        evaluate_workload(Workload(name="x", ops=[]), get_device("h100-sxm"), np.array([1]), np.array([0]))


def test_profiled_workload_without_seq_len_counts_samples() -> None:
    # an MLP/CNN workload has seq_len None: --tokens then counts samples (batch_size per device per step)
    w = Workload(name="mlp", meta={"params": 1e6, "batch_size": 32, "seq_len": None}, ops=[
        Op(name="mm", kind="matmul", flops=2e9, bytes_read=1e7, bytes_written=1e6, phase="forward")])
    p = evaluate_workload(w, get_device("h100-sxm"), np.array([1, 2]), np.array([0, 0]), tokens=3.2e4)
    steps = 3.2e4 / 32
    assert p.terms["train_time_s"][0] == pytest.approx(steps * p.terms["step_time_s"][0])
