"""Software-stack calibration: per-family [family.NAME.stack.STACK] overrides, user files, bad stacks, CLI --stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.cli.main import main
from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import STACKS, calibration_for, load_calibrations


def test_stack_picks_the_override_or_the_family() -> None:
    cals = load_calibrations()
    h100, a100 = get_device("h100-sxm"), get_device("a100-sxm-80gb")
    meg, fsdp = calibration_for(h100, cals), calibration_for(h100, cals, "pytorch-fsdp")
    assert (meg.stack, fsdp.stack) == ("megatron", "pytorch-fsdp")
    assert meg.family == fsdp.family == "nvidia-hopper"
    assert fsdp.matmul_eff_max < meg.matmul_eff_max and fsdp.matmul_half_flop == meg.matmul_half_flop
    # nvidia-ampere's own override since 2026-12-02 (ampfsdp: 0.66 against the megatron fit's 0.70)
    amp = calibration_for(a100, cals, "pytorch-fsdp")
    assert amp.stack == "pytorch-fsdp" and amp.matmul_eff_max < calibration_for(a100, cals).matmul_eff_max
    assert amp.matmul_half_flop == calibration_for(a100, cals).matmul_half_flop
    b200 = get_device("b200")
    bw = calibration_for(b200, cals, "pytorch-fsdp")  # no override table: the family's values
    assert bw.stack == "pytorch-fsdp" and bw.matmul_eff_max == calibration_for(b200, cals).matmul_eff_max


def test_unknown_stack_is_an_input_error_listing_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="megatron, pytorch-fsdp, maxtext, neuron-megatron-lm") as e:
        calibration_for(get_device("h100-sxm"), load_calibrations(), "deepspeed")
    assert "deepspeed" in str(e.value)
    p = tmp_path / "cal.toml"
    p.write_text("[family.nvidia-hopper.stack.jax]\nmatmul_eff_max = 0.5\n")
    with pytest.raises(InputError, match=r"stack\.jax\].*unknown software stack .*megatron, pytorch-fsdp, maxtext, "
                                         r"neuron-megatron-lm"):
        load_calibrations(p)
    p.write_text("[family.nvidia-hopper.stack.megatron]\nmatmul_eff_max = 0.5\n")
    with pytest.raises(InputError, match="default stack"):
        load_calibrations(p)
    p.write_text("[family.nvidia-hopper.stack.pytorch-fsdp]\nmatmul_eff_max = 0.5\nmatch = ['x']\n")
    with pytest.raises(InputError, match="unknown field"):
        load_calibrations(p)
    p.write_text("[family.nvidia-hopper.stack.pytorch-fsdp]\nmatmul_eff_max = 1.5\n")
    with pytest.raises(InputError, match="matmul_eff_max"):
        load_calibrations(p)
    assert STACKS == ("megatron", "pytorch-fsdp", "maxtext", "neuron-megatron-lm", "torchtitan")


def test_user_file_with_only_stack_tables_keeps_the_bundled_family(tmp_path: Path) -> None:
    p = tmp_path / "cal.toml"
    p.write_text("[family.nvidia-ampere.stack.pytorch-fsdp]\nmatmul_eff_max = 0.5\nfitted_on = ['mine']\n")
    cals, bundled = load_calibrations(p), load_calibrations()
    a100 = get_device("a100-sxm-80gb")
    assert calibration_for(a100, cals) == calibration_for(a100, bundled)  # megatron unchanged
    mine = calibration_for(a100, cals, "pytorch-fsdp")
    assert (mine.matmul_eff_max, mine.fitted_on) == (0.5, ("mine",))
    # the bundled Hopper override survives a file that does not name the Hopper family
    h100 = get_device("h100-sxm")
    assert calibration_for(h100, cals, "pytorch-fsdp") == calibration_for(h100, bundled, "pytorch-fsdp")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    return run_main_expect(capsys, *args)[0]


def test_cli_stack_flag_changes_plan_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm", "--devices", "64",
            "--top", "1", "--json"]
    meg = json.loads(_run(capsys, *base))
    fsdp = json.loads(_run(capsys, *base, "--stack", "pytorch-fsdp"))
    assert (meg["stack"], fsdp["stack"]) == ("megatron", "pytorch-fsdp")
    assert fsdp["best"][0]["step_time_s"] > meg["best"][0]["step_time_s"]  # lower matmul efficiency: slower
    ex = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3"]
    d = json.loads(_run(capsys, *ex, "--stack", "pytorch-fsdp", "--json"))
    assert d["stack"] == "pytorch-fsdp" and d["calibration"] == "nvidia-hopper"
    assert d["calibration_fitted_on"] == ["mpt-1b-512", "mpt-70b-512"]
    text = _run(capsys, *ex, "--stack", "pytorch-fsdp")
    fsdp_eff = calibration_for(get_device("h100-sxm"), load_calibrations(), "pytorch-fsdp").matmul_eff_max
    assert "stack pytorch-fsdp" in text and f"eff(F) = {fsdp_eff} F" in text
    assert "stack megatron" in _run(capsys, *ex)


def test_cli_unknown_stack_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["plan", "--model", "llama3-8b", "--devices", "64", "--stack", "jax"],
                 ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                  "--stack", "jax"]):
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 2
        assert "pytorch-fsdp" in capsys.readouterr().err


def test_validate_shows_the_stack(capsys: pytest.CaptureFixture[str]) -> None:
    d = json.loads(_run(capsys, "validate", "--json"))
    stacks = {r["id"]: r["stack"] for r in d["runs"]}
    assert stacks["mpt-7b-8"] == "pytorch-fsdp" and stacks["meg-t1-1.7b"] == "megatron"


def test_maxtext_on_hopper_has_its_own_fitted_table(capsys: pytest.CaptureFixture[str]) -> None:
    """a3stack (2026-12-04, calibration.toml): [family.nvidia-hopper.stack.maxtext] holds only matmul_eff_max, fitted
    by its declared rule on the one single-VM MaxText A3 row; `plan explain --stack maxtext` on an H100 prints that
    basis, and an fp8 plan says its fp8 GEMMs use the megatron stack's fp8 fit (no MaxText fp8 row to fit)."""
    cals = load_calibrations()
    h100 = get_device("h100-sxm")
    meg, mt = calibration_for(h100, cals), calibration_for(h100, cals, "maxtext")
    assert (mt.stack, mt.family, mt.fitted_on) == ("maxtext", "nvidia-hopper", ("maxtext-a3-llama2-7b-x1",))
    assert mt.matmul_eff_max == 0.52 and mt.matmul_eff_max != meg.matmul_eff_max  # 0.54 before rhopperadopt
    # value x the bf16 dense peak stays below the catalog's measured H100 matmul rate (the rule's second term)
    measured = h100.measured_matmul_flop_per_s["bf16"]
    assert mt.matmul_eff_max * h100.peak_flop_per_s["bf16"] < measured
    # every other field is the family's; fp8 is not fitted on this stack
    assert (mt.matmul_half_flop, mt.fp8_matmul_eff_max, mt.fp8_fitted_on) == (meg.matmul_half_flop,
                                                                              meg.fp8_matmul_eff_max, ())
    ex = ["plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8", "--stack", "maxtext"]
    text = " ".join(_run(capsys, *ex).split())
    assert "16-bit GEMM efficiency of [family.nvidia-hopper] (maxtext stack): fitted on maxtext-a3-llama2-7b-x1" in text
    fp8 = " ".join(_run(capsys, *ex, "--dtype", "fp8").split())
    assert ("fp8 GEMM efficiency of [family.nvidia-hopper] (maxtext stack): carried over from the fit of "
            "[family.nvidia-hopper] (megatron stack) on nemo-llama2-7b, nemo-gpt3-175b-128") in fp8
