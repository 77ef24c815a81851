"""`catalog compare` of a spec `accelopt probe` measured beside a catalog device called every value a datasheet peak
("Dense datasheet peaks ..."), the probe's 185 GFLOP/s included; now the note (text, JSON and HTML, one object)
names the measured device's values as measured."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accelopt.cli.main import app

_PROBED = """[sources]
probe = "measured by accelopt probe on host, 2026-12-02"
[[device]]
name = "host-cpu"
kind = "cpu"
measured = true
peak_flop_per_s = { fp32 = [185e9, "probe"] }
memory_bytes = [25e9, "probe"]
memory_bandwidth_byte_per_s = [5e9, "probe"]
"""


def _compare(tmp_path: Path, *extra: str) -> str:
    spec = tmp_path / "probe.toml"
    spec.write_text(_PROBED, encoding="utf-8")
    r = CliRunner().invoke(app, ["catalog", "compare", "xeon-8480plus", str(spec), "--dtype", "fp32", *extra])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_the_text_names_the_measured_device(tmp_path: Path) -> None:
    text = " ".join(_compare(tmp_path).split())
    assert "measured by accelopt probe, not datasheet figures: every value of host-cpu" in text


def test_the_json_note_names_it_too(tmp_path: Path) -> None:
    note = json.loads(_compare(tmp_path, "--json"))["note"]
    # the measured clause names host-cpu alone (2026-12-05, utprobe: the note now also names xeon-8480plus, whose
    # memory is the socket's maximum supported, in a clause of its own)
    assert "not datasheet figures: every value of host-cpu;" in note
    assert "memory of xeon-8480plus is the most the socket supports" in note
