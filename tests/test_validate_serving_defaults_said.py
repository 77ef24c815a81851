"""`validate --serving --runs FILE` fills a blank int4_group_size, memory_fraction (SGLang's per-device rule) or
max_batch_size cell, and a --pp > 1 row's micro-batches in flight (no column: one per stage), with the defaults
`plan serve` prints as 'default used:' when the same row is typed as the command; the report printed none of them
(utval, 2026-12-05). Now each is a warning naming the rows (stderr, the --json document's input_warnings, the page).

Rows re-typed from the bundled file's (their sources there): trtjet-orin-l3-8b-gptq-128-128-ttft (NVIDIA
TensorRT-LLM on Jetson AGX Orin, Llama 3 8B GPTQ int4: TTFT 105 ms), trt10-rtx6k-l33-70b-tp1-pp2-128-128
(TensorRT-LLM v1.0 on RTX PRO 6000, pp 2: 6,172 tok/s), sglang-mi355x-l31-8b-tp1-b64-8192-1024-tput (SGLang on
MI355X: 2,640.618 tok/s; its memory_fraction 0.578 left blank here) and oci-mi300x-405b-max-128-128 (vLLM on 8
MI300X: 1,993 tok/s; its max_batch_size 256 left blank here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import validate_serving_csv

HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
          "role,note,max_batch_size,memory_fraction,int4_group_size")
INT4 = ("orin-int4,trtllm-jetson,trtllm-session,jetson-agx-orin,llama3-8b,1,1,int4,fp16,128,128,1,ttft_ms,105,test,"
        ",,,{g}")
PP2 = ("rtx-pp2,trtllm-v10-rtx,trtllm,rtx-pro-6000-server,llama3-70b,1,2,nvfp4,fp8,128,128,max,output_tok_s,6172,test,,"
       "2048,,")
SGL = ("mi355x-sgl,sglang-mi355x-l31-8b,sglang,mi355x,llama3-8b,1,1,bf16,bf16,8192,1024,64,output_tok_s,2640.618,test,,"
       ",{f},")
CAP = "mi300x-max,oci-mi300x-405b,vllm,mi300x,llama3.1-405b,8,1,fp8,bf16,128,128,max,output_tok_s,1993,test,,{b},,"


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *rows: str) -> tuple[str, list[str]]:
    return validate_serving_csv(tmp_path, capsys, HEADER, *rows)


def test_blank_cells_defaults_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, warnings = _validate(tmp_path, capsys, INT4.format(g=""), PP2, SGL.format(f=""), CAP.format(b=""))
    for rid, said in (("orin-int4", "default used: int4 weights carry one fp16 scale and a 4-bit zero point per 128 "
                                    "weights"),
                      ("rtx-pp2", "default used: --pp 2 keeps 2 micro-batches in flight, one per stage"),
                      ("mi355x-sgl", "default used: SGLang's mem_fraction_static on mi355x"),
                      ("mi300x-max", "default used: --max-batch-size was left out")):
        line = next((w for w in warnings if said in w), None)
        assert line is not None, (said, warnings)
        assert f"serving run(s) ({rid})" in line  # the rows it concerns
        assert " ".join(line.split()) in err  # on stderr too
    assert "--int4-group-size is the int4_group_size cell" in err  # the flag's cell, for the runs file's user
    # the pp note's advice names a flag no column sets: said, rather than advice the file cannot follow
    assert "(--pp-microbatches: no column of a runs file, `plan serve` only)" in err


def test_given_cells_say_no_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, warnings = _validate(tmp_path, capsys, INT4.format(g="128"), SGL.format(f="0.578"), CAP.format(b="256"))
    # the max row leaves its requests cell out (no column here): its steady waves are a default, said (rv2)
    assert not [w for w in warnings if "default used:" in w and "without --requests" not in w], warnings
    assert err.count("default used:") == 1 and "default used: --batch max without --requests" in err
