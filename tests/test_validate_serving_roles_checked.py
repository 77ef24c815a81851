"""A serving runs file's role cell is the user's word for whether the calibration was fitted on the row: a row marked
'fit' that the [serving.*] table it is predicted with was not fitted on (its fitted_on) counted in no held-out figure,
and a row the table was fitted on marked 'test' counted in the held-out median as if unseen, both without a word
(utval, 2026-12-05). `validate --serving` now warns, naming the rows and the table (stderr, --json input_warnings).

Rows: trt05-ttft-h100-7b-128 (the bundled row, TensorRT-LLM v0.6.1 performance page: Llama 2 7B fp8 on H100, TTFT
7 ms at 128 tokens), one of [serving.nvidia-hopper]'s fitted_on, and the same page's batch-112 128/2048 row
(trt061-h100-7b-b112-128-2048: 6,818 output tok/s per GPU), held out in the bundled file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import validate_serving_csv

HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
          "role")
FITTED = "trt05-ttft-h100-7b-128,trtllm-v061,trtllm-session,h100-sxm,llama2-7b,1,1,fp8,fp8,128,1,1,ttft_ms,7,{role}"
HELD = ("my-b112,trtllm-v061,trtllm-session,h100-sxm,llama2-7b,1,1,fp8,fp8,128,2048,112,output_tok_s_per_device,6818,"
        "{role}")


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *rows: str) -> tuple[str, list[str]]:
    return validate_serving_csv(tmp_path, capsys, HEADER, *rows)


def test_roles_the_calibration_contradicts_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, warnings = _validate(tmp_path, capsys, FITTED.format(role="test"), HELD.format(role="fit"))
    fit = next((w for w in warnings if "role fit" in w), None)
    assert fit is not None, warnings
    assert "my-b112" in fit and "[serving.nvidia-hopper]" in fit and "no held-out figure" in fit
    test = next((w for w in warnings if "role test" in w), None)
    assert test is not None, warnings
    assert "trt05-ttft-h100-7b-128" in test and "fitted on" in test and "held-out median" in test
    assert " ".join(fit.split()) in err and " ".join(test.split()) in err


def test_roles_as_the_calibration_was_fitted_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, warnings = _validate(tmp_path, capsys, FITTED.format(role="fit"), HELD.format(role="test"))
    assert not [w for w in warnings if "role " in w], warnings
    assert "role fit" not in err and "role test" not in err
