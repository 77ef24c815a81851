"""The numbers `accelopt profile` shows: the measured overhead-bound rule, per-class compute roofs,
lifted quick roofs, MFU n/a where a peak does not apply, and a complete --json document."""

from __future__ import annotations

import pytest
import torch
from rich.console import Console

from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.measure.diagnose import diagnose
from accelopt.measure.profiler import profile_step
from accelopt.measure.roofline import (
    Ceilings,
    OpTimes,
    ceilings_from_spec,
    classify,
    lift_ceilings,
    measure_call_overhead,
    profile_op_times,
    roofline_rows,
)
from accelopt.report.profile_view import render
from accelopt.workload import zoo
from accelopt.workload.types import Op, Workload

ROOFS = Ceilings(peak_flop_per_s=1e12, memory_bandwidth_byte_per_s=1e11, dtype="bf16", source="test",
                 is_measured=False, vector_peak_flop_per_s=1e10)  # matrix ridge 10 FLOP/B, vector ridge 0.1


def _spec(name: str, peaks: dict[str, float]) -> AcceleratorSpec:
    return AcceleratorSpec(name=name, display_name=name, kind="cpu", vendor="test", peak_flop_per_s=peaks,
                           memory_bytes=1e9, memory_bandwidth_byte_per_s=1e10)


def test_call_overhead_is_measured_in_process() -> None:
    c0 = measure_call_overhead("cpu", lambda: None)
    assert c0 is not None and 0 < c0 < 1e-3  # a trivial add: microseconds, not a made-up constant


def test_profile_op_times_records_the_call_overhead() -> None:
    x = torch.randn(16, 16)
    t = profile_op_times(lambda: (x @ x).sum().item() and None, lambda: None, 2, "cpu", known={"aten::mm"})
    assert t.call_overhead_s is not None and 0 < t.call_overhead_s < 1e-3
    # one matmul per step over the 2 recorded steps: the profiler's warm-up step is not counted
    assert t.steps == 2 and t.calls["aten::mm"] == 2 and t.calls["aten::sum"] == 2
    # an op's self time is part of the recorded wall time, never more
    assert 0 < t.self_time_s["aten::mm"] <= t.wall_s


def test_overhead_bound_follows_the_measured_per_call_cost() -> None:
    def add_100_calls(c0: float) -> str:
        # 100 calls of an add, 10 FLOP and 1 kB of traffic each (0.01 FLOP/B; roof 10 ns), 3 µs per call
        return classify(flops=1e3, bytes_=1e5, time_s=3e-4, calls=100, ceilings=ROOFS, kinds=("elementwise",),
                        call_overhead_s=c0)[0]

    assert add_100_calls(2e-6) == "overhead-bound"  # 2 of 3 µs per call are fixed cost
    assert add_100_calls(1e-6) == "memory-bound"  # 1 of 3 µs: the op itself is slow
    # a call cost as large as the op's time does not make an op at its roof overhead-bound
    assert classify(flops=1e4, bytes_=1e6, time_s=1.2e-5, calls=1, ceilings=ROOFS,
                    call_overhead_s=1e-5)[0] == "memory-bound"


def test_rows_use_the_measured_overhead() -> None:
    w = Workload(name="w", ops=[Op(name="aten.add.Tensor", kind="elementwise", flops=100.0, bytes_read=800.0,
                                   bytes_written=400.0)] * 50)
    times = OpTimes(self_time_s={"aten::add": 2 * 50 * 3e-6}, calls={"aten::add": 100}, steps=2,
                    time_kind="self_cpu_time", wall_s=1e-3, call_overhead_s=2.5e-6)
    (row,) = roofline_rows(w, times, ROOFS)
    assert row.verdict == "overhead-bound" and row.calls_per_step == 50


