"""A search over several devices leaves out a device that cannot run the request (no peak at --dtype, --fp8-recipe
mxfp8 off Blackwell, --tp-comm-overlap without a cited SM count, a GPU attention kernel or --eager-cross-entropy off
a GPU). Before, predict.search caught every InputError of a device's checks as such a skip and told the reasons apart
by the message's words ('SM count' in it, '--attention-kernel' in it ...): an unrelated error became a skip with the
--fp8-recipe fix, and a reworded message got another device's label. Now the skip is errors.DeviceUnsupportedError,
whose `option` names the flag; the result records it (PlanResult.skipped_options) and the printed fix follows it."""

from __future__ import annotations

import json

import pytest

from accelopt.errors import DeviceUnsupportedError, InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import search as search_mod
from accelopt.predict import userbuffers
from accelopt.predict.training import Setup
from accelopt.report.plan_warnings import skipped_lines
from accelopt.workload.presets import get_model


def _setup(**kw: object) -> Setup:
    return Setup(model=get_model("llama3-8b"), seq_len=4096, global_batch=64, **kw)  # type: ignore[arg-type]


def test_an_error_that_is_not_a_device_skip_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain InputError inside one device's checks (here the FP8 cast model on b200's family) is the run's error,
    not a quiet 'not searched: b200' with a fix for another problem."""
    real = search_mod.fp8_cast_bytes

    def cast(recipe: str, family: str, spec: object = None) -> tuple[float, float]:
        if family == search_mod.calibration_for(get_device("b200"), None, "megatron").family:
            raise InputError("calibration table broken for this family", "repair it")
        return real(recipe, family, spec)

    monkeypatch.setattr(search_mod, "fp8_cast_bytes", cast)
    with pytest.raises(InputError, match="calibration table broken") as got:
        search_mod.search(_setup(dtype="fp8"), [get_device("h100-sxm"), get_device("b200")], [8])
    assert not isinstance(got.value, DeviceUnsupportedError)


def test_a_reworded_skip_is_still_a_skip_with_its_own_label_and_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """The skip is told by its type and option, not its words: a message without 'SM count' in it is still the
    --tp-comm-overlap skip (before: labelled 'no --fp8-recipe delayed')."""
    real = userbuffers.sm_count

    def sms(spec: object) -> int:
        if getattr(spec, "name", "") == "h100-pcie":
            raise DeviceUnsupportedError("userbuffers cannot be modelled here", "leave it out",
                                         option="--tp-comm-overlap")
        return real(spec)  # type: ignore[arg-type]

    monkeypatch.setattr(userbuffers, "sm_count", sms)
    c = search_mod.search(_setup(tp_comm_overlap=True), [get_device("h100-sxm"), get_device("h100-pcie")], [8])
    assert c.skipped_devices == {"h100-pcie": "userbuffers cannot be modelled here"}
    assert c.skipped_options == {"h100-pcie": "--tp-comm-overlap"}
    assert "h100-pcie: no cited SM count for --tp-comm-overlap (skipped)" in c.reasons
    assert skipped_lines(c.skipped_devices, c.skipped_options) == [
        "not searched: h100-pcie (userbuffers cannot be modelled here; leave --tp-comm-overlap out for it)"]


def test_every_device_left_out_for_different_flags_names_each_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every device left out, for two different flags: the error's fix names both (before: the --fp8-recipe fix
    whenever the reasons differed)."""
    def no_sms(spec: object) -> int:
        raise DeviceUnsupportedError(f"no SMs cited for {getattr(spec, 'name', '')}", option="--tp-comm-overlap")

    monkeypatch.setattr(userbuffers, "sm_count", no_sms)
    with pytest.raises(InputError) as got:  # h100: no SM count (patched); tpu-v5p: triton off a GPU
        search_mod.search(_setup(tp_comm_overlap=True, attention_kernel="triton"),
                          [get_device("h100-sxm"), get_device("tpu-v5p")], [8])
    assert "leave --tp-comm-overlap out" in got.value.fix and "--attention-kernel fused" in got.value.fix


def test_plan_json_records_the_flag_each_skipped_device_cannot_run(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    code, out, err = run_main(["plan", "--model", "llama3-8b", "--devices", "8", "--dtype", "fp8", "--fp8-recipe",
                               "mxfp8", "--top", "1", "--hardware", "h100-sxm,b200,a100-sxm-80gb", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["skipped_options"] == {"a100-sxm-80gb": "--dtype", "h100-sxm": "--fp8-recipe"}
    assert doc["schema_version"] >= 12  # skipped_options came with plan version 12 (13: fp8_output_head, fp8head)
