"""A CPU device is the host, and its catalog memory is the socket's maximum, not a server's.

A user trial (2026-12-05, cpudev) of `plan serve -m llama3-8b --hardware xeon-8480plus` found: (1) the energy per
output token added the facility's host default, 575 W per device (predict/cost.py DEFAULT_HOST_SOURCE: a DGX H100's
CPUs, memory, NICs and fans per GPU), to the socket's own 350 W TDP, counting the CPU twice (66.9 J per output token at
batch 1, ~45 J of it that term); (2) memory_bytes of the CPU entries is the maximum SUPPORTED capacity (Intel ARK 'Max
Memory Size' 4 TB; AMD's product page 'up to 6 TB'), and `plan serve` printed 'max batch that fits: 11844' from it as
if installed. Now a CPU device gets no host share unless one is given (a spec's host_w, `plan --host-w`), a note says
what is not counted, and every command that derives figures from the capacity says it is the maximum supported and
how to give the installed memory (a spec TOML passed to --hardware)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device, load_file
from accelopt.hardware.spec import max_memory_note
from accelopt.predict.cost import (
    DEFAULT_HOST_W_PER_DEVICE,
    Facility,
    energy_defaults_note,
    energy_j,
    host_not_counted_note,
)
from accelopt.predict.serving import predict_serving
from accelopt.workload.presets import get_model


def test_a_cpu_socket_busy_for_a_second_is_its_own_tdp() -> None:
    """1 s busy: 350 W (ARK TDP) x PUE 1.10 = 385 J (before: (350 + 575) W x 1.10 = 1017.5 J)."""
    xeon = get_device("xeon-8480plus")
    assert energy_j(xeon, 1, 1.0, 1.0) == pytest.approx(350.0 * 1.10, rel=1e-12)
    typed = Facility(host_power_w_per_device=120.0, given=frozenset({"host_power_w_per_device"}))
    assert energy_j(xeon, 1, 1.0, 1.0, typed) == pytest.approx(470.0 * 1.10, rel=1e-12)  # --host-w still counts
    cited = replace(xeon, host_w=90.0)  # a spec TOML's host_w (the rest of the user's server) counts too
    assert energy_j(cited, 1, 1.0, 1.0) == pytest.approx(440.0 * 1.10, rel=1e-12)
    assert energy_j(get_device("h100-sxm"), 1, 1.0, 1.0) == pytest.approx((700.0 + 575.0) * 1.10, rel=1e-12)


def test_the_notes_say_what_the_cpu_energy_leaves_out() -> None:
    xeon, h100 = get_device("xeon-8480plus"), get_device("h100-sxm")
    alone = energy_defaults_note([xeon], Facility(), flags=False, carbon=False) or ""
    assert f"host {DEFAULT_HOST_W_PER_DEVICE:g} W" not in alone  # no host default is used on it
    both = energy_defaults_note([xeon, h100], Facility()) or ""
    assert f"host {DEFAULT_HOST_W_PER_DEVICE:g} W per device for h100-sxm (--host-w" in both
    serve = host_not_counted_note([xeon, h100], Facility(), flags=False) or ""
    assert serve.startswith("not counted: energy on xeon-8480plus ") and "h100-sxm" not in serve
    assert "DRAM" in serve and "host_w (watts per socket) in a --hardware spec TOML" in serve
    assert "--host-w" in (host_not_counted_note([xeon], Facility()) or "")
    typed = Facility(host_power_w_per_device=0.0, given=frozenset({"host_power_w_per_device"}))
    assert host_not_counted_note([xeon], typed) is None and host_not_counted_note([h100], Facility()) is None
    assert host_not_counted_note([replace(xeon, host_w=90.0)], Facility()) is None  # a cited host_w: nothing left out


def test_the_catalog_marks_the_cpu_capacities_as_maximum_supported() -> None:
    for name, text in (("xeon-8480plus", "4 TB"), ("epyc-9654", "6 TB")):
        spec = get_device(name)
        assert spec.memory_is_max_supported and spec.host_w is None
        note = max_memory_note([spec]) or ""
        assert f"{name} ({text}) is the maximum the socket supports" in note
        assert "pass its path to --hardware" in note and "memory_bytes" in note
    assert not get_device("h100-sxm").memory_is_max_supported
    assert max_memory_note([get_device("h100-sxm")]) is None


def _cpu_toml(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "my_xeon.toml"
    path.write_text('[[device]]\nname = "my-xeon"\nkind = "cpu"\n'
                    'peak_flop_per_s = { bf16 = [114.688e12, "ark formula"] }\n'
                    'memory_bytes = [512e9, "our server: 16 x 32 GB DDR5"]\n'
                    'memory_bandwidth_byte_per_s = [307.2e9, "ark formula"]\ntdp_w = [350, "ark"]\n' + extra)
    return path


def test_a_users_cpu_spec_is_installed_memory_and_the_flag_is_checked(tmp_path: Path) -> None:
    (mine,) = load_file(_cpu_toml(tmp_path))
    assert not mine.memory_is_max_supported and max_memory_note([mine]) is None
    assert energy_j(mine, 1, 1.0, 1.0) == pytest.approx(350.0 * 1.10, rel=1e-12)  # a CPU spec without host_w too
    with pytest.raises(InputError, match="memory_is_max_supported = 'yes' must be true or false"):
        load_file(_cpu_toml(tmp_path, 'memory_is_max_supported = "yes"\n'))


def test_serving_energy_per_token_on_a_cpu_drops_the_host_term() -> None:
    """Llama 3 8B at batch 1 (static): the removed term is 575 W x PUE 1.10 over the request's end-to-end time, per
    output token (66.9 J -> 20.4 J in the trial)."""
    model, xeon = get_model("llama3-8b"), get_device("xeon-8480plus")
    kw = {"prompt_len": 2048, "output_len": 256, "batch": 1}
    now = predict_serving(model, xeon, **kw)
    was = predict_serving(model, replace(xeon, kind="gpu"), **kw)  # the host default added, as before
    assert now.energy_j_per_output_token is not None and was.energy_j_per_output_token is not None
    host_j = DEFAULT_HOST_W_PER_DEVICE * 1.10 * now.e2e_latency_s / 256
    assert was.energy_j_per_output_token - now.energy_j_per_output_token == pytest.approx(host_j, rel=1e-9)


def test_plan_serve_on_a_cpu_says_both_in_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "serve", "-m", "llama3-8b", "--hardware", "xeon-8480plus", "--batch", "1"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "not counted: energy on xeon-8480plus" in flat
    assert "memory of xeon-8480plus (4 TB) is the maximum the socket supports" in flat
    assert re.search(r"max batch that fits: \d+ \(in the 4 TB the socket supports at most, not a server's installed "
                     r"memory", flat)
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any(n.startswith("not counted: energy on xeon-8480plus") for n in notes)
    assert any("fits, mem/dev limit and max batch rest on it" in n for n in notes)


def test_plan_serve_on_the_users_cpu_spec_has_its_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", str(_cpu_toml(tmp_path)), "--json"],
                              capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert not any("maximum the socket supports" in n for n in doc["notes"])
    assert any(n.startswith("not counted: energy on my-xeon") for n in doc["notes"])


def test_plan_and_plan_infer_on_a_cpu_say_it(capsys: pytest.CaptureFixture[str]) -> None:
    # --devices 1: the catalog lists no link between Xeon sockets: plan searches one only (test_no_link_stops.py)
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "xeon-8480plus", "--devices", "1",
                               "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any("memory of xeon-8480plus (4 TB) is the maximum" in n for n in notes)
    assert any(n.startswith("not counted: energy on xeon-8480plus") and "--host-w" in n for n in notes)
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "xeon-8480plus", "--devices", "1",
                               "--host-w", "150", "--json"], capsys)
    assert code == 0, err
    assert not any(n.startswith("not counted:") for n in json.loads(out)["notes"])
    code, out, err = run_main(["plan", "infer", "resnet50", "--hardware", "epyc-9654"], capsys)
    assert code == 0, err
    assert "memory of epyc-9654 (6 TB) is the maximum the socket supports" in " ".join((out + err).split())
