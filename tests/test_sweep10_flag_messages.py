"""A flag value the CLI refuses is named with what is wrong with it (issue 10, typed at the command line).
Before: `--dtype BF16` said "dtype 'BF16' is not a training dtype" (it is one: the names are lower case, as
`--recompute` already said), `plan serve --weight-dtype FP8` / `--kv-dtype FP8` "is not supported", `--stack Megatron`
"unknown software stack"; and `--schedule zb`, `--objective speed`, `--top 0` printed the flag and its value with no
problem at all ("error: --schedule 'zb'")."""

from __future__ import annotations

import pytest

from accelopt.cli.main import main

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8"]
SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1"]
PLAN = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8"]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("argv", "name"), [
    ([*EXPLAIN, "--dtype", "BF16"], "bf16"), ([*PLAN, "--dtype", "FP8"], "fp8"),
    ([*SERVE, "--weight-dtype", "FP8"], "fp8"), ([*SERVE, "--kv-dtype", "FP8"], "fp8"),
    ([*SERVE, "--expert-weight-dtype", "MXFP4", "--model", "mixtral-8x7b"], "mxfp4"),
    ([*EXPLAIN, "--stack", "Megatron"], "megatron"), ([*PLAN, "--stack", "MaxText"], "maxtext"),
    ([*EXPLAIN, "--schedule", "ZB-H1", "--pp", "2"], "zb-h1")])
def test_an_upper_case_name_is_told_apart(capsys: pytest.CaptureFixture[str], argv: list[str], name: str) -> None:
    err = _error(capsys, argv)
    assert f"the names are lower case: {name}" in err, err


def test_other_wrong_values_say_no_lower_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert "lower case" not in _error(capsys, [*EXPLAIN, "--dtype", "fp32"])


@pytest.mark.parametrize(("argv", "problem"), [
    ([*EXPLAIN, "--schedule", "zb"], "--schedule 'zb' is not a pipeline schedule"),
    ([*PLAN, "--objective", "speed"], "--objective 'speed' is not an objective"),
    ([*PLAN, "--top", "0"], "--top 0 must be >= 1")])
def test_the_problem_is_said(capsys: pytest.CaptureFixture[str], argv: list[str], problem: str) -> None:
    assert f"error: {problem}" in _error(capsys, argv)
