"""`plan serve --kv-dtype nvfp4 --engine sglang`: the note says how SGLang reads its FP4 cache (review s31 rvkv).

Source, read before this test was written: SGLang's FP4 KV pools (sgl-project/sglang
python/sglang/srt/mem_cache/memory_pool.py, MHATokenToKVPoolFP4._get_key_buffer / _get_value_buffer and the MLA
pool's get_key_buffer) call KVFP4QuantizeUtil.batched_dequantize on a layer's whole buffer before the attention
kernel reads it, and its scales are 8-bit exponents (quantized_kv_cache.md at 03cd2ec4, which warns that an unfused
dequantization 'can be extremely slow'). The note said, for every engine, 'a 4-bit E2M1 value + one FP8 E4M3 scale
per 16' and 'the values are dequantized inside the attention kernel', TensorRT-LLM's layout and path.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.predict.serving import kv_engine_note
from accelopt.workload.presets import get_model

LLAMA = get_model("llama3-8b")
DSV3 = get_model("deepseek-v3")


@pytest.mark.parametrize("model", [LLAMA, DSV3], ids=["mha", "mla"])
def test_the_sglang_note_says_its_dequantization_pass(model: object) -> None:
    note = kv_engine_note(model, "nvfp4", "sglang")  # type: ignore[arg-type]
    assert note is not None and note.startswith("--kv-dtype nvfp4: 0.5625 B per cached value")
    assert "inside the attention kernel" not in note and "FP8 E4M3" not in note
    assert "before its attention kernel" in note and "extremely slow" in note
    assert "one 8-bit exponent scale per 16 values" in note  # sglang's own layout (NVFP4_KV_ENGINES)
    assert "that pass is not timed (no dequantization time is added); on Hopper, launch SGLang with" in note


def test_trtllm_and_no_engine_keep_the_in_kernel_wording() -> None:
    for engine in ("trtllm", "vllm", None):
        note = kv_engine_note(LLAMA, "nvfp4", engine)
        assert note is not None and "dequantized inside the attention kernel" in note
        assert "SGLang dequantizes" not in note


def test_text_and_json_say_the_same_sglang_note(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "serve", "-m", "llama3-8b", "--hardware", "b200", "--batch", "8", "--kv-dtype", "nvfp4",
            "--engine", "sglang"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    note = [n for n in json.loads(out)["notes"] if n.startswith("--kv-dtype nvfp4:")]
    assert len(note) == 1 and "SGLang dequantizes" in note[0]
    code, text, err = run_main(argv, capsys)
    assert code == 0, err
    assert " ".join(note[0].split()) in " ".join(text.split())


def test_the_sglang_flag_names_the_later_spellings() -> None:
    """Later SGLang refuses --kv-cache-dtype fp4_e2m1 ('--kv-cache-dtype=fp4_e2m1 is deprecated', its
    configure_kv_cache_dtype) and takes nvfp4 or fp4_mx_block16: a user told fp4_e2m1 alone was given a flag that
    current SGLang refuses."""
    note = kv_engine_note(LLAMA, "nvfp4", "sglang")
    assert note is not None and "--kv-cache-dtype fp4_e2m1" in note
    assert "later versions refuse fp4_e2m1 as deprecated and take --kv-cache-dtype nvfp4 or fp4_mx_block16" in note
