"""srv2: one form of the NVIDIA launch floor for every `[serving.*]` table, fitted or not.

Before: a table NOT fitted on published runs (`[serving.default]`: the L4, the Jetson AGX Orin, the L40S under a user
table without fitted_on) charged the floor, (9 x layers + 4) x 1.1 us, in place of its per-step overhead, ADDED to the
roofline: Qwen2.5-0.5B on an L4 paid 0.242 ms on top of a 4.8 ms memory-bound decode step, though the floor's source
(pytorch/pytorch issue #161104) times kernels that compute almost nothing, so a kernel that runs longer has already
paid for its launch inside its roofline time. A fitted table took max(roofline, floor) (srvfit, with that reason). No
source gave a reason for the sum, so every table now takes the max, the table's per-step overhead still added.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_serving_fitted_launch_floor import FLOOR_S, TINY  # the 2-layer, 64-wide model; 24.2 us

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.workload.presets import get_model


@pytest.fixture
def tiny_config(tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    return str(path)


def test_a_large_model_under_the_unfitted_table_pays_no_launch_floor_on_top() -> None:
    """Qwen2.5-0.5B on an L4 ([serving.default]): the decode step is its memory roofline (4.79 ms), the floor (0.242
    ms) a bound below it, not 0.242 ms more; the overhead is the table's 0."""
    p = sv.predict_serving(get_model("qwen2.5-0.5b"), get_device("l4"), batch=1, prompt_len=256, output_len=128)
    assert not p.calibration.fitted and p.calibration.per_step_overhead_s == 0
    step = p.decode_step
    assert step.launch_floor_s == pytest.approx(220 * 1.1e-6)
    assert step.overhead_s == 0 and step.bound == "memory"
    assert step.total_s == pytest.approx(step.memory_s + step.comm_s)
    assert p.tpot_s * 1e3 == pytest.approx(4.79, abs=0.005)


@pytest.mark.parametrize("device", ["l4", "jetson-agx-orin", "a100-sxm-80gb"])
def test_a_tiny_model_takes_the_floor_alone_fitted_or_not(tiny_config: str, device: str) -> None:
    """The tiny model decodes at the floor, 24.2 us a token, under the unfitted table (L4, Orin: 26.6 us and more
    before, roofline + floor) as under the fitted A100 table (per-step overhead 0)."""
    p = sv.predict_serving(get_model(tiny_config), get_device(device), batch=1, prompt_len=128, output_len=128)
    assert p.decode_step.bound == "launch" and p.decode_step.launch_floor_s == pytest.approx(FLOOR_S)
    assert p.decode_step.overhead_s == p.calibration.per_step_overhead_s == 0
    assert p.tpot_s == pytest.approx(FLOOR_S)


def test_an_unfitted_users_table_keeps_its_overhead_and_the_bound(tiny_config: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A --calibration table without fitted_on and per_step_overhead_s 10 us: the overhead is added after the
    bound, as under a fitted table (before, the larger of the two was charged, 24.2 us in all)."""
    cal = tmp_path / "my.toml"
    cal.write_text('[serving.my-l4]\nmatch = ["l4"]\nper_step_overhead_s = 1e-5\n', encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "--model", tiny_config, "--hardware", "l4", "--batch", "1",
                               "--prompt", "128", "--output", "128", "--calibration", str(cal), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    point = doc["results"][0]["points"][0]
    assert point["decode_step"]["overhead_s"] == pytest.approx(1e-5)
    assert point["tpot_s"] == pytest.approx(FLOOR_S + 1e-5)
    notes = [n for n in doc["notes"] if "launch floor on l4" in n]
    assert len(notes) == 1 and notes[0].startswith("default used: per-forward launch floor on l4 24.2 µs as a lower "
                                                   "bound on each forward's kernel time, max(roofline, floor)")
    assert "(not fitted on published runs of this device; its per_step_overhead_s 10 µs" in notes[0]


def test_the_console_says_the_same_for_the_bundled_unfitted_table(tiny_config: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", tiny_config, "--hardware", "l4", "--batch", "1",
                               "--prompt", "128", "--output", "128"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert ("default used: per-forward launch floor on l4 24.2 µs as a lower bound on each forward's kernel time, "
            "max(roofline, floor): it decides the decode step at batch 1; the prefill at batch 1, above the roofline "
            "of the 'default' calibration (not fitted on published runs of this device; its per_step_overhead_s 0 µs"
            ) in text
    assert "in place of the 'default' calibration's per_step_overhead_s" not in text
