"""Energy meters: one backend per class behind `EnergyMeter`, and `best_meter` choosing among them.

Order of preference (the Zeus habit: probe backends in a fixed order, map vendor errors to ours):
1. `NvmlMeter`  — NVIDIA's cumulative energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ,
   Volta and newer). pynvml is imported lazily.
2. `RaplMeter`  — Linux powercap RAPL package counters (/sys/class/powercap/intel-rapl:N/energy_uj,
   µJ; AMD CPUs expose the same interface), for the CPU.
3. `EstimateMeter` — no counter: power = idle + (TDP - idle) x utilization from a catalog spec.
   Its readings carry is_estimate = True and state their assumptions.
"""

from __future__ import annotations

import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from accelopt.errors import InputError, MeasurementError, UnsupportedError
from accelopt.hardware.spec import AcceleratorSpec

NVML_MIN_WINDOW_S = 0.1
"""NVML's energy counter is refreshed every few tens of ms; Zeus warns that a window shorter than
~100 ms can read zero or be dominated by the update granularity (Zeus docs, 'Measuring energy')."""

RAPL_ROOT = Path("/sys/class/powercap")


@dataclass(frozen=True, kw_only=True)
class EnergyReading:
    """Energy over one start()..stop() window."""

    energy_j: float
    duration_s: float
    source: str
    """Which meter: 'nvml:0', 'rapl:package-0+package-1', 'estimate:h100-sxm'."""
    is_estimate: bool
    note: str = ""
    """Assumptions (estimates) or caveats (e.g. a window extended to the counter's minimum)."""

    @property
    def avg_power_w(self) -> float:
        return self.energy_j / self.duration_s if self.duration_s > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {"energy_j": self.energy_j, "duration_s": self.duration_s, "avg_power_w": self.avg_power_w,
                "source": self.source, "is_estimate": self.is_estimate, "note": self.note}


class EnergyMeter(ABC):
    """start() opens a window, stop() closes it and returns its EnergyReading."""

    name: str = ""
    is_estimate: bool = False

    def __init__(self) -> None:
        self._t0: float | None = None
        self.last: EnergyReading | None = None

    def start(self) -> None:
        self._start_counter()
        self._t0 = time.perf_counter()

    def stop(self) -> EnergyReading:
        if self._t0 is None:
            raise MeasurementError(f"{type(self).__name__}.stop() called before start()", "call start() first")
        reading = self._stop_counter(self._t0)
        self._t0 = None
        self.last = reading
        return reading

    @property
    def avg_power_w(self) -> float:
        """Average power over the last completed window (NaN before any window)."""
        return self.last.avg_power_w if self.last else float("nan")

    @abstractmethod
    def _start_counter(self) -> None: ...

    @abstractmethod
    def _stop_counter(self, t0: float) -> EnergyReading: ...


# --- NVML ------------------------------------------------------------------------------------------

def _import_pynvml() -> Any:
    try:
        import pynvml
    except ImportError:
        raise UnsupportedError("pynvml is not installed", "pip install nvidia-ml-py (or accelopt[nvidia])") from None
    return pynvml


def nvml_status(index: int = 0) -> tuple[bool, str]:
    """(readable, why) for NVML's energy counter of GPU `index`."""
    try:
        NvmlMeter(index)
    except (UnsupportedError, InputError) as e:
        return False, e.problem
    return True, f"nvmlDeviceGetTotalEnergyConsumption on GPU {index}"


