"""`optimize --only/--skip` take a family's name, as `optimize --help` groups the techniques (utopt5, 2026-12-05).

Before, `--only quantization` (a heading of --help's technique list) was 'unknown technique' with the fix "did you
mean 'activation-checkpointing' or 'int4-weight-only' ...", and a misspelt family offered techniques only. A family
now stands for its techniques (for --only, those of the run's mode), in the CLI and in RunOptions alike; every case
here is decided before anything is measured.
"""

from __future__ import annotations

import pytest
from conftest import run_main


def test_a_family_stands_for_its_techniques() -> None:
    from accelopt.optimize.base import all_techniques, expand_families

    quant = [n for n, t in all_techniques().items() if t.family == "quantization"]
    assert expand_families(["quantization"], "--only", "inference") == quant
    assert expand_families(["bf16", "mixed-precision"], "--skip", "inference") == ["bf16", "fp16", "tf32"]
    assert expand_families(None, "--only", "inference") is None


def test_only_keeps_a_familys_techniques_of_the_runs_mode() -> None:
    """--only training-loop at inference keeps input-pipeline (the one of them for both modes); the three train-only
    ones would each be refused by check_only_mode, of names nobody typed."""
    from accelopt.optimize.base import expand_families

    assert expand_families(["training-loop"], "--only", "inference") == ["input-pipeline"]
    assert expand_families(["training-loop"], "--skip", "inference") == [
        "activation-checkpointing", "fused-optimizer", "grad-accumulation", "input-pipeline"]


def test_a_family_of_the_other_mode_only_is_refused_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "mlp", "--only", "quantization", "--mode", "train"], capsys)
    assert code == 2
    assert "--only quantization: the quantization techniques (" in err and "apply to --mode inference only" in err
    assert "fix: pass --mode inference, or leave quantization out of --only" in err


def test_a_misspelt_family_is_offered_the_family(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "mlp", "--skip", "quantizaton"], capsys)
    assert code == 2 and "--skip: unknown technique 'quantizaton'" in err
    assert "did you mean 'quantization'" in err and "a family's name stands for all its techniques" in err


def test_the_cli_and_the_library_pass_the_familys_techniques_to_the_runner(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--only memory-layout` on an MLP reaches the runner as channels-last, which does not apply there: refused
    naming channels-last and its reason before the baseline is measured (it was 'unknown technique')."""
    from accelopt.errors import InputError
    from accelopt.optimize.runner import RunOptions, run_optimize
    from accelopt.workload import zoo

    code, _, err = run_main(["optimize", "mlp", "--size", "tiny", "--only", "memory-layout"], capsys)
    assert code == 2 and "no technique of --only applies" in err and "channels-last:" in err, err
    with pytest.raises(InputError, match=r"no technique of --only applies.*channels-last:"):
        run_optimize(zoo.build("mlp", "tiny"), RunOptions(only=["memory-layout"], profile_bounds=False))


def test_a_family_with_one_of_its_techniques_skipped_is_not_named_twice(capsys: pytest.CaptureFixture[str]) -> None:
    """--only quantization --skip onnx-int8 is the family but one; only a name typed in both is refused."""
    code, _, err = run_main(["optimize", "mlp", "--only", "quantization", "--skip", "quantization"], capsys)
    assert code == 2 and "quantization is both in --only and in --skip" in err
    from accelopt.cli.optimize import OptimizeOptions, check

    o = check(OptimizeOptions(model="mlp", only=["quantization"], skip=["onnx-int8"]))
    assert o.only is not None and "onnx-int8" in o.only and o.skip == ["onnx-int8"]


def test_help_says_a_family_name_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["optimize", "--help"], capsys)
    assert code == 0 and "a family's name stands for its techniques" in " ".join(out.split())


def test_a_skipped_family_holding_every_only_technique_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """--only bf16 --skip mixed-precision measured the baseline alone and recommended it, unsaid (--only bf16 --skip
    bf16 is refused as named in both)."""
    code, _, err = run_main(["optimize", "mlp", "--only", "bf16", "--skip", "mixed-precision"], capsys)
    assert code == 2 and "--skip mixed-precision leaves out every technique of --only bf16" in err
