"""--device is read the same by every command: `probe --device CPU` was accepted (find_device lower-cases it) while
`profile --device CPU` and `optimize --device CPU` were refused ("device 'CPU' is not supported"). Each command now
hands its library the name as torch spells it."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app


@pytest.mark.parametrize(("module", "func", "argv"), [
    ("accelopt.cli.profile", "run_profile", ["profile", "mlp", "--device", " CPU "]),
    ("accelopt.cli.optimize", "optimize_command", ["optimize", "mlp", "--device", "CPU"]),
    ("accelopt.cli.probe", "run_probe_command", ["probe", "--device", "Cpu"]),
])
def test_every_command_reads_device_names_case_blind(monkeypatch: pytest.MonkeyPatch, module: str, func: str,
                                                     argv: list[str]) -> None:
    import importlib

    seen: list[Any] = []
    monkeypatch.setattr(importlib.import_module(module), func, seen.append)  # the options the library would get
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, res.output
    assert seen[0].device == "cpu"


def test_profile_check_accepts_the_normalized_name_and_refuses_a_wrong_one() -> None:
    from accelopt.errors import InputError
    from accelopt.hardware.detect import device_name
    from accelopt.measure.profiler import check_args

    check_args(mode="train", dtype="fp32", device=device_name("CPU"), steps=3, warmup=0)
    with pytest.raises(InputError, match="use --device cpu or cuda:N"):
        check_args(mode="train", dtype="fp32", device=device_name("tpu"), steps=3, warmup=0)


def test_a_blank_device_is_said_to_be_empty(capsys: pytest.CaptureFixture[str]) -> None:
    """`profile mlp --device ' '` said "device '' is not supported" once the name was stripped; now it names the
    empty option, as probe does (the CLI's blank-option check, which runs first, says it)."""
    from accelopt.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["profile", "mlp", "--device", " "])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--device" in err and "is empty" in err and "not supported" not in err, err