def nvml_handle_for_cuda(nvml: Any, cuda_index: int, count: int) -> Any:
    """NVML handle of CUDA device `cuda_index` (NVML initialized, `count` = nvmlDeviceGetCount()). Used by the energy
    meter and by the power-limit technique, which must cap the GPU it measures.

    Where torch sees CUDA, the device's own UUID (torch.cuda.get_device_properties(i).uuid) names the NVML device:
    CUDA numbers GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, NVML as the driver does, so on a machine of
    mixed cards cuda:0 need not be NVML's GPU 0 even without CUDA_VISIBLE_DEVICES
    (https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#env-vars; gpuopenanalytics/pynvml issue #28).
    Else an entry of CUDA_VISIBLE_DEVICES (an index, a GPU or MIG UUID, or a UUID's unique prefix, as CUDA takes it)
    names the NVML device (Zeus and torch.cuda._get_nvml_device_index do the same)."""
    uuid = _torch_cuda_uuid(cuda_index)
    if uuid is not None:
        try:
            return nvml.nvmlDeviceGetHandleByUUID(uuid)
        except nvml.NVMLError:
            pass  # a driver that cannot look it up: the mapping below
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    if visible:
        if not 0 <= cuda_index < len(visible):
            raise InputError(f"GPU index {cuda_index} is not among CUDA_VISIBLE_DEVICES={','.join(visible)}",
                             f"use an index from 0 to {len(visible) - 1}")
        entry = visible[cuda_index]
        if not entry.isdigit():
            return _handle_by_uuid(nvml, entry, count)
        cuda_index = int(entry)
    if not 0 <= cuda_index < count:
        raise InputError(f"GPU index {cuda_index} is out of range: NVML sees {count} GPU(s)",
                         f"use an index from 0 to {count - 1}" if count else "run on a machine with a GPU")
    return nvml.nvmlDeviceGetHandleByIndex(cuda_index)


def _torch_cuda_uuid(cuda_index: int) -> str | None:
    """NVML's name ('GPU-<uuid>') of torch's cuda:`cuda_index`, or None where torch is not loaded, sees no CUDA GPU
    or has no such device (torch's _CUuuid prints the UUID without NVML's 'GPU-')."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if not torch.cuda.is_available() or not 0 <= cuda_index < torch.cuda.device_count():
            return None
        text = str(torch.cuda.get_device_properties(cuda_index).uuid)
    except Exception:  # an old torch without .uuid, a ROCm build, a driver error: the mapping from the environment
        return None
    return text if text.startswith(("GPU-", "MIG-")) else f"GPU-{text}"


def _handle_by_uuid(nvml: Any, entry: str, count: int) -> Any:
    """The handle of the GPU a CUDA_VISIBLE_DEVICES entry names by UUID: in full, or by a prefix that one GPU's UUID
    starts with (CUDA takes 'GPU-8d1f'; NVML's lookup takes only the whole UUID and raised its NVMLError_NotFound
    out of `accelopt env` and profile's meter)."""
    try:
        return nvml.nvmlDeviceGetHandleByUUID(entry)
    except nvml.NVMLError:
        pass
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    uuids = [str(u.decode() if isinstance(u, bytes) else u) for u in map(nvml.nvmlDeviceGetUUID, handles)]
    hits = [h for h, u in zip(handles, uuids, strict=True) if u.startswith(entry)]
    if len(hits) == 1:
        return hits[0]
    which = f"names none of NVML's {count} GPU(s)" if not hits else f"starts {len(hits)} GPUs' UUIDs"
    raise InputError(f"CUDA_VISIBLE_DEVICES entry {entry!r} {which} (their UUIDs: {', '.join(uuids) or 'none'})",
                     "give CUDA_VISIBLE_DEVICES an index or a UUID as `nvidia-smi -L` prints it")


class NvmlMeter(EnergyMeter):
    """NVIDIA GPU energy from NVML's cumulative counter (mJ since driver load).

    `short_window`: what to do when stop() comes less than NVML_MIN_WINDOW_S after start():
    'error' raises MeasurementError; 'extend' waits until the window is long enough (the reading
    then includes whatever the GPU drew while waiting, and says so in its note).
    """

    name = "nvml"

    def __init__(self, index: int = 0, short_window: Literal["error", "extend"] = "error") -> None:
        super().__init__()
        if short_window not in ("error", "extend"):
            raise InputError(f"short_window = {short_window!r}", "use 'error' or 'extend'")
        self.index = index
        self.short_window = short_window
        self._nvml = _import_pynvml()
        try:
            self._nvml.nvmlInit()
            count = int(self._nvml.nvmlDeviceGetCount())
        except self._nvml.NVMLError as e:
            raise UnsupportedError(f"NVML could not start: {e}", "check the NVIDIA driver (nvidia-smi)") from None
        self._handle = nvml_handle_for_cuda(self._nvml, index, count)
        self._mj0 = 0
        self._mj()  # fails here, not mid-measurement, on GPUs without the counter (pre-Volta)

    def _mj(self) -> int:
        try:
            return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))
        except self._nvml.NVMLError as e:
            raise UnsupportedError(f"GPU {self.index} has no readable energy counter: {e}",
                                   "energy counters need a Volta or newer GPU; use the estimate meter") from None

    def _start_counter(self) -> None:
        self._mj0 = self._mj()

    def _stop_counter(self, t0: float) -> EnergyReading:
        note = ""
        elapsed = time.perf_counter() - t0
        if elapsed < NVML_MIN_WINDOW_S:
            if self.short_window == "error":
                raise MeasurementError(
                    f"energy window of {elapsed * 1e3:.1f} ms is shorter than NVML's {NVML_MIN_WINDOW_S * 1e3:.0f} ms",
                    "measure a longer window (repeat the step until >= 0.1 s) or use short_window='extend'")
            time.sleep(NVML_MIN_WINDOW_S - elapsed)
            note = f"window extended from {elapsed * 1e3:.1f} ms to {NVML_MIN_WINDOW_S * 1e3:.0f} ms (NVML minimum)"
        mj1 = self._mj()
        duration = time.perf_counter() - t0
        return EnergyReading(energy_j=(mj1 - self._mj0) / 1e3, duration_s=duration, source=f"nvml:{self.index}",
                             is_estimate=False, note=note)


