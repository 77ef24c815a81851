"""`probe`'s text names what each `% of catalog` divides by and why a figure reads n/a: the table showed 0.2% for
matmul.fp32 against xeon-8480plus with no word of the peak (its dense fp32 peak, not the bf16 AMX one the list shows),
and n/a for matmul.bf16 against epyc-9654 with no word that the entry gives no bf16 peak (2026-12-05, utprobe)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.measure import probe
from accelopt.units import MiB, fmt_quantity


@pytest.fixture
def tiny(tiny_probe: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """conftest's tiny probe, with a two-size matmul ladder."""
    monkeypatch.setattr(probe, "LADDER_SIDES", (16, 32))


def test_each_share_names_its_peak_and_a_missing_peak_is_said(capsys: pytest.CaptureFixture[str],
                                                              tiny: None) -> None:
    epyc = get_device("epyc-9654")
    assert epyc.peak("bf16") is None and epyc.peak("fp32") is not None  # the case this test is about
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32,bf16", "--no-save", "--compare",
                               "epyc-9654"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    fp32 = fmt_quantity(epyc.peak("fp32"), "FLOP/s")
    bw = fmt_quantity(epyc.memory_bandwidth_byte_per_s, "B/s")
    assert (f"% of catalog divides matmul.fp32 by its dense fp32 peak {fp32}; stream.copy, stream.triad by its "
            f"memory bandwidth {bw}; n/a: matmul.bf16 (epyc-9654 gives no dense bf16 peak)") in text


def test_the_named_peak_is_the_one_the_share_divides_by(capsys: pytest.CaptureFixture[str], tiny: None) -> None:
    xeon = get_device("xeon-8480plus")
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32,bf16", "--no-save", "--compare",
                               "xeon-8480plus", "--json"], capsys)
    assert code == 0, err
    figs = {f["metric"]: f for f in json.loads(out)["figures"]}
    for dtype in ("fp32", "bf16"):  # each matmul against its own dtype's peak, recomputed
        f = figs[f"matmul.{dtype}"]
        assert f["catalog_peak"] == xeon.peak(dtype)
        assert f["fraction_of_peak"] == pytest.approx(f["median"] / xeon.peak(dtype))
    code, out, _ = run_main(["probe", "--device", "cpu", "--dtypes", "fp32,bf16", "--no-save", "--compare",
                             "xeon-8480plus"], capsys)
    text = " ".join(out.split())
    assert f"matmul.bf16 by its dense bf16 peak {fmt_quantity(xeon.peak('bf16'), 'FLOP/s')}" in text
    assert "n/a:" not in text



def test_a_gpu_probes_copies_have_no_catalog_figure_and_say_so() -> None:
    """On a GPU the host<->device and device-to-device copies read n/a: the catalog holds no host link figure."""
    from accelopt.cli.probe import peaks_text
    from accelopt.hardware.detect import DetectedDevice

    h100 = get_device("h100-sxm")
    dev = DetectedDevice(torch_device="cuda:0", kind="gpu", vendor="NVIDIA", name="NVIDIA H100 80GB HBM3",
                         memory_bytes=80e9, index=0, catalog_name="h100-sxm")

    def fig(metric: str, unit: Any) -> probe.Figure:
        return probe.Figure(metric=metric, unit=unit, median=1e12, p10=1e12, p90=1e12, spread=0.0, n=5, detail="")

    figs = probe.attach_peaks([fig("matmul.fp8", "FLOP/s"), fig("matmul.tf32", "FLOP/s"), fig("stream.copy", "B/s"),
                               fig("h2d.pinned", "B/s")], h100)
    result = probe.ProbeResult(device=dev, host="h", date="d", torch_version="t", quick=True, threads=1,
                               figures=figs, catalog_name="h100-sxm")
    assert peaks_text(result) == (
        f"% of catalog divides matmul.fp8 by its dense fp8 peak {fmt_quantity(h100.peak('fp8'), 'FLOP/s')}; "
        f"matmul.tf32 by its dense tf32 peak {fmt_quantity(h100.peak('tf32'), 'FLOP/s')}; stream.copy by its memory "
        f"bandwidth {fmt_quantity(h100.memory_bandwidth_byte_per_s, 'B/s')}; n/a: h2d.pinned (no catalog figure for "
        "it)")


@pytest.mark.parametrize("kernel, counted", [
    ("copy", "2 arrays counted per pass (1 read + 1 write, no write-allocate)"),
    ("triad", "3 arrays counted per pass (2 read + 1 write, no write-allocate)"),
])
def test_a_stream_figure_says_which_bytes_it_counts(kernel: str, counted: str) -> None:
    """'2 arrays counted per pass' left open whether a write counts once or twice (with its write-allocate read)."""
    import torch

    fig = probe.measure_stream(torch, "cpu", kernel, 1 * MiB, budget_s=0.02)
    assert fig.detail == f"1 MiB fp32 arrays, {counted}"
