"""A measured spec (`accelopt probe --save`) and a simulated design (`accelopt simulate export`) are
accepted as --hardware by `plan`, `plan explain` and `plan serve`, and a measured peak is not derated twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.cli.main import main
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.serving import DEFAULT_CALIBRATION, MEASURED_CALIBRATION, calibration_for_spec

# The format `accelopt probe --quick --save` writes (copied from a run on this 2-core CPU VM, 2026-11-26).
PROBED = """
[sources]
probe = "measured by accelopt probe on vm, torch 2.13.0+cpu"
read = "read by accelopt probe from /proc/meminfo on vm"

[[device]]
name = "vm-cpu"
display_name = "AMD EPYC (measured on vm)"
kind = "cpu"
vendor = "AMD"
measured = {measured}
peak_flop_per_s = {{ fp32 = [26887744346.3, "probe"], bf16 = [2981484004.6, "probe"] }}
memory_bandwidth_byte_per_s = [7962660253.8, "probe"]
memory_bytes = [25276514304.0, "read"]
sram_bytes = [33554432.0, "read"]
"""


def _probed(tmp_path: Path, measured: bool = True) -> Path:
    p = tmp_path / ("cpu.toml" if measured else "cpu_datasheet.toml")
    p.write_text(PROBED.format(measured=str(measured).lower()), encoding="utf-8")
    return p


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out, err = capsys.readouterr()
    assert e.value.code in (0, None), err
    return json.loads(out)


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    err = capsys.readouterr().err
    assert e.value.code == 2 and "fix:" in err, err
    return err


def test_probed_spec_in_plan_explain_and_serve(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = str(_probed(tmp_path))
    d = _json(capsys, "plan", "--model", "gpt3-125m", "--hardware", spec, "--devices", "1,2", "--tokens", "1e9",
              "--json")
    assert d["feasible"] > 0 and d["best"][0]["hardware"] == "vm-cpu"
    e = _json(capsys, "plan", "explain", "--model", "gpt3-125m", "--hardware", spec, "--devices", "1",
              "--zero", "0", "--tokens", "1e9", "--json")
    assert e["calibration"] == "probed" and e["feasible"]
    t = {x["name"]: x["value"] for x in e["terms"]}
    f = t["in_first_gemm_flops"]
    # Efficiency against a measured peak is only the op-size falloff: eff(F) = 1.0 x F / (F + F_half), the half-size
    # point given as a time (matmul_half_s x peak x eff_max: the same fixed cost per GEMM at a CPU's rate).
    cal = load_calibrations()["probed"]
    half = cal.matmul_half_s * t["in_peak_flop_per_s"] * cal.matmul_eff_max
    assert t["in_first_gemm_eff"] == pytest.approx(f / (f + half))
    assert t["in_peak_flop_per_s"] == pytest.approx(2981484004.6)
    assert 0 < t["mfu"] <= t["hfu"] <= 1.0  # hardware FLOPs can never beat the achieved peak
    s = _json(capsys, "plan", "serve", "--model", "gpt3-125m", "--hardware", spec, "--batch", "1,4", "--json")
    r = s["results"][0]
    assert r["device"] == "vm-cpu" and r["calibration"]["prefill_compute_efficiency"] == 1.0
    assert r["calibration"]["decode_bandwidth_efficiency"] == 1.0


def test_measured_peak_not_derated_twice(tmp_path: Path) -> None:
    measured = get_device(str(_probed(tmp_path, True)))
    datasheet = get_device(str(_probed(tmp_path, False)))
    cals = load_calibrations()
    assert measured.measured and not datasheet.measured
    assert calibration_for(measured, cals).matmul_eff_max == 1.0
    assert calibration_for(datasheet, cals).matmul_eff_max < 1.0
    assert calibration_for_spec(measured) is MEASURED_CALIBRATION
    assert calibration_for_spec(datasheet).family != "probed"  # a datasheet spec gets its [serving.*] table
    # A user's explicit serving calibration is kept even for a measured spec.
    from dataclasses import replace

    mine = replace(DEFAULT_CALIBRATION, decode_bandwidth_efficiency=0.5)
    assert calibration_for_spec(measured, mine) is mine


def test_probed_links_keep_datasheet_efficiency() -> None:
    # probe measures no links: the catalog or the 100 Gb/s default stays derated like a datasheet figure.
    cals = load_calibrations()
    assert cals["probed"].scaleout_bw_eff == cals["default"].scaleout_bw_eff


def test_simulated_design(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "tpu.toml"
    with pytest.raises(SystemExit) as e:
        main(["simulate", "export", "-d", "tpu-v1", "--out", str(out)])
    assert e.value.code in (0, None)
    capsys.readouterr()
    hw = str(out)
    # TPU v1 lists an int8 peak only: training (bf16/fp16/fp8) and bf16 serving say so and what to do.
    assert "training needs" in _fails(capsys, "plan", "--model", "gpt3-125m", "--hardware", hw, "--devices", "1,2")
    assert "pick other --hardware" in _fails(capsys, "plan", "explain", "--model", "gpt3-125m", "--hardware", hw,
                                             "--devices", "1")
    # (int8 is weight-only since srvfit: 16-bit matmuls, which TPU v1 lacks; w8a8 runs at its int8 peak)
    assert "--weight-dtype w8a8" in _fails(capsys, "plan", "serve", "--model", "gpt3-125m", "--hardware", hw)
    s = _json(capsys, "plan", "serve", "--model", "gpt3-125m", "--hardware", hw, "--weight-dtype", "w8a8",
              "--batch", "1,8", "--json")
    pts = s["results"][0]["points"]
    assert s["results"][0]["device"] == "tpu-v1" and pts[0]["compute_dtype"] == "int8" and pts[0]["fits"]
    # A simulated design is not measured: the datasheet efficiencies apply.
    cal = s["results"][0]["calibration"]
    assert cal["family"] == "default" and cal["fitted"] is False  # the unfitted [serving.default] table


def test_simulated_design_trains_when_it_lists_bf16(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (tmp_path / "d.toml")
    text.write_text("""
[[device]]
name = "my-design"
kind = "asic"
vendor = "custom design"
peak_flop_per_s = { bf16 = [1.0e14, "simulated design: 2 x 65536 MACs x 7.6e8 Hz"] }
memory_bytes = [3.2e10, "simulated design: dram_bytes"]
memory_bandwidth_byte_per_s = [1.0e12, "simulated design: dram_bandwidth_byte_per_s"]
""", encoding="utf-8")
    d = _json(capsys, "plan", "--model", "gpt3-125m", "--hardware", str(text), "--devices", "1,2", "--tokens", "1e9",
              "--json")
    assert d["best"][0]["hardware"] == "my-design"
    e = _json(capsys, "plan", "explain", "--model", "gpt3-125m", "--hardware", str(text), "--devices", "1",
              "--tokens", "1e9", "--json")
    assert e["calibration"] == "default" and e["prediction"]["hfu"] < 1.0
