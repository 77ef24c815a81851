"""Units, errors, catalog loading and the CLI's error path."""

from __future__ import annotations

import pytest

from accelopt import units
from accelopt.errors import InputError, UnknownNameError
from accelopt.hardware.catalog import get_device, load_file


def test_gb_is_decimal_and_gib_is_binary() -> None:
    assert units.GB == 1e9
    assert units.GiB == 2**30
    assert units.fmt_bytes(80e9) == "80 GB"
    assert units.fmt_bytes(80 * 2**30, binary=True) == "80 GiB"


def test_parse_int_range_powers_of_two() -> None:
    assert units.parse_int_range("512..4096") == [512, 1024, 2048, 4096]
    assert units.parse_int_range("8,16,64") == [8, 16, 64]
    with pytest.raises(InputError):
        units.parse_int_range("8..4")


def test_parse_count_and_duration() -> None:
    assert units.parse_count("15T") == 15e12
    assert units.parse_count("7B") == 7e9
    assert units.parse_duration_s("30d") == 30 * 86400
    with pytest.raises(InputError, match="duration"):
        units.parse_duration_s("soon")


def test_unknown_device_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError) as e:
        get_device("h100-sxn")
    assert "h100-sxm" in e.value.fix


def test_catalog_number_without_source_is_rejected(tmp_path) -> None:
    text = """
[[device]]
name = "x"
kind = "asic"
memory_bytes = 1e9
memory_bandwidth_byte_per_s = [1e11, "my datasheet"]
peak_flop_per_s = { bf16 = [1e14, "my datasheet"] }
"""
    with pytest.raises(InputError, match="memory_bytes") as e:
        load_file(tmp_path / "x.toml", text)
    assert "source" in e.value.fix


def test_cli_error_exits_2_with_fix(capsys) -> None:
    from accelopt.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["catalog", "show", "h100-sxn"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "unknown device" in err and "fix:" in err


def test_energy_formatting_scales_to_mwh_and_gwh() -> None:
    assert units.fmt_joules(3.6e6) == "1 kWh"
    assert units.fmt_joules(7.57e6 * 3.6e6) == "7.57 GWh"
    assert units.fmt_joules(2.5e3 * 3.6e6) == "2.5 MWh"
    assert units.fmt_joules(12.0) == "12 J"


def test_malformed_workload_json_names_the_missing_field(tmp_path) -> None:
    from accelopt.workload.types import Workload

    p = tmp_path / "w.json"
    p.write_text('{"name": "x"}')
    with pytest.raises(InputError, match="'ops'") as e:
        Workload.load(p)
    assert "save-workload" in e.value.fix
    p.write_text("[1, 2]")
    with pytest.raises(InputError, match="not a JSON object"):
        Workload.load(p)
    p.write_text('{"name": "x", "ops": [{"name": "mm"}]}')
    with pytest.raises(InputError, match="malformed"):
        Workload.load(p)
