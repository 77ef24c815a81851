"""A --catalog device's price_date after today (price_date = "2031-10", a slip for 2021-10) loaded without a word and
was printed beside its price as the date it was read; so did a day the calendar lacks (2026-02-31). Both exit 2 now,
naming the file, the device and the field; a date up to today loads as before, and every bundled price is dated in
the past."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import default_catalog

DEVICE = """[sources]
sheet = "Our vendor's preliminary datasheet v0.9, table 1"
[[device]]
name = "acme-x1"
kind = "gpu"
vendor = "ACME"
peak_flop_per_s = {{ bf16 = [400e12, "sheet"] }}
memory_bytes = [96e9, "sheet"]
memory_bandwidth_byte_per_s = [2.4e12, "sheet"]
price_usd_per_hour = [2.5, "sheet"]
price_date = "{date}"
"""


def _show(tmp_path: Path, date: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "mine.toml"
    path.write_text(DEVICE.format(date=date), encoding="utf-8")
    return run_main(["catalog", "show", "acme-x1", "--catalog", str(path)], capsys)


@pytest.mark.parametrize("date", ["2999-10", "2999-01-15"])
def test_a_price_date_after_today_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], date: str) -> None:
    code, out, err = _show(tmp_path, date, capsys)
    assert code == 2, out
    assert "device 'acme-x1'" in err and f"price_date = '{date}' is after today" in err and "fix:" in err


def test_a_day_the_calendar_lacks_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _show(tmp_path, "2026-02-31", capsys)
    assert code == 2 and "'2026-02-31' is not a day of the calendar" in err, out


@pytest.mark.parametrize("date", ["2024-06", "2026-02-28", dt.date.today().strftime("%Y-%m"),
                                  dt.date.today().isoformat()])
def test_dates_up_to_today_load(tmp_path: Path, capsys: pytest.CaptureFixture[str], date: str) -> None:
    code, out, err = _show(tmp_path, date, capsys)
    assert code == 0, err
    assert f"price date: {date}" in out


def test_every_bundled_price_is_dated_in_the_past() -> None:
    dated = [d for d in default_catalog() if d.price_date]
    assert dated and all(d.price_date[:7] <= dt.date.today().strftime("%Y-%m") for d in dated)
