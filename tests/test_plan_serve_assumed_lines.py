"""The custom all-reduce assumption of `plan serve` is not a spec figure: its console line names its own fix
(--tp-allreduce), not 'give the figure in a --hardware spec TOML' (which the spec-figure defaults' line keeps)."""

from __future__ import annotations

import pytest
from conftest import run_main


def test_custom_allreduce_line_has_its_own_fix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama2-70b", "--hardware", "h100-sxm", "--tp", "4",
                               "--batch", "8"], capsys)
    assert code == 0, err
    # each device line up to the next one, or to the notes under it ('default used: energy ...' follows the last)
    lines = [" ".join(line.split("default used:")[0].split())
             for line in " ".join(out.split("\n")).split("h100-sxm: ")[1:]]
    custom = [line for line in lines if line.startswith("tp_allreduce_latency_s ")]
    spec = [line for line in lines if line.startswith("scaleup_latency_s")]
    assert custom and "--tp-allreduce nccl" in custom[0] and "spec TOML" not in custom[0]
    assert spec and "give the figure in a --hardware spec TOML" in spec[0]
