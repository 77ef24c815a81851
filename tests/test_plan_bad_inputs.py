"""Every bad input to plan / plan explain / plan serve / validate ends in `error: ... fix: ...` (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.cli.main import main


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the CLI, require exit status 2 with a problem and a fix on stderr; return stderr."""
    with pytest.raises(SystemExit) as e:
        main(list(args))
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert "error:" in err and "fix:" in err and "Traceback" not in err, err
    return err


PLAN = ("plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64", "--tokens", "1e12")


@pytest.mark.parametrize(("args", "needle"), [
    (("plan", "--model", "llama3-7b"), "llama3-8b"),  # typo: closest names suggested
    (("plan", "--model", "llama3-8b", "--hardware", "h100-sxmm"), "h100-sxm"),
    (("plan", "--model", "llama3-8b", "--devices", "0"), "--devices"),
    (("plan", "--model", "llama3-8b", "--devices", "abc"), "--devices"),
    (("plan", "--model", "llama3-8b", "--tokens", "-5"), "--tokens"),
    ((*PLAN, "--deadline", "soon"), "duration"),
    ((*PLAN, "--global-batch", "1000001tok"), "--global-batch"),
    ((*PLAN, "--hardware", ""), "--hardware"),
    ((*PLAN, "--hardware", ","), "--hardware"),
    ((*PLAN, "--objective", "speed"), "--objective"),
    ((*PLAN, "--top", "0"), "--top"),
    ((*PLAN, "--dtype", "int3"), "dtype"),
    (("plan", "--model", "llama3-8b", "--hardware", "v100", "--devices", "64"), "fp16"),  # fix names what it has
    (("plan", "--model", "llama3-8b", "--hardware", "a100", "--devices", "64", "--dtype", "fp8"), "bf16"),
    (("plan", "--model", "llama3-405b", "--hardware", "a100-40gb", "--devices", "8"), "no feasible layout"),
    ((*PLAN, "--calibration", "/nonexistent/cal.toml"), "does not exist"),
])
def test_plan_bad_input(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str) -> None:
    assert needle in _fails(capsys, *args)


def test_malformed_calibration(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "cal.toml"
    bad.write_text("garbage [[", encoding="utf-8")
    assert "not valid TOML" in _fails(capsys, *PLAN, "--calibration", str(bad))
    bad.write_text("[family.default]\nmatmul_eff_max = 2.0\n", encoding="utf-8")
    assert "lacks" in _fails(capsys, *PLAN, "--calibration", str(bad))


@pytest.mark.parametrize(("text", "needle"), [
    ("not json {", "is not JSON"),
    ('{"model_type": "llama", "hidden_size": 4096}', "num_hidden_layers"),
    ('{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 0, "vocab_size": 10}', "positive"),
    ('{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 10, '
     '"intermediate_size": "big"}', "intermediate_size"),
    ("[1, 2]", "no JSON object"),
])
def test_bad_hf_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(text, encoding="utf-8")
    assert needle in _fails(capsys, "plan", "--model", str(cfg), "--devices", "8")
    assert needle in _fails(capsys, "plan", "serve", "--model", str(cfg))


def test_model_folder_and_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "no such file" in _fails(capsys, "plan", "--model", str(tmp_path / "nope.json"))
    assert "without a config.json" in _fails(capsys, "plan", "--model", str(tmp_path))
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 2}', encoding="utf-8")
    assert "hidden_size" in _fails(capsys, "plan", "--model", str(tmp_path))  # the folder's config.json is read


def test_malformed_workload_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wl = tmp_path / "wl.json"
    wl.write_text('{"name": "x", "ops": [1, 2', encoding="utf-8")
    assert "profile --save-workload" in _fails(capsys, "plan", "--model", str(wl), "--devices", "8")
    wl.write_text('{"name": "x", "ops": [{"a": 1}]}', encoding="utf-8")
    assert "workload" in _fails(capsys, "plan", "--model", str(wl), "--devices", "8")


EXPLAIN = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64")


@pytest.mark.parametrize(("extra", "needle"), [
    (("--tp", "3"), "tp must divide the 32 attention heads"),
    (("--pp", "64", "--tp", "1"), "pp cannot exceed"),
    (("--global-batch", "10"), "global batch"),  # fewer sequences than the 64 data-parallel ranks
    (("--tp", "0"), "--tp"),
    (("--zero", "4"), "--zero"),
    (("--recompute", "some"), "--recompute"),
    (("--slice-devices", "3"), "whole number of ICI slices"),  # 64 chips are not slices of 3
])
def test_explain_invalid_layout(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], needle: str) -> None:
    err = _fails(capsys, *EXPLAIN, *extra)
    assert needle in err
    assert capsys.readouterr().out == ""  # no arithmetic of an invalid layout


