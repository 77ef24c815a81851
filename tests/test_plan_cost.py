"""Energy, carbon and cost arithmetic (estimates) with cited defaults."""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.cost import Facility, carbon_kg, cost_usd, device_power_w, energy_j, idle_power_w


def test_power_model_linear_between_idle_and_tdp() -> None:
    h = get_device("h100-sxm")
    idle = idle_power_w(h)
    assert device_power_w(h, 0.0) == pytest.approx(idle)
    assert device_power_w(h, 1.0) == pytest.approx(700.0)  # H100 SXM TDP, NVIDIA datasheet
    assert device_power_w(h, 0.5) == pytest.approx((idle + 700) / 2)
    assert np.allclose(device_power_w(h, np.array([0.0, 1.0])), [idle, 700.0])


def test_energy_carbon_cost() -> None:
    h = get_device("h100-sxm")
    f = Facility(pue=1.5, grid_kg_co2_per_kwh=0.5, host_power_w_per_device=100.0)
    e = energy_j(h, 8, 3600.0, 1.0, f)
    assert e == pytest.approx(8 * 800 * 3600 * 1.5)
    assert carbon_kg(e, f) == pytest.approx(e / 3.6e6 * 0.5)
    assert cost_usd(h, 8, 3600.0) == pytest.approx(8 * h.price_usd_per_hour)


def test_no_price_is_none() -> None:
    from dataclasses import replace

    h = replace(get_device("h100-sxm"), price_usd_per_hour=None, price_date=None)
    assert cost_usd(h, 8, 3600.0) is None


def test_bad_facility() -> None:
    with pytest.raises(InputError, match="pue"):
        Facility(pue=0.9)
    with pytest.raises(InputError, match="grid"):
        Facility(grid_kg_co2_per_kwh=-1)
    assert Facility().sources()["pue"]
