"""`validate --runs` with a user's own minimal CSV (only the columns a run needs): each missing column is named
up front with the fix, not reported as a Python KeyError from deep in the row reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = "id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,dtype"
ROW = "my-run-1,our cluster 2026,h100-sxm,8,32,4096,32,11008,32000,4096,64,1,1,8,none,5.1,bf16"


def test_a_csv_without_the_mlp_column_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "run 'my-run-1' is malformed: 'mlp'" / "check the CSV columns": the reader needs mlp (gelu|swiglu)
    in every row, yet the required-column check did not list it."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert "lacks the column(s) mlp" in err and "malformed" not in err and "fix:" in err


def test_the_minimal_csv_with_mlp_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER},mlp\n{ROW},swiglu\n")
    out, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    assert '"my-run-1"' in out


SERVING_HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                  "published,role,note")
SERVING_ROW = "my-s1,my lab,vllm,h100-sxm,llama2-7b,1,1,bf16,bf16,128,128,32,output_tok_s_per_device,3000,{role},"


@pytest.mark.parametrize(("role", "absent"), [("test", "fit rows: n/a"), ("fit", "held-out median |error|: n/a")])
def test_serving_summary_of_a_user_table_without_fit_or_test_rows(role: str, absent: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A user's table with only held-out (or only fit) rows printed 'fit rows: nan%' (or 'nan% (0 rows); worst
    nan% ()'); the JSON has null there."""
    p = tmp_path / "serving.csv"
    p.write_text(f"{SERVING_HEADER}\n{SERVING_ROW.format(role=role)}\n")
    out, _ = _cli(capsys, "validate", "--serving", "--runs", str(p))
    assert "nan" not in out and absent in " ".join(out.split())


INFERENCE = "id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"


@pytest.mark.parametrize(("cells", "says"), [("t4,resnet-50", "unknown inference example 'resnet-50'"),
                                             ("t4-pcie,resnet50", "unknown device 't4-pcie'")])
def test_an_inference_row_with_an_unknown_name_is_named(cells: str, says: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The error said only the unknown name; in a table of many rows the user could not tell which to fix."""
    p = tmp_path / "inference.csv"
    p.write_text(INFERENCE + "ok-1,t4,resnet50,224,1,fp16,latency_ms,3.1,test,my lab,\n"
                 f"my-2,{cells},224,1,fp16,latency_ms,3.1,test,my lab,\n")
    _, err = _cli(capsys, "validate", "--inference", "--runs", str(p), code=2)
    assert f"run 'my-2': {says}" in err and "fix:" in err


def test_a_bad_tp_allreduce_cell_names_the_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was 'cannot be predicted: serving run x: tp_allreduce 'foo'' with the generic 'fix the row' (the cell's own
    fix, 'write nccl or custom', was replaced by the wrapper's)."""
    p = tmp_path / "serving.csv"
    p.write_text(f"{SERVING_HEADER},tp_allreduce\n{SERVING_ROW.format(role='test')},foo\n")
    _, err = _cli(capsys, "validate", "--serving", "--runs", str(p), code=2)
    text = " ".join(err.split())
    assert "tp_allreduce 'foo' is neither nccl nor custom" in text and "write nccl or custom" in text


def test_a_recompute_layers_column_is_read_as_plan_recompute_layers(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # torchtitan docs/performance.md (commit 0413364), 64 A100 80GB, FSDP2: Llama 3 8B, local batch 1, 'selective layer'
    # activation checkpointing (every second layer checkpointed = full recompute of 16 of 32 layers), 2904 tokens/s
    # per GPU: step 8192 / 2904 = 2.8209 s. The same run from the command line:
    #   plan explain --model llama3-8b --hardware a100-sxm-80gb --devices 64 --zero 3 --recompute full
    #   --recompute-layers 16 --seq-len 8192 --global-batch 64seq --stack pytorch-fsdp
    header = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,"
              "dtype,mlp,kv_heads,mbs,zero,flash,overlap,stack,recompute_layers")
    row = ("tt-8b-sel-layer,torchtitan performance.md,a100-sxm-80gb,64,32,4096,32,14336,128256,8192,64,1,1,64,full,"
           "2.8209,bf16,swiglu,8,1,3,1,1,pytorch-fsdp,16")
    p = tmp_path / "mine.csv"
    p.write_text(f"{header}\n{row}\n")
    out, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    (run,) = json.loads(out)["runs"]
    explain, _ = _cli(capsys, "plan", "explain", "--model", "llama3-8b", "--hardware", "a100-sxm-80gb", "--devices",
                      "64", "--zero", "3", "--recompute", "full", "--recompute-layers", "16", "--seq-len", "8192",
                      "--global-batch", "64seq", "--stack", "pytorch-fsdp", "--json")
    terms = {t["name"]: t["value"] for t in json.loads(explain)["terms"]}
    assert run["predicted_step_s"] == terms["step_time_s"]


_INFERENCE_CSV = ("id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"
                  "mine,edge-tpu,mobilenet-v1,224,1,int8,latency_ms,2.4,test,coral-bench,\n")


@pytest.mark.parametrize(("old", "new", "says"), [
    (",1,int8,", ",0,int8,", "batch = '0' is not a positive whole number"),
    ("edge-tpu", "edge-tpx", "unknown device 'edge-tpx'"),
    (",latency_ms,", ",latency,", "metric 'latency' is not one of latency_ms, throughput_per_s"),
])
def test_a_bad_inference_cell_names_the_users_file(old: str, new: str, says: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Was "run 'mine': ..." alone for `validate --inference --runs`, where the training and serving runs files'
    errors name the file (runs_csv.naming_file)."""
    p = tmp_path / "mine.csv"
    p.write_text(_INFERENCE_CSV.replace(old, new, 1))
    _, err = _cli(capsys, "validate", "--inference", "--runs", str(p), code=2)
    assert f"inference runs file {p}: run 'mine': {says}" in " ".join(err.split())


def test_an_mlp_cell_in_another_case_says_what_it_is_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`mlp = 'SwiGLU'` (the paper's spelling) was the whole problem text: no 'is not', no case hint (uttrial3)."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER},mlp\n{ROW},SwiGLU\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert "mlp = 'SwiGLU' is not gelu or swiglu (the names are lower case: swiglu)" in " ".join(err.split()), err