# --- RAPL ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RaplZone:
    path: Path
    name: str
    max_energy_range_uj: int


_TOP_ZONE = re.compile(r"^intel-rapl:\d+$")  # package zones; 'intel-rapl:0:0' (core, dram) are sub-zones


def rapl_zones(root: Path = RAPL_ROOT) -> list[RaplZone]:
    """Top-level RAPL zones (one per package): summing sub-zones too would count energy twice."""
    if not root.is_dir():
        raise UnsupportedError(f"{root} does not exist", "RAPL needs Linux with the intel_rapl/powercap driver")
    zones = []
    for d in sorted(root.iterdir()):
        if not _TOP_ZONE.match(d.name) or not (d / "energy_uj").exists():
            continue
        try:
            name = (d / "name").read_text().strip() if (d / "name").exists() else d.name
            max_uj = int((d / "max_energy_range_uj").read_text())
        except (OSError, ValueError) as e:
            raise UnsupportedError(f"cannot read {d}: {e}", "check the powercap files' permissions") from None
        zones.append(RaplZone(d, name, max_uj))
    if not zones:
        raise UnsupportedError(f"no intel-rapl:N zones under {root}", "this CPU or VM exposes no RAPL counters")
    return zones


def rapl_delta_uj(start_uj: int, end_uj: int, max_energy_range_uj: int) -> int:
    """Counter difference, allowing one wraparound (the counter restarts at 0 after max_energy_range_uj)."""
    if end_uj >= start_uj:
        return end_uj - start_uj
    return end_uj + (max_energy_range_uj - start_uj)


def rapl_status(root: Path = RAPL_ROOT) -> tuple[bool, str]:
    try:
        meter = RaplMeter(root)
    except UnsupportedError as e:
        return False, f"{e.problem} ({e.fix})"
    return True, "package zones: " + ", ".join(z.name for z in meter.zones)


