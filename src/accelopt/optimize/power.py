"""Power capping (a DVFS knob) on NVIDIA GPUs through NVML: sweep power limits, measure time and energy per step at
each, recommend the limit with the least energy within a slowdown the user accepts.

The reference is Zeus's power-limit optimizer (Chung et al., "Zeus: Understanding and Optimizing GPU Energy
Consumption of DNN Training", NSDI 2023; zeus.optimizer.power_limit.GlobalPowerLimitOptimizer with its
MaxSlowdownConstraint selector): profile a window of steps at each power limit, then pick the limit with the lowest
energy whose time per step is at most (1 + max_slowdown) x the time at the maximum limit. Same rule here.

Per limit: set it (nvmlDeviceSetPowerManagementLimit, mW), run warm-up steps so clocks settle, then a window of at
least `steps_per_limit` steps and `min_window_s` seconds, synchronized at both ends, reading NVML's total energy
counter (nvmlDeviceGetTotalEnergyConsumption, mJ, Volta and newer) before and after: a window shorter than the
counter's update period would read zero (Zeus's warning). Reported per step: time, energy, and energy-delay product.
The original limit is restored in every case (finally), including Ctrl-C and errors.

Setting a power limit needs root (or an admin having granted it); without it NVML answers NVML_ERROR_NO_PERMISSION and
the technique says so and does not apply. Checked by setting the current limit to itself (a no-op that needs the same
privilege).

The Variant: a copy of the model whose forward / train_step set the chosen limit before the call and put the original
back after it, so the runner's interleaved baseline steps run at the original limit. The two NVML calls (about a
millisecond) are inside the timed step; the sweep's own figures (Variant.params["sweep"]) are the measurement of the
technique, the runner's figures a check. The recommended limit is in params["power_limit_w"]: apply it to a whole
run with `nvidia-smi -pl WATTS` (root).

pynvml (the nvidia-ml-py package) is imported lazily.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from accelopt.errors import InputError, MeasurementError, UnsupportedError
from accelopt.measure.energy import nvml_handle_for_cuda
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, register
from accelopt.optimize.compress import copy_model, state_dict_bytes, train_step_for
from accelopt.workload.batch import to_device
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = ["PowerLimit", "PowerPoint", "PowerSweep", "check_permission", "limits_to_try", "recommend", "sweep"]

PERMISSION_FIX = ("run accelopt as root (or have an admin run `nvidia-smi -pl WATTS` for you); power limits are a "
                  "privileged NVML call")


def _import_nvml() -> Any:
    try:
        import pynvml
    except ImportError as e:
        raise UnsupportedError(f"pynvml cannot be imported ({e})", "pip install nvidia-ml-py") from e
    return pynvml


@dataclass(frozen=True, kw_only=True)
class PowerPoint:
    """One power limit's window, per step."""

    power_limit_w: float
    step_time_s: float
    energy_per_step_j: float
    steps: int

    @property
    def edp_j_s(self) -> float:
        """Energy-delay product per step (J x s): lower is better for both at once."""
        return self.energy_per_step_j * self.step_time_s


@dataclass(frozen=True, kw_only=True)
class PowerSweep:
    points: list[PowerPoint]
    original_limit_w: float
    min_limit_w: float
    max_limit_w: float
    max_slowdown: float
    recommended_w: float
    energy_meter: str = "NVML total energy counter (nvmlDeviceGetTotalEnergyConsumption)"

    def point(self, limit_w: float) -> PowerPoint:
        return next(p for p in self.points if p.power_limit_w == limit_w)

    def to_params(self) -> list[dict[str, float]]:
        return [{**asdict(p), "edp_j_s": p.edp_j_s} for p in self.points]


def limits_to_try(min_mw: int, max_mw: int, count: int) -> list[int]:
    """`count` limits evenly spaced from max down to min (mW), rounded to whole watts, max first."""
    if count < 2:
        return [max_mw]
    step = (max_mw - min_mw) / (count - 1)
    out = [round((max_mw - i * step) / 1000.0) * 1000 for i in range(count)]
    out = [min(max(x, min_mw), max_mw) for x in out]
    return list(dict.fromkeys(out))


def recommend(points: list[PowerPoint], max_slowdown: float) -> PowerPoint:
    """Zeus's MaxSlowdownConstraint: least energy per step among the limits whose time per step is within
    (1 + max_slowdown) x the time at the highest limit."""
    ref = max(points, key=lambda p: p.power_limit_w)
    ok = [p for p in points if p.step_time_s <= ref.step_time_s * (1.0 + max_slowdown)]
    return min(ok, key=lambda p: (p.energy_per_step_j, -p.power_limit_w))


