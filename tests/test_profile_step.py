"""profile_step end to end on small local models, with the energy meter and CUDA parts faked."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

from accelopt.errors import InputError, MeasurementError, UnsupportedError
from accelopt.hardware.catalog import get_device
from accelopt.measure.profiler import StepRunner, check_args, mfu, peak_dtype_for, profile_step
from accelopt.measure.roofline import Ceilings
from accelopt.workload.types import Op, Workload
from accelopt.workload.userfile import ModelBundle

ROOFS = Ceilings(peak_flop_per_s=1e10, memory_bandwidth_byte_per_s=1e10, dtype="fp32", source="test",
                 is_measured=False)  # given, so tests skip the in-process roof measurement


def _bundle(batches: int = 3) -> ModelBundle:
    def gen() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(0)
        for _ in range(batches):
            yield torch.randn(4, 16, generator=g), torch.randint(0, 3, (4,), generator=g)

    return ModelBundle(name="local-mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 3)),
                       batches=gen, loss_fn=nn.functional.cross_entropy, batch_size=4)


def _workload() -> Workload:
    return Workload(name="w", ops=[Op(name="aten.addmm.default", kind="matmul", flops=8e3, bytes_read=4e3,
                                      bytes_written=1e3)])


@dataclass
class _Reading:
    energy_j: float
    duration_s: float
    source: str
    is_estimate: bool


class _FakeMeter:
    def __init__(self) -> None:
        self.t0 = 0.0

    def start(self) -> None:
        import time

        self.t0 = time.perf_counter()

    def stop(self) -> _Reading:
        import time

        return _Reading(energy_j=6.0, duration_s=time.perf_counter() - self.t0, source="nvml-energy-counter",
                        is_estimate=False)


@pytest.fixture
def fake_energy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    mod = types.ModuleType("accelopt.measure.energy")

    def best_meter(device: str, spec: Any) -> _FakeMeter:
        seen.append((device, spec))
        return _FakeMeter()

    mod.best_meter = best_meter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "accelopt.measure.energy", mod)
    return seen


def test_train_step_result(fake_energy: list[Any]) -> None:
    spec = get_device("h100-sxm")
    w = _workload()
    r = profile_step(_bundle(), mode="train", steps=4, warmup=1, spec=spec, workload=w, ceilings=ROOFS,
                     breakdown_steps=3, profiler_steps=2)
    assert r.step_time.n == 4 and r.step_time.p10 <= r.step_time.median <= r.step_time.p90
    assert set(r.breakdown) == {"data_wait", "h2d_copy", "forward", "backward", "optimizer"}
    assert all(s.n == 3 for s in r.breakdown.values())
    assert r.flops_per_step == 8e3 and r.achieved_flop_per_s == pytest.approx(8e3 / r.step_time.median)
    # catalog MFU against the fp32 peak (67 TFLOP/s, H100 datasheet); no probed spec -> None
    assert r.peak_dtype == "fp32" and r.catalog_peak_flop_per_s == 67e12
    assert r.mfu_catalog == pytest.approx(r.achieved_flop_per_s / 67e12)
    assert r.mfu_probed is None
    params = (16 * 32 + 32 + 32 * 3 + 3) * 4
    assert r.memory.parameters_bytes == params and r.memory.gradients_bytes == params
    assert r.memory.optimizer_state_bytes == 2 * params + 4 * 4  # AdamW moments + 4 step counters
    # saved for backward, fp32, batch 4: Linear(16,32)'s input 4x16, ReLU's output 4x32 (Linear(32,3) saves the
    # same storage: counted once), log-softmax output 4x3, plus the int64 targets and a scalar or two;
    # weights (2,048 + 384 B) are parameters, not activations
    floor = (4 * 16 + 4 * 32 + 4 * 3) * 4
    assert r.memory.activations_bytes is not None
    assert floor <= r.memory.activations_bytes <= floor + 4 * 8 + 16
    # energy: the fake counter reads 6 J over n steps filling >= 100 ms
    e = r.energy
    assert fake_energy == [("cpu", None)]  # an H100's TDP says nothing about this CPU: no estimate from it
    assert e.steps_in_window >= 1 and e.energy_per_step_j == pytest.approx(6.0 / e.steps_in_window)
    assert e.energy_per_step_j is not None and e.energy_per_sample_j == pytest.approx(e.energy_per_step_j / 4)
    assert e.window_s is not None and e.window_s >= 0.1  # steps run until the measured elapsed time fills it
    assert not e.is_estimate and e.source == "nvml-energy-counter"
    ops = {row.op for row in r.roofline}
    assert "aten::addmm" in ops
    from accelopt.report.schema import dump, load

    d = dump("profile", r)  # the JSON document, and the typed result read back from it
    assert d["mfu_catalog"] == r.mfu_catalog and d["ceilings"]["source"] == "test"
    back = load("profile", json.loads(json.dumps(d)))
    assert back.mfu_catalog == r.mfu_catalog and [x.op for x in back.roofline] == [x.op for x in r.roofline]


def test_inference_step_has_forward_only(fake_energy: list[Any]) -> None:
    r = profile_step(_bundle(), mode="inference", steps=3, warmup=0, workload=_workload(), ceilings=ROOFS,
                     breakdown_steps=3, profiler_steps=2)
    assert set(r.breakdown) == {"data_wait", "h2d_copy", "forward"}
    assert r.memory.gradients_bytes == 0 and r.memory.optimizer_state_bytes == 0
    assert r.mfu_catalog is None and r.catalog_name is None


def test_energy_meter_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("accelopt.measure.energy")

    def best_meter(device: str, spec: Any) -> Any:
        raise MeasurementError("no energy meter readable", "run as root")

    mod.best_meter = best_meter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "accelopt.measure.energy", mod)
    r = profile_step(_bundle(), mode="inference", steps=3, warmup=0, workload=_workload(), ceilings=ROOFS,
                     breakdown_steps=3, profiler_steps=2)
    assert r.energy.energy_per_step_j is None and r.energy.note == "no energy meter readable"


def test_batch_stream_restarts_when_exhausted() -> None:
    runner = StepRunner(_bundle(batches=1), mode="train", dtype="fp32", device="cpu")
    for _ in range(3):
        runner.step()  # one batch per epoch: the stream is re-created each step


def test_empty_batch_stream_is_an_input_error() -> None:
    runner = StepRunner(_bundle(batches=0), mode="train", dtype="fp32", device="cpu")
    with pytest.raises(InputError, match="yielded nothing"):
        runner.step()


def test_bf16_with_fp32_weights_runs_under_autocast() -> None:
    runner = StepRunner(_bundle(), mode="inference", dtype="bf16", device="cpu")
    assert runner.autocast_dtype is torch.bfloat16
    out = runner.forward(*runner.next_batch())
    assert out.dtype == torch.bfloat16  # matmuls ran in bf16 ...
    assert next(runner.model.parameters()).dtype == torch.float32  # ... with fp32 weights kept
    bf16_weights = _bundle()
    bf16_weights.model = bf16_weights.model.to(torch.bfloat16)
    assert StepRunner(bf16_weights, mode="train", dtype="bf16", device="cpu").autocast_dtype is None


def test_a_model_already_in_bf16_is_profiled_as_bf16(fake_energy: list[Any]) -> None:
    """A model whose weights are bf16, profiled at the default --dtype fp32: the step ran in bf16 (weights as they
    are), but the result said fp32 and took MFU against the fp32 peak (xeon-8480plus: 7.168 TFLOP/s fp32 vs
    114.688 TFLOP/s bf16 AMX, the catalog's figures), 16x too high."""
    b = _bundle()
    b.model = b.model.to(torch.bfloat16)
    rows = list(b.batches())
    b.batches = lambda: iter([(x.to(torch.bfloat16), y) for x, y in rows])
    spec = get_device("xeon-8480plus")
    r = profile_step(b, mode="inference", steps=3, warmup=0, spec=spec, workload=_workload(), ceilings=ROOFS,
                     breakdown_steps=3, profiler_steps=2)
    assert r.dtype == "bf16" and r.peak_dtype == "bf16"
    assert r.catalog_peak_flop_per_s == spec.peak("bf16") and spec.peak("bf16") > spec.peak("fp32")
    assert r.mfu_catalog == pytest.approx(r.achieved_flop_per_s / spec.peak("bf16"))


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_a_bf16_models_step_is_captured_as_it_runs(dtype: str) -> None:
    """StepRunner runs bf16 weights as they are (no autocast), but the capture ran them under bf16 autocast (asked
    --dtype bf16, or the bf16 the step runs in), which upcasts log-softmax to fp32 and adds casts: ops the measured
    step never ran. Now captured without autocast: every op of the forward, loss and backward in bf16."""
    from accelopt.measure.profiler import capture_for_profile

    b = _bundle()
    b.model = b.model.to(torch.bfloat16)
    rows = list(b.batches())
    b.batches = lambda: iter([(x.to(torch.bfloat16), y) for x, y in rows])
    w = capture_for_profile(b, "train", dtype, "cpu")
    names = {o.name for o in w.ops}
    assert "aten._to_copy" not in names, names
    soft = [o for o in w.ops if "log_softmax" in o.name]
    assert soft and all(o.dtype == "bf16" for o in soft), [(o.name, o.dtype) for o in soft]
    assert w.meta["dtype"] == "bf16"  # what plan --model times the saved workload at (it said fp32)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"mode": "eval"}, "mode"), ({"dtype": "int8"}, "dtype"), ({"steps": 2}, "steps"), ({"warmup": -1}, "warmup"),
    ({"device": "tpu"}, "device"),
])
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"mode": "train", "dtype": "fp32", "device": "cpu", "steps": 5, "warmup": 1} | kwargs
    with pytest.raises(InputError, match=match):
        check_args(**args)