class RaplMeter(EnergyMeter):
    """CPU package energy from RAPL counters (µJ), summed over packages.

    A window may see at most one wraparound per zone; max_energy_range_uj is typically ~2.6e11 µJ,
    i.e. over 20 minutes at 200 W, so windows of seconds to minutes are safe.
    """

    name = "rapl"

    def __init__(self, root: Path | str = RAPL_ROOT) -> None:
        super().__init__()
        self.root = Path(root)
        self.zones = rapl_zones(self.root)
        self._uj0: list[int] = []
        self._read()  # energy_uj is root-only on most kernels since 2020 (CVE-2020-8694): fail here

    def _read(self) -> list[int]:
        out = []
        for z in self.zones:
            f = z.path / "energy_uj"
            try:
                out.append(int(f.read_text()))
            except PermissionError:
                raise UnsupportedError(f"{f} is readable by root only",
                                       "run as root or `chmod o+r` the energy_uj files") from None
            except (OSError, ValueError) as e:
                raise UnsupportedError(f"cannot read {f}: {e}", "check the powercap driver") from None
        return out

    def _start_counter(self) -> None:
        self._uj0 = self._read()

    def _stop_counter(self, t0: float) -> EnergyReading:
        uj1 = self._read()
        duration = time.perf_counter() - t0
        pairs = zip(self._uj0, uj1, self.zones, strict=True)
        total_uj = sum(rapl_delta_uj(a, b, z.max_energy_range_uj) for a, b, z in pairs)
        return EnergyReading(energy_j=total_uj / 1e6, duration_s=duration,
                             source="rapl:" + "+".join(z.name for z in self.zones), is_estimate=False,
                             note="CPU package energy (includes every process on the CPU)")


# --- estimate --------------------------------------------------------------------------------------

class EstimateMeter(EnergyMeter):
    """Energy from a spec's power figures, an ESTIMATE: power = idle + (TDP - idle) x utilization.

    The one power-from-utilization model of the project, accelopt.hardware.power.device_power_w (linear
    idle-to-peak model, Fan, Weber & Barroso, ISCA 2007, sec. 4.1), so that `profile` and `plan` agree.
    Without idle_w in the spec, idle is cost.IDLE_FRACTION_OF_TDP x TDP (an assumption, stated in the
    reading's note). Real power depends on clocks, data and memory traffic. `utilization` is a fraction
    in [0, 1] or a callable read at stop().
    """

    name = "estimate"
    is_estimate = True

    def __init__(self, spec: AcceleratorSpec, utilization: float | Callable[[], float] = 1.0, *,
                 share: float = 1.0, share_note: str = "") -> None:
        super().__init__()
        if spec.tdp_w is None:
            raise UnsupportedError(f"device {spec.name!r} has no tdp_w in its spec",
                                   "add tdp_w (with its source) to the catalog entry to allow an estimate")
        if not callable(utilization):
            _check_utilization(utilization)
        if not 0.0 < share <= 1.0:
            raise InputError(f"share = {share!r} is outside (0, 1]", "give the fraction of the device in use")
        self.spec = spec
        self.utilization = utilization
        self.share = share
        """Fraction of the device this run uses (a CPU process on 2 of 56 cores: 2/56); power scales with it."""
        self.share_note = share_note

    def _start_counter(self) -> None:
        start = getattr(self.utilization, "start", None)
        if callable(start):
            start()

    def power_w(self, utilization: float) -> tuple[float, str]:
        """(watts, stated assumptions) at `utilization`, from hardware.power.device_power_w."""
        from accelopt.hardware.power import IDLE_FRACTION_SOURCE, device_power_w, idle_power_w

        _check_utilization(utilization)
        tdp = float(self.spec.tdp_w or 0.0)
        idle = idle_power_w(self.spec)
        watts = float(device_power_w(self.spec, utilization))
        idle_from = (f"spec idle_w {idle:g} W" if self.spec.idle_w is not None
                     else f"idle {idle:g} W {IDLE_FRACTION_SOURCE} (the spec has no idle_w)")
        # four significant digits: '.2f' printed 0.2475 as 0.25 beside 116.2 W (0.25 gives 117.0 W) and 0.004 as 0.00
        return watts, (f"estimate: linear power model idle + (TDP {tdp:g} W - idle) x utilization "
                       f"{utilization:.4g} = {watts:.1f} W, {self.spec.name}; {idle_from}")

    def _stop_counter(self, t0: float) -> EnergyReading:
        duration = time.perf_counter() - t0
        util = self.utilization() if callable(self.utilization) else self.utilization
        watts, note = self.power_w(util)
        if self.share < 1.0:
            note += f"; x {self.share:.4g} of the device in use ({self.share_note})"
        return EnergyReading(energy_j=watts * self.share * duration, duration_s=duration,
                             source=f"estimate:{self.spec.name}",
                             is_estimate=True, note=note)


