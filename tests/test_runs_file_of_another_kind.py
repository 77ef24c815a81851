"""A runs file of one kind given to another `validate` (a serving table to `validate --runs`, a training table to
`validate --serving --runs`) was refused with the whole list of columns it lacks; the error now says which kind of
runs file it is and the command that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

TRAINING = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,recompute,step_s\n"
            "t1,our lab,h100-sxm,8,32,4096,32,14336,128256,8192,swiglu,16,1,1,8,selective,2.8\n")
SERVING = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
           "role,note\n"
           "s1,my bench,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1024,128,64,output_tok_s_per_device,3000,test,\n")
INFERENCE = ("id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"
             "i1,edge-tpu,mobilenet-v1,224,1,int8,latency_ms,2.4,test,my-bench,\n")


@pytest.mark.parametrize(("text", "flags", "says"), [
    (SERVING, [], "it is a serving runs file fix: run `accelopt validate --serving --runs FILE`"),
    (INFERENCE, [], "it is an inference runs file fix: run `accelopt validate --inference --runs FILE`"),
    (TRAINING, ["--serving"], "it is a training runs file fix: run `accelopt validate --runs FILE`"),
    (INFERENCE, ["--serving"], "it is an inference runs file fix: run `accelopt validate --inference --runs FILE`"),
    (TRAINING, ["--inference"], "it is a training runs file fix: run `accelopt validate --runs FILE`"),
])
def test_the_error_names_the_kind_and_its_command(text: str, flags: list[str], says: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(text, encoding="utf-8")
    code, _, err = run_main(["validate", *flags, "--runs", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert says in " ".join(err.split()), err


def test_a_file_of_no_kind_keeps_the_plain_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("id,foo\nx,1\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 2 and "lacks the column(s)" in err and "it is a" not in err


def test_a_serving_row_that_cannot_be_predicted_keeps_the_predictors_fix(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`validate --serving` replaced the predictor's fix ('use an --ep that divides the expert count, e.g. 2, 4, 8')
    by 'fix the row, or make it a gap row': the user learnt which row, not what to write in it."""
    path = tmp_path / "serving.csv"
    path.write_text(SERVING.replace("s1,my bench,vllm,h100-sxm,llama3-8b,1,", "s1,my bench,vllm,h100-sxm,llama3-8b,3,"),
                    encoding="utf-8")
    code, _, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    text = " ".join(err.split())
    assert "serving run 's1' cannot be predicted: --tp 3 does not divide" in text
    assert "give a --tp that divides the head count" in text and "the tp cell" in text and "'gap' row" in text


@pytest.mark.parametrize("model", ["bert-base", "bert-large"])
def test_a_serving_row_of_an_encoder_is_refused_as_plan_serve_does(model: str, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --model bert-base` exits 2 (an encoder has no output tokens); `validate --serving` predicted a
    row naming it (8.4% 'error' on a TTFT), so the command line and validate disagreed."""
    path = tmp_path / "serving.csv"
    path.write_text(SERVING.replace("llama3-8b", model), encoding="utf-8")
    code, _, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    text = " ".join(err.split())
    assert f"serving run 's1': model = '{model}' is an encoder-only model" in text and "plan infer" in text
    code, _, err = run_main(["plan", "serve", "--model", model, "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "is an encoder-only model" in err


def test_a_serving_batch_above_its_max_batch_size_is_refused_as_plan_serve_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --batch 3000 --max-batch-size 256` exits 2 (the engine never holds 3000 requests); a row with
    those cells was predicted by `validate --serving`."""
    path = tmp_path / "serving.csv"
    head, row = SERVING.strip().split("\n")
    path.write_text(f"{head},max_batch_size\n{row.replace(',1024,128,64,', ',16,16,3000,')},256\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--serving", "--runs", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    text = " ".join(err.split())
    assert "serving run 's1': --batch 3000 is above --max-batch-size 256" in text
    assert "--batch is the batch cell, --max-batch-size is the max_batch_size cell of row 's1'" in text


@pytest.mark.parametrize("flags", [[], ["--serving"]])
def test_a_file_cut_to_the_shared_columns_is_no_file_of_the_other_kind(flags: list[str], tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A runs file of the user's own holding only columns both formats have (id, source, hardware: the rest not
    written yet) was called 'a serving runs file' by `validate --runs` (and 'a training runs file' by
    `validate --serving --runs`), whose fix sent the user to the other command (ut3io, 2026-12-06)."""
    path = tmp_path / "runs.csv"
    path.write_text("id,source,hardware\nmy1,our log,h100-sxm\n", encoding="utf-8")
    code, _, err = run_main(["validate", *flags, "--runs", str(path)], capsys)
    text = " ".join(err.split())
    assert code == 2 and "lacks the column(s)" in text and "it is a" not in text, text
    assert "use the header of the bundled published_" in text
