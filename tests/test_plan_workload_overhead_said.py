"""`plan --model WORKLOAD.json` of a small profiled model printed mem/dev 2.33 GiB on h100-sxm for a model whose
weights, gradients, optimizer state and activations are kilobytes: the total adds the calibration's
framework_overhead_bytes (2.5e9, an assumption, predict/data/calibration.toml), which nothing printed. A
'default used:' note names it per device now, in the console and the JSON alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_workload_top import _workload


def test_the_framework_overhead_in_mem_dev_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path)
    argv = ["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "1", "--tokens", "1e9"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    row = doc["layouts"][0]
    parts = sum(row[k] for k in ("mem_weights_bytes", "mem_grads_bytes", "mem_optimizer_bytes",
                                 "mem_activations_bytes"))
    assert row["mem_total_bytes"] - parts == pytest.approx(2.5e9)  # the overhead the note must name
    (said,) = [n for n in doc["notes"] if "framework overhead" in n]
    assert said.startswith("default used: mem/dev includes a framework overhead per device of h100-sxm 2.33 GiB "
                           "([family.nvidia-hopper])")
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "framework overhead per device of h100-sxm 2.33 GiB" in " ".join(out.split())
