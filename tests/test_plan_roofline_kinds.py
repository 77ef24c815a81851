"""predict.compute.roofline_s applies the GEMM efficiency curve to GEMM-like ops only: an elementwise op of a
profiled workload is bandwidth-bound (bytes / (BW x memory_eff) + launch), not timed as a tiny GEMM.

Bug fixed here: with the curve on every op, a captured tiny-GPT's elementwise ops (a few MFLOP each, far below
the 0.5 GFLOP half-size point of the curve) came out about 100x slower than their bandwidth bound."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("torch")

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import MATMUL_KINDS, Device, op_s
from accelopt.predict.training import evaluate_workload
from accelopt.workload import zoo
from accelopt.workload.capture import capture_workload


@pytest.fixture(scope="module")
def gpt_tiny():  # type: ignore[no-untyped-def]
    return capture_workload(zoo.build("gpt", "tiny"), dtype="bf16")


def _dev() -> Device:
    spec = get_device("h100-sxm")
    return Device(peak_flop_per_s=float(spec.peak("bf16") or 0), bw_byte_per_s=spec.memory_bandwidth_byte_per_s,
                  cal=calibration_for(spec))


def test_elementwise_ops_are_bandwidth_bound(gpt_tiny) -> None:  # type: ignore[no-untyped-def]
    dev = _dev()
    ew = [o for o in gpt_tiny.ops if o.kind not in MATMUL_KINDS and o.flops > 0 and o.bytes_total > 0]
    assert ew, "the captured GPT has elementwise/norm/softmax ops"
    for o in ew:
        bound = o.count * (max(o.bytes_total / (dev.bw_byte_per_s * dev.cal.memory_eff), o.flops / dev.peak_flop_per_s)
                           + dev.cal.kernel_overhead_s)
        assert op_s(o.kind, o.flops, o.bytes_total, dev, o.count) == pytest.approx(bound, rel=1e-12)


def test_gemms_keep_the_size_curve(gpt_tiny) -> None:  # type: ignore[no-untyped-def]
    dev = _dev()
    mm = [o for o in gpt_tiny.ops if o.kind == "matmul" and o.flops > 0]
    assert mm
    o = mm[0]
    t_curve = o.count * (max(o.flops / (dev.peak_flop_per_s * float(dev.cal.matmul_eff(np.asarray(o.flops)))),
                             o.bytes_total / (dev.bw_byte_per_s * dev.cal.memory_eff)) + dev.cal.kernel_overhead_s)
    assert op_s(o.kind, o.flops, o.bytes_total, dev, o.count) == pytest.approx(t_curve, rel=1e-12)


def test_workload_prediction_uses_per_kind_roofline(gpt_tiny) -> None:  # type: ignore[no-untyped-def]
    dev = _dev()
    want = sum(op_s(o.kind, o.flops, o.bytes_total, dev, o.count) for o in gpt_tiny.ops if o.phase == "forward")
    p = evaluate_workload(gpt_tiny, get_device("h100-sxm"), np.array([1]), np.array([0]))
    assert p.terms["t_fwd_s"][0] == pytest.approx(want, rel=1e-9)


def test_old_curve_on_elementwise_ops_was_far_too_slow_on_a_cpu(gpt_tiny) -> None:  # type: ignore[no-untyped-def]
    """On a CPU spec (7 TFLOP/s fp32), the GEMM curve's 0.5 GFLOP half-size point puts a ~MFLOP elementwise op at
    ~Fh / (eff_max x peak) ~ 100 us, while its bytes take a few us: the bug this fixes."""
    spec = get_device("xeon-8480plus")
    dev = Device(peak_flop_per_s=float(spec.peak("fp32") or 0), bw_byte_per_s=spec.memory_bandwidth_byte_per_s,
                 cal=calibration_for(spec))
    ew = [o for o in gpt_tiny.ops if o.kind not in MATMUL_KINDS and o.flops > 0 and o.phase == "forward"]
    on_curve = sum(o.count * max(o.flops / (dev.peak_flop_per_s * float(dev.cal.matmul_eff(np.asarray(o.flops)))),
                                 o.bytes_total / (dev.bw_byte_per_s * dev.cal.memory_eff)) for o in ew)
    fixed = sum(op_s(o.kind, o.flops, o.bytes_total, dev, o.count) - o.count * dev.cal.kernel_overhead_s for o in ew)
    assert on_curve > 10 * fixed


def test_half_size_as_a_time_keeps_small_gemms_cheap_on_a_slow_device() -> None:
    """The cpu family gives its half-size point as a time (matmul_half_s): a 64^3 GEMM on a CPU costs tens of
    microseconds (bench_cpu_gemm_curve.py measures ~0.1 ms on one loaded core), not the 0.5 GFLOP / rate of the
    GPU-fitted FLOP half-size point (milliseconds)."""
    spec = get_device("xeon-8480plus")
    cal = calibration_for(spec)
    assert cal.family == "cpu" and cal.matmul_half_s > 0
    slow = replace(spec, peak_flop_per_s={"fp32": 1e11})  # a 100 GFLOP/s CPU (a probe-like rate)
    dev = Device(peak_flop_per_s=1e11, bw_byte_per_s=slow.memory_bandwidth_byte_per_s, cal=cal)
    f = 2.0 * 64**3
    t = op_s("matmul", f, 3 * 64 * 64 * 4, dev)
    assert t < 100e-6  # tens of microseconds
    t_old = f / (1e11 * float(cal.matmul_eff(np.asarray(f))))  # the FLOP half-size point, as before
    assert t_old > 1e-3 and t_old > 50 * t
