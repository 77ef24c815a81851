"""A serving row on a device whose [serving.*] table was not fitted on published runs of its family (a spec TOML of
the user's own, a new family: the 'default' table) is predicted with carried values; `plan serve` says so beside the
result ('— uncalibrated (not fitted on published runs of this device family)'), `validate --serving` reported the
row's error beside fitted ones without a word (utval, 2026-12-05). Now a note names those rows and the table (stderr,
the --json document's input_warnings).

Rows: the TensorRT-LLM v0.6.1 performance page's Llama 2 7B fp8 batch-112 128/2048 row on H100 (6,818 output tok/s
per GPU; [serving.nvidia-hopper], fitted) and the same model on examples/my_accelerator.toml's design-stage ASIC (a
made-up figure: the row is there for its table, not its error)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import validate_serving_csv

HEADER = "id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,role"
H100 = ("h100-b112,trtllm-v061,trtllm-session,h100-sxm,llama2-7b,1,1,fp8,fp8,128,2048,112,output_tok_s_per_device,"
        "6818,test")
ASIC = "asic-b8,my lab,vllm,my_accelerator.toml,llama2-7b,1,1,bf16,bf16,128,128,8,output_tok_s,300,test"


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *rows: str) -> tuple[str, list[str]]:
    shutil.copy(Path(__file__).parents[1] / "examples" / "my_accelerator.toml", tmp_path)
    return validate_serving_csv(tmp_path, capsys, HEADER, *rows)


def test_rows_on_an_uncalibrated_table_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, warnings = _validate(tmp_path, capsys, H100, ASIC)
    line = next((w for w in warnings if "uncalibrated" in w), None)
    assert line is not None, warnings
    assert "1 serving run(s) (asic-b8)" in line and "[serving.default]" in line and "my-asic" in line
    assert "h100-b112" not in line
    assert " ".join(line.split()) in err


def test_rows_on_fitted_tables_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, warnings = _validate(tmp_path, capsys, H100)
    assert not [w for w in warnings if "uncalibrated" in w] and "uncalibrated" not in err


def test_a_device_without_a_sourced_launch_floor_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve` of the tiny Llama config (examples/hf_tiny_llama) on the ASIC says its decode step falls under the
    NVIDIA launch floor with no floor sourced for its runtime (serving.launch_floor_points_note: 'the time may be far
    below what is achievable'); the report did not."""
    shutil.copy(Path(__file__).parents[1] / "examples" / "hf_tiny_llama" / "config.json", tmp_path / "tiny.json")
    err, warnings = _validate(tmp_path, capsys, H100, ASIC.replace(",llama2-7b,", ",tiny.json,"))
    line = next((w for w in warnings if w.startswith("no sourced per-step floor for this device (my-asic")), None)
    assert line is not None, warnings
    assert line.endswith("— in 1 serving run(s) (asic-b8)") and " ".join(line.split()) in err
