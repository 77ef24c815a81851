"""Roofline per op: name joining, the bound verdicts, attribution of nested profiler events, ceilings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import ProfilerEventStub

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.measure.roofline import (
    Ceilings,
    OpTimes,
    _attribute,
    ceilings_from_spec,
    classify,
    op_key,
    profile_op_times,
    roofline_rows,
    time_by_verdict,
    torch_dtype,
)
from accelopt.workload.types import Op, Workload

ROOFS = Ceilings(peak_flop_per_s=1e12, memory_bandwidth_byte_per_s=1e11, dtype="fp32", source="test",
                 is_measured=False)  # ridge = 10 FLOP/B


def test_op_key_joins_capture_and_profiler_names() -> None:
    assert op_key("aten.mm.default") == "aten::mm"
    assert op_key("aten.addmm") == "aten::addmm"
    assert op_key("aten::convolution") == "aten::convolution"
    assert op_key("Optimizer.step#AdamW.step") == "Optimizer.step#AdamW.step"
    assert op_key("mylib.my_op.default") == "mylib::my_op"  # a torch.library custom op (capture.op_name)


def test_h100_ceilings_from_the_catalog() -> None:
    # NVIDIA H100 datasheet (2023), SXM: 989.5 TFLOP/s dense bf16, 3.35 TB/s HBM3 -> ridge ~295 FLOP/B
    c = ceilings_from_spec(get_device("h100-sxm"), "bf16", "catalog h100-sxm")
    assert c is not None
    assert c.ridge_flop_per_byte == pytest.approx(989.5e12 / 3.35e12)
    assert ceilings_from_spec(get_device("h100-sxm"), "int4", "catalog") is None  # peak not defined


def test_classify_compute_memory_and_overhead() -> None:
    # 1 GFLOP over 10 MB (100 FLOP/B > ridge 10) at 2 ms: roof 1 ms -> compute-bound at 50%
    v, t_roof = classify(flops=1e9, bytes_=1e7, time_s=2e-3, calls=1, ceilings=ROOFS)
    assert v == "compute-bound" and t_roof == pytest.approx(1e-3)
    # 1 MFLOP over 10 MB (0.1 FLOP/B): roof = 1e7 / 1e11 = 100 µs; at 200 µs -> memory-bound
    v, t_roof = classify(flops=1e6, bytes_=1e7, time_s=2e-4, calls=1, ceilings=ROOFS)
    assert v == "memory-bound" and t_roof == pytest.approx(1e-4)
    # a tiny op: roof 10 ns, 20 calls of 10 µs each, a trivial op call measured at 6 µs: the fixed cost
    # (20 x 6 µs = 120 µs) is over half of the 200 µs -> overhead-bound
    v, _ = classify(flops=1e3, bytes_=1e3, time_s=2e-4, calls=20, ceilings=ROOFS, call_overhead_s=6e-6)
    assert v == "overhead-bound"
    # the same op where a call costs 4 µs: fixed cost 80 µs < half -> a slow op, classified by its intensity
    v, _ = classify(flops=1e3, bytes_=1e3, time_s=2e-4, calls=20, ceilings=ROOFS, call_overhead_s=4e-6)
    assert v == "memory-bound"
    # the same distance from the roof but with one long call is a slow kernel, not overhead
    v, _ = classify(flops=1e3, bytes_=1e3, time_s=2e-4, calls=1, ceilings=ROOFS, call_overhead_s=6e-6)
    assert v == "memory-bound"
    # without a measured per-call cost nothing with work is charged to overhead
    assert classify(flops=1e3, bytes_=1e3, time_s=2e-4, calls=20, ceilings=ROOFS)[0] == "memory-bound"
    # no work at all (views, bookkeeping)
    assert classify(flops=0, bytes_=0, time_s=1e-5, calls=3, ceilings=ROOFS)[0] == "overhead-bound"


def test_rows_join_workload_and_times_per_step() -> None:
    w = Workload(name="w", ops=[
        Op(name="aten.mm.default", kind="matmul", flops=1e9, bytes_read=6e6, bytes_written=4e6),
        Op(name="aten.mm.default", kind="matmul", flops=1e9, bytes_read=6e6, bytes_written=4e6),
        Op(name="aten.relu.default", kind="elementwise", flops=1e6, bytes_read=4e6, bytes_written=4e6),
    ])
    times = OpTimes(self_time_s={"aten::mm": 8e-3, "aten::relu": 4e-4, "aten::view": 1e-5},
                    calls={"aten::mm": 4, "aten::relu": 2, "aten::view": 6}, steps=2, time_kind="self_cpu_time",
                    wall_s=0.01)
    rows = {r.op: r for r in roofline_rows(w, times, ROOFS)}
    mm = rows["aten::mm"]
    assert mm.time_s == pytest.approx(4e-3) and mm.calls_per_step == 2  # per step: 2 profiled steps
    assert mm.flops == 2e9 and mm.bytes == 2e7
    assert mm.attained_flop_per_s == pytest.approx(2e9 / 4e-3)
    assert mm.efficiency == pytest.approx(2e-3 / 4e-3)
    assert mm.verdict == "compute-bound" and mm.kinds == ("matmul",)
    assert rows["aten::relu"].verdict == "memory-bound"
    assert rows["aten::view"].verdict == "overhead-bound" and rows["aten::view"].intensity_flop_per_byte is None
    by = time_by_verdict(rows.values())
    assert by["compute-bound"] == pytest.approx(4e-3)
    assert times.wall_per_step_s == pytest.approx(5e-3)




def test_nested_events_are_charged_to_the_known_ancestor() -> None:
    conv = ProfilerEventStub("aten::convolution", 5.0)
    inner = ProfilerEventStub("aten::_convolution", 3.0, conv)
    mkldnn = ProfilerEventStub("aten::mkldnn_convolution", 100.0, inner, self_device_time_total=70.0)
    other = ProfilerEventStub("aten::empty", 2.0)
    step = ProfilerEventStub("ProfilerStep#1", 50.0)
    times, calls = _attribute([conv, inner, mkldnn, other, step], {"aten::convolution"}, on_gpu=False)
    assert times["aten::convolution"] == pytest.approx(108e-6)
    assert calls == {"aten::convolution": 1, "aten::empty": 1}
    assert "ProfilerStep#1" not in times
    kernel = ProfilerEventStub("implicit_gemm_kernel", 0.0, None, self_device_time_total=70.0,
                               device_type="DeviceType.CUDA")
    gpu_times, _ = _attribute([conv, inner, mkldnn, kernel], {"aten::convolution"}, on_gpu=True)
    # device (kernel) time on a GPU, counted once: through the launching op, not again as the kernel's own event
    assert gpu_times["aten::convolution"] == pytest.approx(70e-6)
    assert "implicit_gemm_kernel" not in gpu_times


def test_profile_op_times_on_a_real_step(tmp_path: Path) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(32, 32), torch.nn.ReLU())
    x = torch.randn(8, 32)

    def step() -> None:
        model(x).sum().backward()

    trace = tmp_path / "trace.json"
    t = profile_op_times(step, lambda: None, 2, "cpu", known={"aten::addmm"}, trace_path=str(trace))
    assert t.steps == 2 and t.time_kind == "self_cpu_time" and t.wall_s > 0
    assert t.calls["aten::addmm"] == 2  # one per recorded step; the profiler's warm-up step is not counted
    assert "traceEvents" in json.loads(trace.read_text())


def test_unwritable_trace_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="trace"):
        profile_op_times(lambda: torch.ones(2).sum().item() and None, lambda: None, 1, "cpu",
                         trace_path=str(tmp_path / "missing-dir" / "t.json"))


def test_torch_dtype_rejects_unknown() -> None:
    assert torch_dtype("bf16") is torch.bfloat16
    with pytest.raises(InputError, match="int8"):
        torch_dtype("int8")


def test_quiet_profiler_log_drops_kineto_lines_only(capfd) -> None:
    import os

    from accelopt.measure.roofline import quiet_profiler_log

    with quiet_profiler_log():
        os.write(2, b"USDT:2026 SyncActivityProfilerHandler.cpp:52] profiler_start\n")
        os.write(2, b"a real warning\n")
    err = capfd.readouterr().err
    assert "USDT" not in err and "a real warning" in err


# ---- cache-aware roofs (issue 13) -----------------------------------------------------------------

def _cache_roofs() -> Any:
    from accelopt.measure.roofline import CacheRoof

    return Ceilings(peak_flop_per_s=100e9, memory_bandwidth_byte_per_s=10e9, dtype="fp32", source="test",
                    is_measured=True, cache_roofs=(CacheRoof(name="L2", capacity_bytes=1e6, bandwidth_byte_per_s=80e9),
                                                   CacheRoof(name="L3", capacity_bytes=16e6,
                                                             bandwidth_byte_per_s=40e9)))


def test_working_set_picks_the_memory_roof() -> None:
    c = _cache_roofs()
    assert c.memory_roof_for(0.5e6) == ("L2", 80e9)
    assert c.memory_roof_for(8e6) == ("L3", 40e9)
    assert c.memory_roof_for(64e6) == ("DRAM", 10e9)


def test_the_level_an_op_lives_in_decides_its_verdict() -> None:
    """At 5 FLOP/B an op is memory-bound against DRAM (ridge 100e9 / 10e9 = 10 FLOP/B) but compute-bound
    from L3 (ridge 100e9 / 40e9 = 2.5 FLOP/B): its working set decides which roof applies."""
    from accelopt.measure.roofline import classify_with_roof

    c = _cache_roofs()
    in_l3 = classify_with_roof(flops=5 * 8e6, bytes_=8e6, time_s=1e-3, calls=1, ceilings=c)
    in_dram = classify_with_roof(flops=5 * 64e6, bytes_=64e6, time_s=1e-2, calls=1, ceilings=c)
    assert in_l3[0] == "compute-bound" and in_l3[2] == "compute"
    assert in_dram[0] == "memory-bound" and in_dram[2] == "DRAM"
    assert in_dram[1] == pytest.approx(64e6 / 10e9)


def test_elementwise_op_from_cache_is_not_above_its_roof() -> None:
    """Elementwise ops at 120-134% of the DRAM roof ran from cache: against the cache roof they are below 100%."""
    from accelopt.measure.roofline import classify_with_roof

    c = _cache_roofs()
    bytes_ = 4e6  # fits L3
    time_s = bytes_ / (1.3 * 10e9)  # 130% of DRAM's bandwidth
    verdict, t_roof, roof = classify_with_roof(flops=1e6, bytes_=bytes_, time_s=time_s, calls=1, ceilings=c)
    assert roof == "L3" and verdict == "memory-bound"
    assert t_roof / time_s <= 1.0


def test_cpu_cache_levels_sum_instances_among_usable_cpus(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from accelopt.measure.probe import cpu_cache_levels

    for cpu in (0, 1):
        rows = [(1, "Data", "48K", str(cpu)), (1, "Instruction", "32K", str(cpu)), (2, "Unified", "1024K", str(cpu)),
                (3, "Unified", "32768K", "0-1")]
        for i, (level, kind, size, shared) in enumerate(rows):
            d = tmp_path / f"cpu{cpu}" / "cache" / f"index{i}"
            d.mkdir(parents=True)
            for name, value in (("level", level), ("type", kind), ("size", size), ("shared_cpu_list", shared)):
                (d / name).write_text(f"{value}\n")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert cpu_cache_levels(tmp_path) == [(1, 2 * 48 * 1024), (2, 2 * 2**20), (3, 32 * 2**20)]


def test_one_preempted_call_does_not_flip_the_overhead_verdict() -> None:
    @dataclass
    class Ev:
        name: str
        self_cpu_time_total: float  # µs
        cpu_parent: Any = None
        self_device_time_total: float = 0.0
        device_type: str = "DeviceType.CPU"

    # 10 calls of aten::mul_: nine of 3 µs and one preempted for 50 µs; each call has a 1 µs child dispatch
    events: list[Ev] = []
    for us in [2.0] * 9 + [49.0]:
        call = Ev("aten::mul_", us)
        events += [call, Ev("aten::empty", 1.0, call)]
    per_call: dict[str, list[float]] = {}
    dispatches: dict[str, int] = {}
    times, calls = _attribute(events, {"aten::mul_"}, on_gpu=False, dispatches=dispatches, per_call=per_call)
    assert sorted(per_call["aten::mul_"]) == pytest.approx([3e-6] * 9 + [50e-6])
    assert times["aten::mul_"] == pytest.approx(77e-6)
    # c0 = 0.8 µs: 20 dispatches x 0.8 µs = 16 µs is under half the 77 µs sum, but over half of the
    # typical 10 x 3 µs = 30 µs: the preempted call alone would have made it "memory-bound"
    w = Workload(name="w", ops=[Op(name="aten.mul_.Tensor", kind="elementwise", flops=1e3, bytes_read=8e3,
                                   bytes_written=4e3)] * 10)
    common = dict(self_time_s=times, calls=calls, steps=1, time_kind="self_cpu_time", wall_s=1e-4,
                  call_overhead_s=0.8e-6, dispatches=dispatches)
    (typical,) = roofline_rows(w, OpTimes(**common, typical_time_s={"aten::mul_": 30e-6}), ROOFS)
    (summed,) = roofline_rows(w, OpTimes(**common), ROOFS)
    assert typical.verdict == "overhead-bound" and summed.verdict == "memory-bound"
    assert typical.time_s == pytest.approx(77e-6)  # the time column stays the measured sum


def test_profiled_ops_carry_their_typical_time() -> None:
    x = torch.randn(64, 64)
    t = profile_op_times(lambda: (x @ x).relu_().sum().item() and None, lambda: None, 5, "cpu",
                         known={"aten::mm", "aten::relu_"})
    for op in ("aten::mm", "aten::relu_"):
        # calls x median call: positive and of the order of the sum (a median is never above the max call)
        assert 0 < t.typical_time_s[op] <= t.calls[op] * t.self_time_s[op]


def test_an_op_with_no_flop_formula_is_unmodeled_not_memory_bound() -> None:
    """An LSTM layer (mkldnn_rnn_layer) has no FLOP formula: its bytes are counted but its FLOPs read 0, so
    its intensity of 0 made it 'memory-bound' and its time fed the fuse-elementwise advice (seen on a 2-layer
    LSTM: 'memory-bound ops 56%'). Its bound is unknown, and the row says so."""
    w = Workload(name="w", ops=[
        Op(name="aten.mkldnn_rnn_layer.default", kind="other", flops=0.0, bytes_read=6e4, bytes_written=4e4),
        Op(name="aten.relu.default", kind="elementwise", flops=1e6, bytes_read=4e6, bytes_written=4e6),
    ], meta={"unmodeled_ops": {"mkldnn_rnn_layer": 1}})  # capture keys: base names
    times = OpTimes(self_time_s={"aten::mkldnn_rnn_layer": 8e-3, "aten::relu": 4e-4},
                    calls={"aten::mkldnn_rnn_layer": 1, "aten::relu": 1}, steps=1, time_kind="self_cpu_time",
                    wall_s=0.01)
    rows = {r.op: r for r in roofline_rows(w, times, ROOFS)}
    rnn = rows["aten::mkldnn_rnn_layer"]
    assert rnn.verdict == "unmodeled" and rnn.roof == "no formula"
    assert rnn.intensity_flop_per_byte is None and rnn.efficiency is None
    assert rows["aten::relu"].verdict == "memory-bound"
    assert time_by_verdict(rows.values())["unmodeled"] == pytest.approx(8e-3)


@pytest.mark.parametrize(("device", "matrix"), [("a100-sxm-80gb", True), ("h100-sxm", True), ("h100-pcie", True),
                                                 ("mi300x", True), ("mi250x", True), ("v100-sxm", False)])
def test_a_gpus_fp64_roof_is_called_a_matrix_peak_only_where_its_catalog_entry_says_so(device: str,
                                                                                       matrix: bool) -> None:
    """The fp64 vector roof's label said 'its fp64 (matrix) peak' for every GPU; V100's catalog fp64 (7.8 TFLOPS,
    nvidia_datacenter.toml) is its plain FP64 rate, V100 having no FP64 Tensor Cores. A100/H100 ('fp64 is the FP64
    Tensor Core peak') and MI300X/MI250X ('matrix peak(s)') say so in their notes."""
    ceil = ceilings_from_spec(get_device(device), "fp64", "catalog")
    assert ceil is not None and ceil.vector_peak_label is not None
    assert ceil.vector_peak_flop_per_s == get_device(device).peak("fp64")
    assert ("matrix" in ceil.vector_peak_label) is matrix, ceil.vector_peak_label
    if not matrix:
        assert "the catalog's fp64 peak" in ceil.vector_peak_label
    else:  # fr3: MI300X's said 'a matrix (Tensor Core) peak', NVIDIA's name for what AMD calls Matrix Cores
        unit = "(matrix core)" if device.startswith("mi") else "(Tensor Core)"
        assert unit in ceil.vector_peak_label, ceil.vector_peak_label
