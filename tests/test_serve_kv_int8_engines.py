"""`plan serve --kv-dtype int8` with `--engine vllm` / `sglang` was taken without a word (utleftplan, 2026-12-05;
utserve3's leftover). What the engines take: vLLM's CacheDType lists int8 only as 'int8_per_token_head', in recent
versions (vllm-project/vllm vllm/config/cache.py at 002f10e0; at c1d86421 only auto, bfloat16 and the fp8 types);
SGLang's INT8 KV cache is 'a phase-1 feature', MHA models only, Triton attention backend, --page-size 1, int8 plus an
FP16 scale and zero point per token per head (sgl-project/sglang docs/advanced_features/quantized_kv_cache.md at
03cd2ec4). The note says what is modelled (1 byte a value, no scales); an MLA model with sglang is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

BASE = ["plan", "serve", "--batch", "8", "--prompt", "1000", "--output", "200", "--kv-dtype", "int8"]


def _notes(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    code, out, err = run_main([*BASE, *args, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)["notes"]


@pytest.mark.parametrize(("engine", "said"), [
    ("vllm", "--kv-dtype int8 with --engine vllm: vLLM's CacheDType lists int8 only as 'int8_per_token_head'"),
    ("sglang", "--kv-dtype int8 with --engine sglang: SGLang's INT8 KV cache (--int8-kv-cache) is 'a phase-1 "
               "feature': MHA models only"),
])
def test_the_engine_note_says_what_is_modelled(engine: str, said: str, capsys: pytest.CaptureFixture[str]) -> None:
    notes = _notes(capsys, "-m", "llama3-8b", "--hardware", "h100-sxm", "--engine", engine)
    got = [n for n in notes if n.startswith("--kv-dtype int8")]
    assert len(got) == 1 and got[0].startswith(said)
    assert "modelled as 1 byte a value" in got[0]
    code, out, _ = run_main([*BASE, "-m", "llama3-8b", "--hardware", "h100-sxm", "--engine", engine], capsys)
    assert code == 0 and said in " ".join(out.split())  # the console says it too


def test_other_engines_and_dtypes_say_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # TensorRT-LLM's INT8 KV cache: no engine note (utnum's KV-bytes line names the dtype, not an engine note)
    assert not any(n.startswith("--kv-dtype int8") for n in _notes(capsys, "-m", "llama3-8b", "--hardware",
                                                                   "h100-sxm", "--engine", "trtllm"))
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "8",
                               "--engine", "vllm", "--json"], capsys)
    assert code == 0, err
    assert not any("int8" in n for n in json.loads(out)["notes"])


def test_sglang_refuses_int8_kv_for_an_mla_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*BASE, "-m", "deepseek-v3", "--hardware", "h200", "--tp", "8", "--engine", "sglang"],
                              capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    assert "deepseek-v3 uses multi-head latent attention" in flat and "MHA models only" in flat
    assert "fix: use --kv-dtype fp8" in flat


HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
          "role,note")


def _runs_file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "runs.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return str(path)


def test_validate_serving_says_and_refuses_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _runs_file(tmp_path, "u1,me,vllm,h100-sxm,llama3-8b,1,1,bf16,int8,128,128,1,output_tok_s,36,test,x")
    code, out, err = run_main(["validate", "--serving", "--runs", runs, "--json"], capsys)
    assert code == 0, err
    assert any(w.startswith("--kv-dtype int8 with --engine vllm: vLLM's CacheDType lists int8 only as")
               and w.endswith("in 1 serving run(s) (u1)") for w in json.loads(out)["input_warnings"])
    runs = _runs_file(tmp_path, "u3,me,sglang,h200,deepseek-v3,8,1,fp8,int8,128,128,1,output_tok_s,36,test,x")
    code, out, err = run_main(["validate", "--serving", "--runs", runs], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "Traceback" not in flat
    assert ("serving run 'u3': kv_dtype = 'int8' with engine sglang: deepseek-v3 uses multi-head latent "
            "attention") in flat
    assert "fix: use kv_dtype fp8" in flat and "or another engine (in the kv_dtype cell of row 'u3')" in flat


def test_the_refusal_carries_its_parts() -> None:
    """utcode (2026-12-05): validate --serving cut check_kv_engine's message at its first ': ' and rewrote its fix's
    flags into cells; the refusal now gives (why, fix) with the names of the two inputs, each caller its own."""
    from accelopt.predict.serving import kv_engine_refusal
    from accelopt.workload.presets import get_model

    mla, dense = get_model("deepseek-v3"), get_model("llama3-8b")
    why, fix = kv_engine_refusal(mla, "int8", "sglang", kv="kv_dtype", engine_flag="engine") or ("", "")
    assert why.startswith("deepseek-v3 uses multi-head latent attention, and SGLang's INT8 KV cache")
    assert fix.startswith("use kv_dtype fp8") and fix.endswith("or another engine") and "--" not in fix
    assert kv_engine_refusal(dense, "int8", "sglang") is None and kv_engine_refusal(mla, "fp8", "sglang") is None
