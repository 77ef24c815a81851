"""Energy meters: a fake pynvml in sys.modules, a fake RAPL tree in tmp_path, the estimate's formula."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from accelopt.errors import InputError, MeasurementError, UnsupportedError
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.measure import energy


class _FakeNvml(types.ModuleType):
    """pynvml's module boundary: init, count, handle, the mJ counter (advanced by the test)."""

    class NVMLError(Exception):
        pass

    def __init__(self, count: int = 1, supported: bool = True) -> None:
        super().__init__("pynvml")
        self.count, self.supported, self.mj = count, supported, 1_000_000

    def nvmlInit(self) -> None:
        return None

    def nvmlDeviceGetCount(self) -> int:
        return self.count

    def nvmlDeviceGetHandleByIndex(self, i: int) -> str:
        return f"h{i}"

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> str:
        return f"u:{uuid}"

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: str) -> int:
        if not self.supported:
            raise self.NVMLError("Not Supported")
        return self.mj

    def nvmlSystemGetDriverVersion(self) -> str:
        return "580.159.04"


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch, nvml_by_environment: None) -> _FakeNvml:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    fake = _FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    return fake


def _clock(monkeypatch: pytest.MonkeyPatch, times: list[float]) -> None:
    it = iter(times)
    monkeypatch.setattr(energy.time, "perf_counter", lambda: next(it))
    monkeypatch.setattr(energy.time, "sleep", lambda s: None)


def test_nvml_reads_counter_in_millijoules(nvml: _FakeNvml, monkeypatch: pytest.MonkeyPatch) -> None:
    meter = energy.NvmlMeter(0)
    _clock(monkeypatch, [10.0, 10.5, 10.5])
    meter.start()
    nvml.mj += 150_000  # 150 J over 0.5 s
    r = meter.stop()
    assert r.energy_j == pytest.approx(150.0) and r.duration_s == pytest.approx(0.5)
    assert r.avg_power_w == pytest.approx(300.0) and meter.avg_power_w == pytest.approx(300.0)
    assert r.source == "nvml:0" and not r.is_estimate


def test_nvml_short_window_refused(nvml: _FakeNvml, monkeypatch: pytest.MonkeyPatch) -> None:
    meter = energy.NvmlMeter(0)
    _clock(monkeypatch, [0.0, 0.02])
    meter.start()
    with pytest.raises(MeasurementError, match="shorter than NVML"):
        meter.stop()


def test_nvml_short_window_extended(nvml: _FakeNvml, monkeypatch: pytest.MonkeyPatch) -> None:
    meter = energy.NvmlMeter(0, short_window="extend")
    _clock(monkeypatch, [0.0, 0.02, 0.1])
    meter.start()
    nvml.mj += 10_000
    r = meter.stop()
    assert r.duration_s == pytest.approx(0.1) and "extended" in r.note and r.energy_j == pytest.approx(10.0)


def test_nvml_bad_index_and_unsupported_counter(nvml: _FakeNvml) -> None:
    with pytest.raises(InputError, match="index 3"):
        energy.NvmlMeter(3)
    nvml.supported = False
    with pytest.raises(UnsupportedError, match="no readable energy counter"):
        energy.NvmlMeter(0)
    assert energy.nvml_status(0)[0] is False


def test_nvml_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    ok, why = energy.nvml_status(0)
    assert not ok and "pynvml is not installed" in why


def test_stop_before_start(nvml: _FakeNvml) -> None:
    with pytest.raises(MeasurementError, match="before start"):
        energy.NvmlMeter(0).stop()


def _rapl_tree(root: Path, zones: dict[str, tuple[int, int]]) -> None:
    """zones: dir name -> (energy_uj, max_energy_range_uj); adds a sub-zone that must be ignored."""
    for d, (uj, max_uj) in zones.items():
        z = root / d
        z.mkdir(parents=True)
        (z / "name").write_text(f"package-{d[-1]}\n")
        (z / "energy_uj").write_text(f"{uj}\n")
        (z / "max_energy_range_uj").write_text(f"{max_uj}\n")
        sub = root / f"{d}:0"
        sub.mkdir()
        (sub / "energy_uj").write_text("5\n")
        (sub / "max_energy_range_uj").write_text(f"{max_uj}\n")


