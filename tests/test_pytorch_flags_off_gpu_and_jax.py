"""`plan --eager-cross-entropy` was refused with --stack maxtext (JAX) but accepted on a TPU, whose loss runs other
kernels than the aten CUDA passes the flag charges (22 + 26 B per logit element); and --tp-comm-overlap (Transformer
Engine userbuffers) and --attention-unpad (llm-foundry's PyTorch padded-batch wrapper) were accepted with --stack
maxtext without a word, though no stack model reads them differently. Now: the eager loss on a non-GPU device is
refused as --attention-kernel flash2 on a TPU is (exit 2 for one device, left out with the reason in a search over
several), and the two PyTorch flags with the JAX stack are refused as --eager-cross-entropy is (exit 2 naming the flag,
the stack and the fix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

_PLAN = ["plan", "--model", "gpt3-125m", "--devices", "8", "--tokens", "1e9", "--top", "1"]
_EXPLAIN = ["plan", "explain", "--model", "gpt3-125m", "--devices", "8", "--tp", "2", "--pp", "1", "--zero", "1"]


def test_plan_eager_loss_on_a_tpu_alone_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_PLAN, "--hardware", "tpu-v5p", "--eager-cross-entropy"], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "--eager-cross-entropy charges PyTorch eager F.cross_entropy's CUDA passes" in said
    assert "tpu-v5p is a tpu" in said and "leave --eager-cross-entropy out, or add a GPU" in said
    assert "Traceback" not in err


def test_plan_explain_eager_loss_on_a_tpu_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_EXPLAIN, "--hardware", "tpu-v5p", "--eager-cross-entropy"], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "tpu-v5p is a tpu" in said and "leave --eager-cross-entropy out, or give a GPU with --hardware" in said


def test_a_search_over_a_tpu_and_a_gpu_skips_the_tpu_saying_why(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*_PLAN, "--hardware", "tpu-v5p,a100-sxm-80gb", "--eager-cross-entropy"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["hardware"] for r in doc["best"]} == {"a100-sxm-80gb"}
    assert "--eager-cross-entropy charges" in doc["skipped_devices"]["tpu-v5p"]
    code, out, err = run_main(argv, capsys)
    said = " ".join(out.split())
    assert code == 0, err
    assert "not searched: tpu-v5p (--eager-cross-entropy charges" in said
    assert "leave --eager-cross-entropy out for it)" in said


def test_the_eager_loss_still_plans_a_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_PLAN, "--hardware", "a100-sxm-80gb", "--eager-cross-entropy", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["best"][0]["hardware"] == "a100-sxm-80gb"


@pytest.mark.parametrize("flag", ["--tp-comm-overlap", "--attention-unpad"])
@pytest.mark.parametrize("cmd", [_PLAN, _EXPLAIN])
def test_pytorch_flags_with_the_jax_stack_are_refused(flag: str, cmd: list[str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*cmd, "--hardware", "tpu-v5p", "--stack", "maxtext", flag], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert f"{flag} " in said and "--stack maxtext is not a PyTorch stack" in said
    assert f"leave {flag} out, or give --stack megatron or pytorch-fsdp" in said


@pytest.mark.parametrize("stack", ["megatron", "pytorch-fsdp"])
def test_pytorch_flags_kept_on_the_pytorch_stacks(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_EXPLAIN, "--hardware", "h100-sxm", "--stack", stack, "--tp-comm-overlap",
                             "--attention-unpad"], capsys)
    assert code == 0, err


# a runs-file row naming a PyTorch-only cell with stack maxtext: refused as the flag is, naming both cells (the
# eager loss on a GPU row, the unpad wrapper on a TPU row: the stack, not the device, is what refuses it)
@pytest.mark.parametrize(("cell", "hardware"), [("eager_cross_entropy", "a100-sxm-80gb"),
                                                ("attention_unpad", "tpu-v5p")])
def test_a_runs_file_row_is_refused_naming_its_cells(cell: str, hardware: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,"
                    f"recompute,step_s,flash,overlap,stack,{cell}\n"
                    f"jax-1b,our lab,{hardware},8,24,2048,16,8192,50368,2048,swiglu,256,1,1,8,none,3.0,1,1,"
                    "maxtext,1\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "run 'jax-1b'" in said and "--stack maxtext is not a PyTorch stack" in said
    assert f"the {cell} cell" in said and "the stack cell" in said
