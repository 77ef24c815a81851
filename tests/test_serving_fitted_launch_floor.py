"""srvfit (issue #10): a fitted NVIDIA serving table respects the sourced launch floor; a TPU says it has none.

Before: `plan serve` of a 2-layer, 64-wide model on an A100 decoded at 0.35 us a token: `[serving.nvidia-ampere]`'s
fitted per_step_overhead_s is 0 (its fit landed on the grid's lower edge), and the launch floor of
predict/launch_floor.py applied only to unfitted tables. A forward cannot finish before its kernels have run (each at
least 1.1 us replayed from a CUDA graph, pytorch/pytorch issue #161104), so under a fitted table the floor is now a
lower bound on each forward's kernel time, max(roofline, floor), with the fitted overhead still added, printed as
'default used:' where it decides. On a TPU v6e (0.60 us a token, `[serving.google-tpu-v6e]` per-step 0) no source
gives a per-step floor, and `plan serve` now says so instead of printing the figure bare.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import launch_floor
from accelopt.predict import serving as sv
from accelopt.predict.serving_validation import predict_row, read_serving_runs
from accelopt.workload.presets import get_model

TINY = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 256,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 1000,
        "max_position_embeddings": 2048, "torch_dtype": "bfloat16"}
"""The issue's case: a 2-layer, 64-wide Llama-shaped decoder, as a config.json."""
FLOOR_S = launch_floor.forward_floor_s(2)  # (9 x 2 + 4) x 1.1 us = 24.2 us


@pytest.fixture
def tiny_config(tmp_path: Path) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    return str(path)


def _predict(config: str, device: str, batch: int = 1) -> sv.ServingPrediction:
    return sv.predict_serving(get_model(config), get_device(device), batch=batch, prompt_len=128, output_len=128)


@pytest.mark.parametrize("device", ["a100-sxm-80gb", "h100-sxm", "l40s", "b200"])
def test_tiny_model_under_a_fitted_nvidia_table_takes_at_least_the_launch_floor(tiny_config: str,
                                                                                device: str) -> None:
    """Each decode step and prefill chunk takes max(roofline, floor) + comm + the fitted overhead: TPOT >= 24.2 us
    + the table's per_step_overhead_s (the A100's 0 included), the floor not added to the overhead."""
    p = _predict(tiny_config, device)
    cal = p.calibration
    assert cal.fitted
    assert p.decode_step.launch_floor_s == pytest.approx(FLOOR_S)
    assert p.decode_step.bound == "launch" and p.prefill.bound == "launch"
    assert p.decode_step.overhead_s == cal.per_step_overhead_s  # the fitted value, not raised
    assert p.tpot_s == pytest.approx(FLOOR_S + cal.per_step_overhead_s)
    assert p.ttft_s == pytest.approx(FLOOR_S + cal.per_step_overhead_s + cal.per_request_overhead_s)


def test_a100_tpot_before_and_after(tiny_config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's figure: 0.35 us a token on an A100 without the bound (the roofline's weight reads), 24.2 us with."""
    assert _predict(tiny_config, "a100-sxm-80gb").tpot_s * 1e6 == pytest.approx(24.2)
    monkeypatch.setattr(launch_floor, "bounds", lambda spec: False)
    assert _predict(tiny_config, "a100-sxm-80gb").tpot_s * 1e6 == pytest.approx(0.35, abs=0.01)


def test_the_bound_leaves_a_large_model_alone() -> None:
    """Llama 3 8B decodes in milliseconds on an A100: the floor (356 us) decides nothing there."""
    p = sv.predict_serving(get_model("llama3-8b"), get_device("a100-sxm-80gb"), batch=1, prompt_len=128,
                           output_len=128)
    assert p.decode_step.launch_floor_s == pytest.approx(launch_floor.forward_floor_s(32))
    assert p.decode_step.bound == "memory" and p.decode_step.roof_s == p.decode_step.memory_s
    assert p.decode_step.total_s == pytest.approx(p.decode_step.memory_s + p.decode_step.overhead_s)


def test_no_fit_row_of_any_serving_table_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every serving table's fit rows (role `fit`) predict the same figure with the bound as without it: their
    forwards (8B to 405B models) take milliseconds, far above the floor."""
    fit = [r for r in read_serving_runs()[0] if r["role"] == "fit"]
    assert len(fit) >= 40
    after = [predict_row(r)[0] for r in fit]
    monkeypatch.setattr(launch_floor, "bounds", lambda spec: False)
    before = [predict_row(r)[0] for r in fit]
    assert after == before


def test_tpu_v6e_says_it_has_no_sourced_floor(tiny_config: str) -> None:
    """TPU v6e under its fitted table (per-step 0): no floor applies (none sourced), the figure is unchanged, and
    the note says the time may be far below what is achievable; a 70B-class step on it gets no such note."""
    p = _predict(tiny_config, "tpu-v6e")
    assert p.decode_step.launch_floor_s == 0 and p.tpot_s < 1e-6
    note = sv.launch_floor_points_note([p], get_device("tpu-v6e"), get_model(tiny_config))
    assert note is not None and note.startswith("no sourced per-step floor for this device (tpu-v6e")
    assert "the time may be far below what is achievable" in note
    big = sv.predict_serving(get_model("llama3-8b"), get_device("tpu-v6e"), batch=1, prompt_len=128, output_len=128)
    assert sv.launch_floor_points_note([big], get_device("tpu-v6e"), get_model("llama3-8b")) is None


def test_plan_serve_prints_both_lines_in_text_and_json(tiny_config: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Console and JSON: a 'default used:' line for the A100 naming the phases and batches the floor decides, the
    no-floor line for the TPU, and the decode-bound column / JSON bound 'launch' on the A100."""
    argv = ["plan", "serve", "--model", tiny_config, "--hardware", "a100-sxm-80gb,tpu-v6e", "--batch", "1,8",
            "--prompt", "128", "--output", "128"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert ("default used: per-forward launch floor on a100-sxm-80gb 24.2 µs as a lower bound on each forward's "
            "kernel time, max(roofline, floor): it decides the decode step at batch 1, 8; the prefill at batch 1, 8"
            in text)
    assert "no sourced per-step floor for this device (tpu-v6e" in text
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    a100 = next(r for r in doc["results"] if r["device"] == "a100-sxm-80gb")
    step = a100["points"][0]["decode_step"]
    assert step["bound"] == "launch" and step["launch_floor_s"] == pytest.approx(FLOOR_S)
    assert a100["points"][0]["tpot_s"] == pytest.approx(FLOOR_S)
    assert sum("per-forward launch floor on a100-sxm-80gb" in n for n in doc["notes"]) == 1
    assert sum(n.startswith("no sourced per-step floor for this device (tpu-v6e") for n in doc["notes"]) == 1
