"""With a user --calibration file, `plan serve`'s lines on the engine's host costs named the device's table as the
holder of a value it does not hold (rvA, s33, 2026-12-06): a [serving.*] table holds only what differs from
[serving.default] (calibration.load_serving_tables), so a value it leaves out is [serving.default]'s, and a file's
own [serving.default] replaces the bundled one whole. The pipeline host loop line named a user [serving.my-h100]
for the bundled default's fitted 41 us, and the bundled default ('fitted on TensorRT-LLM v1.0 RTX PRO 6000 --pp
rows') for a user [serving.default]'s own figure; the per-forward overhead line named the device's table for a
per_step_overhead_s carried from the file's [serving.default]. Each line now names the table, and file, that gave
the value (ServingCalibration.value_source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.calibration import BUNDLED_TABLE_FILE


def _note(toml: str, engine: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    path = tmp_path / "mine.toml"
    path.write_text(toml)
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--pp", "2",
                               "--engine", engine, "--batch", "8", "--calibration", str(path), "--json"], capsys)
    assert code == 0, err
    (note,) = [n for n in json.loads(out)["notes"] if words in n]
    return note, str(path)


def test_the_host_loop_value_carried_from_the_bundled_default(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    note, path = _note('[serving.my-h100]\nmatch = ["h100*"]\ndecode_bandwidth_efficiency = 0.7\n', "trtllm",
                       "pipeline host loop", tmp_path, capsys)
    assert "41 us x 8 requests" in note, note
    assert "[serving.my-h100] table" not in note and path not in note, note
    assert f"the [serving.default] table of {BUNDLED_TABLE_FILE}, carried to [serving.my-h100]" in note, note
    assert "fitted on TensorRT-LLM v1.0 RTX PRO 6000 --pp rows" in note, note


def test_the_host_loop_value_of_the_file_s_own_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note, path = _note("[serving.default]\npp_host_per_request_s = 2e-5\n", "trtllm", "pipeline host loop",
                       tmp_path, capsys)
    assert "20 us x 8 requests" in note, note
    assert f"the [serving.default] table of {path}, carried to [serving.nvidia-hopper]" in note, note
    assert BUNDLED_TABLE_FILE not in note and "fitted on TensorRT-LLM" not in note, note


def test_the_host_loop_value_of_the_device_s_own_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note, path = _note('[serving.my-h100]\nmatch = ["h100*"]\npp_host_per_request_s = 3e-5\n', "trtllm",
                       "pipeline host loop", tmp_path, capsys)
    assert "30 us x 8 requests" in note and f"the [serving.my-h100] table of {path}" in note, note
    assert "carried" not in note and "fitted on TensorRT-LLM" not in note, note


def test_the_step_overhead_carried_from_the_file_s_default(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """per_step_overhead_s from the file's [serving.default], per_step_overhead_layers from its [serving.my-h100]:
    each named where it was read; and with no layers given, the overhead's own table, not the device's."""
    toml = "[serving.default]\nper_step_overhead_s = 0.003\n[serving.my-h100]\nmatch = [\"h100*\"]\n"
    note, path = _note(toml + "per_step_overhead_layers = 40\n", "trtllm-session", "per-forward overhead",
                       tmp_path, capsys)
    assert "2.4 ms: per_step_overhead_s 3 ms x 32 layers / 40" in note, note  # 3 ms x 32 / 40
    assert f"per_step_overhead_s of the [serving.default] table of {path}, carried to [serving.my-h100]" in note, note
    assert f"per_step_overhead_layers of the [serving.my-h100] table of {path}" in note, note
    note, path = _note(toml + "decode_bandwidth_efficiency = 0.7\n", "trtllm-session", "per-forward overhead",
                       tmp_path, capsys)
    assert "default used: per-forward overhead 3 ms" in note, note
    assert f"per_step_overhead_s of the [serving.default] table of {path}, carried to [serving.my-h100]" in note, note
