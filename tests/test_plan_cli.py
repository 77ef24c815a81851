"""`accelopt plan`, `plan explain` and `validate` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    assert e.value.code in (0, None)
    return capsys.readouterr().out


def test_plan_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm,mi300x",
               "--devices", "64,128", "--top", "3", "--json")
    d = json.loads(out)
    assert d["candidates"] > 100 and len(d["best"]) == 3 and d["pareto_front"]
    assert d["best"][0]["train_time_s"] <= d["best"][-1]["train_time_s"]


def test_explain_feasible_and_infeasible(capsys: pytest.CaptureFixture[str]) -> None:
    d = json.loads(_run(capsys, "plan", "explain", "--model", "gpt3-175b", "--hardware", "h100-sxm", "--devices",
                        "1024", "--tp", "8", "--pp", "8", "--global-batch", "2048", "--json"))
    assert d["feasible"] and d["terms"]["step_time_s"] > 0
    with pytest.raises(SystemExit) as e:  # an infeasible layout: JSON with the reasons, then exit status 2
        main(["plan", "explain", "--model", "gpt3-175b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "0",
              "--global-batch", "2048", "--json"])
    assert e.value.code == 2
    d = json.loads(capsys.readouterr().out)
    assert not d["feasible"] and any("per device" in w for w in d["infeasible_because"])


def test_bad_inputs_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["plan", "--model", "llama9"], ["plan", "--model", "llama3-8b", "--objective", "speed"],
                 ["plan", "--model", "llama3-8b", "--hardware", "h100-sxn"],
                 ["plan", "--model", "llama3-8b", "--global-batch", "1000tok"],
                 ["validate", "--runs", "/nonexistent.csv"]):
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 2


def test_plan_workload_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload.types import Op, Workload

    p = tmp_path / "w.json"
    Workload(name="toy", meta={"params": 1e8, "batch_size": 4, "seq_len": 512}, ops=[
        Op(name="mm", kind="matmul", flops=1e11, bytes_read=1e8, bytes_written=1e7, phase="forward")]).save(p)
    d = json.loads(_run(capsys, "plan", "--model", str(p), "--devices", "1,8", "--json"))
    assert len(d["layouts"]) == 8


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    d = json.loads(_run(capsys, "validate", "--json"))
    assert len(d["runs"]) >= 40 and 0 < d["median_abs_error_held_out"] < 0.30
    by = d["median_abs_error_held_out_by_source"]
    assert by["Narayanan2021"] <= 0.10 and by["Korthikanti2022"] <= 0.10  # Megatron-style runs: target met
