"""rev2 (session 36): plan infer's notes on a spec `simulate export` wrote from a built-in design (tpu-v1, nvdla-*)
told the user to run `simulate run -d DESIGN.toml`, a file they do not have; the spec itself is refused by simulate.
The note now names the preset, and keeps DESIGN.toml for a design of one's own, even one named after a preset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SMALL_NPU_DESIGN
from typer.testing import CliRunner

from accelopt.cli.main import app

OWN_TPU = SMALL_NPU_DESIGN.replace('"npu16"', '"tpu-v1"')


def _notes(tmp_path: Path, design: str) -> str:
    spec = tmp_path / "spec.toml"
    out = CliRunner().invoke(app, ["simulate", "export", "-d", design, "--out", str(spec), "--dram-bytes", "8e9",
                                   "--no-calibration"])
    assert out.exit_code == 0, out.output
    doc = json.loads(CliRunner().invoke(app, ["plan", "infer", "resnet50", "--hardware", str(spec), "--batch", "64",
                                              "--json"]).output)
    return " ".join(doc["devices"][0]["notes"])


@pytest.mark.parametrize("preset", ["tpu-v1", "nvdla-64"])
def test_a_preset_exported_is_named_in_the_simulate_run_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  preset: str) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    notes = _notes(tmp_path, preset)
    assert f"`accelopt simulate run -d {preset} -m resnet50-v1.5`" in notes, notes
    assert "DESIGN.toml" not in notes, notes


def test_a_design_of_ones_own_named_after_a_preset_keeps_the_placeholder(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "mine.toml").write_text(OWN_TPU)
    notes = _notes(tmp_path, str(tmp_path / "mine.toml"))
    assert "`accelopt simulate run -d DESIGN.toml -m resnet50-v1.5`" in notes and "-d tpu-v1 " not in notes, notes
