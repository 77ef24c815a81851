"""A new user's pass over `plan`, `plan explain`, `plan serve` and `catalog` with inputs not seen before: custom
hardware specs, odd sizes and configs written by hand. Each test is a case that misbehaved (traceback, garbage
figures, a silent acceptance) before its fix; it names what the user typed and what happened."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

SPEC = """[[device]]
name = "acme-x1"
kind = "gpu"
vendor = "Acme"
peak_flop_per_s = {{ bf16 = [400e12, "acme datasheet"] }}
memory_bytes = [96e9, "acme datasheet"]
memory_bandwidth_byte_per_s = [3.0e12, "acme datasheet"]
{extra}
"""


def _spec(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "acme.toml"
    p.write_text(SPEC.format(extra=extra), encoding="utf-8")
    return p


@pytest.mark.parametrize("field", ["scaleup_bandwidth_byte_per_s", "scaleup_peer_bandwidth_byte_per_s",
                                   "scaleout_bandwidth_byte_per_s"])
@pytest.mark.parametrize("command", ["plan", "catalog"])
def test_zero_link_bandwidth_in_a_spec_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str,
                                                  command: str) -> None:
    """`scaleup_bandwidth_byte_per_s = [0, ...]` in a --hardware spec loaded ('0 B/s' in `catalog show`) and then
    `plan` died with a traceback (KeyError: 'time': every layout's step time was infinite). A link that moves
    nothing is no link: the loader refuses it, naming the field and saying to leave the field out."""
    p = _spec(tmp_path, f'scaleup_domain_devices = [8, "acme"]\n{field} = [0, "acme"]')
    argv = (["plan", "--model", "gpt3-125m", "--hardware", str(p), "--devices", "8", "--top", "1"]
            if command == "plan" else ["catalog", "show", str(p)])
    code, out, err = run_main(argv, capsys)
    assert "Traceback" not in err and code == 2, err[-2000:]
    assert field in err and "fix:" in err and "leave it out" in err, err
