"""plan / plan explain --eager-cross-entropy --stack maxtext (and a runs-file row with eager_cross_entropy 1 and stack
maxtext) was accepted and charged PyTorch eager F.cross_entropy's CUDA passes (fp32 cast, log_softmax, nll_loss and
their backward, 48 B per logit element) to a JAX MaxText run, whose loss XLA compiles: no such kernels run there. It
is refused now, exit 2 naming the flag, the stack and the fix; the PyTorch stacks keep it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.calibration import STACKS

MODEL = ["--model", "llama2-7b", "--hardware", "a100-sxm-80gb", "--devices", "8", "--seq-len", "2048",
         "--global-batch", "64seq"]


@pytest.mark.parametrize("cmd", [["plan"], ["plan", "explain"]])
def test_refused_with_the_jax_stack(cmd: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*cmd, *MODEL, "--stack", "maxtext", "--eager-cross-entropy"], capsys)
    text = " ".join(err.split())
    assert code == 2, err
    assert "--eager-cross-entropy" in text and "--stack maxtext is not a PyTorch stack" in text
    assert "give --stack megatron or pytorch-fsdp" in text


@pytest.mark.parametrize("stack", ["megatron", "pytorch-fsdp"])
def test_kept_on_the_pytorch_stacks(stack: str, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.compute import EAGER_CE_STACKS

    assert stack in STACKS and set(EAGER_CE_STACKS) == set(STACKS) - {"maxtext"}
    code, out, err = run_main(["plan", "explain", *MODEL, "--stack", stack, "--eager-cross-entropy"], capsys)
    assert code == 0, err
    assert "eager fp32 cross-entropy" in " ".join(out.split())


def test_a_runs_file_row_is_refused_naming_its_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,"
                    "recompute,step_s,flash,overlap,stack,eager_cross_entropy\n"
                    "jax-1b,our lab,a100-sxm-80gb,8,24,2048,16,8192,50368,2048,swiglu,256,1,1,8,none,3.0,1,1,"
                    "maxtext,1\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    text = " ".join(err.split())
    assert code == 2, err
    assert "run 'jax-1b'" in text and "--stack maxtext is not a PyTorch stack" in text
    assert "the eager_cross_entropy cell" in text and "the stack cell" in text
