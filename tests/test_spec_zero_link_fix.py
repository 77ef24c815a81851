"""A spec TOML giving a link bandwidth of 0 is refused; its fix said 'or leave it out (plan then prints the default
it uses)', but a spec that then lists no link at all is refused for a job on more than one device (comm.
no_link_problem), no default used: the fix says both cases, and the second is checked here as it is said."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

SPEC = '''
[[device]]
name = "zero-link-asic"
kind = "asic"
vendor = "Example Corp"
peak_flop_per_s = {{ bf16 = [65.5e12, "design doc"] }}
memory_bytes = [48e9, "design doc"]
memory_bandwidth_byte_per_s = [1.6e12, "design doc"]
{link}
'''

PLAN = ["plan", "--hardware", "zero-link-asic", "--devices", "4", "--model", "llama3-8b", "--tokens", "1e9"]


def test_a_zero_link_names_what_leaving_it_out_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zero = tmp_path / "zero.toml"
    zero.write_text(SPEC.format(link='scaleout_bandwidth_byte_per_s = [0, "design doc"]'))
    code, _, err = run_main([*PLAN, "--catalog", str(zero)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "scaleout_bandwidth_byte_per_s = 0: a link that moves no bytes is no link" in flat, flat
    assert "plan then prints the default it uses" not in flat
    assert "with no link listed at all, plan, plan explain and plan serve refuse it, naming the fields" in flat
    left_out = tmp_path / "left_out.toml"  # as the fix says: no link at all, the 4-device job is refused
    left_out.write_text(SPEC.format(link=""))
    code, _, err = run_main([*PLAN, "--catalog", str(left_out)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "its spec lists no link between devices" in flat and "scaleout_bandwidth_byte_per_s" in flat
