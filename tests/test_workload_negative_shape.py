"""A workload JSON op whose `shapes` hold a negative size (a hand-written file: `[-1, 4, 4, -4]` for a
convolution_backward's grad_out) was read as is: simulate took the product of the sizes, the two negatives
cancelled, and the run printed a table as if the sizes were positive, without a word. Now it is an error naming the
file, the op and the size (exit 2); 0 (an empty tensor) is still a size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main_expect as _cli

CONV = {"n": 1, "c_in": 4, "h_in": 6, "w_in": 6, "c_out": 4, "kh": 3, "kw": 3}
MACS = 4 * 4 * 4 * 4 * 9  # 4x4 outputs x 4 filters x 4 channels x 3x3


def _workload(tmp_path: Path, grad_out: list[int]) -> str:
    ops: list[dict[str, Any]] = [
        {"name": "aten.convolution", "kind": "conv", "flops": 2 * MACS, "bytes_read": 1e3, "bytes_written": 1e3,
         "module": "c", "phase": "forward", "conv": CONV},
        {"name": "aten.convolution_backward", "kind": "conv", "flops": 4 * MACS, "bytes_read": 1e3,
         "bytes_written": 1e3, "module": "c", "phase": "backward",
         "shapes": [grad_out, [1, 4, 6, 6], [4, 4, 3, 3]]}]
    p = tmp_path / "w.json"
    p.write_text(json.dumps({"name": "cb", "meta": {"mode": "train", "batch_size": 1}, "ops": ops}))
    return str(p)


def test_negative_size_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path, [-1, 4, 4, -4])
    _, err = _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", path, code=2)
    assert path in err and "op 1 ('aten.convolution_backward')" in err and "holds the size -1" in err
    _, err = _cli(capsys, "plan", "--hardware", "h100-sxm", "--devices", "1", "--model", path, code=2)
    assert "holds the size -1" in err


def test_positive_sizes_still_simulate_both_gradients(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", _workload(tmp_path, [1, 4, 4, 4]),
                  "--json")
    assert [x["name"] for x in json.loads(out)["layers"]] == ["c", "c.dX", "c.dW"]
    assert json.loads(out)["totals"]["macs"] == 3 * MACS