def test_rapl_sums_packages_and_handles_wraparound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rapl_tree(tmp_path, {"intel-rapl:0": (1_000, 10_000_000), "intel-rapl:1": (9_900_000, 10_000_000)})
    meter = energy.RaplMeter(tmp_path)
    assert [z.name for z in meter.zones] == ["package-0", "package-1"]
    _clock(monkeypatch, [0.0, 2.0])
    meter.start()
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("3001000\n")  # +3 J
    (tmp_path / "intel-rapl:1" / "energy_uj").write_text("400000\n")  # wrapped: +100000 + 400000 = 0.5 J
    r = meter.stop()
    assert r.energy_j == pytest.approx(3.5) and r.avg_power_w == pytest.approx(1.75)
    assert r.source == "rapl:package-0+package-1"


def test_rapl_delta_wraparound_formula() -> None:
    assert energy.rapl_delta_uj(10, 30, 100) == 20
    assert energy.rapl_delta_uj(90, 5, 100) == 15


def test_rapl_missing_root_and_no_zones(tmp_path: Path) -> None:
    ok, why = energy.rapl_status(tmp_path / "absent")
    assert not ok and "does not exist" in why
    (tmp_path / "other").mkdir()
    with pytest.raises(UnsupportedError, match="no intel-rapl"):
        energy.RaplMeter(tmp_path)


def test_rapl_root_only_counter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rapl_tree(tmp_path, {"intel-rapl:0": (1, 100)})
    real = Path.read_text

    def deny(self: Path, *a: Any, **k: Any) -> str:
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied")
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "read_text", deny)
    with pytest.raises(UnsupportedError, match="root only"):
        energy.RaplMeter(tmp_path)


def _spec(**kw: Any) -> AcceleratorSpec:
    base = dict(name="t-gpu", display_name="t", kind="gpu", vendor="x", peak_flop_per_s={"bf16": 1e15},
                memory_bytes=1e9, memory_bandwidth_byte_per_s=1e12, tdp_w=700.0, idle_w=100.0)
    base.update(kw)
    return AcceleratorSpec(**base)  # type: ignore[arg-type]


def test_estimate_linear_power_model(monkeypatch: pytest.MonkeyPatch) -> None:
    meter = energy.EstimateMeter(_spec(), utilization=0.5)
    _clock(monkeypatch, [0.0, 2.0])
    meter.start()
    r = meter.stop()
    # 100 + (700 - 100) * 0.5 = 400 W for 2 s
    assert r.energy_j == pytest.approx(800.0) and r.is_estimate and "estimate" in r.note
    assert r.source == "estimate:t-gpu"


def test_estimate_without_idle_uses_the_cost_model() -> None:
    # One power model for the project: the meter must agree with predict.cost.device_power_w, whose idle
    # without a spec idle_w is IDLE_FRACTION_OF_TDP x TDP (0.1 x 700 = 70 W; 70 + 630 x 0.2 = 196 W).
    from accelopt.predict.cost import IDLE_FRACTION_OF_TDP, device_power_w

    spec = _spec(idle_w=None)
    watts, note = energy.EstimateMeter(spec, utilization=0.2).power_w(0.2)
    assert watts == pytest.approx(device_power_w(spec, 0.2))
    assert watts == pytest.approx(IDLE_FRACTION_OF_TDP * 700 + (700 - IDLE_FRACTION_OF_TDP * 700) * 0.2)
    assert "estimate" in note and "no idle_w" in note
    for u in (0.0, 0.5, 1.0):
        assert energy.EstimateMeter(_spec()).power_w(u)[0] == pytest.approx(device_power_w(_spec(), u))


def test_estimate_rejects_bad_inputs() -> None:
    with pytest.raises(UnsupportedError, match="tdp_w"):
        energy.EstimateMeter(_spec(tdp_w=None, idle_w=None))
    with pytest.raises(InputError, match="utilization"):
        energy.EstimateMeter(_spec(), utilization=1.5)


def test_best_meter_order(nvml: _FakeNvml, tmp_path: Path) -> None:
    h100 = get_device("h100-sxm")
    assert isinstance(energy.best_meter("cuda:0", h100), energy.NvmlMeter)
    nvml.supported = False
    assert isinstance(energy.best_meter("cuda:0", h100), energy.EstimateMeter)
    _rapl_tree(tmp_path, {"intel-rapl:0": (1, 100)})
    assert isinstance(energy.best_meter("cpu", None, rapl_root=tmp_path), energy.RaplMeter)
    with pytest.raises(UnsupportedError, match="no energy meter"):
        energy.best_meter("cpu", None, rapl_root=tmp_path / "absent")
    with pytest.raises(InputError, match="CUDA device string"):
        energy._gpu_index("cuda:x")


def test_available_meters_lists_each_backend(nvml: _FakeNvml, tmp_path: Path) -> None:
    rows = {name: (ok, why) for name, ok, why in energy.available_meters(rapl_root=tmp_path / "absent")}
    assert rows["nvml"][0] is True and rows["rapl"][0] is False and rows["estimate"][0] is True


