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
    "ops": [GEMM, {**GEMM, "name": "fc1.bwd", "phase": "backward", "count": 4}]}  # dX and dW: 2 GEMMs per forward one


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
    (lambda d: d.update(opz=d["ops"]), "unknown field(s) opz"),
    (lambda d: d.update(ops=[]), "'ops' is empty"),
    (lambda d: d["ops"][0].update(dtype="bf61"), "dtype = 'bf61' is not one of"),
    (lambda d: d["meta"].update(mode="training"), "'meta.mode' = 'training' is not one of train, inference"),
    (lambda d: d["ops"][0].update(kind="elementwise"), "kind = 'elementwise' but the op has a gemm shape"),
])
def test_a_wrong_field_is_named(change: Any, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each was planned without a word (an empty step as its overheads alone)."""
    doc = copy.deepcopy(WORKLOAD)
    change(doc)
    path = _write(tmp_path, doc)
    _, err = _cli(capsys, "plan", "--model", path, "--hardware", "h100-sxm", "--devices", "1", code=2)
    assert path in err and named in err and "fix:" in err


@pytest.mark.parametrize(("change", "named", "meant"), [
    (lambda d: d.update(metta=d.pop("meta")), "unknown field(s) metta", "did you mean 'meta' for 'metta'?"),
    (lambda d: d["ops"][0].update(flop=d["ops"][0].pop("flops")), "op 0 ('fc1'): unknown field(s) flop",
     "did you mean 'flops' for 'flop'?"),
    (lambda d: d["ops"][1].update(phse="backward"), "op 1 ('fc1.bwd'): unknown field(s) phse",
     "did you mean 'phase' for 'phse'?"),
    (lambda d: d["ops"][0]["gemm"].update(kk=8), "op 0 ('fc1'): gemm: unknown field(s) kk",
     "did you mean 'k' for 'kk'?"),
])
def test_a_misspelt_field_names_the_field_meant(change: Any, named: str, meant: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """As device and calibration files do (errors.unknown_fields): a misspelt op field was 'flops = None is not a
    finite number' or a TypeError's words ('unexpected keyword argument'), a top-level one listed the fields only."""
    doc = copy.deepcopy(WORKLOAD)
    change(doc)
    path = _write(tmp_path, doc)
    _, err = _cli(capsys, "plan", "--model", path, "--hardware", "h100-sxm", "--devices", "1", code=2)
    flat = " ".join(err.split())
    assert path in flat and named in flat and meant in flat and "fix:" in flat


CONV = {"name": "conv", "kind": "conv", "flops": 2 * 64 * 56 * 56 * 64 * 9, "bytes_read": 1e6, "bytes_written": 1e6,
        "conv": {"n": 1, "c_in": 64, "h_in": 56, "w_in": 56, "c_out": 64, "kh": 3, "kw": 3, "padding": 1}}


@pytest.mark.parametrize(("op", "stated", "shape_flops"), [
    (GEMM, 1e6, "6.872e+10"),  # 2 x 2048 x 4096 x 4096
    (GEMM, 2 * GEMM["flops"], "6.872e+10"),  # two GEMMs' worth under one shape
    (CONV, 2 * 64 * 56 * 56 * 64 * 9 / 9, "2.312e+08"),  # a 1x1's count for a 3x3 kernel: 2 x 64 x 56^2 x 64 x 9
])
@pytest.mark.parametrize("command", [["simulate", "run", "-d", "tpu-v1", "--workload"],
                                     ["plan", "--hardware", "h100-sxm", "--devices", "1", "--model"]])
def test_flops_that_disagree_with_the_shape_are_an_error(op: dict[str, Any], stated: float, shape_flops: str,
                                                         command: list[str], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """plan timed such an op from its flops and simulate from its shape: the two disagreed without a word."""
    doc = copy.deepcopy(WORKLOAD)
    doc["ops"] = [{**op, "flops": stated}]
    path = _write(tmp_path, doc)
    _, err = _cli(capsys, *command, path, code=2)
    assert f"op 0 ({op['name']!r})" in err and f"flops = {stated:.4g}" in err and shape_flops in err
    assert "fix: set flops to" in err


@pytest.mark.parametrize("flops", [2.1e9, 2 * 1024**3 + 13 * 1024 * 8])
def test_rounded_flops_and_a_fused_epilogue_are_accepted(flops: float, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """2.1e9 is 2 x 1024^3 = 2.147e9 rounded (-2.2%, within 5%); the second adds a fused element-wise epilogue to the
    1024^3 GEMM: an LSTM cell's 13 FLOPs per hidden unit, 1024 units x 8 rows (captured LSTM layers carry it)."""
    doc = copy.deepcopy(WORKLOAD)
    doc["ops"] = [{**GEMM, "flops": flops, "gemm": {"m": 1024, "n": 1024, "k": 1024}, "count": 1}]
    _cli(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", _write(tmp_path, doc))


@pytest.mark.parametrize(("conv", "named"), [
    ({"kh": 5, "kw": 5, "h_in": 2, "w_in": 2, "padding": 0}, "conv kernel 5x5 is larger than the padded input 2x2"),
    ({"groups": 3}, "conv.groups = 3 does not divide both c_in = 64 and c_out = 64"),
])
def test_a_conv_that_cannot_run_is_named(conv: dict[str, int], named: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A 5x5 kernel on a 2x2 input has output 'size' -2 x -2, a positive 1,200 MACs that plan timed; groups 3 of 64
    channels was planned too (simulate alone refused it)."""
    doc = copy.deepcopy(WORKLOAD)
    doc["ops"] = [{**CONV, "conv": {**CONV["conv"], **conv}}]
    path = _write(tmp_path, doc)
    _, err = _cli(capsys, "plan", "--model", path, "--hardware", "h100-sxm", "--devices", "1", code=2)
    assert path in err and named in err and "fix:" in err
