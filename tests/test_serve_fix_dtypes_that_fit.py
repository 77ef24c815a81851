"""`plan serve`: when the weights alone overflow a device, the fix names only the smaller weight dtypes one request
then fits at (utmisc 2026-12-04: Llama 3 70B on one L4, 20.2 GiB usable, was told 'use --weight-dtype fp8 or int4',
whose weights (65.7 / 37.0 GiB) are refused in turn; on an RTX 4090 'fp8 or int4', the same)."""
from __future__ import annotations

import pytest
from conftest import run_main


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, _, err = run_main(args, capsys)
    return code, err


def test_no_dtype_suggested_when_none_fits(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["plan", "serve", "-m", "llama3-70b", "--hardware", "l4", "--batch", "1"], capsys)
    assert code == 2 and "the weights alone need 131.4 GiB" in err
    fix = err.split("fix:", 1)[1]
    assert "use --weight-dtype" not in fix
    assert "even --weight-dtype int4 would not fit one request: its weights need 37.0 GiB per device" in fix


def test_only_the_fitting_dtype_is_suggested_and_then_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    # Jetson AGX Orin 64 GB: 53.6 GiB usable; int8 weights (65.7 GiB) do not fit, int4 (37.0 GiB) does
    code, err = _run(["plan", "serve", "-m", "llama3-70b", "--hardware", "jetson-agx-orin", "--batch", "1"], capsys)
    assert code == 2 and "use --weight-dtype int4, or a device" in err and "int8" not in err.split("fix:", 1)[1]
    code, err = _run(["plan", "serve", "-m", "llama3-70b", "--hardware", "jetson-agx-orin", "--batch", "1",
                      "--weight-dtype", "int4"], capsys)
    assert code == 0, err


def test_every_smaller_dtype_named_where_each_fits(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["plan", "serve", "-m", "llama3-70b", "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "use --weight-dtype fp8 or int4, or a device with more memory\n" in err


def test_fp8_kv_named_only_where_one_request_then_fits(capsys: pytest.CaptureFixture[str]) -> None:
    # 1,000,000 + 10 tokens of Llama 3 8B: 122.1 GiB of bf16 KV cache, 61.0 GiB at fp8, 55.8 GiB left on an H100
    code, err = _run(["plan", "serve", "-m", "llama3-8b", "--batch", "1", "--prompt", "1000000", "--output", "10"],
                     capsys)
    assert code == 2 and "needs 122.1 GiB of KV cache" in err and "--kv-dtype fp8" not in err.split("fix:", 1)[1]
    # 500,000 tokens: 61.0 GiB at bf16, 30.5 GiB at fp8, which fits
    code, err = _run(["plan", "serve", "-m", "llama3-8b", "--batch", "1", "--prompt", "500000", "--output", "10"],
                     capsys)
    assert code == 2 and "use --kv-dtype fp8, " in err.split("fix:", 1)[1]


def test_expert_dtypes_named_only_where_one_request_then_fits(capsys: pytest.CaptureFixture[str]) -> None:
    # Mixtral 8x7B on an L4 (20.2 GiB usable): 25.3 GiB of weights with mxfp4 experts; it was told to quantize the
    # experts with fp8 or mxfp4 or int4, all refused next
    code, err = _run(["plan", "serve", "-m", "mixtral-8x7b", "--hardware", "l4", "--batch", "1"], capsys)
    assert code == 2 and "--expert-weight-dtype" not in err.split("fix:", 1)[1]
    # an L40S (43.2 GiB usable): fp8 experts (~44 GiB) do not fit, mxfp4 and int4 do
    code, err = _run(["plan", "serve", "-m", "mixtral-8x7b", "--hardware", "l40s", "--batch", "1"], capsys)
    assert code == 2 and "--expert-weight-dtype mxfp4 or int4 (" in err
    code, err = _run(["plan", "serve", "-m", "mixtral-8x7b", "--hardware", "l40s", "--batch", "1",
                      "--expert-weight-dtype", "mxfp4"], capsys)
    assert code == 0, err