def test_non_matmul_ops_use_the_vector_roof() -> None:
    # intensity 0.5 FLOP/B: above the vector ridge (0.1) but below the matrix one (10)
    for kind, verdict, t_roof in (("elementwise", "compute-bound", 5e-4), ("matmul", "memory-bound", 1e-4)):
        assert classify(flops=5e6, bytes_=1e7, time_s=1e-3, calls=1, ceilings=ROOFS,
                        kinds=(kind,)) == (verdict, pytest.approx(t_roof))
    # H100 SXM datasheet (2023): bf16 989.5 TFLOP/s dense on tensor cores, fp32 67 TFLOP/s on CUDA cores
    c = ceilings_from_spec(get_device("h100-sxm"), "bf16", "catalog h100-sxm")
    assert c is not None and c.peak_for(("matmul",)) == pytest.approx(989.5e12)
    assert c.peak_for(("elementwise",)) == pytest.approx(get_device("h100-sxm").peak("fp32"))


def test_quick_roofs_are_lifted_to_what_ops_attain_and_spec_roofs_are_not() -> None:
    w = Workload(name="w", ops=[Op(name="aten.mm.default", kind="matmul", flops=4e9, bytes_read=1e6,
                                   bytes_written=1e6)])
    times = OpTimes(self_time_s={"aten::mm": 2e-3}, calls={"aten::mm": 1}, steps=1, time_kind="self_cpu_time",
                    wall_s=2e-3)
    quick = Ceilings(peak_flop_per_s=1e12, memory_bandwidth_byte_per_s=1e11, dtype="fp32",
                     source="quick", is_measured=True, lower_bound=True)
    lifted = lift_ceilings(w, times, quick)
    assert lifted.peak_flop_per_s == pytest.approx(2e12) and "raised" in lifted.source
    (row,) = roofline_rows(w, times, lifted)
    assert row.efficiency == pytest.approx(1.0)  # never above 100% of a roof
    spec_roofs = Ceilings(peak_flop_per_s=1e12, memory_bandwidth_byte_per_s=1e11, dtype="fp32", source="catalog",
                          is_measured=False)
    assert lift_ceilings(w, times, spec_roofs) is spec_roofs


def _profile(dtype: str, spec: AcceleratorSpec | None, probed: AcceleratorSpec | None) -> object:
    r = profile_step(zoo.build("mlp", "tiny"), dtype=dtype, steps=3, warmup=0, spec=spec, probed_spec=probed,
                     breakdown_steps=3, profiler_steps=2, ceilings=ROOFS)
    diagnose(r, spec=spec, probed_spec=probed)
    return r


def test_mfu_is_na_where_the_peak_does_not_apply_and_json_is_complete() -> None:
    # bf16 autocast: the catalog defines bf16, the probe measured only fp32 -> probed MFU not applicable
    r = _profile("bf16", _spec("cat", {"bf16": 1e12, "fp32": 1e11}), _spec("probe.toml", {"fp32": 1e11}))
    assert r.mfu_catalog is not None and r.mfu_probed is None  # type: ignore[attr-defined]
    from accelopt.report.schema import dump

    d = dump("profile", r)
    for key in ("step_time", "breakdown", "flops_per_step", "matmul_flops_per_step", "achieved_flop_per_s",
                "mfu_catalog", "memory", "energy", "roofline", "diagnosis"):
        assert d[key] is not None, key
    assert {"median", "p10", "p90"} <= set(d["step_time"])
    assert {"parameters_bytes", "gradients_bytes", "optimizer_state_bytes", "activations_bytes"} <= set(d["memory"])
    assert {"source", "is_estimate"} <= set(d["energy"])
    assert d["roofline"] and d["call_overhead_s"] is not None
    # MFU recomputed from the document's own figures: flops / median step time / the catalog's bf16 peak
    assert d["achieved_flop_per_s"] == pytest.approx(d["flops_per_step"] / d["step_time"]["median"])
    assert d["peak_dtype"] == "bf16" and d["catalog_name"] == "cat" and d["catalog_peak_flop_per_s"] == 1e12
    assert d["mfu_catalog"] == pytest.approx(d["achieved_flop_per_s"] / 1e12)
    assert d["probed_peak_flop_per_s"] is None and d["mfu_probed"] is None
    assert d["diagnosis"]["verdict"] and "recommendations" in d["diagnosis"]
    # fp32 step against a catalog without an fp32 peak: n/a, and the table says why
    r32 = _profile("fp32", _spec("bf16-only", {"bf16": 1e12}), None)
    assert r32.mfu_catalog is None  # type: ignore[attr-defined]
    console = Console(width=120, record=True)
    render(r32, console)
    assert "no fp32 peak for bf16-only" in console.export_text()


