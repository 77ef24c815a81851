"""`plan infer --objective cost` (or energy, power) names the devices without that figure as not ranked, on the
console and on the --html page, instead of listing them last as if they ranked last.

Before: 'meet 50 ms at batch 1, best first by cost: l4, jetson-agx-orin': the Jetson has no catalog price (its
$/M inf is n/a), so it was not ranked by cost at all, only sorted after the devices that have one.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import FPGA_NO_LINK_NO_TDP, run_main

from accelopt.hardware.catalog import get_device


def test_a_device_without_a_price_is_named_not_ranked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    assert get_device("jetson-agx-orin").price_usd_per_hour is None and get_device("l4").price_usd_per_hour
    page = tmp_path / "i.html"
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "l4,jetson-agx-orin", "--batch", "1",
                               "--latency-budget-ms", "50", "--objective", "cost", "--html", str(page)], capsys)
    assert code == 0, err
    want = "best first by cost: l4; not ranked, no cost figure (no price in its spec): jetson-agx-orin"
    assert want in " ".join(out.split()), out
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    assert want in " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_json_ranks_only_the_devices_with_the_figure(capsys: pytest.CaptureFixture[str]) -> None:
    """The console's 'not ranked' came from the same object whose `ranked` still listed the Jetson last, so a JSON
    reader (and the page's 'devices ranked' key figure, 2) took it as ranked by cost; `unranked` holds it now."""
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "l4,jetson-agx-orin", "--batch", "1",
                               "--latency-budget-ms", "50", "--objective", "cost", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["ranked"], doc["unranked"]) == (["l4"], ["jetson-agx-orin"])
    assert doc["schema_version"] == 4


def test_only_an_unpriced_device_meets_the_budget(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "jetson-agx-orin", "--batch", "1",
                               "--latency-budget-ms", "50", "--objective", "cost"], capsys)
    assert code == 0, err
    said = " ".join(out.split())
    assert ("meet 50 ms at batch 1, best first by cost: none; not ranked, no cost figure (no price in its spec): "
            "jetson-agx-orin") in said


def test_history_says_why_no_device_is_ranked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`history` listed a plan infer run on a device without a TDP as 'devices 1; devices ranked 0', a zero count
    with no reason (utleft3), where the run itself said 'not ranked, no energy figure (no TDP in its spec)'. Its key
    figures now count the devices not ranked and say why; a run that ranks every device has no such figure."""
    spec = tmp_path / "fpga.toml"
    spec.write_text(FPGA_NO_LINK_NO_TDP, encoding="utf-8")
    for hardware in (str(spec), "l4"):
        code, _, err = run_main(["plan", "infer", "mlp", "--hardware", hardware, "--dtype", "fp16", "--batch", "1"],
                                capsys)
        assert code == 0, err
    code, out, err = run_main(["history", "--json"], capsys)
    assert code == 0, err
    summary = {r["argv"][r["argv"].index("--hardware") + 1]: r["summary"] for r in json.loads(out)["runs"]}
    assert "devices ranked 0; devices not ranked by energy, no energy figure (no TDP in its spec) 1" in \
        summary[str(spec)], summary
    assert "devices ranked 1" in summary["l4"] and "not ranked" not in summary["l4"], summary