def check_permission(nvml: Any, handle: Any) -> str | None:
    """None when this process may set power limits, else why not (with the fix)."""
    try:
        current = nvml.nvmlDeviceGetPowerManagementLimit(handle)
        nvml.nvmlDeviceSetPowerManagementLimit(handle, current)
    except nvml.NVMLError as e:
        if getattr(e, "value", None) == nvml.NVML_ERROR_NO_PERMISSION:
            return f"setting a GPU power limit needs privileges this process lacks (NVML: no permission) — " \
                   f"{PERMISSION_FIX}"
        if getattr(e, "value", None) == nvml.NVML_ERROR_NOT_SUPPORTED:
            return "this GPU does not support setting a power limit (NVML: not supported)"
        return f"NVML refused the power limit: {e}"
    return None


@contextmanager
def nvml_handle(device_index: int) -> Iterator[tuple[Any, Any]]:
    """(pynvml, handle) for CUDA device `device_index`, NVML initialized for the duration."""
    nvml = _import_nvml()
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as e:
        raise UnsupportedError(f"NVML cannot start ({e})", "install the NVIDIA driver, or run on an NVIDIA GPU") from e
    try:
        yield nvml, _cuda_handle(nvml, device_index)
    finally:
        nvml.nvmlShutdown()


def _cuda_handle(nvml: Any, cuda_index: int) -> Any:
    """NVML's handle of the GPU torch calls cuda:`cuda_index`. NVML numbers GPUs as the driver does and ignores
    CUDA_VISIBLE_DEVICES, so with CUDA_VISIBLE_DEVICES=2 torch's cuda:0 is NVML's GPU 2: capping NVML's GPU 0 would
    slow another card (another user's job) while measuring this one."""
    return nvml_handle_for_cuda(nvml, cuda_index, int(nvml.nvmlDeviceGetCount()))


def _window(nvml: Any, handle: Any, step: Callable[[], Any], sync: Callable[[], None],
            clock: Callable[[], float], steps: int, min_window_s: float) -> tuple[float, float, int]:
    """(seconds, joules, steps) of one measured window: at least `steps` steps and `min_window_s` seconds."""
    sync()
    e0_mj = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    t0 = clock()
    done = 0
    while done < steps or clock() - t0 < min_window_s:
        step()
        done += 1
    sync()
    t1 = clock()
    e1_mj = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    return t1 - t0, (e1_mj - e0_mj) / 1000.0, done


def sweep(nvml: Any, handle: Any, step: Callable[[], Any], limits_mw: list[int], *, max_slowdown: float,
          steps_per_limit: int = 20, warmup_steps: int = 5, min_window_s: float = 1.0,
          sync: Callable[[], None] = lambda: None, clock: Callable[[], float] = time.perf_counter) -> PowerSweep:
    """Measure `step` at each limit (mW) and recommend one; the original limit is restored whatever happens."""
    lo_mw, hi_mw = nvml.nvmlDeviceGetPowerManagementLimitConstraints(handle)
    bad = [x for x in limits_mw if not lo_mw <= x <= hi_mw]
    if bad:
        raise InputError(f"power limits {[x / 1000 for x in bad]} W are outside this GPU's range "
                         f"{lo_mw / 1000:g}-{hi_mw / 1000:g} W", "pick limits inside the range (or leave limits_w out)")
    original_mw = nvml.nvmlDeviceGetPowerManagementLimit(handle)
    points: list[PowerPoint] = []
    try:
        for limit in limits_mw:
            nvml.nvmlDeviceSetPowerManagementLimit(handle, limit)
            for _ in range(warmup_steps):
                step()
            seconds, joules, n = _window(nvml, handle, step, sync, clock, steps_per_limit, min_window_s)
            if joules <= 0:
                raise MeasurementError(f"the NVML energy counter did not advance over {n} steps ({seconds:.3f} s) "
                                       f"at {limit / 1000:g} W", "raise steps_per_limit (or min_window_s) so a "
                                       "window spans the counter's update period")
            points.append(PowerPoint(power_limit_w=limit / 1000.0, step_time_s=seconds / n,
                                     energy_per_step_j=joules / n, steps=n))
    finally:
        nvml.nvmlDeviceSetPowerManagementLimit(handle, original_mw)
    best = recommend(points, max_slowdown)
    return PowerSweep(points=points, original_limit_w=original_mw / 1000.0, min_limit_w=lo_mw / 1000.0,
                      max_limit_w=hi_mw / 1000.0, max_slowdown=max_slowdown, recommended_w=best.power_limit_w)


def _device_index(target: Target) -> int:
    _, _, idx = target.device.partition(":")
    if idx:
        return int(idx)
    import torch

    return int(torch.cuda.current_device())


