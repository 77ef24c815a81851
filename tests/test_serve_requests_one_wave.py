"""utserve3 (2026-12-05): `plan serve --batch max --requests N` with N no more than the requests the engine holds.

Such a run is one wave of all N requests: the engine never holds more, so its TTFT, TPOT, decode tok/s and memory
are those of a batch of N (serving.finite_run). Before, the point kept the full wave's figures (--requests 1 of a
small model on one H100 printed batch 2048, TTFT 3.65 s, decode 129,648 tok/s beside 'the last of 1'), and the
'default used:' line said the engine's cap of 2048, not the KV cache, set the requests in flight."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, write_config

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.workload.presets import get_model

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024,
          "intermediate_size": 2816, "num_hidden_layers": 7, "num_attention_heads": 16, "num_key_value_heads": 4,
          "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5}
FLAGS = ["--hardware", "h100-sxm", "--batch", "max", "--prompt", "1000", "--output", "200", "--json"]


def _model(tmp_path: Path) -> str:
    return str(write_config(tmp_path, CONFIG))


def _point(model: str, requests: int, capsys: pytest.CaptureFixture[str]) -> tuple[dict, list[str]]:
    code, out, err = run_main(["plan", "serve", "-m", model, *FLAGS, "--requests", str(requests)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    return doc["results"][0]["points"][0], doc["notes"]


@pytest.mark.parametrize("n", [1, 7])
def test_fewer_requests_than_a_wave_are_one_wave_of_them(n: int, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path)
    point, notes = _point(model, n, capsys)
    spec = get_device("h100-sxm")
    want = serving.predict_serving(get_model(model), spec, batch=n, scheduling="waves", prompt_len=1000,
                                   output_len=200, calibration=serving.calibration_for_spec(spec))
    assert point["batch"] == n and point["requests"] == n and point["last_wave_batch"] == n
    assert point["ttft_s"] == pytest.approx(want.ttft_s, rel=1e-12)
    assert point["tpot_s"] == pytest.approx(want.tpot_s, rel=1e-12)
    assert point["memory_bytes_per_device"] == pytest.approx(want.memory_bytes_per_device, rel=1e-12)
    assert point["output_tokens_per_s"] == pytest.approx(want.output_tokens_per_s, rel=1e-12)
    assert any(f"one wave of all {n} request(s)" in s for s in notes)
    # the engine's cap of 2048 set nothing: the run never reached it
    assert not any(s.startswith("default used: --max-batch-size was left out") for s in notes)


def test_more_requests_than_a_wave_keep_the_full_waves_figures(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path)
    point, notes = _point(model, 5000, capsys)
    assert point["batch"] == 2048 and point["last_wave_batch"] == 5000 - 2 * 2048
    assert any("3 wave(s) of the 2,048 requests the engine holds, the last of 904" in s for s in notes)
    assert any(s.startswith("default used: --max-batch-size was left out") for s in notes)


def test_the_console_shows_the_waves_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", _model(tmp_path), *FLAGS[:-1], "--requests", "1"], capsys)
    assert code == 0, err
    assert "one wave of all 1 request(s)" in " ".join(out.split())
    assert "│     1 │" in out and "2048 │" not in out
