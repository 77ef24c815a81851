"""`simulate run/sweep --batch` left out is the model's own batch (a zoo size's, a factory's, a workload file's),
and the source line says which batch ran. It defaulted to 1: a zoo model ran at batch 1 rather than its size's
batch, an explicit `--batch 1` never reached a factory (1 was taken for 'left out'), and a --workload file was
refused unless --batch was 1, even when --batch named the batch the file was captured at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

pytest.importorskip("torch")

FACTORY = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def make(batch_size=4):
    x = torch.zeros(batch_size, 8)
    return ModelBundle(name="lin", model=nn.Linear(8, 16), batches=lambda: iter([(x, torch.zeros(batch_size, 16))]),
                       loss_fn=nn.functional.mse_loss, batch_size=batch_size)
'''


def _source(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", *args, "--json"], capsys)
    assert code == 0, err
    return str(json.loads(out)["source"])


def test_a_zoo_model_runs_at_its_sizes_batch(capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload import zoo

    own = zoo.build("gpt", "tiny").batch_size
    assert own != 1  # the test needs a size whose batch is not the old default
    assert f"(batch {own}, the size's own" in _source(capsys, "-m", "gpt:tiny")
    assert "(batch 1)" in _source(capsys, "-m", "gpt:tiny", "--batch", "1")


def test_a_factory_gets_its_own_batch_or_the_one_given_even_1(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "lin.py"
    f.write_text(FACTORY, encoding="utf-8")
    assert "(ModelBundle, batch 4, the factory's own: --batch changes it)" in _source(capsys, "-m", f"{f}:make")
    assert "ModelBundle, batch 1)" in _source(capsys, "-m", f"{f}:make", "--batch", "1")  # ran at 4 before


def test_a_workload_runs_at_its_captured_batch_and_refuses_another(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload.types import Gemm, Op, Workload

    op = Op(name="aten.mm.default", kind="matmul", flops=2.0 * 8 * 16 * 32, bytes_read=4.0 * (8 * 32 + 32 * 16),
            bytes_written=4.0 * 8 * 16, phase="forward", gemm=Gemm(m=8, n=16, k=32))
    path = tmp_path / "w.json"
    Workload(name="w", ops=[op], meta={"mode": "inference", "batch_size": 8}).save(path)
    assert "batch 8" in _source(capsys, "--workload", str(path))
    assert "batch 8" in _source(capsys, "--workload", str(path), "--batch", "8")  # refused before: not 1
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(path), "--batch", "4"], capsys)
    assert code == 2 and "captured at batch 8" in err and "leave --batch out" in err and "Traceback" not in err, err


@pytest.mark.parametrize(("args", "want"), [
    (["-m", "resnet50"], "for that one), batch 1"),
    (["-m", "bert-base", "--seq-len", "16"], "batch 1, seq_len 16"),
])
def test_a_model_without_a_batch_of_its_own_runs_at_1_and_says_so(capsys: pytest.CaptureFixture[str],
                                                                 args: list[str], want: str) -> None:
    assert want in _source(capsys, *args)


def test_a_topology_says_its_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    topo = tmp_path / "t.csv"
    topo.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                    "Strides,\nconv1, 8, 8, 3, 3, 4, 8, 1,\n", encoding="utf-8")
    assert "batch 1" in _source(capsys, "--topology", str(topo))
    assert "batch 2" in _source(capsys, "--topology", str(topo), "--batch", "2")
