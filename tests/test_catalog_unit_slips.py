"""A catalog file's number in the wrong unit (989 meaning TFLOP/s, 3350 meaning GB/s, 80 meaning GB, 2.4 meaning
microseconds) is refused with the field, the value and the SI figure it likely meant (hardware/spec.py UNIT_SLIPS).
Before, such a file loaded and `plan` ran the device a trillion times slower (or a link 1e6 times slower) than meant."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import default_catalog, load_file

GOOD = """[[device]]
name = "my-gpu"
kind = "gpu"
peak_flop_per_s = { bf16 = [989e12, "ds"] }
memory_bytes = [80e9, "ds"]
memory_bandwidth_byte_per_s = [3.35e12, "ds"]
scaleup_domain_devices = [8, "ds"]
scaleup_latency_s = [2.4e-6, "ds"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("old, new, field, fix", [
    ("989e12", "989", "peak_flop_per_s.bf16", "989e12 if 989 is in TFLOP/s"),
    ("[80e9", "[80", "memory_bytes", "80e9 if 80 is in GB"),
    ("3.35e12", "3350", "memory_bandwidth_byte_per_s", "3350e9 if 3350 is in GB/s"),
    ("2.4e-6", "2.4", "scaleup_latency_s", "2.4e-6 if 2.4 is in microseconds"),
])
def test_a_figure_in_the_wrong_unit_is_refused_with_the_si_figure(tmp_path: Path, old: str, new: str, field: str,
                                                                   fix: str) -> None:
    with pytest.raises(InputError) as e:
        load_file(_write(tmp_path, GOOD.replace(old, new, 1)))
    assert field in e.value.problem and "my-gpu" in e.value.problem and fix in e.value.fix


def test_si_figures_load_and_the_builtin_catalog_passes(tmp_path: Path) -> None:
    [spec] = load_file(_write(tmp_path, GOOD))
    assert spec.memory_bandwidth_byte_per_s == 3.35e12
    assert len(default_catalog()) > 30  # every built-in figure clears the bounds (the Edge TPU's 8 MB, 0.5 GB/s)


def test_plan_with_the_slipped_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, GOOD.replace("3.35e12", "3350", 1))
    code, _out, err = run_main(["plan", "--model", "gpt3-125m", "--catalog", str(path), "--hardware", "my-gpu",
                                "--devices", "8"], capsys)
    assert code == 2 and str(path) in err and "3350e9" in err


def test_export_refuses_a_design_its_catalog_file_would_refuse(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A 1 x 1 array at 1 kHz (4e3 OP/s) exported before, and the file it wrote then failed to load. Since the design
    file refuses a clock under 10 kHz (simulate.design.MIN_CLOCK_HZ: a figure in MHz), it is refused at load, naming
    the clock; no file is written either way."""
    text = Path("examples/my_design.toml").read_text(encoding="utf-8")
    tiny = text.replace("rows = 32", "rows = 1").replace("cols = 32", "cols = 1").replace("clock_hz = 1e9",
                                                                                        "clock_hz = 1e3")
    design, out = tmp_path / "tiny.toml", tmp_path / "tiny-spec.toml"
    design.write_text(tiny, encoding="utf-8")
    code, _out, err = run_main(["simulate", "export", "-d", str(design), "--out", str(out)], capsys)
    assert code == 2 and "clock_hz = 1000 is under" in err and not out.exists()
    code, _out, err = run_main(["simulate", "export", "-d", "examples/my_design.toml", "--out", str(out)], capsys)
    assert code == 0 and load_file(out)[0].name == "my-design", err


# A power figure in milliwatts (NVML's nvmlDeviceGetPowerManagementLimit and Zeus report mW), found by the utval user
# trial, 2026-12-03: an A40 entry (NVIDIA A40 datasheet: max power consumption 300 W) written tdp_w = [300000, ...]
# loaded (the limit was 1e6 W) and plan put its energy at 1000x. Refused above 5e4 W, twice the whole Cerebras CS-3.
@pytest.mark.parametrize(("line", "field", "fix"), [
    ('tdp_w = [300000, "ds"]', "tdp_w", "write 300 if 300000 is in mW"),
    ('idle_w = [72000, "ds"]', "idle_w", "write 72 if 72000 is in mW"),  # without a tdp_w (idle >= tdp says so)
    ('tdp_w = [300, "ds"]\nhost_w = [80000, "ds"]', "host_w", "write 80 if 80000 is in mW"),
])
def test_a_power_in_milliwatts_is_refused_with_the_watts(tmp_path: Path, line: str, field: str, fix: str) -> None:
    with pytest.raises(InputError) as e:
        load_file(_write(tmp_path, f"{GOOD}{line}\n"))
    assert f"{field} = " in e.value.problem and "likely a figure in mW" in e.value.problem and fix in e.value.fix


def test_a_power_in_milliwatts_exits_2_and_real_draws_load(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI names the file, device and field; 300 W and a 23 kW wafer-scale system as one device load."""
    path = _write(tmp_path, f'{GOOD}tdp_w = [300000, "ds"]\n')
    code, _out, err = run_main(["catalog", "show", "my-gpu", "--catalog", str(path)], capsys)
    assert code == 2 and "my-gpu" in err and "tdp_w = 300000 W is above 50000 W" in err
    for watts in (300, 23000):
        assert load_file(_write(tmp_path, f'{GOOD}tdp_w = [{watts}, "ds"]\n'))[0].tdp_w == watts
    assert max(s.tdp_w or 0 for s in default_catalog()) <= 5e4
