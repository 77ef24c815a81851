"""A user's own workload JSON (`plan --model w.json`, `simulate run --workload`): a hand-written legal file plans with
the right numbers (hand-checked below); an unknown top-level field, an empty op list, an unknown op dtype and an
unknown meta.mode are errors naming the file, the field and the fix (exit 2), no longer planned as if unsaid."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main_expect as _cli

GEMM = {"name": "fc1", "kind": "matmul", "flops": 2 * 2048 * 4096 * 4096, "bytes_read": 41943040,
        "bytes_written": 16777216, "dtype": "bf16", "gemm": {"m": 2048, "n": 4096, "k": 4096}, "count": 2}
WORKLOAD: dict[str, Any] = {
    "name": "[bold]mine[/]", "meta": {"batch_size": 8, "mode": "train", "dtype": "bf16", "params": 16777216},
    "ops": [GEMM, {**GEMM, "name": "fc1.bwd", "flops": 2 * GEMM["flops"], "phase": "backward"}]}


def _write(tmp_path: Path, doc: dict[str, Any]) -> str:
    p = tmp_path / "w.json"
    p.write_text(json.dumps(doc))
    return str(p)


def test_a_hand_written_workload_plans_at_its_flops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """2 x 68.7 GFLOP forward + 2 x 137.4 GFLOP backward = 412.3 GFLOP a step; on one H100 (989 TFLOP/s dense bf16)
    the printed MFU m gives step = 412.3e9 / (989e12 m) (582 us at 71.6%): the JSON step time and MFU agree."""
    out, _ = _cli(capsys, "plan", "--model", _write(tmp_path, WORKLOAD), "--hardware", "h100-sxm", "--devices", "1",
                  "--json")
    best = json.loads(out)["layouts"][0]
    assert best["step_time_s"] == pytest.approx(6 * 2048 * 4096 * 4096 * 2 / (989e12 * best["mfu"]), rel=1e-3)


@pytest.mark.parametrize(("change", "named"), [
    (lambda d: d.update(opz=d["ops"]), "unknown field(s) 'opz'"),
    (lambda d: d.update(ops=[]), "'ops' is empty"),
    (lambda d: d["ops"][0].update(dtype="bf61"), "dtype = 'bf61' is not one of"),
    (lambda d: d["meta"].update(mode="training"), "'meta.mode' = 'training' is not one of train, inference"),
])
def test_a_wrong_field_is_named(change: Any, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each was planned without a word (an empty step as its overheads alone)."""
    doc = copy.deepcopy(WORKLOAD)
    change(doc)
    path = _write(tmp_path, doc)
    _, err = _cli(capsys, "plan", "--model", path, "--hardware", "h100-sxm", "--devices", "1", code=2)
    assert path in err and named in err and "fix:" in err
