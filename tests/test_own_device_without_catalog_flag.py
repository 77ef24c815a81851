"""`profile --catalog-device` and `probe --compare` take no --catalog, yet an unknown name there said "or --catalog FILE
for a device of your own catalog file" (typing it: 'No such option'), and a file of several devices said "pass it with
--catalog and name the device". Now they say how these commands take a user's device: the path of a one-device spec
TOML. The commands with --catalog (plan) keep offering it.

Since then profile and probe take --catalog themselves (tests/test_profile_probe_catalog.py), so their messages offer
it again, as plan's do: the flag the message names exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

_BOARD = """[[device]]
name = "board-{x}"
kind = "cpu"
peak_flop_per_s = {{ fp32 = [{peak}, "x"] }}
memory_bytes = [16e9, "x"]
memory_bandwidth_byte_per_s = [100e9, "x"]
"""
_TWO = ('[sources]\nx = "Our board manual v2, section 4"\n' + _BOARD.format(x="a", peak=1e12)
        + _BOARD.format(x="b", peak=2e12))


@pytest.mark.parametrize("argv", [
    ["profile", "mlp", "--steps", "3", "--warmup", "0", "--catalog-device", "board-a"],
    ["probe", "--quick", "--no-save", "--compare", "board-a"],
])
def test_an_unknown_name_offers_the_catalog_flag(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(argv, capsys)
    assert code == 2 and "unknown device 'board-a'" in err
    assert "--catalog FILE" in err and "takes no --catalog" not in err  # the flag exists now


@pytest.mark.parametrize("argv", [
    ["profile", "mlp", "--steps", "3", "--warmup", "0", "--catalog-device"],
    ["probe", "--quick", "--no-save", "--compare"],
])
def test_a_file_of_two_devices_says_to_pass_it_with_catalog(tmp_path: Path, argv: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "boards.toml"
    spec.write_text(_TWO, encoding="utf-8")
    code, _out, err = run_main([*argv, str(spec)], capsys)
    assert code == 2 and "holds 2 devices (board-a, board-b)" in err
    assert "pass it with --catalog and name the device" in err  # what the flag now does


def test_plan_still_offers_its_catalog_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "board-a"], capsys)
    assert code == 2 and "--catalog FILE for a device of your own catalog file" in err
