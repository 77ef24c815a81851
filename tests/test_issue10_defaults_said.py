"""Issue #10, no silent fallbacks: each default a prediction uses in place of a missing figure is said beside the
result (notes: console, JSON, HTML), or the input is refused naming the field. Energy and carbon of `plan`, `plan
explain`, `plan serve` rest on an idle draw of 10% of TDP for a spec without idle_w (hardware/power.py) and on the
facility's PUE, host share and grid intensity (predict/cost.py Facility); a figure the user gives is not called a
default. A profiled workload without dtype or batch_size. A scale-up link without its domain. Printing changes no
number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import load_file
from accelopt.predict.calibration import calibration_for

SPEC = """
[[device]]
name = "{name}"
kind = "gpu"
peak_flop_per_s = {{ bf16 = [400e12, "my sheet"] }}
memory_bytes = [64e9, "my sheet"]
memory_bandwidth_byte_per_s = [2e12, "my sheet"]
{extra}
"""
LINKS = """scaleup_domain_devices = [8, "my sheet"]
scaleup_bandwidth_byte_per_s = [300e9, "my sheet"]
scaleup_latency_s = [3e-6, "my sheet"]
"""


def _spec(tmp_path: Path, extra: str, name: str = "watt-chip", links: str = LINKS) -> str:
    p = tmp_path / "dev.toml"
    p.write_text(SPEC.format(name=name, extra=links + extra), encoding="utf-8")
    return str(p)


def _energy_notes(doc: dict) -> list[str]:
    return [n for n in doc["notes"] if n.startswith("default used: energy")]


EXPLAIN = ["plan", "explain", "--model", "gpt3-125m", "--devices", "8", "--tokens", "1e9"]


def test_plan_explain_says_the_idle_and_facility_defaults_its_energy_uses(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hw = _spec(tmp_path, "tdp_w = [500, \"my sheet\"]")
    code, out, err = run_main([*EXPLAIN, "--hardware", hw, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    notes = _energy_notes(doc)
    assert len(notes) == 1, doc["notes"]
    for said in ("for the specs without idle_w: watt-chip", "PUE 1.1 (--pue", "host 575 W per device (--host-w",
                 "grid 0.367 kg CO2e/kWh (--grid-kg-per-kwh"):
        assert said in notes[0]
    # the energy those defaults give, computed here: n x (P(busy) + host) x time x PUE, P = idle + (TDP - idle) u
    t = explain_terms(doc)
    idle, busy = 0.1 * 500, t["busy_fraction"]
    want = 8 * (idle + (500 - idle) * busy + 575.0) * t["train_time_s"] * 1.1
    assert t["energy_j"] == pytest.approx(want, rel=1e-9)
    assert t["carbon_kg"] == pytest.approx(want / 3.6e6 * 0.367, rel=1e-9)
    # the console says it too
    code, text, _ = run_main([*EXPLAIN, "--hardware", hw], capsys)
    assert code == 0 and "idle power assumed 10% of TDP" in " ".join(text.split())


def test_given_figures_are_not_called_defaults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hw = _spec(tmp_path, "tdp_w = [500, \"my sheet\"]\nidle_w = [80, \"my sheet\"]")
    code, out, err = run_main([*EXPLAIN, "--hardware", hw, "--pue", "1.1", "--json"], capsys)
    assert code == 0, err
    (note,) = _energy_notes(json.loads(out))
    assert "PUE" not in note and "idle power" not in note and "--host-w" in note  # PUE given (even at the default)
    code, out, err = run_main([*EXPLAIN, "--hardware", hw, "--pue", "1.2", "--host-w", "0", "--grid-kg-per-kwh",
                               "0.1", "--json"], capsys)
    assert code == 0, err
    assert _energy_notes(json.loads(out)) == []  # every figure given: nothing assumed
    # no TDP: energy is n/a, so nothing is assumed for it
    code, out, err = run_main([*EXPLAIN, "--hardware", _spec(tmp_path, ""), "--json"], capsys)
    assert code == 0, err
    assert _energy_notes(json.loads(out)) == []


def test_plan_search_says_the_energy_defaults_of_the_listed_devices(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    hw = _spec(tmp_path, "tdp_w = [500, \"my sheet\"]")
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", hw, "--devices", "8", "--tokens", "1e9",
                               "--top", "1", "--host-w", "100", "--json"], capsys)
    assert code == 0, err
    (note,) = _energy_notes(json.loads(out))
    assert "for the specs without idle_w: watt-chip" in note and "PUE 1.1 (--pue" in note and "--host-w" not in note


def test_plan_serve_says_the_energy_defaults_of_j_per_token(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    hw = _spec(tmp_path, "tdp_w = [500, \"my sheet\"]")
    code, out, err = run_main(["plan", "serve", "--model", "gpt3-125m", "--hardware", hw, "--batch", "4",
                               "--prompt", "128", "--output", "16", "--json"], capsys)
    assert code == 0, err
    (note,) = _energy_notes(json.loads(out))
    assert note.startswith("default used: energy (estimates)") and "for the specs without idle_w: watt-chip" in note
    assert "PUE 1.1" in note and "host 575 W per device" in note
    assert "grid" not in note and "(--pue" not in note  # no carbon figure; plan serve has no facility flags


def _workload(tmp_path: Path, **meta: object) -> str:
    from accelopt.workload.types import Op, Workload

    p = tmp_path / "w.json"
    Workload(name="toy", meta={"params": 1e8, "batch_size": 4, "seq_len": 512, **meta}, ops=[
        Op(name="mm", kind="matmul", flops=1e11, bytes_read=1e8, bytes_written=1e7, phase="forward")]).save(p)
    return str(p)


def test_plan_of_a_workload_says_its_dtype_and_energy_defaults(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    # a workload whose meta names no dtype ran at the bf16 peak without a word; its energy_j (JSON, HTML) rested on
    # the idle and facility defaults; the HTML page did not show the link defaults the console prints
    hw = _spec(tmp_path, "tdp_w = [500, \"my sheet\"]")
    html = tmp_path / "w.html"
    args = ["plan", "--model", _workload(tmp_path), "--hardware", hw, "--devices", "1,16"]
    code, out, err = run_main([*args, "--json", "--html", str(html)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    dtype_note = [n for n in doc["notes"] if "names no dtype" in n]
    assert len(dtype_note) == 1 and "bf16 peak" in dtype_note[0]
    assert not [n for n in doc["notes"] if "names no batch_size" in n]  # it gives batch_size 4
    (energy,) = _energy_notes(doc)
    # 2026-12-05, cpupower: the note no longer names the idle estimate here: a workload's energy counts each device
    # busy the whole run (P = TDP), so no idle draw enters it (test_workload_energy_names_no_idle_estimate)
    assert "without idle_w" not in energy and "PUE 1.1" in energy and "grid" not in energy
    page = html.read_text(encoding="utf-8")
    assert "names no dtype in its meta" in page and "scaleout_bandwidth_byte_per_s = 1.25e+10 (assumed" in page
    # the step is the same either way: at the bf16 peak, as a workload that names bf16 (printing changes no number)
    code, out2, err = run_main(["plan", "--model", _workload(tmp_path, dtype="bf16"), "--hardware", hw, "--devices",
                                "1,16", "--json"], capsys)
    assert code == 0, err
    doc2 = json.loads(out2)
    assert not [n for n in doc2["notes"] if "names no dtype" in n]
    code, out3, err = run_main(["plan", "--model", _workload(tmp_path, batch_size=None), "--hardware", hw, "--devices",
                                "1", "--json"], capsys)
    assert code == 0, err
    (said,) = [n for n in json.loads(out3)["notes"] if "names no batch_size" in n]
    assert "1 sample per device per step" in said
    assert [r["step_time_s"] for r in doc2["layouts"]] == [r["step_time_s"] for r in doc["layouts"]]


def test_workload_energy_names_no_idle_estimate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # a profiled workload's `plan` said its energy rested on "idle power assumed 10% of TDP ... give idle_w to
    # replace the idle draw", yet it counts every device busy the whole run (P = TDP): an idle_w of 400 W or the
    # 50 W estimate gave the same joules, so the note named an estimate the figure does not use and a fix that fixes
    # nothing (2026-12-05, cpupower)
    docs = []
    for name, extra in (("no-idle", ""), ("idle-400", "idle_w = [400, \"my meter\"]")):
        hw = tmp_path / f"{name}.toml"
        hw.write_text(SPEC.format(name=name, extra=LINKS + "tdp_w = [500, \"my sheet\"]\n" + extra), encoding="utf-8")
        code, out, err = run_main(["plan", "--model", _workload(tmp_path), "--hardware", str(hw), "--devices", "1,4",
                                   "--tokens", "1e9", "--json"], capsys)
        assert code == 0, err
        docs.append(json.loads(out))
    energies = [[r["energy_j"] for r in d["layouts"]] for d in docs]
    assert energies[0] == energies[1] and all(e > 0 for e in energies[0])  # the idle draw moves nothing
    (note,) = _energy_notes(docs[0])
    assert "10% of TDP" not in note and "idle_w" not in note and "PUE 1.1" in note


# Issue #10: a spec TOML that gives a scale-up link (bandwidth, peer bandwidth or latency) but no scaleup_domain_devices
# took the default domain of 1 device, so `plan` never used the link: tensor parallelism over 8 devices ran at the
# scale-out figure with nothing said. Now the file is refused, naming the field.
def _nodomain(tmp_path: Path, extra: str) -> str:
    return _spec(tmp_path, extra, name="no-domain", links='scaleout_bandwidth_byte_per_s = [50e9, "my sheet"]\n')


@pytest.mark.parametrize("field", ["scaleup_bandwidth_byte_per_s = [300e9, \"my sheet\"]",
                                   "scaleup_latency_s = [3e-6, \"my sheet\"]"])
def test_a_scaleup_link_without_its_domain_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     field: str) -> None:
    args = ["plan", "explain", "--model", "gpt3-1.3b", "--devices", "8", "--tp", "8", "--json"]
    code, out, err = run_main([*args, "--hardware", _nodomain(tmp_path, field)], capsys)
    assert code == 2 and "Traceback" not in err, out
    assert "without scaleup_domain_devices" in err and field.split(" ")[0] in err
    assert "fix: add scaleup_domain_devices" in err
    # with the domain given, tensor parallelism inside it uses the scale-up figure the file gives
    with_domain = _nodomain(tmp_path, field + '\nscaleup_domain_devices = [8, "x"]')
    code, out, err = run_main([*args, "--hardware", with_domain], capsys)
    assert code == 0, err
    if "bandwidth" in field:
        eff = calibration_for(load_file(tmp_path / "dev.toml")[0]).scaleup_bw_eff
        assert explain_terms(json.loads(out))["in_tp_link_byte_per_s"] == pytest.approx(300e9 * eff, rel=1e-12)


def test_a_scaleup_link_in_a_domain_of_one_device_is_refused(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    """scaleup_domain_devices = 1 written out beside a scale-up bandwidth: the same never-used link as leaving the
    domain out (a domain of 1 has no scale-up peer), which loaded without a word."""
    path = _nodomain(tmp_path, 'scaleup_bandwidth_byte_per_s = [300e9, "my sheet"]\nscaleup_domain_devices = [1, "x"]')
    code, out, err = run_main(["plan", "explain", "--model", "gpt3-1.3b", "--devices", "8", "--tp", "8", "--json",
                               "--hardware", path], capsys)
    assert code == 2 and "Traceback" not in err, out
    assert "scaleup_domain_devices = 1" in err and "scaleup_bandwidth_byte_per_s" in err
    assert "fix: " in err


def test_a_spec_without_any_scaleup_figure_still_loads(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # no scale-up figure at all: a device without a scale-up link (domain 1, catalog compare says so); tp runs on
    # the scale-out link, as before
    code, out, err = run_main(["plan", "explain", "--model", "gpt3-1.3b", "--devices", "8", "--tp", "8", "--hardware",
                               _nodomain(tmp_path, ""), "--json"], capsys)
    assert code == 0, err
    eff = calibration_for(load_file(tmp_path / "dev.toml")[0]).scaleout_bw_eff
    assert explain_terms(json.loads(out))["in_tp_link_byte_per_s"] == pytest.approx(50e9 * eff, rel=1e-12)
