"""`plan serve --kv-dtype` reads the serving engines' --kv-cache-dtype spellings of a format it models (vLLM's and
SGLang's fp8_e4m3 / fp8_e5m2, vLLM's fp8_inc, int8_per_token_head and nvfp4_4over6, SGLang's fp4_e2m1: vLLM's
CacheDType, vllm/config/cache.py at 002f10e0; SGLang's quantized_kv_cache.md at 03cd2ec4), says so on stderr, and
predicts as the --kv-dtype it reads them as; the engines' 'auto' and vLLM's layouts it does not model exit 2 saying
what they are and naming the values it takes. All were "--kv-dtype 'fp8_e4m3' is not supported" (a user trial,
uttrialC, session 34)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main, run_main_expect

from accelopt.errors import InputError
from accelopt.predict import serving
from accelopt.workload.presets import get_model

SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "8", "--json"]


def _predicted(capsys: pytest.CaptureFixture[str], kv: str, *more: str) -> tuple[dict, str]:
    code, out, err = run_main([*SERVE, "--kv-dtype", kv, *more], capsys)
    assert code == 0, err
    return json.loads(out), err


@pytest.mark.parametrize(("typed", "meant", "engine"), [
    ("fp8_e4m3", "fp8", "vllm"), ("fp8_e5m2", "fp8", "vllm"), ("FP8_E4M3", "fp8", "sglang"),
    ("fp8_inc", "fp8", None), ("int8_per_token_head", "int8", "vllm"),
])
def test_an_engine_spelling_predicts_as_its_dtype(typed: str, meant: str, engine: str | None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    more = ("--engine", engine) if engine else ()
    got, err = _predicted(capsys, typed, *more)
    want, _ = _predicted(capsys, meant, *more)
    assert f"--kv-dtype {typed} read as {meant}: " in err
    assert got == want  # the same document: the spelling changes nothing but the stderr line


def test_fp8_e5m2_says_why_it_is_fp8(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = _predicted(capsys, "fp8_e5m2")
    assert "no figure plan serve gives depends on which 8-bit format it is" in err


def test_the_fp4_spellings_read_as_nvfp4() -> None:
    assert serving.kv_dtype_of("fp4_e2m1") == serving.kv_dtype_of("nvfp4_4over6") == "nvfp4"
    assert serving.kv_dtype_of("bf16") == "bf16" and serving.kv_dtype_of("fp8_ds_mla") == "fp8_ds_mla"


@pytest.mark.parametrize("typed", ["fp8_ds_mla", "fp8_per_token_head", "turboquant_k8v4"])
def test_a_vllm_layout_not_modelled_is_named(typed: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run_main_expect(capsys, *SERVE[:-1], "--kv-dtype", typed, code=2)
    assert f"--kv-dtype {typed!r} is one of vLLM's --kv-cache-dtype values" in err
    assert "does not model" in err and "not supported" not in err
    assert "bf16, fp16, fp8, int8, nvfp4" in err and "fp8_e4m3, fp8_e5m2, fp8_inc as fp8" in err


def test_auto_names_the_dtype_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    _, err = run_main_expect(capsys, *SERVE[:-1], "--kv-dtype", "auto", code=2)
    assert "vLLM's and SGLang's default, a cache in the model's own dtype" in err and "--kv-dtype bf16" in err


def test_an_unknown_word_lists_the_spellings_read() -> None:
    with pytest.raises(InputError) as e:
        serving.kv_cache_bytes_per_token(get_model("llama3-8b"), "fp9")
    assert "is not supported" in e.value.problem
    assert "int8_per_token_head as int8" in e.value.fix and "nvfp4_4over6, fp4_e2m1 as nvfp4" in e.value.fix
