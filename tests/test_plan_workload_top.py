"""`plan --model WORKLOAD.json --top N` was refused ('--top: ... is a captured workload, which fixes its dtype, batch
and sequence length'): --top fixes nothing of the workload, it limits the rows shown, as for a preset (uplan3,
2026-12-01). Untyped, every (device, dp, ZeRO) row is listed as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_bad_inputs import workload_doc


def _workload(tmp_path: Path) -> Path:
    w = tmp_path / "w.json"
    doc = workload_doc()
    doc["meta"]["params"] = 64 * 64  # the one GEMM's weights
    w.write_text(json.dumps(doc), encoding="utf-8")
    return w


def test_top_limits_the_workload_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--model", str(_workload(tmp_path)), "--hardware", "h100-sxm,a100-sxm-80gb", "--devices", "1,8",
            "--json"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    every = json.loads(out)["layouts"]
    assert len(every) == 2 * (1 + 4)  # devices x (dp 1: ZeRO 0 alone, 3d97944a; dp 8: ZeRO 0-3)
    code, out, err = run_main([*argv, "--top", "3"], capsys)
    assert code == 0, err
    assert json.loads(out)["layouts"] == every[:3]  # the best three of the same ranking


def test_top_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", str(_workload(tmp_path)), "--devices", "8", "--top", "0"], capsys)
    assert code == 2 and "--top 0" in err and "Traceback" not in err
