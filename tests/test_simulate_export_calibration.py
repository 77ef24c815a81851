"""`simulate export` fits the design's own op-size curve on its cycle-level simulator, and `plan infer` uses it.

Before, an exported design fell into inference family 'default' (a curve set on large GPUs) and plan infer only
labelled its latency '(u)': on nvdla-256, ResNet-50 v1's conv time came out 4x the simulator's, KWS DS-CNN's 190x.
Now the spec carries inference_curve (simulate/calibration.py: the declared ladder, fit_compute_curve's grid),
each value with its source, and plan infer prints it as the calibration basis.

Held-out check (tolerance stated before the comparison was coded: 25%, the issue's bar for a row needing a note):
plan infer's conv + matmul time at batch 1 against `simulate run`'s cycle-level latency of the same model (the
simulator times GEMM/conv layers only; both commands build the same layers for these models: resnet50-v1 is He et
al.'s v1 in both, vgg16 / mobilenet-v2 / kws-dscnn are plan infer's examples, which `simulate run -m` captures).
A case the F-only curve cannot follow is a strict xfail with its reason.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import pytest
import tomllib
from conftest import run_main
from typer.testing import CliRunner

from accelopt.cli.main import app
from accelopt.cli.simulate import with_fitted_curve
from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict.inference import compute_time_s, load_runtimes, plan_inference, runtime_for
from accelopt.predict.inference_validation import fit_compute_curve
from accelopt.simulate import Design, Layer, get_design, simulate
from accelopt.simulate.calibration import curve_grid, ladder_layers, simulate_ladder
from accelopt.simulate.export import write_spec_toml
from accelopt.simulate.models import model_layers
from accelopt.workload.types import MATMUL_LIKE, Workload

TOLERANCE = 0.25
"""Stated before the held-out comparison was run: |plan infer / simulate run - 1| <= 25%."""

DESIGNS = ("tpu-v1", "edge-npu", "nvdla-2048", "nvdla-1024", "nvdla-512", "nvdla-256", "nvdla-128", "nvdla-64",
           "nvdla-32")
"""Every preset that exports (eyeriss is int16, which no catalog peak key holds)."""
MODELS = ("resnet50-v1", "vgg16", "mobilenet-v2", "kws-dscnn")

DEPTHWISE = ("depthwise convs: each channel is its own GEMM of K = 9, N = 1 (simulate/layers.py from_conv), one fold "
             "through 9 rows and 1 column of the array, while plan infer times the whole op by its FLOP count; on "
             "arrays of 256 MACs or more these layers take 3-80x the curve's time in the simulator")
FC_BATCH1 = ("vgg16's three fully connected layers at batch 1 are GEMMs with M = 1: each fold streams one row through "
             "the array's fill and drain, 6.9 ms in the simulator against 0.9 ms on the curve (which gives them a "
             "square GEMM's efficiency for their FLOP count)")
REREAD = ("vgg16's conv3_2/3_3 and conv4_2/4_3 overflow nvdla-32's 128 KB convolution buffer: the simulator's tiling "
          "model re-reads their inputs from its 0.5 GB/s SDRAM (36-125 ms of stalls each), while plan infer's memory "
          "term reads each tensor once")
KNOWN_GAPS: dict[tuple[str, str], str] = {
    **{(d, m): DEPTHWISE for d in ("tpu-v1", "edge-npu", "nvdla-2048", "nvdla-1024", "nvdla-512", "nvdla-256")
       for m in ("mobilenet-v2", "kws-dscnn")},
    ("edge-npu", "vgg16"): FC_BATCH1,
    ("nvdla-32", "vgg16"): REREAD,
}


def _design(name: str) -> Design:
    d = get_design(name)
    return d if d.dram_bytes is not None else d.with_(dram_bytes=8e9)  # nvdla-*: give a capacity, as --dram-bytes


@functools.cache
def _exported(name: str, folder: str) -> AcceleratorSpec:
    """The design's spec with its fitted curve, written as `simulate export` writes it and read back."""
    d = _design(name)
    path = Path(folder) / f"{name}.toml"
    write_spec_toml(with_fitted_curve(d, d.to_accelerator_spec()), path)
    return get_device(str(path))


@functools.cache
def _workload(model: str) -> Workload:
    from accelopt.workload.inference_zoo import build_example, capture_inference

    return capture_inference(build_example(model, 1, None, meta=True))


