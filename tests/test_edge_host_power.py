"""An edge module has no separate host: Jetson AGX Orin's 15-60 W is the whole module's power (its Arm CPU and
memory are on the module, Jetson AGX Orin Series datasheet DS-10662-001). The energy estimates added the facility's
host default, 575 W per device (a DGX H100's non-GPU share), to its 60 W TDP: `plan serve --hardware jetson-agx-orin`
printed 76.4 J per output token for Llama 3 8B at batch 1, ~11x its own draw. The catalog now cites host_w = 0 for
it (AcceleratorSpec.host_w), the energy uses it unless --host-w is typed, and the 'default used:' note names the host
default only for the devices it applies to."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.cost import DEFAULT_HOST_W_PER_DEVICE, Facility, energy_defaults_note, energy_j
from accelopt.predict.serving import predict_serving
from accelopt.workload.presets import get_model


def test_the_catalog_cites_no_host_for_the_jetson_module() -> None:
    orin = get_device("jetson-agx-orin")
    assert orin.host_w == 0 and "DS-10662-001" in (orin.source_of("host_w") or "")
    assert get_device("h100-sxm").host_w is None  # a data-center GPU keeps the facility's default


def test_energy_of_the_module_is_its_own_power() -> None:
    """One Jetson busy for 1 s: its TDP x PUE, 60 W x 1.10 = 66 J (before: (60 + 575) W x 1.10 = 698.5 J)."""
    orin = get_device("jetson-agx-orin")
    assert energy_j(orin, 1, 1.0, 1.0) == pytest.approx(60.0 * 1.10, rel=1e-12)
    typed = Facility(host_power_w_per_device=5.0, given=frozenset({"host_power_w_per_device"}))
    assert energy_j(orin, 1, 1.0, 1.0, typed) == pytest.approx(65.0 * 1.10, rel=1e-12)  # --host-w still wins


def test_the_default_note_names_the_host_default_only_where_it_applies() -> None:
    orin, h100 = get_device("jetson-agx-orin"), get_device("h100-sxm")
    alone = energy_defaults_note([orin], Facility(), flags=False, carbon=False) or ""
    assert "PUE 1.1" in alone and f"host {DEFAULT_HOST_W_PER_DEVICE:g} W" not in alone
    both = energy_defaults_note([orin, h100], Facility()) or ""
    assert f"host {DEFAULT_HOST_W_PER_DEVICE:g} W per device for h100-sxm (--host-w" in both


def test_serving_energy_per_token_on_the_module_drops_the_host_term() -> None:
    """Llama 3 8B at batch 1 (static) on the Jetson: the removed term is 575 W x PUE 1.10 over the request's
    end-to-end time (the device is held for it), per output token."""
    model, orin = get_model("llama3-8b"), get_device("jetson-agx-orin")
    kw = {"prompt_len": 2048, "output_len": 256, "batch": 1}
    now = predict_serving(model, orin, **kw)
    was = predict_serving(model, replace(orin, host_w=None), **kw)  # the spec as it was: the default host added
    assert now.energy_j_per_output_token is not None and was.energy_j_per_output_token is not None
    host_j = DEFAULT_HOST_W_PER_DEVICE * 1.10 * now.e2e_latency_s / 256
    assert was.energy_j_per_output_token - now.energy_j_per_output_token == pytest.approx(host_j, rel=1e-9)
    assert now.energy_j_per_output_token < 0.1 * was.energy_j_per_output_token