class ProcessCpuUtilization:
    """Utilization of the cores a CPU process uses, measured: the process's CPU seconds (all threads,
    resource.getrusage) over wall seconds x cores used, between start() and the call."""

    def __init__(self, cores_used: int) -> None:
        self.cores_used = max(1, cores_used)
        self._t0 = 0.0
        self._cpu0 = 0.0

    @staticmethod
    def _cpu_s() -> float:
        import resource

        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    def start(self) -> None:
        self._t0, self._cpu0 = time.perf_counter(), self._cpu_s()

    def __call__(self) -> float:
        wall = time.perf_counter() - self._t0
        if wall <= 0:
            return 1.0
        return min(1.0, max(0.0, (self._cpu_s() - self._cpu0) / (wall * self.cores_used)))


def cpu_estimate_meter(spec: AcceleratorSpec) -> EstimateMeter:
    """A CPU socket's estimate scaled to this process: TDP x (cores used / the socket's cores), at the measured
    utilization of those cores. Without `cores` in the spec the whole socket is charged, and the note says so."""
    import torch

    from accelopt.measure.contention import usable_cores

    used = max(1, min(int(torch.get_num_threads()), usable_cores()))  # affinity, and a cgroup CPU quota
    if spec.cores:
        share = min(1.0, used / spec.cores)
        return EstimateMeter(spec, ProcessCpuUtilization(used), share=share,
                             share_note=f"{used} of {spec.cores} cores: torch threads on usable cores / spec cores; "
                                        "idle power shared the same way (an attribution choice)")
    return EstimateMeter(spec, ProcessCpuUtilization(used))


def _check_utilization(u: float) -> None:
    if not 0.0 <= u <= 1.0:
        raise InputError(f"utilization = {u!r} is outside [0, 1]", "give a fraction, e.g. 0.8 for 80% busy")


# --- choice ----------------------------------------------------------------------------------------

def _gpu_index(device: str) -> int:
    if device in ("cuda", "gpu"):
        return 0
    m = re.fullmatch(r"cuda:(\d+)", device)
    if not m:
        raise InputError(f"device {device!r} is not a CUDA device string", "write cuda or cuda:N")
    return int(m.group(1))


def _is_rocm() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(getattr(torch.version, "hip", None))


def best_meter(device: str, spec: AcceleratorSpec | None, rapl_root: Path | str = RAPL_ROOT) -> EnergyMeter:
    """The most direct meter for `device` ('cpu', 'cuda:N'): NVML, then RAPL, then an estimate from `spec`."""
    reasons = []
    if device.startswith("cuda") and not _is_rocm():
        try:
            return NvmlMeter(_gpu_index(device))
        except UnsupportedError as e:
            reasons.append(f"nvml: {e.problem}")
    elif device == "cpu":
        try:
            return RaplMeter(rapl_root)
        except UnsupportedError as e:
            reasons.append(f"rapl: {e.problem}")
    if spec is not None:
        try:
            return cpu_estimate_meter(spec) if device == "cpu" and spec.kind == "cpu" else EstimateMeter(spec)
        except UnsupportedError as e:
            reasons.append(f"estimate: {e.problem}")
    else:
        reasons.append("estimate: no catalog spec for this device")
    raise UnsupportedError(f"no energy meter for {device!r} (" + "; ".join(reasons) + ")",
                           "install nvidia-ml-py for NVIDIA GPUs, make RAPL readable for CPUs, "
                           "or pass a catalog device with tdp_w for an estimate")


def available_meters(rapl_root: Path | str = RAPL_ROOT) -> list[tuple[str, bool, str]]:
    """(meter name, readable here, why) for each backend, for `accelopt env`."""
    nvml_ok, nvml_why = nvml_status(0)
    rapl_ok, rapl_why = rapl_status(Path(rapl_root))
    return [
        ("nvml", nvml_ok, nvml_why),
        ("rapl", rapl_ok, rapl_why),
        ("estimate", True, "from a catalog spec's tdp_w/idle_w; always labelled as an estimate"),
    ]
