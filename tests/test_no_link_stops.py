"""A spec that lists no link between devices (no scaleup_bandwidth_byte_per_s, no scaleout_bandwidth_byte_per_s):
`plan serve --tp 2` stopped naming the fields, where `plan explain` and `plan` ran the same spec on many devices with
a 100 Gb/s Ethernet default (comm.DEFAULT_SCALEOUT_BW, an assumption, not a cited figure; utleft3, 2026-12-05).
Issue 10: a missing figure comes from a cited source or stops with an error naming the field. All three now stop
with the same problem text; one device needs no link and still runs; `plan` searches such a spec at 1 device only
and says so, or skips it (naming the fields) when 1 is not among --devices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FPGA_NO_LINK_NO_TDP, run_main

SPEC = FPGA_NO_LINK_NO_TDP
PROBLEM = ("over {n} x my-fpga: its spec lists no link between devices (no scaleup_bandwidth_byte_per_s or "
           "scaleout_bandwidth_byte_per_s)")
TRAIN = ["--model", "gpt3-125m", "--dtype", "fp16", "--tokens", "1e9"]


def _spec(tmp_path: Path) -> str:
    path = tmp_path / "fpga.toml"
    path.write_text(SPEC, encoding="utf-8")
    return str(path)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_plan_explain_stops_as_plan_serve_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hw = _spec(tmp_path)
    code, _, err = run_main(["plan", "explain", *TRAIN, "--hardware", hw, "--devices", "16", "--tp", "2"], capsys)
    assert code == 2 and f"training {PROBLEM.format(n=16)}" in _flat(err), err
    assert "scaleout_bandwidth_byte_per_s, in a spec TOML of your own" in _flat(err)
    code, _, err = run_main(["plan", "serve", "--model", "gpt3-125m", "--hardware", hw, "--tp", "2", "--weight-dtype",
                             "fp16"], capsys)
    assert code == 2 and f"tensor parallelism {PROBLEM.format(n=2)}" in _flat(err), err


def test_one_device_needs_no_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "explain", *TRAIN, "--hardware", _spec(tmp_path), "--devices", "1", "--json"],
                              capsys)
    assert code == 0, err
    assert not json.loads(out)["assumed"]


def test_plan_searches_one_device_only_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hw = _spec(tmp_path)
    code, out, err = run_main(["plan", *TRAIN, "--hardware", hw, "--devices", "1,16", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["devices"] for r in doc["best"]} == {1}
    assert any(n.startswith("my-fpga: searched at 1 device only, not at 16: its spec lists no link") for n in
               doc["notes"]), doc["notes"]
    assert not any(a["field"] == "scaleout_bandwidth_byte_per_s" for a in doc.get("assumed", {}).get("my-fpga", []))


def test_plan_skips_it_without_one_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hw = _spec(tmp_path)
    code, _, err = run_main(["plan", *TRAIN, "--hardware", hw, "--devices", "16"], capsys)
    assert code == 2 and f"training {PROBLEM.format(n=16)}" in _flat(err), err
    code, out, err = run_main(["plan", *TRAIN, "--hardware", f"{hw},h100-sxm", "--devices", "16"], capsys)
    assert code == 0, err
    assert f"not searched: my-fpga (training {PROBLEM.format(n=16)}: it runs on one device only; give " in _flat(out)


def test_a_catalog_devices_fix_says_to_copy_it_under_a_new_name(capsys: pytest.CaptureFixture[str]) -> None:
    """review s31 rvlast: b29991fe stops 12 catalog devices (mi250x, the CPUs, Jetson, ...) on more than one device,
    and its fix said 'give scaleout_bandwidth_byte_per_s in a spec TOML of your own': a file naming its device
    mi250x is refused ('uses the name of the built-in device'), so the fix must say to copy the entry under a new
    name, in plan explain, plan (not searched) and plan serve alike."""
    renamed = "a catalog device's entry copied"
    code, _, err = run_main(["plan", "explain", *TRAIN, "--hardware", "mi250x", "--devices", "8"], capsys)
    assert code == 2 and renamed in _flat(err) and "under a new name" in _flat(err), err
    code, out, err = run_main(["plan", *TRAIN, "--hardware", "mi250x,h100-sxm", "--devices", "8"], capsys)
    assert code == 0 and f"{renamed} under a new name" in _flat(out), err
    code, _, err = run_main(["plan", "serve", "--model", "gpt3-125m", "--hardware", "mi250x", "--tp", "2",
                             "--weight-dtype", "fp16"], capsys)
    assert code == 2 and renamed in _flat(err) and "under a new name" in _flat(err), err


def test_a_profiled_workload_runs_on_one_device_of_a_spec_without_a_link(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """review s31 rvlast: `plan --model WORKLOAD.json` (data parallel over a profiled workload) still put dp 8 on
    mi250x on the 100 Gb/s default (assumed scaleout_bandwidth_byte_per_s 12.5e9) after b29991fe made the preset
    search plan such a spec on one device only; now the same rule, note and not-planned line."""
    from test_plan_workload_top import _workload

    wl = str(_workload(tmp_path))
    argv = ["plan", "--model", wl, "--hardware", "mi250x,h100-sxm", "--tokens", "1e9", "--json"]
    code, out, err = run_main([*argv, "--devices", "1,8"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["dp"] for r in doc["layouts"] if r["hardware"] == "mi250x"} == {1}
    assert "mi250x" not in doc["assumed"], doc["assumed"]
    assert any(n.startswith("mi250x: searched at 1 device only, not at 8") for n in doc["notes"]), doc["notes"]
    code, out, err = run_main([*argv, "--devices", "8"], capsys)
    assert code == 0, err
    assert {r["hardware"] for r in json.loads(out)["layouts"]} == {"h100-sxm"}
    assert any(n.startswith("not planned: mi250x (training over 8 x mi250x: its spec lists no link") for n in
               json.loads(out)["notes"])
    code, _, err = run_main(["plan", "--model", wl, "--hardware", "mi250x", "--tokens", "1e9", "--devices", "8"],
                            capsys)
    assert code == 2 and "training over 8 x mi250x: its spec lists no link" in _flat(err), err


def test_a_device_range_names_its_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """s31 fin2: `--devices 8..64` said 'training over 64 x my-fpga', the largest count only, where 8 (the smallest)
    already needs a link; the problem now names the counts searched, from the smallest."""
    hw = _spec(tmp_path)
    code, _, err = run_main(["plan", *TRAIN, "--hardware", hw, "--devices", "8..64"], capsys)
    assert code == 2 and "training over 8 to 64 x my-fpga: its spec lists no link" in _flat(err), err
    code, _, err = run_main(["plan", *TRAIN, "--hardware", hw, "--devices", "8,16"], capsys)
    assert code == 2 and "training over 8 or 16 x my-fpga: its spec lists no link" in _flat(err), err