def _under_limit(fn: Callable[..., Any], nvml: Any, handle: Any, limit_mw: int, original_mw: int) -> Callable[..., Any]:
    """fn run with the GPU capped at limit_mw, the original limit put back after each call."""

    def wrapped(*args: Any) -> Any:
        nvml.nvmlDeviceSetPowerManagementLimit(handle, limit_mw)
        try:
            return fn(*args)
        finally:
            nvml.nvmlDeviceSetPowerManagementLimit(handle, original_mw)

    return wrapped


@register
class PowerLimit(Technique):
    name = "power-limit"
    option_specs: ClassVar[dict[str, OptionSpec]] = {
        "max_slowdown": OptionSpec(0.10, float, lo=0.0, hi=10.0), "count": OptionSpec(5, int, lo=1, hi=50),
        "steps_per_limit": OptionSpec(20, int, lo=1, hi=100_000), "limits_w": OptionSpec(None, list, items=float)}
    recorded_names = ("power_limit_w", "sweep")
    family = "power"
    modes = ("train", "inference")
    changes = "caps the GPU's board power (NVML power limit): lower clocks and voltage, less energy per step"
    risks = "slower steps; a cap left behind by a killed process (accelopt restores it, kill -9 cannot)"

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why:
            return why
        if not target.on_cuda:
            return f"power limits are an NVIDIA GPU feature (NVML); the target is {target.device}"
        try:
            with nvml_handle(_device_index(target)) as (nvml, handle):
                return check_permission(nvml, handle)
        except (UnsupportedError, InputError) as e:
            return f"{e.problem} — {e.fix}"

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        import torch

        max_slowdown = self.opt(options, "max_slowdown")
        count = self.opt(options, "count")
        steps = self.opt(options, "steps_per_limit")
        t0 = time.perf_counter()
        model = copy_model(bundle, target)
        inputs, targets = bundle.first_batch()
        inputs, targets = to_device(as_tuple(inputs), target.device), to_device(targets, target.device)
        if target.mode == "train":
            model.train()
            train_step = train_step_for(model, bundle)

            def step() -> Any:
                return train_step(inputs, targets)
        else:
            def step() -> Any:
                with torch.inference_mode():
                    return model(*inputs)

        index = _device_index(target)
        nvml = _import_nvml()
        nvml.nvmlInit()  # kept open for the variant's lifetime (its forward sets the limit)
        handle = _cuda_handle(nvml, index)
        lo_mw, hi_mw = nvml.nvmlDeviceGetPowerManagementLimitConstraints(handle)
        given = self.opt(options, "limits_w")  # watts
        limits = ([round(x * 1000) for x in given] if given else limits_to_try(lo_mw, hi_mw, count))
        result = sweep(nvml, handle, step, limits, max_slowdown=max_slowdown, steps_per_limit=steps,
                       sync=lambda: torch.cuda.synchronize(target.device))
        return self._variant(bundle, target, model, result, nvml, handle, time.perf_counter() - t0, options)

    def _variant(self, bundle: ModelBundle, target: Target, model: Any, result: PowerSweep, nvml: Any, handle: Any,
                 setup_s: float, options: dict[str, Any]) -> Variant:
        limit_mw, original_mw = int(result.recommended_w * 1000), int(result.original_limit_w * 1000)
        train_step = (_under_limit(train_step_for(model, bundle), nvml, handle, limit_mw, original_mw)
                      if target.mode == "train" else None)
        best, top = result.point(result.recommended_w), max(result.points, key=lambda p: p.power_limit_w)
        notes = [f"swept {len(result.points)} limits in {result.min_limit_w:g}-{result.max_limit_w:g} W "
                 f"(original {result.original_limit_w:g} W, restored): "
                 + "; ".join(f"{p.power_limit_w:g} W {p.step_time_s * 1e3:.2f} ms {p.energy_per_step_j:.3g} J/step"
                             for p in result.points),
                 f"recommended {result.recommended_w:g} W: least energy per step within {result.max_slowdown:.0%} "
                 f"of the time at {top.power_limit_w:g} W (Zeus's MaxSlowdownConstraint rule); energy "
                 f"{best.energy_per_step_j / top.energy_per_step_j - 1:+.1%}, time "
                 f"{best.step_time_s / top.step_time_s - 1:+.1%}",
                 f"energy from the {result.energy_meter}",
                 "the variant sets the limit around each call and restores the original after (NVML calls inside "
                 "the timed step); for a whole run: nvidia-smi -pl " + f"{result.recommended_w:g} (root)"]
        params = {**options, "power_limit_w": result.recommended_w, "max_slowdown": result.max_slowdown,
                  "sweep": result.to_params()}
        return Variant(technique=self.name, model=model,
                       forward=_under_limit(model, nvml, handle, limit_mw, original_mw), train_step=train_step,
                       setup_s=setup_s, size_bytes=state_dict_bytes(model), params=params, notes=notes)
