"""The bundled calibration.toml (200 kB) is parsed once per text, not on every lookup: every serving prediction looks
its device's [serving.*] table up (serving.calibration_for_spec -> calibration.load_serving_tables), and parsing the
file each time was 86% of `validate --serving` (1,378 parses for its 678 rows; 2026-12-05, cispeed). The cache is
keyed on the text, so an edited file (a user's --calibration between two calls, a test's changed copy) is read anew."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import calibration, serving

DEVICES = ("h100-sxm", "a100", "mi300x", "l4", "tpu-v5p")


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patches the TOML parser to count its parses of the bundled calibration text (not the catalog files a first
    get_device reads), and that text to one no earlier call parsed (a trailing comment: the same tables), so that a
    cache filled before this test does not hide a parse."""
    calls = [0]
    loads = calibration.tomllib.loads
    text = calibration.bundled_text() + "\n# a text no earlier call parsed\n"

    def counting(s: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls[0] += s == text
        return loads(s, *args, **kwargs)

    monkeypatch.setattr(calibration.tomllib, "loads", counting)
    monkeypatch.setattr(calibration, "bundled_text", lambda: text)
    return calls


def test_serving_table_lookups_parse_the_bundled_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_parses(monkeypatch)
    names = [serving.calibration_for_spec(get_device(d)).family for d in DEVICES * 4]
    assert calls[0] == 1, calls  # before: one parse per lookup (20)
    assert names[:len(DEVICES)] == names[len(DEVICES):2 * len(DEVICES)]  # the same table each time
    assert names[0] == "nvidia-hopper" and names[2].startswith("amd-instinct")


def test_training_families_parse_the_bundled_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_parses(monkeypatch)
    fams = [calibration.calibration_for(get_device(d)).family for d in DEVICES * 4]
    assert calls[0] == 1, calls  # before: one parse per calibration_for without cals (20)
    assert fams[0] == "nvidia-hopper" and fams[:len(DEVICES)] == fams[-len(DEVICES):]


def test_a_calibration_file_edited_between_two_calls_is_read_anew(tmp_path: Path) -> None:
    t = calibration.load_serving_tables()["nvidia-hopper"]
    path = tmp_path / "serving.toml"

    def write(eff: float) -> None:
        lines = ["[serving.nvidia-hopper]", f"match = {json.dumps(list(t.match))}",
                 f"decode_bandwidth_efficiency = {eff}"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    write(0.5)
    assert serving.serving_calibrations(str(path))["nvidia-hopper"].decode_bandwidth_efficiency == 0.5
    assert calibration.load_serving_tables(path)["nvidia-hopper"].values["decode_bandwidth_efficiency"] == 0.5
    write(0.25)  # the same path, new values: a cache keyed on the path would keep 0.5
    assert serving.serving_calibrations(str(path))["nvidia-hopper"].decode_bandwidth_efficiency == 0.25
    assert calibration.load_serving_tables(path)["nvidia-hopper"].values["decode_bandwidth_efficiency"] == 0.25
    # the bundled tables are untouched by the file, and a copy: changing the returned dict changes no later call
    tables = calibration.load_serving_tables()
    tables.pop("nvidia-hopper")
    assert "nvidia-hopper" in calibration.load_serving_tables()