def test_nvml_follows_cuda_visible_devices(nvml: _FakeNvml, monkeypatch: pytest.MonkeyPatch) -> None:
    nvml.count = 4
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert energy.NvmlMeter(1)._handle == "h3"  # cuda:1 is NVML device 3
    with pytest.raises(InputError, match="CUDA_VISIBLE_DEVICES"):
        energy.NvmlMeter(2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-abc")
    assert energy.NvmlMeter(0)._handle == "u:GPU-abc"


@pytest.mark.gpu
def test_real_nvml_meter_reads_a_busy_window() -> None:
    import torch

    pytest.importorskip("pynvml")
    meter = energy.best_meter("cuda:0", None)
    assert isinstance(meter, energy.NvmlMeter)
    a = torch.randn(8192, 8192, device="cuda:0", dtype=torch.bfloat16)
    torch.cuda.synchronize()
    meter.start()
    for _ in range(200):
        a @ a
    torch.cuda.synchronize()
    r = meter.stop()
    # a busy data-center GPU draws tens to hundreds of watts; 2 kW would be a unit slip (mJ vs J)
    assert r.duration_s >= energy.NVML_MIN_WINDOW_S and 10.0 < r.avg_power_w < 2000.0


def test_cpu_estimate_charges_the_cores_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: a process on 2 cores of a 56-core Xeon was charged the whole socket's 350 W (28x too high)."""
    import os
    import time

    import torch

    from accelopt.hardware.catalog import get_device

    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    spec = get_device("xeon-8480+")
    meter = energy.cpu_estimate_meter(spec)
    meter.start()
    end = time.perf_counter() + 0.2
    while time.perf_counter() < end:  # one busy thread of the two: utilization about 0.5
        pass
    reading = meter.stop()
    watts = reading.energy_j / reading.duration_s
    assert watts <= 350 * 2 / 56 + 1e-9  # never more than the share of the socket's TDP
    assert watts >= 0.1 * 350 * 2 / 56  # at least the share of the idle draw (10% of TDP, stated assumption)
    assert "2 of 56 cores" in reading.note and reading.is_estimate


def test_process_cpu_utilization_is_measured() -> None:
    import time

    u = energy.ProcessCpuUtilization(cores_used=1)
    u.start()
    time.sleep(0.2)  # idle: far below 1
    assert u() < 0.5


class _UuidNvml(_FakeNvml):
    """NVML of two cards looked up by whole UUIDs only, as the real one is (NVMLError_NotFound for a prefix)."""

    UUIDS = ("GPU-8d1f0000-aaaa", "GPU-3c7e0000-bbbb")

    def nvmlDeviceGetHandleByUUID(self, uuid: str) -> str:
        if uuid not in self.UUIDS:
            raise self.NVMLError("Not Found")
        return f"h{self.UUIDS.index(uuid)}"

    def nvmlDeviceGetUUID(self, handle: str) -> str:
        return self.UUIDS[int(handle[1:])]


def test_a_uuid_prefix_in_cuda_visible_devices_names_its_gpu(monkeypatch: pytest.MonkeyPatch,
                                                              nvml_by_environment: None) -> None:
    """CUDA takes a UUID's unique prefix in CUDA_VISIBLE_DEVICES; NVML's lookup raised NVMLError_NotFound for it,
    out of the energy meter (and `accelopt env`, which catches only accelopt's errors)."""
    fake = _UuidNvml(count=2)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-3c7e")
    assert energy.NvmlMeter(0)._handle == "h1"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-")  # both cards' UUIDs start so: which is meant is not said
    with pytest.raises(InputError, match=r"'GPU-' starts 2 GPUs' UUIDs.*GPU-8d1f0000-aaaa") as e:
        energy.NvmlMeter(0)
    assert "nvidia-smi -L" in e.value.fix
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-ffff")
    ok, why = energy.nvml_status(0)
    assert not ok and "names none of NVML's 2 GPU(s)" in why


def test_torch_cuda_uuid_names_the_nvml_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """CUDA numbers GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID: on a machine of mixed cards torch's cuda:0
    may be NVML's GPU 1 with no CUDA_VISIBLE_DEVICES at all; torch's own UUID of the device names it. The meter read
    NVML's GPU 0 there (another card)."""
    import torch

    fake = _UuidNvml(count=2)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    props = [type("P", (), {"uuid": u.removeprefix("GPU-")})() for u in reversed(_UuidNvml.UUIDS)]  # fastest first
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props[i])
    assert energy.NvmlMeter(0)._handle == "h1" and energy.NvmlMeter(1)._handle == "h0"
