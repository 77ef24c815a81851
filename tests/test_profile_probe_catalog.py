"""`profile --catalog-device NAME` and `probe --compare NAME` could not name a device of a user's catalog file (one
holding several devices, as `plan --catalog` takes): both commands lacked the --catalog flag every other command
that names a device has (plan, plan explain/serve/infer, validate, catalog), and a several-device file given as a
path was refused ('this command takes one device per file: copy the device's [[device]] table ...'). Both take
--catalog FILE now; --catalog without the flag that reads it is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

_TOML = """
[sources]
lab = "Our lab's bench sheet, 2026-11 (a test file)"

[[device]]
name = "lab-cpu-a"
display_name = "Lab CPU A"
kind = "cpu"
vendor = "Example"
peak_flop_per_s = {{ fp32 = [{peak}, "lab"] }}
memory_bytes = [64e9, "lab"]
memory_bandwidth_byte_per_s = [100e9, "lab"]

[[device]]
name = "lab-cpu-b"
display_name = "Lab CPU B"
kind = "cpu"
vendor = "Example"
peak_flop_per_s = {{ fp32 = [2e12, "lab"] }}
memory_bytes = [64e9, "lab"]
memory_bandwidth_byte_per_s = [100e9, "lab"]
"""
PEAK = 1.5e12


def _catalog(tmp_path: Path) -> Path:
    p = tmp_path / "lab.toml"
    p.write_text(_TOML.format(peak=PEAK), encoding="utf-8")
    return p


def test_profile_takes_a_device_of_the_users_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cat = _catalog(tmp_path)
    code, out, err = run_main(["profile", "mlp", "--steps", "3", "--warmup", "1", "--catalog-device", "lab-cpu-a",
                               "--catalog", str(cat), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["catalog_name"] == "lab-cpu-a" and doc["catalog_peak_flop_per_s"] == PEAK


def test_several_devices_in_one_file_were_refused_by_path(tmp_path: Path) -> None:
    from accelopt.cli.profile import _catalog_spec

    cat = _catalog(tmp_path)
    assert _catalog_spec("lab-cpu-b", "cpu", (cat,)).name == "lab-cpu-b"
    from accelopt.errors import InputError

    with pytest.raises(InputError, match="pass it with --catalog and name the device"):
        _catalog_spec(str(cat), "cpu")


@pytest.mark.parametrize(("cmd", "reader"), [(["profile", "mlp"], "--catalog-device"), (["probe", "--no-save"],
                                                                                         "--compare")])
def test_catalog_without_the_flag_that_reads_it_is_refused(cmd: list[str], reader: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main([*cmd, "--catalog", str(_catalog(tmp_path))], capsys)
    text = " ".join(err.split())
    assert code == 2 and f"without {reader}: only {reader} reads it" in text and "Traceback" not in text


def test_probe_compares_with_a_device_of_the_users_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The spec --compare resolves is the one run_probe compares with (the measuring itself is probe's own tests')."""
    import accelopt.measure.probe as probe

    seen: list[Any] = []

    class Stop(Exception):
        pass

    def fake_run_probe(dev: Any, **kw: Any) -> Any:
        seen.append(kw["spec"])
        raise Stop

    monkeypatch.setattr(probe, "run_probe", fake_run_probe)
    with pytest.raises(Stop):
        run_main(["probe", "--device", "cpu", "--no-save", "--compare", "lab-cpu-b", "--catalog",
                  str(_catalog(tmp_path))], capsys)
    assert [s.name for s in seen] == ["lab-cpu-b"]
