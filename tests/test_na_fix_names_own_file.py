"""The '... is n/a on DEV' notes (no price, no TDP) of `plan`, `plan explain` and `plan serve` send the user where the
device came from: a device read from `--hardware FILE` or a `--catalog FILE` is told to add the field to its
[[device]] table in that file (named); a catalog device keeps 'in a --catalog TOML'. Every case said 'give tdp_w in a
--catalog TOML', also for a device the user gave as --hardware FILE (a user trial, uttrialC, session 34)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import USER_GPU, run_main

from accelopt.hardware.catalog import missing_figure_note, own_spec_files

TABLE = "written as [value, source] like the table's other figures"


def _notes(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if " n/a on " in n]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "mygpu.toml"
    path.write_text(USER_GPU, encoding="utf-8")  # no price_usd_per_hour, no tdp_w
    return path


def test_plan_serve_names_the_hardware_file(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = _notes(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", f"{spec},mi325x", "--batch", "1")
    assert len(notes) == 1
    said = notes[0]
    assert ("$/M out tok is n/a on mi325x: no price per device-hour in the catalog — give --price-usd-per-hour (or "
            "price_usd_per_hour in a --catalog TOML)") in said  # a catalog device: as before
    assert ("$/M out tok is n/a on my-gpu: no price per device-hour in its spec — give --price-usd-per-hour (or add "
            f"price_usd_per_hour to the [[device]] table of my-gpu in {spec} (the --hardware file), {TABLE})") in said
    assert (f"J/out tok is n/a on my-gpu: no TDP in its spec — add tdp_w to the [[device]] table of my-gpu in {spec} "
            "(the --hardware file)") in said
    assert "tdp_w in a --catalog TOML" not in said  # mi325x has a TDP: no catalog device lacks one here


def test_a_catalog_file_device_is_sent_to_that_file(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = _notes(capsys, "plan", "explain", "--model", "llama3-8b", "--hardware", "my-gpu", "--catalog", str(spec),
                   "--devices", "8", "--seq-len", "2048")
    assert len(notes) == 2 and all(f"in {spec} (a --catalog file)" in n for n in notes), notes
    assert not any("--catalog TOML" in n for n in notes)


def test_plan_search_names_the_hardware_file(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = _notes(capsys, "plan", "--model", "llama3-8b", "--hardware", str(spec), "--devices", "8", "--tokens", "1e9",
                   "--top", "1")
    assert [n.split(" — ")[1] for n in notes] == [
        f"add price_usd_per_hour (with price_date) to the [[device]] table of my-gpu in {spec} (the --hardware file), "
        f"{TABLE}", f"add tdp_w to the [[device]] table of my-gpu in {spec} (the --hardware file), {TABLE}"]


def test_the_note_groups_devices_by_where_they_came_from(spec: Path) -> None:
    files = own_spec_files(f"h100-sxm, {spec}")
    assert files == {"my-gpu": f"{spec} (the --hardware file)"}
    note = missing_figure_note("cost is", "price", "price_usd_per_hour", ["mi325x", "my-gpu", "b-dev"],
                               {**files, "b-dev": "b.toml (a --catalog file)"})
    assert note is not None
    parts = note.split("; ")
    assert parts[0] == "cost is n/a on mi325x: no price in the catalog — give price_usd_per_hour in a --catalog TOML"
    assert parts[1].startswith(f"cost is n/a on my-gpu: no price in its spec — add price_usd_per_hour to the "
                               f"[[device]] table of my-gpu in {spec} (the --hardware file)")
    assert "b-dev in b.toml (a --catalog file)" in parts[2] and len(parts) == 3
    assert missing_figure_note("cost is", "price", "x", [], files) is None
