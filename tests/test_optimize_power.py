"""Power capping with NVML mocked at its boundary: an autospec of the real pynvml module, backed by a fake GPU
whose time per step and power draw depend on the power limit (a table, so the right answer is known), and whose
energy counter integrates power over a fake clock. Checks: the sweep measures the table, recommends the limit a
by-hand reading of the table gives for each slowdown, restores the original limit (also on error), and a GPU
without permission is a clean "does not apply" with the fix."""

from __future__ import annotations

import os
import time
from typing import Any
from unittest import mock

import pytest
import torch

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.power import PowerPoint, limits_to_try, recommend, sweep
from accelopt.workload.userfile import ModelBundle

pynvml = pytest.importorskip("pynvml")
pytestmark = pytest.mark.usefixtures("nvml_by_environment")  # fake NVML: no torch UUID lookup

# limit (W) -> (step time s, board power W): lower limits draw less and run slower
TABLE = {300: (0.010, 280.0), 250: (0.0103, 240.0), 200: (0.0108, 195.0), 150: (0.013, 150.0), 100: (0.018, 100.0)}


class FakeGpu:
    def __init__(self, original_w: int = 250, permitted: bool = True, real_clock: bool = False) -> None:
        self.limit_mw = original_w * 1000
        self.real_clock = real_clock  # energy integrates the limit's power over time.perf_counter
        self.last_s = time.perf_counter()
        self.now_s = 0.0
        self.energy_mj = 0.0
        self.permitted = permitted
        self.set_calls: list[int] = []

    def step(self) -> None:
        dt, watts = TABLE[self.limit_mw // 1000]
        self.now_s += dt
        self.energy_mj += watts * dt * 1000.0

    def read_energy_mj(self, handle: Any) -> int:
        if self.real_clock:
            now = time.perf_counter()
            self.energy_mj += TABLE[self.limit_mw // 1000][1] * (now - self.last_s) * 1000.0
            self.last_s = now
        return int(self.energy_mj)

    def nvml(self) -> Any:
        fake = mock.create_autospec(pynvml, instance=False)
        fake.NVMLError = pynvml.NVMLError
        fake.NVML_ERROR_NO_PERMISSION = pynvml.NVML_ERROR_NO_PERMISSION
        fake.NVML_ERROR_NOT_SUPPORTED = pynvml.NVML_ERROR_NOT_SUPPORTED
        fake.nvmlDeviceGetHandleByIndex.return_value = "gpu0"
        fake.nvmlDeviceGetPowerManagementLimitConstraints.return_value = (100_000, 300_000)
        fake.nvmlDeviceGetPowerManagementLimit.side_effect = lambda h: self.limit_mw
        fake.nvmlDeviceGetTotalEnergyConsumption.side_effect = self.read_energy_mj

        def set_limit(handle: Any, mw: int) -> None:
            if not self.permitted:
                raise pynvml.NVMLError(pynvml.NVML_ERROR_NO_PERMISSION)
            self.set_calls.append(mw)
            self.limit_mw = mw

        fake.nvmlDeviceSetPowerManagementLimit.side_effect = set_limit
        return fake


def _run_sweep(gpu: FakeGpu, max_slowdown: float) -> Any:
    nvml = gpu.nvml()
    return sweep(nvml, "gpu0", gpu.step, limits_to_try(100_000, 300_000, 5), max_slowdown=max_slowdown,
                 steps_per_limit=10, warmup_steps=2, min_window_s=0.0, clock=lambda: gpu.now_s)


@pytest.mark.parametrize(("max_slowdown", "expected_w"), [(0.0, 300), (0.10, 200), (0.5, 150), (1.0, 100)])
def test_sweep_picks_least_energy_within_the_slowdown(max_slowdown: float, expected_w: int) -> None:
    gpu = FakeGpu()
    result = _run_sweep(gpu, max_slowdown)
    assert [p.power_limit_w for p in result.points] == [300, 250, 200, 150, 100]
    for p in result.points:
        dt, watts = TABLE[int(p.power_limit_w)]
        assert p.step_time_s == pytest.approx(dt)
        assert p.energy_per_step_j == pytest.approx(watts * dt, rel=1e-3)  # the counter is whole mJ
        assert p.edp_j_s == pytest.approx(watts * dt * dt, rel=1e-3)
    # by hand: energies 2.8, 2.472, 2.106, 1.95, 1.8 J; times 10, 10.3, 10.8, 13, 18 ms against 10 ms at 300 W
    assert result.recommended_w == expected_w
    assert gpu.limit_mw == 250_000 and gpu.set_calls[-1] == 250_000  # original restored
    assert result.original_limit_w == 250


def test_original_limit_restored_when_a_step_fails() -> None:
    gpu = FakeGpu()
    real_step = gpu.step

    def step() -> None:
        if gpu.limit_mw == 150_000:
            raise RuntimeError("CUDA error in the user's model")
        real_step()

    gpu.step = step  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="CUDA error"):
        _run_sweep(gpu, 0.1)
    assert gpu.limit_mw == 250_000


def test_a_window_the_energy_counter_did_not_see_is_an_error() -> None:
    from accelopt.errors import MeasurementError

    gpu = FakeGpu()
    fake = gpu.nvml()
    fake.nvmlDeviceGetTotalEnergyConsumption.side_effect = lambda h: 1234  # never advances
    with pytest.raises(MeasurementError, match="energy counter"):
        sweep(fake, "gpu0", gpu.step, [300_000], max_slowdown=0.1, steps_per_limit=2, warmup_steps=0,
              min_window_s=0.0, clock=lambda: gpu.now_s)
    assert gpu.limit_mw == 250_000


def test_limits_outside_the_range_are_an_input_error() -> None:
    from accelopt.errors import InputError

    gpu = FakeGpu()
    with pytest.raises(InputError, match="outside"):
        sweep(gpu.nvml(), "gpu0", gpu.step, [350_000], max_slowdown=0.1, clock=lambda: gpu.now_s)


def test_recommend_prefers_the_higher_limit_on_an_energy_tie() -> None:
    pts = [PowerPoint(power_limit_w=w, step_time_s=0.01, energy_per_step_j=1.0, steps=1) for w in (300, 200)]
    assert recommend(pts, 0.1).power_limit_w == 300


def _bundle() -> ModelBundle:
    model = torch.nn.Linear(4, 2)
    return ModelBundle(name="lin", model=model, batches=lambda: iter([(torch.zeros(3, 4), torch.zeros(3, 2))]),
                       loss_fn=torch.nn.functional.mse_loss, batch_size=3)


def test_without_permission_it_does_not_apply_and_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    import accelopt.optimize.power as power

    gpu = FakeGpu(permitted=False)
    fake = gpu.nvml()
    monkeypatch.setattr(power, "_import_nvml", lambda: fake)
    tech = get_technique("power-limit")
    assert "NVIDIA GPU" in (tech.not_applicable(_bundle(), Target(mode="train", device="cpu")) or "")
    why = tech.not_applicable(_bundle(), Target(mode="train", device="cuda:0"))
    assert why is not None and "no permission" in why and "root" in why
    fake.nvmlShutdown.assert_called()


def test_variant_runs_under_the_chosen_limit_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    """apply() end to end on the fake GPU (the model itself on the CPU)."""
    import copy

    import accelopt.optimize.power as power

    gpu = FakeGpu(real_clock=True)
    fake = gpu.nvml()
    monkeypatch.setattr(power, "_import_nvml", lambda: fake)
    monkeypatch.setattr(power, "copy_model", lambda b, t: copy.deepcopy(b.model))
    monkeypatch.setattr(power, "to_device", lambda x, d: x)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    target = Target(mode="inference", device="cuda:0")
    assert get_technique("power-limit").not_applicable(_bundle(), target) is None
    v = get_technique("power-limit").apply(_bundle(), target, {"limits_w": [300, 200], "steps_per_limit": 3})
    chosen = v.params["power_limit_w"]
    assert chosen in (300, 200) and [p["power_limit_w"] for p in v.params["sweep"]] == [300, 200]
    assert gpu.limit_mw == 250_000
    gpu.set_calls.clear()
    assert v.forward(torch.zeros(1, 4)).shape == (1, 2)
    assert gpu.set_calls == [int(chosen * 1000), 250_000]


@pytest.mark.parametrize(("visible", "nvml_index"), [(None, 0), ("2", 2), ("3,1", 3)])
def test_the_limit_is_set_on_the_gpu_torch_measures(monkeypatch: pytest.MonkeyPatch, visible: str | None,
                                                    nvml_index: int) -> None:
    """NVML numbers GPUs as the driver does, torch as CUDA_VISIBLE_DEVICES renumbers them: with
    CUDA_VISIBLE_DEVICES=2 the technique capped NVML's GPU 0 (another card) while timing torch's cuda:0 (GPU 2)."""
    import copy

    import accelopt.optimize.power as power

    gpu = FakeGpu(real_clock=True)
    fake = gpu.nvml()
    fake.nvmlDeviceGetCount.return_value = 4
    fake.nvmlDeviceGetHandleByIndex.side_effect = lambda i: f"gpu{i}"
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    monkeypatch.setattr(power, "_import_nvml", lambda: fake)
    monkeypatch.setattr(power, "copy_model", lambda b, t: copy.deepcopy(b.model))
    monkeypatch.setattr(power, "to_device", lambda x, d: x)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    target = Target(mode="inference", device="cuda:0")
    tech = get_technique("power-limit")
    assert tech.not_applicable(_bundle(), target) is None
    tech.apply(_bundle(), target, {"limits_w": [300, 200], "steps_per_limit": 3})
    handles = {c.args[0] for c in fake.nvmlDeviceSetPowerManagementLimit.call_args_list}
    assert handles == {f"gpu{nvml_index}"}


def test_a_cuda_index_beyond_cuda_visible_devices_does_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    import accelopt.optimize.power as power

    fake = FakeGpu().nvml()
    fake.nvmlDeviceGetCount.return_value = 4
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2")
    monkeypatch.setattr(power, "_import_nvml", lambda: fake)
    why = get_technique("power-limit").not_applicable(_bundle(), Target(mode="train", device="cuda:1"))
    assert why is not None and "CUDA_VISIBLE_DEVICES=2" in why
    fake.nvmlDeviceSetPowerManagementLimit.assert_not_called()


ALLOW_POWER_LIMIT = "ACCELOPT_ALLOW_POWER_LIMIT"
"""Set to 1 to run the test below, which sets the card's power limit (restoring it after): on a GPU of your own only,
never on a lent or shared machine. `pytest -m gpu` without it skips the test, saying so."""


@pytest.mark.gpu
@pytest.mark.skipif(os.environ.get(ALLOW_POWER_LIMIT) != "1",
                    reason=f"sets the GPU's power limit (NVML; restored after): opt in with {ALLOW_POWER_LIMIT}=1 "
                           "on a GPU of your own, never on a lent or shared one")
def test_power_limit_on_a_real_gpu_restores_the_limit() -> None:
    """Either a clean 'does not apply' (no root) or a real sweep that leaves the original limit in place (only with
    ACCELOPT_ALLOW_POWER_LIMIT=1: it changes the card's setting while it runs)."""
    real = pytest.importorskip("pynvml")
    target = Target(mode="inference", device="cuda:0")
    tech = get_technique("power-limit")
    why = tech.not_applicable(_bundle(), target)
    if why:
        assert "permission" in why or "not support" in why or "NVML" in why
        return
    from accelopt.measure.energy import nvml_handle_for_cuda

    real.nvmlInit()
    handle = nvml_handle_for_cuda(real, 0, real.nvmlDeviceGetCount())  # cuda:0's card, as the technique caps it
    before = real.nvmlDeviceGetPowerManagementLimit(handle)
    v = tech.apply(_bundle(), target, {"count": 2, "steps_per_limit": 50})
    assert real.nvmlDeviceGetPowerManagementLimit(handle) == before
    assert all(p["energy_per_step_j"] > 0 for p in v.params["sweep"])
