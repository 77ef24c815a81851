"""Every command that builds a zoo model names the same --size values in its --help (ut_readme).

`profile --help` said 'tiny (default), small or realistic (resnet also resnet18, resnet50)'; `optimize --help` and
`plan infer --help` said only 'tiny (default), small or realistic', though both take `--size resnet18` /
`resnet50` for resnet (the same workload.zoo builder)."""

from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.workload import zoo


@pytest.mark.parametrize("command", [["profile"], ["optimize"], ["plan", "infer"]])
def test_size_help_lists_every_size_zoo_takes(command: list[str], capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one option per line: the help text is not wrapped mid-word
    code, out, _ = run_main([*command, "--help"], capsys)
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.strip("│ ").startswith("--size"))
    for size in zoo.list_sizes("resnet"):
        assert size in line, (command, size, line)
