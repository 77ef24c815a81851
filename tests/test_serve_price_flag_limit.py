"""`plan serve --price-usd-per-hour` past any device's price (a year's rent typed as an hourly one) names the flag.

Before: "error: device 'h100-sxm': price_usd_per_hour = 1000000.0 is not a finite number up to 1e+05, the limit past
any accelerator built" and "fix: give price_usd_per_hour in SI units (bytes, bytes/s, seconds, watts, USD)": a
catalog field the user never wrote, and a fix about units for a figure already in USD.
"""

from __future__ import annotations

import pytest
from conftest import run_main


def test_a_price_past_any_device_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1",
                             "--prompt", "128", "--output", "16", "--price-usd-per-hour", "1e6"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "Traceback" not in err, err
    assert "--price-usd-per-hour 1e+06" in text and "at most 100000 USD per device-hour" in text, text
    assert "SI units" not in text and "device 'h100-sxm'" not in text, text


def test_the_limit_itself_is_a_price(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1",
                             "--prompt", "128", "--output", "16", "--price-usd-per-hour", "1e5"], capsys)
    assert code == 0, err
