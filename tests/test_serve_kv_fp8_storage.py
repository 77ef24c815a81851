"""utserve3 (2026-12-05): `plan serve --kv-dtype fp8` on a device whose catalog entry lists no fp8 peak (A100,
MI250X) is modelled as 8-bit storage converted to 16 bits in the attention kernel, and says so; with --engine trtllm
on such an NVIDIA GPU the note said TensorRT-LLM has no FP8 there
(refused since utserve, 2026-12-06). Before, both ran without a word (the A100's KV
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


@pytest.mark.parametrize("engine", ["trtllm", "trtllm-session"])
def test_tensorrt_llm_on_ampere_is_refused_for_fp8(engine: str, capsys: pytest.CaptureFixture[str]) -> None:
    """utserve (2026-12-06): the note said '--engine trtllm cannot run it' and the prediction was printed, exit 0;
    an input the engine cannot run exits 2 (alone; beside a device that runs it, listed as not served)."""
    code, out, err = run_main([*FLAGS[:-1], "--hardware", "a100-sxm-80gb", "--kv-dtype", "fp8", "--engine", engine],
                              capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    assert f"--kv-dtype fp8 with --engine {engine} on a100-sxm-80gb, which lists no fp8 peak" in flat
    assert "support matrix, v0.18.2" in flat
    assert f"fix: give --kv-dtype int8 or bf16 with --engine {engine} on a100-sxm-80gb, or --engine vllm" in flat
    code, out, err = run_main([*FLAGS, "--hardware", "a100-sxm-80gb,h100-sxm", "--kv-dtype", "fp8", "--engine",
                               engine], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["h100-sxm"]
    assert [e["device"] for e in doc["errors"]] == ["a100-sxm-80gb"]


@pytest.mark.parametrize("kv", ["fp8", "bf16"])
def test_no_note_where_the_device_has_fp8_or_the_cache_is_16_bit(kv: str, capsys: pytest.CaptureFixture[str]) -> None:
    hw = "h100-sxm,l4" if kv == "fp8" else "a100-sxm-80gb"
    assert _notes(capsys, "--hardware", hw, "--kv-dtype", kv) == []


def test_the_storage_note_takes_no_engine() -> None:
    """utleft7 (2026-12-06): kv_fp8_storage_note kept an `engine` argument it no longer read once the TensorRT-LLM
    clause moved to kv_device_problem (rvs32c's note); the note is the device's alone, for any engine."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.serving import kv_fp8_storage_note

    note = kv_fp8_storage_note(get_device("a100-sxm-80gb"), "fp8")
    assert note is not None and note.startswith("--kv-dtype fp8 on a100-sxm-80gb")
    assert kv_fp8_storage_note(get_device("h100-sxm"), "fp8") is None