@functools.cache
def _layers(model: str) -> list[Layer]:
    return model_layers(model, 1)[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("exports"))


def _case(design: str, model: str) -> pytest.ParameterSet:
    reason = KNOWN_GAPS.get((design, model))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(design, model, marks=marks, id=f"{design}-{model}")


@pytest.mark.parametrize(("design", "model"), [_case(d, m) for d in DESIGNS for m in MODELS])
def test_plan_infer_follows_the_simulator(design: str, model: str, folder: str) -> None:
    spec = _exported(design, folder)
    point = plan_inference({1: _workload(model)}, [spec], dtype="int8").devices[0].points[0]
    predicted_s = sum(c.time_s for c in point.op_classes if c.where == "device" and c.op_class in MATMUL_LIKE)
    simulated_s = simulate(_design(design), _layers(model)).latency_s
    assert abs(predicted_s / simulated_s - 1) <= TOLERANCE, (predicted_s, simulated_s)


# ----------------------------------------------------------------------------- export
def test_export_writes_the_fitted_curve_with_its_source(tmp_path: Path) -> None:
    out = tmp_path / "tpu.toml"
    res = CliRunner().invoke(app, ["simulate", "export", "-d", "tpu-v1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "op-size curve for `plan infer`" in res.output
    curve = tomllib.loads(out.read_text())["device"][0]["inference_curve"]
    assert set(curve) == {"matmul_eff_max", "matmul_half_flop", "memory_eff", "op_overhead_s"}
    value, source = curve["matmul_eff_max"]
    assert 0 < value <= 1
    assert "15 shapes of design tpu-v1" in source and "mean |log error|" in source, source
    assert curve["matmul_half_flop"][1] == source  # fitted together, one source
    assert curve["memory_eff"][0] == 1.0 and "simulate/memory.py" in curve["memory_eff"][1]
    assert curve["op_overhead_s"][0] == 0.0  # tpu-v1 models no DRAM latency


def test_export_json_carries_the_curve(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", "export", "-d", "tpu-v1", "--out", str(tmp_path / "t.toml"), "--json"])
    assert res.exit_code == 0, res.output
    spec = json.loads(res.output)["spec"]
    assert spec["inference_curve"]["matmul_eff_max"] > 0
    assert "fitted by `accelopt simulate export`" in spec["sources"]["inference_curve.matmul_eff_max"]


def test_op_overhead_is_the_design_dram_latency() -> None:
    d = _design("tpu-v1").with_(dram_latency_s=100e-9)
    spec = with_fitted_curve(d, d.to_accelerator_spec())
    assert spec.inference_curve["op_overhead_s"] == pytest.approx(100e-9)
    assert "dram_latency_s" in spec.sources["inference_curve.op_overhead_s"]


def test_the_fit_finds_a_curve_it_was_given() -> None:
    """Times made by a curve on the grid come back as that curve (the fit is no constant)."""
    d = _design("nvdla-256")
    base = runtime_for(d.to_accelerator_spec(), load_runtimes())
    grid = curve_grid(d)
    truth = base.__class__(**{**base.__dict__, "matmul_eff_max": 0.63, "matmul_half_flop": grid["matmul_half_flop"][5]})
    flops = [2.0 * x.macs for x in ladder_layers(d)]
    times = [compute_time_s(f, d.peak_op_per_s, truth) for f in flops]
    err, rt = fit_compute_curve(base, grid, flops, d.peak_op_per_s, times)
    assert err == pytest.approx(0.0, abs=1e-12)
    assert (rt.matmul_eff_max, rt.matmul_half_flop) == (0.63, grid["matmul_half_flop"][5])


def test_ladder_is_cheap_and_positive() -> None:
    ladder = simulate_ladder(_design("tpu-v1"))
    assert len(ladder.names) == 15 and all(t > 0 and math.isfinite(t) for t in ladder.compute_s)


# ----------------------------------------------------------------------------- plan infer
def test_plan_infer_uses_the_exported_curve(tmp_path: Path) -> None:
    out = tmp_path / "npu.toml"
    assert CliRunner().invoke(app, ["simulate", "export", "-d", "nvdla-256", "--out", str(out), "--dram-bytes",
                                    "8e9"]).exit_code == 0
    args = ["plan", "infer", "resnet50-v1", "--hardware", str(out), "--batch", "1", "--dtype", "int8"]
    table = CliRunner().invoke(app, args).output
    row = next(ln for ln in table.splitlines() if ln.startswith("│ nvdla-256"))
    assert "(u)" not in row and "(u) = " not in table, table
    assert "calibration basis of nvdla-256" in " ".join(table.split())
    doc = json.loads(CliRunner().invoke(app, [*args, "--json"]).output)
    dev = doc["devices"][0]
    assert dev["fitted_on"] and "15 shapes of design nvdla-256" in dev["fitted_on"][0]
    assert any(n.startswith("calibration basis of nvdla-256") for n in dev["notes"])
    assert not any("uncalibrated" in n for n in dev["notes"])


def test_old_export_without_the_curve_keeps_the_label(tmp_path: Path) -> None:
    """A spec TOML written before the fit (no inference_curve table) is labelled as before."""
    out = tmp_path / "old.toml"
    assert CliRunner().invoke(app, ["simulate", "export", "-d", "nvdla-256", "--out", str(out), "--dram-bytes",
                                    "8e9", "--no-calibration"]).exit_code == 0
    assert "inference_curve" not in out.read_text()
    table = CliRunner().invoke(app, ["plan", "infer", "resnet50-v1", "--hardware", str(out), "--batch", "1"]).output
    row = next(ln for ln in table.splitlines() if ln.startswith("│ nvdla-256"))
    assert "(u)" in row, table


# ----------------------------------------------------------------------------- bad inputs
RS_TINY = """[design]
name = "rs-tiny"
rows = 12
cols = 14
dataflow = "rs"
dtype = "int8"
clock_hz = 200e6
ifmap_sram_bytes = 108000
filter_sram_bytes = 168
ofmap_sram_bytes = 168
dram_bandwidth_byte_per_s = 1e9
dram_bytes = 1e9
tech_node_nm = 65
"""


def test_a_ladder_that_cannot_be_simulated_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    design = tmp_path / "rs.toml"
    design.write_text(RS_TINY)
    code, _, err = run_main(["simulate", "export", "-d", str(design), "--out", str(tmp_path / "o.toml")], capsys)
    assert code == 2, err
    text = " ".join(err.split())
    assert "calibration ladder" in text and "cannot be simulated" in text and "--no-calibration" in text, text
    assert not (tmp_path / "o.toml").exists()
    code, _, err = run_main(["simulate", "export", "-d", str(design), "--out", str(tmp_path / "o.toml"),
                             "--no-calibration"], capsys)  # the fix the error names works
    assert code == 0 and (tmp_path / "o.toml").exists(), err


def test_no_calibration_is_for_toml_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(tmp_path / "t.cfg"),
                             "--no-calibration"], capsys)
    assert code == 2 and "--no-calibration" in err, err
    assert not (tmp_path / "t.cfg").exists()


@pytest.mark.parametrize(("line", "said"), [
    ('bogus = [1.0, "x"]', "unknown key 'bogus'"),
    ('matmul_eff_max = [1.5, "x"]', "inference_curve.matmul_eff_max = 1.5"),
    ('matmul_half_flop = [-1.0, "x"]', "inference_curve.matmul_half_flop = -1.0"),
])
def test_catalog_refuses_a_bad_curve(tmp_path: Path, line: str, said: str) -> None:
    path = tmp_path / "d.toml"
    path.write_text('[[device]]\nname = "x-npu"\nkind = "asic"\nmemory_bytes = [8e9, "s"]\n'
                    'memory_bandwidth_byte_per_s = [25e9, "s"]\npeak_flop_per_s = { int8 = [1e12, "s"] }\n'
                    f"[device.inference_curve]\n{line}\n")
    with pytest.raises(InputError, match="inference_curve") as e:
        get_device(str(path))
    assert said in e.value.problem, e.value.problem


def test_every_curve_key_is_a_runtime_field() -> None:
    """A spec's inference_curve replaces fields of the family's InferenceRuntime by name."""
    from dataclasses import fields

    from accelopt.hardware.spec import INFERENCE_CURVE_KEYS
    from accelopt.predict.inference import InferenceRuntime

    assert set(INFERENCE_CURVE_KEYS) <= {f.name for f in fields(InferenceRuntime)}
