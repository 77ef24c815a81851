"""`plan --attention-kernel triton` (or flash2) on a TPU was accepted with a note ('no published rate ... its
attention core runs on the GEMM curve instead'): a prediction for a kernel that cannot run there (FlashAttention-2 is
CUDA/ROCm, Triton compiles for NVIDIA and AMD GPUs). The predictor's other kernel/device checks refuse such a pairing
(--fp8-recipe mxfp8 off Blackwell, --tp-comm-overlap without an SM count: exit 2 for one device, skipped with the
reason in a search over several); the attention kernel does the same now."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

_PLAN = ["plan", "--model", "gpt3-125m", "--devices", "8", "--tokens", "1e9", "--top", "1"]


@pytest.mark.parametrize("kernel", ["triton", "flash2"])
def test_plan_on_a_tpu_alone_is_refused(kernel: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_PLAN, "--hardware", "tpu-v5p", "--attention-kernel", kernel], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert f"--attention-kernel {kernel} is a GPU kernel" in said and "tpu-v5p is a tpu" in said
    assert "give --attention-kernel fused (the default) or unfused" in said and "Traceback" not in err


def test_plan_explain_on_a_tpu_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "gpt3-125m", "--hardware", "tpu-v5p", "--devices", "8",
                             "--tp", "1", "--pp", "1", "--zero", "1", "--attention-kernel", "triton"], capsys)
    assert code == 2, err
    assert "--attention-kernel triton is a GPU kernel" in " ".join(err.split())


def test_a_search_over_a_tpu_and_a_gpu_skips_the_tpu_saying_why(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*_PLAN, "--hardware", "tpu-v5p,a100-sxm-80gb", "--attention-kernel", "triton"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["hardware"] for r in doc["best"]} == {"a100-sxm-80gb"}
    assert "--attention-kernel triton is a GPU kernel" in doc["skipped_devices"]["tpu-v5p"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "not searched: tpu-v5p (--attention-kernel triton is a GPU kernel" in " ".join(out.split())
    assert "give --attention-kernel fused or unfused for it" in " ".join(out.split())


def test_the_default_kernel_still_plans_a_tpu(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_PLAN, "--hardware", "tpu-v5p", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["best"][0]["hardware"] == "tpu-v5p"
