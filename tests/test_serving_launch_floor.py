"""srvfloor: `plan serve` under a table not fitted on published runs has a per-forward launch floor on NVIDIA GPUs.

Before: `[serving.default]` has per_step_overhead_s = 0 and no launch term, so a 2-layer, 64-wide model decoded on an
L4 at 2.4 us a token (about 420k tokens/s for one stream), labelled only 'uncalibrated'. Every forward launches at
least one kernel per op per layer, and a kernel replayed from a CUDA graph holds the GPU about a microsecond
(predict/launch_floor.py: the counts from vLLM's Llama forward, the time from pytorch/pytorch issue #161104).
Fitted tables keep their fitted per-step overhead; devices the source does not cover (AMD, Trainium) keep theirs.
Since srv2 (2026-12-02) the floor is a lower bound on the kernels' time under every table, max(roofline, floor), not
added to the roofline under an unfitted one (tests/test_serving_launch_floor_one_form.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import launch_floor
from accelopt.predict import serving as sv
from accelopt.predict.serving_validation import read_serving_runs
from accelopt.workload.presets import get_model

TINY = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 256,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 1000,
        "max_position_embeddings": 2048, "torch_dtype": "bfloat16"}
"""The reviewer's case: a 2-layer, 64-wide Llama-shaped decoder (a config.json, as a user would give it)."""


@pytest.fixture
def tiny_config(tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    return str(path)


def _predict(config: str, device: str) -> sv.ServingPrediction:
    return sv.predict_serving(get_model(config), get_device(device), batch=1, prompt_len=128, output_len=128)


def test_floor_grows_with_depth() -> None:
    """Qwen2.5-0.5B (24 layers) on the L4: 220 kernels a forward, 0.242 ms (the L4 rows' notes quote 0.24 ms), a
    bound below its decode step's roofline."""
    assert launch_floor.forward_kernels(24) == 220
    p = sv.predict_serving(get_model("qwen2.5-0.5b"), get_device("l4"), batch=1, prompt_len=256, output_len=128)
    assert p.decode_step.launch_floor_s == pytest.approx(220 * 1.1e-6)
    rows = {r["id"]: r for r in read_serving_runs()[0]}
    for c in (16, 32):  # the throughput notes name the floor and say it is below the roofline at every C
        note = rows[f"wmx-l4-q25-05b-256-128-c{c}-tput"]["note"]
        assert (f"the per-forward launch floor, {p.decode_step.launch_floor_s * 1e3:.2f} ms, is a lower bound on the "
                "kernels' time, below the roofline here at every C") in note


@pytest.mark.parametrize("device", ["h100-sxm", "a100-sxm-80gb", "l40s"])
def test_fitted_tables_keep_their_fitted_per_step_overhead(tiny_config: str, device: str) -> None:
    """Calibrated families keep their values, 0 included (nvidia-ampere's fit sits at its grid's lower edge)."""
    table = sv.calibration_for_spec(get_device(device))
    assert table.fitted
    p = _predict(tiny_config, device)
    assert p.decode_step.overhead_s == table.per_step_overhead_s


@pytest.mark.parametrize("device", ["mi355x", "mi350x", "trainium2-lnc2"])
def test_no_floor_where_the_source_does_not_reach(tiny_config: str, device: str) -> None:
    """The per-kernel figure is CUDA-graph replay on NVIDIA GPUs: an AMD GPU or a Trainium on an unfitted table keeps
    its per-step overhead (0 on [serving.default]; the MI355X's derived 1154 us, [serving.amd-instinct-cdna4], rmi355)
    and gets no floor, and no 'default used:' line names one there."""
    spec = get_device(device)
    cal = sv.calibration_for_spec(spec)
    assert not cal.fitted
    p = _predict(tiny_config, device)
    assert p.decode_step.overhead_s == cal.per_step_overhead_s == (1154e-6 if device == "mi355x" else 0)
    assert p.decode_step.launch_floor_s == 0
    note = sv.launch_floor_points_note([p], spec, get_model(tiny_config))
    assert note is None or not note.startswith("default used:")


def test_readme_quotes_the_tiny_model_before_and_after(tiny_config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """README's calibration paragraph quotes the reviewer's case before and after the floor; both recomputed."""
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    after_us = {d: _predict(tiny_config, d).tpot_s * 1e6 for d in ("a100-sxm-80gb", "l4")}
    assert round(after_us["a100-sxm-80gb"], 1) == round(after_us["l4"], 1)
    monkeypatch.setattr(launch_floor, "bounds", lambda spec: False)
    before_us = {d: _predict(tiny_config, d).tpot_s * 1e6 for d in ("a100-sxm-80gb", "l4")}
    assert (f"A 2-layer, 64-wide model decoded at {before_us['a100-sxm-80gb']:.2f} µs a token on an A100 and "
            f"{before_us['l4']:.1f} µs on an L4 before the floor, {after_us['l4']:.1f} µs on both now") in readme
