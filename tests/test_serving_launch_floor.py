"""srvfloor: `plan serve` under a table not fitted on published runs has a per-forward launch floor on NVIDIA GPUs.

Before: `[serving.default]` has per_step_overhead_s = 0 and no launch term, so a 2-layer, 64-wide model decoded on an
L4 at 2.4 us a token (about 420k tokens/s for one stream), labelled only 'uncalibrated'. Every forward launches at
least one kernel per op per layer, and a kernel replayed from a CUDA graph holds the GPU about a microsecond
(predict/launch_floor.py: the counts from vLLM's Llama forward, the time from pytorch/pytorch issue #161104).
Fitted tables keep their fitted per-step overhead; devices the source does not cover (AMD, Trainium) keep theirs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main

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


def test_tiny_model_on_l4_decodes_no_faster_than_the_launch_floor(tiny_config: str) -> None:
    """The fix: TPOT >= (9 kernels x 2 layers + 4) x 1.1 us = 24.2 us (it was 2.4 us), through the per-step
    overhead term the fitted tables use (the decode step's overhead_s), and each prefill chunk pays it too."""
    p = _predict(tiny_config, "l4")
    floor_s = launch_floor.forward_floor_s(2)
    assert floor_s == pytest.approx(22 * 1.1e-6)
    assert p.calibration.family == "default" and not p.calibration.fitted
    assert p.tpot_s >= floor_s
    assert p.decode_step.overhead_s == pytest.approx(floor_s)
    assert p.calibration.per_step_overhead_s == pytest.approx(floor_s)
    assert p.prefill.overhead_s == pytest.approx(floor_s)  # 128 tokens: one prefill chunk
    assert p.ttft_s >= floor_s


def test_floor_grows_with_depth() -> None:
    """Qwen2.5-0.5B (24 layers) on the L4: 220 kernels a forward, 0.242 ms (the L4 rows' notes quote 0.24 ms)."""
    assert launch_floor.forward_kernels(24) == 220
    p = sv.predict_serving(get_model("qwen2.5-0.5b"), get_device("l4"), batch=1, prompt_len=256, output_len=128)
    assert p.decode_step.overhead_s == pytest.approx(220 * 1.1e-6)
    rows = {r["id"]: r for r in read_serving_runs()[0]}
    for c in (16, 32):  # the throughput notes name the floor the model now charges at every C
        note = rows[f"wmx-l4-q25-05b-256-128-c{c}-tput"]["note"]
        assert f"the per-forward launch floor, {p.decode_step.overhead_s * 1e3:.2f} ms here at every C" in note


@pytest.mark.parametrize("device", ["h100-sxm", "a100-sxm-80gb", "l40s"])
def test_fitted_tables_keep_their_fitted_per_step_overhead(tiny_config: str, device: str) -> None:
    """Calibrated families keep their values, 0 included (nvidia-ampere's fit sits at its grid's lower edge)."""
    table = sv.calibration_for_spec(get_device(device))
    assert table.fitted
    p = _predict(tiny_config, device)
    assert p.decode_step.overhead_s == table.per_step_overhead_s


@pytest.mark.parametrize("device", ["mi355x", "trainium2-lnc2"])
def test_no_floor_where_the_source_does_not_reach(tiny_config: str, device: str) -> None:
    """The per-kernel figure is CUDA-graph replay on NVIDIA GPUs: an AMD GPU or a Trainium on the unfitted table
    keeps its per-step overhead (0), and no 'default used:' line names a floor there."""
    spec = get_device(device)
    cal = sv.calibration_for_spec(spec)
    assert not cal.fitted
    assert _predict(tiny_config, device).decode_step.overhead_s == cal.per_step_overhead_s == 0
    assert sv.launch_floor_note(cal, spec, get_model(tiny_config)) is None


def test_floor_is_idempotent_and_a_larger_table_value_wins(tiny_config: str) -> None:
    """A prediction's calibration passed back in is not floored twice; an unfitted table with a larger value keeps
    it (the floor is a max, not an addition)."""
    model, spec = get_model(tiny_config), get_device("l4")
    once = sv.with_launch_floor(sv.calibration_for_spec(spec), spec, model)
    assert sv.with_launch_floor(once, spec, model) == once
    big = replace(sv.calibration_for_spec(spec), per_step_overhead_s=1e-3)
    assert sv.with_launch_floor(big, spec, model) == big
    assert sv.launch_floor_note(big, spec, model) is None


def test_plan_serve_prints_the_default_used_line_in_text_and_json(tiny_config: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The floor is a default in place of a missing (fitted) figure: printed beside the result, console and JSON,
    for the device it applies to only."""
    argv = ["plan", "serve", "--model", tiny_config, "--hardware", "l4,h100-sxm", "--batch", "1", "--prompt", "128",
            "--output", "128"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "default used: per-forward overhead on l4 24.2 us" in text
    assert "22 kernels a forward (9 per layer x 2 layers + 4" in text and "pytorch/pytorch issue #161104" in text
    assert "overhead on h100-sxm" not in text
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    floor_notes = [n for n in doc["notes"] if n.startswith("default used: per-forward overhead")]
    assert len(floor_notes) == 1 and " l4 " in floor_notes[0]
    l4 = next(r for r in doc["results"] if r["device"] == "l4")
    assert l4["points"][0]["decode_step"]["overhead_s"] == pytest.approx(launch_floor.forward_floor_s(2))


def test_readme_quotes_the_tiny_model_before_and_after(tiny_config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """README's calibration paragraph quotes the reviewer's case before and after the floor; both recomputed."""
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    after_us = _predict(tiny_config, "l4").tpot_s * 1e6
    monkeypatch.setattr(launch_floor, "applies", lambda spec, fitted: False)
    before_us = _predict(tiny_config, "l4").tpot_s * 1e6
    assert (f"a 2-layer, 64-wide model on an L4 decoded at {before_us:.1f} µs a token before it, {after_us:.1f} µs "
            "now") in readme


def test_a_users_fitted_table_replaces_the_floor(tiny_config: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The note's fix: a --calibration table that names the runs it was fitted on keeps its own per-step overhead,
    even below the floor, and no 'default used:' floor line is printed; without fitted_on the floor applies."""
    def serve(fitted_on: str) -> tuple[float, str]:
        cal = tmp_path / "my.toml"
        cal.write_text(f'[serving.my-l4]\nmatch = ["l4"]\n{fitted_on}per_step_overhead_s = 1e-5\n', encoding="utf-8")
        code, out, err = run_main(["plan", "serve", "--model", tiny_config, "--hardware", "l4", "--batch", "1",
                                   "--prompt", "128", "--output", "128", "--calibration", str(cal), "--json"], capsys)
        assert code == 0, err
        doc = json.loads(out)
        notes = " ".join(doc["notes"])
        return doc["results"][0]["points"][0]["decode_step"]["overhead_s"], notes

    overhead_s, notes = serve('fitted_on = ["my-own-l4-run"]\n')
    assert overhead_s == pytest.approx(1e-5) and "per-forward overhead on l4" not in notes
    overhead_s, notes = serve("")
    assert overhead_s == pytest.approx(launch_floor.forward_floor_s(2)) and "per-forward overhead on l4" in notes