def test_energy_estimate_only_from_a_spec_of_the_same_kind() -> None:
    from accelopt.measure.profiler import _same_kind

    h100, cpu = get_device("h100-sxm"), _spec("my-cpu", {"fp32": 1e11})
    assert _same_kind(h100, "cpu") is None and _same_kind(h100, "cuda:0") is h100
    assert _same_kind(cpu, "cpu") is cpu and _same_kind(cpu, "cuda") is None


def test_children_dispatches_count_toward_the_fixed_cost() -> None:
    from dataclasses import dataclass
    from typing import Any

    from accelopt.measure.roofline import _attribute

    @dataclass
    class Ev:
        name: str
        self_cpu_time_total: float
        cpu_parent: Any = None
        self_device_time_total: float = 0.0
        device_type: str = "DeviceType.CPU"

    to_copy = Ev("aten::_to_copy", 1.0)
    events = [to_copy, Ev("aten::empty_strided", 1.0, to_copy), Ev("aten::copy_", 1.0, to_copy)]
    dispatches: dict[str, int] = {}
    times, calls = _attribute(events, {"aten::_to_copy"}, on_gpu=False, dispatches=dispatches)
    assert calls == {"aten::_to_copy": 1} and dispatches == {"aten::_to_copy": 3}
    # one call of 3 µs made of 3 dispatches at 1 µs each: all fixed cost
    w = Workload(name="w", ops=[Op(name="aten._to_copy.default", kind="elementwise", flops=0.0, bytes_read=8.0,
                                   bytes_written=8.0)])
    ot = OpTimes(self_time_s=times, calls=calls, steps=1, time_kind="self_cpu_time", wall_s=1e-5,
                 call_overhead_s=1e-6, dispatches=dispatches)
    (row,) = roofline_rows(w, ot, ROOFS)
    assert row.verdict == "overhead-bound" and row.dispatches_per_step == 3


def test_fp16_autocast_on_a_cpu_is_said_to_be_emulated() -> None:
    """small (2026-12-04): `profile --dtype fp16 --device cpu` measured PyTorch's emulated CPU float16 kernels
    without a word, while optimize's fp16 technique refuses a CPU for that reason (optimize/precision.py); a
    user's factory model (no 'weights_dtype' in its meta) is told so too."""
    from accelopt.workload.userfile import ModelBundle

    r = _profile("fp16", None, None)
    notes = r.diagnosis.notes  # type: ignore[attr-defined]
    assert any("--dtype fp16 on a CPU" in n and "emulated" in n and "--dtype fp32" in n for n in notes), notes
    r = _profile("bf16", None, None)
    assert not any("emulated" in n for n in r.diagnosis.notes)  # type: ignore[attr-defined]
    b = zoo.build("mlp", "tiny")
    user = ModelBundle(name="mine", model=b.model, batches=b.batches, loss_fn=b.loss_fn, batch_size=b.batch_size)
    r = profile_step(user, dtype="fp16", steps=3, warmup=0, breakdown_steps=3, profiler_steps=2, ceilings=ROOFS)
    assert r.meta["weights_dtype"] == "fp32"
    diagnose(r)
    assert any("emulated" in n for n in r.diagnosis.notes)  # type: ignore[union-attr]
    half = ModelBundle(name="half", model=b.model.half(), batches=lambda: ((x.half(), y) for x, y in b.batches()),
                       loss_fn=b.loss_fn, batch_size=b.batch_size)
    r = profile_step(half, mode="inference", dtype="fp32", steps=3, warmup=0, breakdown_steps=3, profiler_steps=2,
                     ceilings=ROOFS)
    assert r.meta["weights_dtype"] == "fp16"
    diagnose(r)
    assert any("weights are fp16" in n and "emulated" in n for n in r.diagnosis.notes)  # type: ignore[union-attr]
