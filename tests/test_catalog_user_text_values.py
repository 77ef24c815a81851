"""A user's catalog file with values of the wrong type or with their unit written out.

Before: `[sources] a = 1` loaded and `accelopt catalog show` crashed with a traceback (rich cannot print the number 1
as a source); `vendor = ["a"]` showed as "['a']" and `name = 123` said "a [[device]] has no name"; a memory size
written as text ("80 GiB") or with a `unit` key got a fix showing 48e9 for 48 GB (a user then writing 80e9 for 80
GiB loses 7% of the memory) or "has no source"; `memory_bytes = [80, ...]` was taken for GB only, never GiB.
Now each names the problem, and a quantity in the field's unit gets the exact SI number: GiB = 2**30, GB = 1e9."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.cli.main import main
from accelopt.errors import InputError
from accelopt.hardware.catalog import load_file

_DEVICE = """[[device]]
name = "my-gpu"
kind = "gpu"
peak_flop_per_s = { bf16 = [989e12, "ds"] }
memory_bandwidth_byte_per_s = [3.35e12, "ds"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _problem_and_fix(tmp_path: Path, text: str) -> tuple[str, str]:
    with pytest.raises(InputError) as e:
        load_file(_write(tmp_path, text))
    return e.value.problem, e.value.fix


def test_a_source_that_is_no_text_is_refused_by_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, '[sources]\nds = 1\n' + _DEVICE + 'memory_bytes = [80e9, "ds"]\n')
    with pytest.raises(SystemExit) as e:
        main(["catalog", "show", str(p)])
    assert e.value.code == 2
    assert "[sources] ds = 1 is not a citation" in capsys.readouterr().err


@pytest.mark.parametrize("line, named", [
    ('vendor = ["a"]', "vendor = ['a'] is not text"),
    ("notes = 5", "notes = 5 is not text"),
    ("display_name = { a = 1 }", "display_name = {'a': 1} is not text"),
])
def test_a_text_field_of_another_type_is_refused(tmp_path: Path, line: str, named: str) -> None:
    problem, _fix = _problem_and_fix(tmp_path, _DEVICE + 'memory_bytes = [80e9, "ds"]\n' + line + "\n")
    assert named in problem and "my-gpu" in problem


def test_a_name_that_is_a_number_is_named_as_such(tmp_path: Path) -> None:
    problem, fix = _problem_and_fix(tmp_path, _DEVICE.replace('"my-gpu"', "123") + 'memory_bytes = [80e9, "ds"]\n')
    assert "name = 123, which is not text" in problem and 'name = "123"' in fix


def test_an_unquoted_toml_date_is_a_price_date(tmp_path: Path) -> None:
    [spec] = load_file(_write(tmp_path, _DEVICE + 'memory_bytes = [80e9, "ds"]\nprice_usd_per_hour = [2.5, "ds"]\n'
                                              "price_date = 2026-01-15\n"))
    assert spec.price_date == "2026-01-15"


@pytest.mark.parametrize("value, literal, arithmetic", [
    ('"80 GiB"', "85899345920", "80 x 2**30"),
    ('["80 GiB", "ds"]', "85899345920", "80 x 2**30"),
    ('["80 GB", "ds"]', "80e9", "80e9"),
    ('{ value = 64, unit = "GiB", source = "ds" }', "68719476736", "64 x 2**30"),
])
def test_a_size_with_its_unit_gets_the_exact_si_number(tmp_path: Path, value: str, literal: str,
                                                        arithmetic: str) -> None:
    _problem, fix = _problem_and_fix(tmp_path, _DEVICE + f"memory_bytes = {value}\n")
    assert literal in fix and f"= {arithmetic} B" in fix


def test_the_number_is_checked_against_the_field_unit(tmp_path: Path) -> None:
    _problem, fix = _problem_and_fix(tmp_path, _DEVICE + 'memory_bytes = "80 GB/s"\n')
    assert "'80 GB/s' is in B/s, memory_bytes in B" in fix and "80e9" not in fix


def test_a_unit_key_is_named_not_called_a_missing_source(tmp_path: Path) -> None:
    problem, _fix = _problem_and_fix(tmp_path, _DEVICE + 'memory_bytes = { value = 80, unit = "GB/s", source = "d" }\n')
    assert "has key(s) unit beside value and source" in problem and "no source" not in problem


def test_a_list_of_three_is_not_called_sourceless(tmp_path: Path) -> None:
    problem, _fix = _problem_and_fix(tmp_path, _DEVICE + 'memory_bytes = [80e9, "ds", "HBM3"]\n')
    assert "has 3 items" in problem and "no source" not in problem


def test_a_memory_size_in_gib_is_offered_beside_gb(tmp_path: Path) -> None:
    _problem, fix = _problem_and_fix(tmp_path, _DEVICE + 'memory_bytes = [80, "ds"]\n')
    assert "80e9 if 80 is in GB" in fix and "80 x 2**30 = 85899345920 if in GiB" in fix


@pytest.mark.parametrize("text", [".5 GB", "5. GB", "3.35 TB/s", "80 GiB", "2.4 us", "48e3 GB", "0.7 \u00b5s",
                                  "1.25 GiB", "989 TFLOPS"])
def test_the_number_offered_reads_back_in_toml_as_the_quantity(text: str) -> None:
    """The fix's number is pasted into the file: it must be TOML ('.5e9' is not) and mean the quantity exactly."""
    import tomllib

    from accelopt.units import parse_quantity

    q = parse_quantity(text)
    assert q is not None and tomllib.loads(f"x = {q.literal}")["x"] == q.value


@pytest.mark.parametrize("text", ["100 Gb/s", "80 GB per card", "GB", "1" * 200 + " GB"])
def test_what_is_not_a_quantity_in_bytes_flops_seconds_or_watts_is_not_read(text: str) -> None:
    from accelopt.units import parse_quantity

    assert parse_quantity(text) is None  # bits (Gb) are not bytes; a 200-digit 'number' is no datasheet figure
