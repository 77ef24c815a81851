"""plan / plan explain --eager-cross-entropy --stack maxtext (and a runs-file row with eager_cross_entropy 1 and stack
maxtext) was accepted and charged PyTorch eager F.cross_entropy's CUDA passes (fp32 cast, log_softmax, nll_loss and
their backward, 48 B per logit element) to a JAX MaxText run, whose loss XLA compiles: no such kernels run there. It
is refused now, exit 2 naming the flag, the stack and the fix; the PyTorch stacks keep it. The runs-file row's
refusal: tests/test_pytorch_flags_off_gpu_and_jax.py, with the other PyTorch-only cells."""

from __future__ import annotations

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
    from accelopt.predict.compute import PYTORCH_STACKS

    assert stack in STACKS and set(PYTORCH_STACKS) == set(STACKS) - {"maxtext"}
    code, out, err = run_main(["plan", "explain", *MODEL, "--stack", stack, "--eager-cross-entropy"], capsys)
    assert code == 0, err
    assert "eager fp32 cross-entropy" in " ".join(out.split())

