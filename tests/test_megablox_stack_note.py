"""--moe-grouped-mlp and --stack that disagree: MaxText runs its routed experts through megablox (base.yml's
sparse_matmul and megablox true), Transformer Engine's per-expert GEMMs run on the Megatron / PyTorch stacks. A
MaxText MoE plan left at the default te, or megablox asked for on another stack, was priced without a word (the
expert GEMMs can differ by tens of percent: maxtext-v5p-dsv3-671b-512 +40.4% with te, -20.7% with megablox); the
prediction now says which kernel it timed and the flag that gives the stack's own."""

from __future__ import annotations

import pytest
from conftest import run_main

EXPLAIN = ["plan", "explain", "--model", "mixtral-8x7b", "--devices", "256", "--ep", "8", "--global-batch", "256",
           "--seq-len", "4096"]


def _expert_note(out: str) -> str:
    lines = [ln for ln in " ".join(out.split()).split("routed expert GEMMs")[1:]]
    return lines[0] if lines else ""


def test_maxtext_moe_left_at_te_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, "--hardware", "tpu-v5p", "--stack", "maxtext"], capsys)
    assert code == 0, err
    note = _expert_note(out + err)
    assert "Transformer Engine's per-expert GEMMs" in note and "--moe-grouped-mlp megablox" in note, out


def test_maxtext_moe_with_megablox_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, "--hardware", "tpu-v5p", "--stack", "maxtext", "--moe-grouped-mlp",
                               "megablox"], capsys)
    assert code == 0, err
    note = _expert_note(out + err)
    assert "one megablox Pallas kernel each" in note and "does not run it" not in note, out


def test_megablox_off_maxtext_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, "--hardware", "h100-sxm", "--moe-grouped-mlp", "megablox"], capsys)
    assert code == 0, err
    note = _expert_note(out + err)
    assert "on stack 'megatron', which does not run it" in note and "--stack maxtext" in note, out


def test_megatron_te_keeps_its_floor_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, "--hardware", "h100-sxm"], capsys)
    assert code == 0, err
    assert "does not run it" not in out and "which runs them through its megablox" not in out, out


@pytest.mark.parametrize("command", [EXPLAIN, ["plan", "--model", "mixtral-8x7b", "--devices", "256"]])
def test_cutedsl_with_maxtext_is_refused(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """small (2026-12-04): `--stack maxtext --moe-grouped-mlp cutedsl` (on a Blackwell, fp8 mxfp8) printed 'one CuTe DSL
    MXFP8 grouped kernel each (Transformer Engine's fused grouped MLP)' for a JAX MaxText run, with no note, while
    the other PyTorch-library flags are refused with --stack maxtext (compute.check_stack_flags)."""
    args = [*command, "--hardware", "b200", "--stack", "maxtext", "--moe-grouped-mlp", "cutedsl", "--dtype", "fp8",
            "--fp8-recipe", "mxfp8"]
    code, out, err = run_main(args, capsys)
    assert code == 2, out + err
    assert "--moe-grouped-mlp cutedsl" in err and "not a PyTorch stack" in err and "megablox" in err, err
    code, out, err = run_main([*args[:args.index("--stack")], "--stack", "megatron", *args[args.index("cutedsl") - 1:]],
                              capsys)
    assert code == 0, err
