"""`plan serve` on a device the catalog gives no price (mi325x) printed `$/M out tok  n/a` with no word of why or
how to get the figure (`plan infer` says "no price in the catalog: cost n/a"). A note now names the devices and the
fix (--price-usd-per-hour), in the text, the JSON notes and the HTML page alike; a priced run has no such note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device

BASE = ["plan", "serve", "--model", "qwen2.5-0.5b", "--hardware", "mi325x,h100-sxm", "--batch", "8", "--prompt", "256",
        "--output", "32"]
WORDS = "$/M out tok is n/a on mi325x: no price per device-hour in the catalog"


def test_an_unpriced_device_says_why_its_cost_is_na(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert get_device("mi325x").price_usd_per_hour is None and get_device("h100-sxm").price_usd_per_hour is not None
    page = tmp_path / "serve [x].html"
    code, text, err = run_main([*BASE, "--html", str(page)], capsys)
    assert code == 0, err
    flat = " ".join((text + err).split())
    assert WORDS in flat and "--price-usd-per-hour" in flat and "h100-sxm: no price" not in flat
    assert WORDS in " ".join(page.read_text(encoding="utf-8").split())
    code, out, err = run_main([*BASE, "--json"], capsys)
    doc = json.loads(out)
    assert [n for n in doc["notes"] if n.startswith(WORDS)]
    usd = {s["device"]: s["points"][0]["usd_per_million_output_tokens"] for s in doc["results"]}
    assert usd["mi325x"] is None and usd["h100-sxm"] is not None


def test_a_given_price_leaves_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*BASE, "--price-usd-per-hour", "3", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert not [n for n in doc["notes"] if "no price" in n]
    assert all(s["points"][0]["usd_per_million_output_tokens"] is not None for s in doc["results"])


def test_plan_says_why_an_unpriced_devices_cost_is_na(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` showed `cost (est.)  n/a` on mi325x rows with no reason either."""
    args = ["plan", "--model", "qwen2.5-0.5b", "--hardware", "mi325x,h100-sxm", "--devices", "8", "--global-batch",
            "64", "--seq-len", "1024", "--top", "20"]
    code, out, err = run_main([*args, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert "mi325x" in {r["hardware"] for r in doc["best"]}
    said = [n for n in doc["notes"] if "n/a on mi325x: no price per device-hour" in n]
    assert len(said) == 1 and "h100-sxm" not in said[0]
    code, text, err = run_main(args, capsys)
    assert "n/a on mi325x: no price per device-hour" in " ".join((text + err).split())
