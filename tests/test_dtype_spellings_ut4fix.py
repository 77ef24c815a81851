"""One parser for every dtype option and dtype cell (accelopt.dtypes.canonical): `--weight-dtype fp8_e4m3` was refused
while `--kv-dtype fp8_e4m3` was read (ut4srv), upper-case names (NVFP4, as checkpoints write them) were refused, and a
runs file or a design TOML took none of torch's or the engines' spellings. A refusal now lists the spellings read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt import dtypes
from accelopt.predict import serving

SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--json"]


@pytest.mark.parametrize(("typed", "name"), [
    ("fp8_e4m3", "fp8"), ("e4m3", "fp8"), ("float8_e4m3fn", "fp8"), ("FP8_E4M3FN", "fp8"), ("bfloat16", "bf16"),
    ("float16", "fp16"), ("NVFP4", "nvfp4"), ("MxFp4", "mxfp4"), ("W8A8", "w8a8"), ("torch.bfloat16", "bf16"),
    ("Int4", "int4")])
def test_canonical_reads_the_common_spellings(typed: str, name: str) -> None:
    assert dtypes.canonical(typed) == name


def test_every_serving_weight_name_is_one_canonical_knows() -> None:
    """FORMATS lists the weight names beyond TABLE, so each is read in any case."""
    assert all(dtypes.canonical(n.upper()) == n for n in serving.WEIGHT_DTYPES)


def test_an_unknown_spelling_is_left_as_typed() -> None:
    assert dtypes.canonical("FP9") == "FP9"


@pytest.mark.parametrize("flag", ["--weight-dtype", "--kv-dtype"])
def test_plan_serve_reads_fp8_e4m3(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*SERVE, flag, "fp8_e4m3"], capsys)
    assert code == 0, err
    assert f"{flag} fp8_e4m3 read as fp8" in err
    point = json.loads(out)["results"][0]["points"][0]
    assert point["weight_dtype" if flag == "--weight-dtype" else "kv_dtype"] == "fp8"


def test_kv_engine_spelling_keeps_its_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    """fp8_e4m3 is read by canonical too, but --kv-dtype says what the engine means by it first."""
    code, _, err = run_main([*SERVE, "--kv-dtype", "fp8_e4m3"], capsys)
    assert code == 0 and "read as fp8: vLLM's and SGLang's FP8 E4M3 cache" in err, err


def test_expert_weight_dtype_reads_upper_case(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*SERVE, "--weight-dtype", "BFloat16", "--expert-weight-dtype", "MXFP4"]
    argv[3] = "mixtral-8x7b"
    code, _, err = run_main(argv, capsys)
    assert code == 0, err
    assert "--expert-weight-dtype MXFP4 read as mxfp4" in err and "--weight-dtype BFloat16 read as bf16" in err


@pytest.mark.parametrize(("argv", "flag"), [
    ([*SERVE, "--weight-dtype", "fp9"], "--weight-dtype"),
    ([*SERVE[:3], "mixtral-8x7b", *SERVE[4:], "--expert-weight-dtype", "fp9"], "--expert-weight-dtype"),
    (["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--dtype", "fp9"],
     "--dtype")])
def test_a_refusal_lists_the_spellings_read(argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(argv, capsys)
    text = " ".join(err.split())
    assert code == 2 and flag in text, err
    assert "also read:" in text and "fp8_e4m3" in text and "bfloat16 as bf16" in text and "any case" in text, err


SERVING_HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                  "published,role,note")


def test_a_runs_file_reads_the_same_spellings(tmp_path: Path) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    p = tmp_path / "serving.csv"
    p.write_text(f"{SERVING_HEADER}\nmy-s1,my lab,vllm,h100-sxm,llama2-7b,1,1,BFloat16,fp8_e4m3,128,128,32,"
                 "output_tok_s_per_device,3000,test,\n")
    rows, _ = read_serving_runs(p)
    assert (rows[0]["weight_dtype"], rows[0]["kv_dtype"]) == ("bf16", "fp8")


def test_a_runs_file_refusal_lists_the_spellings(tmp_path: Path) -> None:
    from accelopt.errors import InputError
    from accelopt.predict.serving_validation import read_serving_runs

    p = tmp_path / "serving.csv"
    p.write_text(f"{SERVING_HEADER}\nmy-s1,my lab,vllm,h100-sxm,llama2-7b,1,1,fp9,bf16,128,128,32,"
                 "output_tok_s_per_device,3000,test,\n")
    with pytest.raises(InputError) as e:
        read_serving_runs(p)
    assert "weight_dtype = 'fp9'" in e.value.problem and "also read:" in e.value.fix


def test_a_design_reads_the_same_spellings() -> None:
    from accelopt.simulate.design import load_design_text

    toml = """[design]
name = "mine"
rows = 16
cols = 16
dataflow = "ws"
ifmap_sram_bytes = 65536
filter_sram_bytes = 65536
ofmap_sram_bytes = 65536
dram_bandwidth_byte_per_s = 1e10
clock_hz = 1e9
dtype = "BFloat16"
tech_node_nm = 16
"""
    assert load_design_text(toml, "mine.toml").dtype == "bf16"
