"""A flag value the CLI refuses is named with what is wrong with it (issue 10, typed at the command line).
Before: `--dtype BF16` said "dtype 'BF16' is not a training dtype" (it is one: the names are lower case, as
`--recompute` already said), `plan serve --weight-dtype FP8` / `--kv-dtype FP8` "is not supported", `--stack Megatron`
"unknown software stack"; and `--schedule zb`, `--objective speed`, `--top 0` printed the flag and its value with no
problem at all ("error: --schedule 'zb'")."""

from __future__ import annotations

import contextlib

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
    ([*EXPLAIN, "--stack", "Megatron"], "megatron"), ([*PLAN, "--stack", "MaxText"], "maxtext"),
    ([*EXPLAIN, "--schedule", "ZB-H1", "--pp", "2"], "zb-h1")])
def test_an_upper_case_name_is_told_apart(capsys: pytest.CaptureFixture[str], argv: list[str], name: str) -> None:
    err = _error(capsys, argv)
    assert f"the names are lower case: {name}" in err, err


@pytest.mark.parametrize(("argv", "name"), [
    ([*EXPLAIN, "--dtype", "BF16", "--zero", "1"], "bf16"), ([*PLAN, "--dtype", "FP8"], "fp8"),
    ([*SERVE, "--weight-dtype", "FP8"], "fp8"), ([*SERVE, "--kv-dtype", "FP8"], "fp8"),
    ([*SERVE[:3], "mixtral-8x7b", *SERVE[4:], "--expert-weight-dtype", "MXFP4"], "mxfp4")])
def test_an_upper_case_dtype_is_read(capsys: pytest.CaptureFixture[str], argv: list[str], name: str) -> None:
    """A dtype in upper case was refused with the lower-case hint above; the dtype options now read any case
    (dtypes.canonical, ut4fix: NVFP4 and MXFP4 as checkpoints and papers write them), said on stderr."""
    with contextlib.suppress(SystemExit):
        main(argv)
    err = capsys.readouterr().err
    assert f"read as {name}" in err and "lower case" not in err and "not supported" not in err, err


def test_other_wrong_values_say_no_lower_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert "lower case" not in _error(capsys, [*EXPLAIN, "--dtype", "fp32"])


@pytest.mark.parametrize(("argv", "problem"), [
    ([*EXPLAIN, "--schedule", "zb"], "--schedule 'zb' is not a pipeline schedule"),
    ([*PLAN, "--objective", "speed"], "--objective 'speed' is not an objective"),
    ([*PLAN, "--top", "0"], "--top 0 must be >= 1")])
def test_the_problem_is_said(capsys: pytest.CaptureFixture[str], argv: list[str], problem: str) -> None:
    assert f"error: {problem}" in _error(capsys, argv)


@pytest.mark.parametrize("text", ["1.5seq", "100.7seq", "0seq"])
def test_a_global_batch_of_sequences_is_a_whole_positive_number(capsys: pytest.CaptureFixture[str], text: str) -> None:
    # '1.5seq' ran as 1 sequence and '100.7seq' as 100 (int() cut them, exit 0); '0seq' was refused as
    # 'seq_len 8192 / global batch 0 must be >= 1', naming no flag
    err = _error(capsys, [*EXPLAIN, "--tp", "8", "--global-batch", text])
    assert f"--global-batch {text!r} must be a positive whole number of sequences" in err


def test_an_unreadable_global_batch_gets_batch_examples(capsys: pytest.CaptureFixture[str]) -> None:
    err = _error(capsys, [*EXPLAIN, "--global-batch", "-5"])  # the fix was 'a number such as 15e12, 15T, 7B or 512'
    assert "--global-batch '-5' is negative" in err and "2048seq" in err and "15e12" not in err


@pytest.mark.parametrize("flag", ["--dp-bucket-params", "--global-batch"])
def test_a_negative_count_is_said_to_be_negative(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    # '-5' was 'cannot read --dp-bucket-params '-5'' with the fix 'write a number such as ... 512': the user had
    # written a number; the problem is its sign
    err = _error(capsys, [*EXPLAIN, flag, "-5"])
    assert f"error: {flag} '-5' is negative" in err and "cannot read" not in err


@pytest.mark.parametrize(("argv", "problem"), [
    ([*SERVE, "--memory-basis", "Total"],
     "--memory-basis 'Total' is not a memory basis (the names are lower case: total)"),
    ([*SERVE[:-1], "0"], "--batch '0': every value must be >= 1"),  # was "bad --batch '0'"
    ([*PLAN[:-1], "8,0"], "--devices '8,0': every value must be >= 1")])
def test_serve_and_list_flags_say_the_problem(capsys: pytest.CaptureFixture[str], argv: list[str],
                                              problem: str) -> None:
    assert f"error: {problem}" in _error(capsys, argv)


def test_a_token_batch_between_sequences_names_the_nearest_that_work(capsys: pytest.CaptureFixture[str]) -> None:
    """`--global-batch 2048.5` suggested '4Mtok', which is then refused at every power-of-two --seq-len (4e6 tokens
    is 488.3 sequences of 8192), and that refusal named no value that would run: the example is now one that runs
    and a token count between sequences names the whole counts on either side."""
    err = _error(capsys, [*EXPLAIN, "--global-batch", "2048.5"])
    example = next(w for w in err.split() if w.endswith("tok"))
    assert example == "4194304tok"
    with pytest.raises(SystemExit) as e:  # the example itself runs (llama3-8b: 8192-token sequences)
        main([*EXPLAIN, "--tp", "8", "--global-batch", example, "--json"])
    assert e.value.code == 0, capsys.readouterr().err
    capsys.readouterr()
    err = _error(capsys, [*EXPLAIN, "--global-batch", "4Mtok"])
    assert "(488.3 sequences)" in err and "488seq (3997696tok) or 489seq (4005888tok)" in err
