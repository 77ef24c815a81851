"""`plan serve --kv-dtype fp8_e5m2 --engine vllm` on an AMD GPU is a warning citing vLLM's doc, which lists fp8_e5m2 on
CUDA only and on ROCm fp8 (=fp8_e4m3) (vllm/config/cache.py at 002f10e0: serving.VLLM_KV_CACHE_DTYPES_SOURCE); it was
taken without a word (ut3dist, 2026-12-06). The figures stay those of --kv-dtype fp8 (1 B a value either way)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving

SERVE = ["plan", "serve", "--model", "llama3-8b", "--batch", "8", "--json"]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[dict, str]:
    code, out, err = run_main([*SERVE, *args], capsys)
    assert code == 0, err
    return json.loads(out), err


def test_e5m2_with_vllm_on_an_amd_gpu_warns_with_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    doc, err = _run(capsys, "--hardware", "mi300x", "--engine", "vllm", "--kv-dtype", "fp8_e5m2")
    warned = [w for w in doc["input_warnings"] if "fp8_e5m2" in w]
    assert len(warned) == 1 and "mi300x" in warned[0]
    assert "vllm/config/cache.py at 002f10e0" in warned[0] and "ROCm (AMD GPU) supports fp8 (=fp8_e4m3)" in warned[0]
    assert "--kv-cache-dtype fp8_e4m3" in warned[0]  # the fix
    assert "warning: --kv-dtype fp8_e5m2 with --engine vllm on mi300x" in err
    plain, _ = _run(capsys, "--hardware", "mi300x", "--engine", "vllm", "--kv-dtype", "fp8")
    assert doc["results"] == plain["results"]  # a warning: no figure moves


@pytest.mark.parametrize("args", [
    ("--hardware", "h100-sxm", "--engine", "vllm", "--kv-dtype", "fp8_e5m2"),  # CUDA: documented
    ("--hardware", "mi300x", "--engine", "vllm", "--kv-dtype", "fp8_e4m3"),  # ROCm's own
    ("--hardware", "mi300x", "--engine", "vllm", "--kv-dtype", "fp8"),
    ("--hardware", "mi300x", "--engine", "sglang", "--kv-dtype", "fp8_e5m2"),  # another engine's rule
])
def test_no_warning_elsewhere(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    doc, err = _run(capsys, *args)
    assert not [w for w in doc["input_warnings"] if "fp8_e5m2" in w] and "vLLM documents" not in err


def test_the_rule_is_per_device() -> None:
    amd, nvidia = get_device("mi300x"), get_device("h100-sxm")
    assert serving.kv_spelling_warning("fp8_e5m2", "vllm", amd) is not None
    assert serving.kv_spelling_warning("fp8_e5m2", "vllm", nvidia) is None
    assert serving.kv_spelling_warning(None, "vllm", amd) is None
