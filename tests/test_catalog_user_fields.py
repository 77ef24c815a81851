"""User catalog fields that loaded wrongly: a count given as 8.5 became 8 (int()), 0 cores read as 'not given', a
price_date that is no date was printed beside the price, and an error of the spec's own checks named the device
twice ("device 'x': device 'x': kind 'GPU' ...")."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import load_file

GOOD = """[[device]]
name = "my-gpu"
kind = "gpu"
peak_flop_per_s = { bf16 = [989e12, "ds"] }
memory_bytes = [80e9, "ds"]
memory_bandwidth_byte_per_s = [3.35e12, "ds"]
"""


def _load(tmp_path: Path, extra: str) -> object:
    p = tmp_path / "mine.toml"
    p.write_text(GOOD + extra, encoding="utf-8")
    return load_file(p)


@pytest.mark.parametrize("extra, named", [
    ('scaleup_domain_devices = [8.5, "x"]', "scaleup_domain_devices = 8.5 is not a whole number"),
    ('cores = [0, "x"]', "cores = 0 is not a whole number"),
    ('cores = [inf, "x"]', "cores = inf is not a whole number"),
    ('price_usd_per_hour = [2.5, "x"]\nprice_date = "yesterday"', "price_date = 'yesterday' is not a date"),
])
def test_bad_field_is_refused(tmp_path: Path, extra: str, named: str) -> None:
    with pytest.raises(InputError) as e:
        _load(tmp_path, extra)
    assert named in e.value.problem and "my-gpu" in e.value.problem


def test_good_counts_and_dates_load(tmp_path: Path) -> None:
    [spec] = _load(tmp_path, 'scaleup_domain_devices = [8, "x"]\ncores = [64, "x"]\n'
                   'price_usd_per_hour = [2.5, "x"]\nprice_date = "2026-11"')
    assert (spec.scaleup_domain_devices, spec.cores, spec.price_date) == (8, 64, "2026-11")  # type: ignore[attr-defined]


def test_the_device_is_named_once(tmp_path: Path) -> None:
    p = tmp_path / "mine.toml"
    p.write_text(GOOD.replace('kind = "gpu"', 'kind = "GPU"'), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_file(p)
    assert e.value.problem.count("my-gpu") == 1 and "kind 'GPU'" in e.value.problem
