"""srvlayer (2026-12-05): an engine that launches every layer's kernels from the host on each forward (no CUDA graphs:
trtllm-session, TensorRT-LLM's gptSessionBenchmark without --enable_cuda_graph) pays its table's per-forward overhead
per layer, per_step_overhead_s x the model's layers / the table's per_step_overhead_layers (the fit rows' layers).

rtrt09 found it (tests/test_serving_trtllm_v09.py: the v0.9 table's 70B TP 4 128-token TTFTs miss by the same time per
layer as its 28- and 32-layer TP 1 rows); the held-out figures before -> after are recomputed there
(test_per_layer_session_overhead_adopted). Here: the form, and that `plan serve` reaches it (--engine, --calibration)
with the same result as `validate --serving` and prints it.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.predict import serving
from accelopt.predict.serving_validation import _predict_row, read_serving_runs

HOPPER = serving.serving_calibrations()["nvidia-hopper"]
ROW = {r["id"]: r for r in read_serving_runs()[0]}["trt09-ttft-h100-70b-tp4-128"]  # Llama 2 70B, 80 layers
ROW_ARGS = ["plan", "serve", "--model", "llama2-70b", "--hardware", "h100-sxm", "--tp", "4", "--batch", "1",
            "--prompt", "128", "--output", "1", "--weight-dtype", "fp8", "--kv-dtype", "fp8", "--tp-allreduce", "nccl",
            "--json"]


def test_the_form() -> None:
    """Per layer only where the engine launches per layer AND the table gives its fit rows' layers."""
    assert HOPPER.per_step_overhead_s == 0.0045 and HOPPER.per_step_overhead_layers == 32
    assert not HOPPER.per_layer_overhead  # a table value is not an engine setting
    assert HOPPER.step_overhead_s(80) == 0.0045
    on = replace(HOPPER, per_layer_overhead=True)
    assert on.step_overhead_s(80) == pytest.approx(0.0045 * 80 / 32) and on.step_overhead_s(32) == 0.0045
    assert replace(on, per_step_overhead_layers=None).step_overhead_s(80) == 0.0045
    assert serving.ENGINES["trtllm-session"].host_launched_layers and not serving.ENGINES["trtllm"].host_launched_layers


@pytest.mark.parametrize("bad", [0, -32, 2.5, True, "32"])
def test_bad_reference_layers(bad: object) -> None:
    with pytest.raises(InputError, match="per_step_overhead_layers") as e:
        replace(HOPPER, per_step_overhead_layers=bad)
    assert "e.g. 32" in e.value.fix


def _doc(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run_main([*ROW_ARGS, *extra], capsys)
    assert code == 0, err
    return json.loads(out)


def test_plan_serve_engine_reaches_it(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --engine trtllm-session` charges 4.5 ms x 80 / 32 per forward, prints it and gives the TTFT
    `validate --serving` predicts for the run's row; `--engine trtllm` (CUDA graphs) one 4.5 ms per forward."""
    session = _doc(capsys, "--engine", "trtllm-session")
    point = session["results"][0]["points"][0]
    assert point["prefill"]["overhead_s"] == pytest.approx(0.01125)
    assert point["calibration"]["per_layer_overhead"] is True and point["calibration"]["per_step_overhead_layers"] == 32
    assert point["ttft_s"] * 1e3 == pytest.approx(_predict_row(ROW, None, None)[0], rel=1e-9)
    note = [n for n in session["notes"] if "per-forward overhead" in n]
    assert note == [f"h100-sxm: per-forward overhead 11.25 ms: per_step_overhead_s 4.5 ms x 80 layers / 32 (the fit "
                    "rows' layers; per_step_overhead_s and per_step_overhead_layers of the [serving.nvidia-hopper] "
                    f"table of {HOPPER.table_file}): the engine launches every layer's kernels from the host on each "
                    f"forward ({serving.HOST_LAUNCH_SOURCE})"]
    graphs = _doc(capsys, "--engine", "trtllm")
    assert graphs["results"][0]["points"][0]["prefill"]["overhead_s"] == pytest.approx(0.0045)
    assert not [n for n in graphs["notes"] if "per-forward overhead" in n]


def _table(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "mine.toml"
    path.write_text(f'[serving.nvidia-hopper]\nmatch = ["h100*"]\nper_step_overhead_s = 0.004\n{extra}',
                    encoding="utf-8")
    return str(path)


def test_plan_serve_calibration_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A --calibration table with per_step_overhead_layers 40: x 80 / 40; without it: one per forward, said as
    'default used:'; the same table through `validate --serving --calibration` gives the same TTFT."""
    path = _table(tmp_path, "per_step_overhead_layers = 40\n")
    doc = _doc(capsys, "--engine", "trtllm-session", "--calibration", path)
    point = doc["results"][0]["points"][0]
    assert point["prefill"]["overhead_s"] == pytest.approx(0.008)
    assert point["ttft_s"] * 1e3 == pytest.approx(_predict_row(ROW, None, path)[0], rel=1e-9)
    plain = _table(tmp_path, "")
    doc = _doc(capsys, "--engine", "trtllm-session", "--calibration", plain)
    assert doc["results"][0]["points"][0]["prefill"]["overhead_s"] == pytest.approx(0.004)
    said = [n for n in doc["notes"] if "per-forward overhead" in n]
    assert len(said) == 1 and said[0].startswith("h100-sxm: default used: per-forward overhead 4 ms, one per forward")
    assert "give it in a --calibration table" in said[0]


def test_bad_reference_layers_in_a_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _out, err = run_main([*ROW_ARGS[:-1], "--calibration", _table(tmp_path, "per_step_overhead_layers = 0\n")],
                               capsys)
    assert code == 2 and "per_step_overhead_layers = 0 must be a whole number >= 1" in err
    assert "[serving.nvidia-hopper]" in err and "e.g. 32" in err
