"""Issue #10, no silent fallbacks: `plan infer` on a workload saved by `profile --save-workload` (whose meta has no
input_bytes) counted 0 bytes of input sent to the device, with nothing said. The default is now a note (text, JSON);
a workload that records its input (the built-in models, captured by plan infer) gets none. Times are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

NOTE = "names no meta input_bytes"


def _workload(tmp_path: Path, **meta: object) -> str:
    from accelopt.workload.types import Op, Workload

    p = tmp_path / "inf.json"
    Workload(name="inf", meta={"params": 1e6, "batch_size": 1, "mode": "inference", "dtype": "fp32", **meta}, ops=[
        Op(name="mm", kind="matmul", flops=2e9, bytes_read=4e6, bytes_written=4e3, phase="forward",
           dtype="fp32")]).save(p)
    return str(p)


def test_a_saved_workload_without_input_bytes_says_no_transfer_is_counted(capsys: pytest.CaptureFixture[str],
                                                                         tmp_path: Path) -> None:
    code, out, err = run_main(["plan", "infer", _workload(tmp_path), "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [n for n in doc["notes"] if NOTE in n] and doc["devices"][0]["points"][0]["transfer_s"] == 0.0
    code, text, _ = run_main(["plan", "infer", _workload(tmp_path), "--hardware", "h100-sxm"], capsys)
    assert code == 0 and NOTE in " ".join(text.split())
    # given (even as 0): no note
    code, out, err = run_main(["plan", "infer", _workload(tmp_path, input_bytes=0), "--hardware", "h100-sxm",
                               "--json"], capsys)
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if NOTE in n]
