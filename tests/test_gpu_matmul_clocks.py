"""benchmarks/gpu_matmul_clocks.py's NVML reader with pynvml mocked at its boundary (an autospec of the real module):
it reads the GPU the products run on, torch's cuda:0, which under CUDA_VISIBLE_DEVICES is not NVML's GPU 0 (it read
GPU 0's clocks and power beside another card's TFLOP/s), and names the clock-event reasons from their bits."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[1]
pynvml = pytest.importorskip("pynvml")
pytestmark = pytest.mark.usefixtures("nvml_by_environment")  # fake NVML: no torch UUID lookup


def _bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("gpu_matmul_clocks", ROOT / "benchmarks" / "gpu_matmul_clocks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_nvml() -> Any:
    fake = mock.create_autospec(pynvml, instance=False)
    for name, value in vars(pynvml).items():  # the constants, as the real module has them
        if name.startswith(("NVML_", "nvmlClocks")) and isinstance(value, int):
            setattr(fake, name, value)
    fake.nvmlDeviceGetCount.return_value = 4
    fake.nvmlDeviceGetHandleByIndex.side_effect = lambda i: f"gpu{i}"
    fake.nvmlDeviceGetClockInfo.side_effect = lambda h, clock: {"gpu0": 1980, "gpu2": 1410}[h]
    fake.nvmlDeviceGetPowerUsage.side_effect = lambda h: {"gpu0": 90_000, "gpu2": 699_500}[h]  # mW
    fake.nvmlDeviceGetTemperature.return_value = 61
    reasons = pynvml.nvmlClocksThrottleReasonSwPowerCap | pynvml.nvmlClocksThrottleReasonHwThermalSlowdown
    fake.nvmlDeviceGetCurrentClocksEventReasons.return_value = reasons
    fake.nvmlDeviceGetCurrentClocksThrottleReasons.return_value = reasons
    return fake


@pytest.mark.parametrize(("visible", "sm_mhz", "power_w"), [(None, 1980, 90.0), ("2,0", 1410, 699.5)])
def test_the_reader_reads_the_gpu_the_products_run_on(monkeypatch: pytest.MonkeyPatch, visible: str | None,
                                                      sm_mhz: int, power_w: float) -> None:
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml())
    read = _bench(monkeypatch).nvml_reader()
    assert read is not None
    state = read()
    assert state["sm_clock_mhz"] == sm_mhz and state["power_w"] == power_w and state["temp_c"] == 61
    assert state["reasons"] == ["HwThermalSlowdown", "SwPowerCap"]


def test_without_nvml_the_reader_is_none_and_says_why(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    fake = _fake_nvml()
    fake.nvmlInit.side_effect = pynvml.NVMLError(pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert _bench(monkeypatch).nvml_reader() is None
    assert "NVML not read" in capsys.readouterr().out