def test_explain_memory_infeasible_prints_arithmetic_then_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "explain", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "0",
              "--global-batch", "8"])
    out, err = capsys.readouterr()
    assert e.value.code == 2
    assert "mem_optimizer_bytes" in out and "does not fit" in err and "fix:" in err


SERVE = ("plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm")


@pytest.mark.parametrize(("extra", "needle"), [
    (("--batch", "0"), "--batch"),
    (("--batch", "abc"), "--batch"),
    (("--tp", "3"), "attention heads"),
    (("--tp", "0"), "tp"),
    (("--prompt", "0"), "prompt"),
    (("--prompt", "10000000"), "KV cache"),  # does not fit at batch 1: memory breakdown and fix
    (("--weight-dtype", "fp4"), "weight_dtype"),
    (("--kv-dtype", "int2"), "kv_dtype"),
    (("--hardware", "a100", "--weight-dtype", "fp8"), "bf16"),
    (("--hardware", "v100"), "fp16"),
    (("--hardware", ""), "--hardware"),
    (("--hardware", "h100-sxmm"), "h100-sxm"),
    (("--price-usd-per-hour", "-1"), "price"),
])
def test_serve_bad_input(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], needle: str) -> None:
    assert needle in _fails(capsys, *SERVE, *extra)


def test_validate_bad_runs_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "fix:" in _fails(capsys, "validate", "--runs", str(tmp_path / "none.csv"))
    bad = tmp_path / "runs.csv"
    bad.write_text("id,model\nx,llama9\n", encoding="utf-8")
    _fails(capsys, "validate", "--runs", str(bad))


def test_json_mode_of_serve_stays_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main([*SERVE, "--batch", "1", "--json"])
    assert e.value.code in (0, None)
    assert json.loads(capsys.readouterr().out)["estimate"] is True


@pytest.mark.parametrize(("extra", "needle"), [
    (("--seq-len", "0"), "--seq-len"),  # used to fall back to the model's length silently
    (("--seq-len", "-3"), "--seq-len"),
    (("--devices", "1e9"), "no layout of"),  # more devices than sequences in the global batch
    (("--pue", "0.5"), "pue"),
    (("--grid-kg-per-kwh", "-1"), "grid"),
    (("--budget-usd", "-5"), "--budget-usd"),  # refused up front (it used to drop every layout as over budget)
    (("--deadline", "0s"), "deadline"),
])
def test_plan_bad_numbers(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], needle: str) -> None:
    assert needle in _fails(capsys, *PLAN, *extra)


@pytest.mark.parametrize(("argv", "needle"), [
    (("plan", "serve", "--model", "llama3-8b", "--memory-fraction", "1.5"), "--memory-fraction 1.5"),
    (("plan", "serve", "--model", "llama3-8b", "--memory-fraction", "nan"), "--memory-fraction nan"),
    (("plan", "serve", "--model", "llama3-8b", "--max-prefill-tokens", "0"), "--max-prefill-tokens 0"),
    ((*EXPLAIN, "--collectives", "/no/such/probe.toml"), "--collectives file"),
])
def test_engine_and_collectives_errors_name_the_flag(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                                     needle: str) -> None:
    """The error names the option the user typed, not the calibration field or 'catalog file' behind it."""
    assert needle in _fails(capsys, *argv)


@pytest.mark.parametrize(("argv", "problem", "fix"), [
    # a dense model: the fix says to leave the expert flag out (was the generic tp/pp/devices fix)
    ((*EXPLAIN, "--etp", "2"), "--etp 2: llama3-8b is a dense model", "leave --etp out"),
    ((*EXPLAIN, "--ep", "2"), "--ep 2: llama3-8b is a dense model", "leave --ep out"),
    # etp above tp was predicted as free expert memory (the expert layers are timed at tp's split)
    (("plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "2",
      "--ep", "8", "--etp", "8"), "--etp 8 is above --tp 2", "give --etp at most --tp 2"),
])
def test_explain_expert_flags_get_a_specific_fix(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                                 problem: str, fix: str) -> None:
    code, out, err = run_main(list(argv), capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert problem in lines[0] and "fix:" in err
    assert fix in err.split("fix:", 1)[1] and "--devices a multiple" not in err


def test_plan_etp_all_above_tp_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """The search skips etp above a layout's tp; a list with only such values used to end in 'no layout of 64
    devices exists ... use fewer --devices', blaming the device count."""
    err = _fails(capsys, "plan", "--model", "mixtral-8x7b", "--devices", "64", "--etp", "64")
    assert "--etp 64" in err and "above the largest tensor-parallel degree searched (32)" in err
    assert "fewer --devices" not in err
