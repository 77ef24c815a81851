"""`plan infer W.json` without --batch plans the saved workload at its own batch.

It exited 2 with 'a saved workload holds one batch size (1); --batch asks for 1,8,64': the default list, which the
user never typed. A --batch the user does type still has to be the workload's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main


def _saved(tmp_path: Path, batch: int) -> str:
    """One 1024^3 GEMM per sample, saved at `batch` (the format `profile --save-workload` writes)."""
    m = 1024 * batch
    doc = {"name": "w", "meta": {"batch_size": batch, "mode": "inference", "params": 1024 * 1024},
           "ops": [{"name": "mm", "kind": "matmul", "flops": 2.0 * m * 1024 * 1024,
                    "bytes_read": 4.0 * (m + 1024) * 1024, "bytes_written": 4.0 * m * 1024,
                    "gemm": {"m": m, "n": 1024, "k": 1024}}]}
    path = tmp_path / f"w{batch}.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize("batch", [1, 4])
def test_no_batch_flag_takes_the_workloads_own(tmp_path: Path, capsys: pytest.CaptureFixture[str], batch: int) -> None:
    path = _saved(tmp_path, batch)
    code, out, err = run_main(["plan", "infer", path, "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    assert data["batches"] == [batch] and [p["batch"] for p in data["devices"][0]["points"]] == [batch]
    assert any(f"batch {batch}" in n and "no --batch" in n for n in data["notes"])
    code, out, err = run_main(["plan", "infer", path, "--hardware", "h100-sxm"], capsys)
    assert code == 0, err
    assert f"batch {batch}" in out and "no --batch" in out


def test_a_typed_batch_must_be_the_workloads_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _saved(tmp_path, 4)
    code, out, err = run_main(["plan", "infer", path, "--hardware", "h100-sxm", "--batch", "1,8"], capsys)
    assert code == 2 and out == "" and "--batch asks for 1,8" in err and "pass --batch 4" in err
    code, out, err = run_main(["plan", "infer", path, "--hardware", "h100-sxm", "--batch", "4", "--json"], capsys)
    assert code == 0, err
    assert not any("no --batch" in n for n in json.loads(out)["notes"])  # typed: nothing to say


def test_a_model_without_batch_flag_still_gets_the_default_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["batches"] == [1, 8, 64]
