"""`catalog show NAME` says which figures the entry does not give (utcat, 2026-12-06): the text table listed only
the figures present, so a user reading `catalog show h100-pcie` could not tell a missing scale-out link from one
left off the page, while `--json` printed it as null. Text and JSON must name the same missing figures."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import NUMERIC_FIELDS


def _missing_line(out: str) -> str:
    joined = " ".join(out.split())  # rich wraps long lines
    start = joined.index("not stored (")
    end = min(i for i in (joined.find("price date:", start), joined.find("ridge point", start)) if i > 0)
    return joined[start:end].strip()


def _listed(line: str) -> set[str]:
    return {f.strip() for f in line.split("): ", 1)[1].split(",")}


@pytest.mark.parametrize("name", ["h100-pcie", "b300", "edge-tpu", "trainium2"])
def test_show_names_every_missing_figure_the_json_gives_as_null(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "catalog", "show", name)
    listed = _listed(_missing_line(out))
    doc, _ = run_main_expect(capsys, "catalog", "show", name, "--json")
    device = json.loads(doc)["device"]
    spec = get_device(name)
    for field in NUMERIC_FIELDS:
        said = field in listed
        defaulted = field == "scaleup_domain_devices" and "scaleup_domain_devices" not in spec.sources
        idle_line = field == "idle_w" and spec.tdp_w is not None  # said by the idle-power line instead
        if (device[field] is None and not idle_line) or defaulted:
            assert said, (field, listed)
        else:
            assert not said, (field, listed)
    assert listed <= set(NUMERIC_FIELDS), listed


def test_h100_pcie_says_its_scaleout_link_is_missing_not_zero(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "catalog", "show", "h100-pcie")
    assert "scaleout_bandwidth_byte_per_s" in _listed(_missing_line(out))
    assert get_device("h100-pcie").missing_numbers()[:2] == ["scaleup_peer_bandwidth_byte_per_s", "scaleup_latency_s"]