def test_cuda_without_a_gpu_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UnsupportedError, match="cuda:0"):
        check_args(mode="train", dtype="fp32", device="cuda:0", steps=5, warmup=1)


def test_cuda_fp32_peak_is_tf32_when_torch_allows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.backends.cuda, "matmul", types.SimpleNamespace(allow_tf32=True))
    assert peak_dtype_for("fp32", "cuda:0") == "tf32"
    monkeypatch.setattr(torch.backends.cuda, "matmul", types.SimpleNamespace(allow_tf32=False))
    assert peak_dtype_for("fp32", "cuda:0") == "fp32"
    assert peak_dtype_for("bf16", "cuda:0") == "bf16" and peak_dtype_for("fp32", "cpu") == "fp32"


def test_cuda_runner_synchronizes_at_each_phase() -> None:
    """The phase timer calls the device's synchronize at every boundary (faked here, counted)."""
    syncs: list[int] = []
    runner = StepRunner(_bundle(), mode="train", dtype="fp32", device="cpu")
    runner.sync = lambda: syncs.append(1)
    runner.step_phased()
    assert len(syncs) == 6  # before the step + after data, copy, forward, backward, optimizer


def test_mfu_is_none_where_the_peak_does_not_apply() -> None:
    assert mfu(1e12, 1.0, None) is None
    assert mfu(1e12, 1.0, 2e12) == 0.5


@pytest.mark.gpu
def test_real_cuda_step() -> None:
    r = profile_step(_bundle(), mode="train", device="cuda:0", steps=5, warmup=2, spec=None, workload=_workload(),
                     breakdown_steps=3, profiler_steps=2)
    assert r.memory.peak_kind == "cuda-allocator" and r.memory.peak_bytes and r.memory.peak_bytes > 0
    assert r.op_time_kind == "self_device_time" and r.step_time.median > 0
