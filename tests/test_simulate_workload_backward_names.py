"""`simulate run --workload` of a train step (`profile --save-workload` writes one by default) named each backward
GEMM of a Linear by its module alone: a 3-layer MLP's table read '0, 2, 4, 4, 4, 2, 2, 0', and neither the table
nor the JSON said which rows were the forward pass and which the dX / dW GEMMs of the backward (a convolution's
backward already reads 'c.dX' / 'c.dW'). Backward GEMMs now read 'fc.dX' / 'fc.dW' (or 'fc.backward (i of n)' where
the shapes do not tell them apart); forward rows keep their name, so a workload simulates its layers under the names
an inference capture gives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.workload.types import Gemm, Op, Workload


def _mm(phase: str, m: int, n: int, k: int, module: str = "fc") -> Op:
    return Op(name="aten.mm.default", kind="matmul", flops=2.0 * m * n * k, bytes_read=4.0 * (m * k + k * n),
              bytes_written=4.0 * m * n, phase=phase, gemm=Gemm(m=m, n=n, k=k), module=module)


def test_backward_gemms_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Linear(32 -> 16) at batch 8: forward (8 x 16 x 32), dX (8 x 32 x 16), dW (16 x 32 x 8)
    ops = [_mm("forward", 8, 16, 32), _mm("backward", 8, 32, 16), _mm("backward", 16, 32, 8)]
    Workload(name="w", ops=ops, meta={"mode": "train", "batch_size": 8}).save(tmp_path / "train.json")
    out, _ = _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(tmp_path / "train.json"), "--json")
    layers = json.loads(out)["layers"]
    # utmisc: the two backward rows both read 'fc.backward'; against the forward's shapes they are dX and dW
    assert [x["name"] for x in layers] == ["fc", "fc.dX", "fc.dW"]
    assert [(x["m"], x["n"], x["k"]) for x in layers] == [(8, 16, 32), (8, 32, 16), (16, 32, 8)]
    text, _ = _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(tmp_path / "train.json"))
    assert text.count("fc.dX") == 1 and text.count("fc.dW") == 1


def test_an_inference_workload_keeps_its_module_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ops = [_mm("forward", 8, 16, 32, "enc.fc1"), _mm("forward", 8, 4, 16, "enc.fc2")]
    Workload(name="w", ops=ops, meta={"mode": "inference", "batch_size": 8}).save(tmp_path / "inf.json")
    out, _ = _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(tmp_path / "inf.json"), "--json")
    assert [x["name"] for x in json.loads(out)["layers"]] == ["enc.fc1", "enc.fc2"]
