"""Calibration: bundled families, user override file, probed specs, and bad files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.training import Layout, Layouts, Setup, evaluate
from accelopt.workload.presets import get_model


def test_family_by_device_name() -> None:
    cals = load_calibrations()
    assert calibration_for(get_device("a100-sxm-80gb"), cals).family == "nvidia-ampere"
    assert calibration_for(get_device("h100-sxm"), cals).family == "nvidia-hopper"
    assert calibration_for(get_device("mi300x"), cals).family == "amd-instinct-cdna3"  # derived, not fitted
    assert calibration_for(get_device("mi250x"), cals).family == "default"
    probed = replace(get_device("h100-sxm"), measured=True)
    assert calibration_for(probed, cals).family == "probed"
    assert cals["nvidia-ampere"].fitted_on  # the bundled file says what it was fitted on


def test_override_file_changes_prediction(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "src/accelopt/predict/data/calibration.toml").read_text()
    bundled = load_calibrations()["nvidia-ampere"].matmul_eff_max
    line = f"matmul_eff_max = {bundled:.2f}"
    assert line in text
    slow = text.replace(line, f"matmul_eff_max = {bundled / 2:.2f}", 1)
    p = tmp_path / "cal.toml"
    p.write_text(slow)
    cals = load_calibrations(p)
    spec = get_device("a100-sxm-80gb")
    setup = Setup(model=get_model("gpt3-13b"), seq_len=2048, global_batch=64)
    lay = Layouts.of([Layout(tp=8, dp=1, m=64)])
    base = evaluate(setup, spec, lay, calibration_for(spec)).row(0)["t_fwd_s"]
    slower = evaluate(setup, spec, lay, calibration_for(spec, cals)).row(0)["t_fwd_s"]
    assert slower > 1.5 * base


def test_bad_calibration_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_calibrations(tmp_path / "none.toml")
    p = tmp_path / "bad.toml"
    p.write_text("[family.x]\nmatmul_eff_max = 2.0\n")
    with pytest.raises(InputError, match="lacks"):
        load_calibrations(p)
    p.write_text("[family.x]\n" + "\n".join(f"{k} = 0.5" for k in (
        "matmul_eff_max", "matmul_half_flop", "memory_eff", "scaleup_bw_eff", "scaleout_bw_eff", "overlap_eff",
        "kernel_overhead_s", "framework_overhead_bytes")).replace("matmul_eff_max = 0.5", "matmul_eff_max = 1.5"))
    with pytest.raises(InputError, match="matmul_eff_max"):
        load_calibrations(p)
    p.write_text("not = [toml")
    with pytest.raises(InputError, match="TOML"):
        load_calibrations(p)


def test_a_probed_cpu_holds_the_cpu_frameworks_footprint_not_a_gpu_stacks() -> None:
    """A measured spec of kind cpu keeps the probe's rates (the probed family) but the cpu family's measured framework
    overhead (3.2e8 B, benchmarks/bench_cpu_framework_overhead.py): it charged the GPU stacks' 2.5e9 B (CUDA context),
    so plan on a probed CPU said 2.33 GiB per device where profile measured 336 MiB (fixup3's finding)."""
    cals = load_calibrations()
    cpu = replace(get_device("xeon-8480plus"), measured=True)
    gpu = replace(get_device("h100-sxm"), measured=True)
    assert cpu.kind == "cpu" and gpu.kind == "gpu"
    on_cpu, on_gpu = calibration_for(cpu, cals), calibration_for(gpu, cals)
    assert on_cpu.family == on_gpu.family == "probed"
    assert on_cpu.framework_overhead_bytes == cals["cpu"].framework_overhead_bytes < 1e9
    assert on_gpu.framework_overhead_bytes == cals["probed"].framework_overhead_bytes == 2.5e9
    assert on_cpu.matmul_eff_max == on_gpu.matmul_eff_max == cals["probed"].matmul_eff_max  # the probe's rates


def test_a_probed_specs_mfu_is_said_to_divide_by_its_measured_peaks(capsys: pytest.CaptureFixture[str]) -> None:
    """The H200 probed on 2026-12-04 (benchmarks/results/gpu_nvidia-h200/probe_spec.toml: bf16 665 TFLOP/s, the
    sustained rate at its power cap): plan printed 'MFU 91.3%' for it beside 60.2% for the catalog h200 at nearly
    the same step time, and said nothing of why. The probed basis now says what its MFU divides by."""
    from conftest import run_main_expect

    spec = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "gpu_nvidia-h200" / "probe_spec.toml"
    # one device: a probed spec lists no link between devices, so plan runs it on one only (b29991fe)
    out, err = run_main_expect(capsys, "plan", "--model", "llama2-7b", "--hardware", f"h200,{spec}",
                               "--devices", "1", "--tokens", "1e9", "--json")
    text = " ".join((out + err).split())
    assert "divides by those measured peaks, not the datasheet's" in text
