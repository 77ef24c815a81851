"""utserve3 (2026-12-05): `plan serve --kv-dtype fp8` on a device whose catalog entry lists no fp8 peak (A100,
MI250X) is modelled as 8-bit storage converted to 16 bits in the attention kernel, and says so; with --engine trtllm
on such an NVIDIA GPU the note says TensorRT-LLM has no FP8 there. Before, both ran without a word (the A100's KV
cache at 1 B per value beside 'KV fp8', as if the device did fp8).

Sources: vllm-project/vllm PR #2279 (FP8-E5M2 KV cache, 'not limited on Hopper. Volta/Ampere are both ok', tested on
A100); TensorRT-LLM support matrix v0.18.2 (Ampere: FP32, FP16, BF16, INT8, INT4) and its v0.6.1 performance.md ('on
A100 remove --enable_fp8 --fp8_kv_cache', quoted in predict/data/published_serving_runs.csv)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

FLAGS = ["plan", "serve", "-m", "llama3-8b", "--batch", "8", "--prompt", "512", "--output", "64", "--json"]


def _notes(capsys: pytest.CaptureFixture[str], *extra: str) -> list[str]:
    code, out, err = run_main([*FLAGS, *extra], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if n.startswith("--kv-dtype fp8 on ")]


def test_devices_without_an_fp8_peak_say_how_the_fp8_cache_runs(capsys: pytest.CaptureFixture[str]) -> None:
    notes = _notes(capsys, "--hardware", "a100-sxm-80gb,mi250x,h100-sxm", "--kv-dtype", "fp8")
    assert [n.split(",")[0] for n in notes] == ["--kv-dtype fp8 on a100-sxm-80gb", "--kv-dtype fp8 on mi250x"]
    assert all("8-bit storage converted to 16 bits" in n and "vllm-project/vllm PR #2279" in n for n in notes)
    assert not any("cannot run it" in n for n in notes)  # no engine named: vLLM's path


def test_tensorrt_llm_on_ampere_is_said_to_have_no_fp8(capsys: pytest.CaptureFixture[str]) -> None:
    (note,) = _notes(capsys, "--hardware", "a100-sxm-80gb", "--kv-dtype", "fp8", "--engine", "trtllm")
    assert "--engine trtllm cannot run it" in note and "support matrix, v0.18.2" in note
    assert "give --kv-dtype int8 or bf16" in note


@pytest.mark.parametrize("kv", ["fp8", "bf16"])
def test_no_note_where_the_device_has_fp8_or_the_cache_is_16_bit(kv: str, capsys: pytest.CaptureFixture[str]) -> None:
    hw = "h100-sxm,l4" if kv == "fp8" else "a100-sxm-80gb"
    assert _notes(capsys, "--hardware", hw, "--kv-dtype", kv) == []
