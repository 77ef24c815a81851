"""`profile --catalog-device lab-cpu-a` of an fp32 model, where the user's entry lists an fp32 peak only, noted
'bf16/fp32 peak ratio unknown for this device (no catalog or probed bf16 peak): pass --catalog-device or --probed to
estimate a mixed-precision gain': the very flag the user gave. The note names the spec given and the missing peak
now; without a spec the note is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_profile_probe_catalog import _catalog


def _notes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run_main(["profile", "mlp", "--steps", "3", "--warmup", "1", *argv, "--json"], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["diagnosis"]["notes"] if "peak ratio unknown" in n]


def test_the_note_names_the_spec_that_lacks_a_bf16_peak(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (note,) = _notes(["--catalog-device", "lab-cpu-a", "--catalog", str(_catalog(tmp_path))], capsys)
    assert "pass --catalog-device" not in note
    assert ("no spec given (--catalog-device lab-cpu-a) lists both bf16 and fp32 peaks" in note
            and "give peak_flop_per_s.bf16" in note), note
