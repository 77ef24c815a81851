"""`plan --model WORKLOAD.json` with a flag of the transformer model's terms is refused, not dropped (review of
2026-12-02: --attention-unpad and --dp-bucket-params joined the flags a captured workload took without a word).

training.evaluate_workload times a workload as its profiled ops plus the data-parallel all-reduce; it reads no Setup,
so these flags left the step unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_workload_top import _workload  # the one-GEMM workload file that test writes

from accelopt.cli.plan import _MODEL_FLAGS_NOT_FOR_WORKLOADS


@pytest.mark.parametrize("flags", [["--dp-bucket-params", "40M"], ["--attention-unpad"],
                                   ["--attention-kernel", "flash2"], ["--no-flash"], ["--edge-stage-layers", "2"],
                                   ["--tp-comm-overlap"], ["--fp8-recipe", "current"], ["--optimizer-bytes", "16"]])
def test_a_model_flag_with_a_workload_exits_2_naming_it(flags: list[str], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "--model", str(_workload(tmp_path)), "--hardware", "h100-sxm", "--devices", "8",
                                *flags], capsys)
    text = " ".join(err.split())
    assert code == 2 and f"{flags[0]}: --model" in text and "captured workload" in text and "fix:" in text, err


def test_the_refused_names_are_flags_of_plan() -> None:
    # a misspelt name in the tuple would refuse nothing: every one is a parameter of `plan`
    import typer.main

    from accelopt.cli.main import app

    plan = typer.main.get_command(app).commands["plan"]  # type: ignore[attr-defined]
    names = {p.name for p in plan.params}
    assert set(_MODEL_FLAGS_NOT_FOR_WORKLOADS) <= names, set(_MODEL_FLAGS_NOT_FOR_WORKLOADS) - names


def test_the_workload_still_plans_without_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", str(_workload(tmp_path)), "--hardware", "h100-sxm", "--devices", "8",
                               "--stack", "pytorch-fsdp", "--json"], capsys)
    assert code == 0, err
    assert len(json.loads(out)["layouts"]) == 4
