"""A workload JSON op whose "gemm" or "conv" is an empty object (or another falsy value: [], 0, ""), as a user
writes while filling a file by hand: `simulate run --workload` and `plan --model` stopped with a Python traceback
(AttributeError: 'dict' object has no attribute 'macs'), since only a truthy shape was checked. Now it is an error
naming the file, the op and the missing fields (exit 2); null still means no shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main_expect as _cli

GEMM: dict[str, Any] = {"name": "fc1", "kind": "matmul", "flops": 2 * 4 * 32 * 16, "bytes_read": 2560,
                        "bytes_written": 512, "dtype": "fp32", "gemm": {"m": 4, "n": 32, "k": 16}}


def _write(tmp_path: Path, op: dict[str, Any]) -> str:
    p = tmp_path / "w.json"
    p.write_text(json.dumps({"name": "mine", "meta": {"batch_size": 4, "mode": "inference"}, "ops": [op]}))
    return str(p)


@pytest.mark.parametrize(("field", "value", "said"), [
    ("gemm", {}, "gemm is malformed"), ("conv", {}, "conv is malformed"), ("gemm", [], "gemm is a list"),
    ("gemm", 0, "gemm is a int"), ("conv", "", "conv is a str")])
@pytest.mark.parametrize("command", [("simulate", "run", "-d", "tpu-v1", "--workload"),
                                     ("plan", "--hardware", "h100-sxm", "--devices", "1", "--model")])
def test_empty_shape_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str,
                                                 value: object, said: str, command: tuple[str, ...]) -> None:
    path = _write(tmp_path, {**GEMM, field: value})
    _, err = _cli(capsys, *command, path, code=2)
    assert "Traceback" not in err
    assert path in err and "op 0 ('fc1')" in err and said in err


def test_null_shape_still_means_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """"conv": null beside a gemm is a GEMM op as before (what `profile --save-workload` writes)."""
    out, _ = _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", _write(tmp_path, {**GEMM, "conv": None}),
                  "--json")
    assert json.loads(out)["totals"]["macs"] == 4 * 32 * 16
