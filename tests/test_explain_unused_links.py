"""`plan explain` on a device with no scale-up link figure (examples/my_accelerator.toml's my-asic) printed
in_scaleup_link_byte_per_s 10 GB/s and in_scaleup_latency_s 2.4 us, defaults (the scale-out default bandwidth, the
DGX-A100 ring latency) the job never uses, with no "default used" label: the assumed-figures line only names the
defaults a job uses (Links.used_by). A link the layout does not use is now n/a (null in JSON): the scale-up inputs
where the job uses no scale-up link, the tensor-parallel link at tp 1 (as the pipeline link at pp 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, run_main_expect

CATALOG = str(Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml")  # no links at all
EXPLAIN = ["plan", "explain", "--model", "llama2-7b", "--devices", "8", "--json"]


def _terms(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    doc = json.loads(run_main_expect(capsys, *EXPLAIN, *args)[0])
    return explain_terms(doc), doc


def test_unused_scaleup_inputs_of_a_device_without_links_are_na(capsys: pytest.CaptureFixture[str]) -> None:
    t, doc = _terms(capsys, "--hardware", "my-asic", "--catalog", CATALOG, "--mbs", "1", "--zero", "3")
    for name in ("in_scaleup_link_byte_per_s", "in_scaleup_latency_s", "in_tp_link_byte_per_s"):
        assert t[name] is None, (name, t[name])
    assumed = {a["field"] for a in doc["assumed"]}
    assert "scaleup_latency_s" not in assumed and "scaleup_bandwidth_byte_per_s" not in assumed
    # every other input that is a figure prints as one
    assert t["in_peak_flop_per_s"] == pytest.approx(65.5e12)


def test_a_used_scaleup_link_still_prints_its_figure(capsys: pytest.CaptureFixture[str]) -> None:
    t, _ = _terms(capsys, "--hardware", "h100-sxm", "--tp", "8")
    assert t["in_tp_link_byte_per_s"] == t["in_scaleup_link_byte_per_s"] > 0
    assert t["in_scaleup_latency_s"] == pytest.approx(2.4e-6)


def test_text_shows_na_not_the_unlabelled_default(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_main_expect(capsys, *EXPLAIN[:-1], "--hardware", "my-asic", "--catalog", CATALOG, "--zero", "3")[0]
    rows = {ln.split("│")[1].strip(): ln.split("│")[2].strip() for ln in out.splitlines() if ln.count("│") >= 3}
    assert rows["in_scaleup_latency_s"] == "n/a" and rows["in_scaleup_link_byte_per_s"] == "n/a"
    assert "2.4 µs" not in out.split("step-time and memory arithmetic")[0]
